#!/usr/bin/env bash
# Installs what the project needs on a fresh machine (Python 3.11+ and pip present):
#   uv (pinned, from PyPI), the locked environment in .venv (uv sync --frozen), and with
#   --kafka what the tests need besides: the Apache Kafka broker jars through Maven (needs
#   Java 17 and mvn), kcat, and Debian's Chromium for the console's browser tests.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
if ! python3 -m uv --version 2>/dev/null | grep -q "uv $UV_VERSION"; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "uv==$UV_VERSION"
fi
# Use this machine's interpreter; never download one.
UV_PYTHON_DOWNLOADS=never python3 -m uv sync --frozen --quiet

if [[ "${1:-}" == "--kafka" ]]; then
  # kcat: the tests' stand-in for a terminal's own Kafka client (no project code).
  # chromium: the browser Playwright drives in the console's tests (never a downloaded one).
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null || ! command -v kcat >/dev/null \
    || [[ ! -x /usr/bin/chromium ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      apt-get update -qq
      apt-get install -y -qq openjdk-17-jre-headless maven kcat chromium >/dev/null
    else
      echo "bootstrap: Java 17, Maven (for the Kafka broker jars), kcat and chromium are needed" >&2
      exit 1
    fi
  fi
  bash deploy/kafka.sh fetch
fi
