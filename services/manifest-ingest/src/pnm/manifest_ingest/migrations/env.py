from pnm.manifest_ingest.adapters.tables import metadata
from pnm.shared.migrations import run_env

run_env(metadata)
