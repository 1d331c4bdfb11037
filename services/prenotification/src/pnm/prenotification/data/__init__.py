"""Versioned reference data shipped with the service (CSV, edited by analysts)."""
