"""Builders for the tests, the demo and the benchmark: records (records.py) and export files as
the feeds write them (files.py). Never imported by a service
(tests/unit/shared/test_floor_plan.py)."""
