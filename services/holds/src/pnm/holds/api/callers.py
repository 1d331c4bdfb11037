"""Who may call the holds routes (docs/access.md), each a caller dependency checked before the
request is read (AuthoriseFirst). Which authority may act on a given hold is checked on the
hold (`pnm.holds.authority`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from pnm.shared.access import OFFICIAL_READERS, Requires
from pnm.shared.auth import Principal
from pnm.shared.roles import ANY_TERMINAL, INSPECTORS, Role

# A terminal (or an admin) acknowledging an instruction.
TerminalSystem = Annotated[Principal, Depends(Requires(ANY_TERMINAL, Role.ADMIN))]
# Officials see every hold, a terminal its own.
HoldReader = Annotated[Principal, Depends(Requires(*OFFICIAL_READERS, ANY_TERMINAL))]
# The authorities act on holds and record irregularities.
AuthorityOfficer = Annotated[Principal, Depends(Requires(*INSPECTORS))]
PreArrival = Annotated[Principal, Depends(Requires(Role.CUSTOMS_PREARRIVAL))]
# A person acting on an escalation: customs pre-arrival or an authority.
Escalations = Annotated[Principal, Depends(Requires(Role.CUSTOMS_PREARRIVAL, *INSPECTORS))]
IrregularityReader = Annotated[
    Principal, Depends(Requires(*INSPECTORS, Role.CUSTOMS_PREARRIVAL, Role.ADMIN))
]
Auditor = Annotated[Principal, Depends(Requires(Role.ADMIN, *INSPECTORS))]
