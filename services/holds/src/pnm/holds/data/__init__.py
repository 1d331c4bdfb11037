"""Reference data of the holds service, shipped with it (docs/completeness.md)."""
