"""The console: what NVWA/PD inspectors and customs pre-arrival teams look at and act on
(docs/console.md)."""
