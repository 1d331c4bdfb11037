"""`pnm bench` runs against the real broker and database and prints both rates and the ratio
(the figures themselves are not asserted: no timing in tests)."""

from __future__ import annotations

import re
import subprocess
import sys

from infra import Broker


def test_bench_prints_raw_and_pipeline_rates(database_url: str, kafka: Broker) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pnm.cli.main",
            "bench",
            "--lines",
            "300",
            "--records",
            "300",
            "--manifest-lines",
            "300",
            "--notifications",
            "2000",
            "--burst",
            "2000",
            "400",
            "--matchers",
            "2",
            "--replay",
            "300",
            "1000",
            "--bootstrap",
            kafka.bootstrap,
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"replay of [\d,]+ manifest lines against [\d,]+ pre-notifications", out), out
    assert re.search(r"bare parse \(json.loads\):\s+\d+ events/s", out), out
    assert re.search(r"read and validate:\s+\d+ events/s", out), out
    assert re.search(r"pnm replay:\s+\d+ lines/s .*peak memory \d+ MB", out), out
    assert re.search(r"raw aiokafka consume→produce:\s+\d+ msg/s", out), out
    assert re.search(r"pipeline line → decision:\s+\d+ lines/s .*p50 \d+ ms, p99 \d+ ms", out), out
    assert re.search(r"ratio pipeline / raw:\s+\d+\.\d+", out), out
    assert re.search(r"REST bulk:\s+\d+ records/s stored .* published", out), out
    assert re.search(r"file upload \(CSV\):\s+\d+ records/s stored", out), out
    assert re.search(r"raw PostgreSQL COPY:\s+\d+ records/s", out), out
    assert re.search(r"end to end to Kafka:\s+\d+ lines/s", out), out
    assert re.search(r"raw COPY \+ raw produce:\s+\d+ lines/s", out), out
    assert re.search(r"per line, candidates \+ all stages: p50 [\d.]+ ms, p99 [\d.]+ ms", out), out
    assert re.search(r"raw dict probe per line: +p50 [\d.]+ ms", out), out
    assert "(2 matcher processes)" in out, out  # every decision, from two instances
    assert re.search(r"all decisions on Kafka in [\d.]+ s .*p50 [\d,]+ ms, p99 [\d,]+ ms", out), out
    # holds: every unnotified tenth of the burst blocked, timed from a plain Kafka consumer
    assert "block instructions during a burst of 400 lines (40 unnotified):" in out, out
    assert re.search(r"arrival → block instruction: +p50 [\d,]+ ms, p99 [\d,]+ ms", out), out
    assert re.search(r"decision → block instruction: +p50 [\d,]+ ms, p99 [\d,]+ ms", out), out
