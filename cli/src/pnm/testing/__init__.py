"""Builders for the tests, the demo and the benchmark (records.py, and files.py: export files as the feeds write them); never imported by a service
(tests/unit/shared/test_floor_plan.py)."""
