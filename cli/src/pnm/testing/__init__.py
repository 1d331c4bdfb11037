"""Builders for the tests, the demo and the benchmark (records.py); never imported by a service
(tests/unit/test_floor_plan.py)."""
