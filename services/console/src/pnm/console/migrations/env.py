from pnm.console.adapters.tables import metadata
from pnm.shared.migrations import run_env

run_env(metadata)
