"""`pnm audit verify`: walk the holds service's audit trail in its database (the settings the
service uses: PNM_HOLDS_DATABASE_URL, else PNM_DATABASE_URL) and say whether it is whole."""

from __future__ import annotations

import json

from pnm.holds.audit import verify_trail
from pnm.shared.db import make_engine
from pnm.shared.settings import service_settings


async def run_audit_verify(database_url: str | None = None) -> int:
    """Prints the result as JSON; 0 when the chain is whole, 1 at a break."""
    common, settings = service_settings("holds")
    engine = make_engine(database_url or settings.database_url or common.database_url)
    try:
        check = await verify_trail(engine)
    finally:
        await engine.dispose()
    print(json.dumps(check.as_json(), indent=2))
    return 0 if check.ok else 1
