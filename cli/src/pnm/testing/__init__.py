"""Builders for the tests, the demo and the benchmark (records.py); never imported by a service
(tests/unit/shared/test_floor_plan.py)."""
