"""The matcher's application service: what an input affects, what is decided and what is
published, written once over a `Store` (PostgreSQL for the service, memory for the replay and
the property tests). See docs/matcher-layers.md."""
