from pnm.matcher.adapters.tables import metadata
from pnm.shared.migrations import run_env

run_env(metadata)
