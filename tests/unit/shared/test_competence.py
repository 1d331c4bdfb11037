"""Which authority answers for which goods: the chain the matcher, holds, the pre-notification
service and the console all read (docs/access.md, "Roles")."""

from __future__ import annotations

import pytest

from pnm.shared.competence import (
    AUTHORITY_OF_REGIME,
    REGIME_OF_AUTHORITY,
    REGIME_OF_CHED,
    ROLE_OF_AUTHORITY,
    role_of_ched,
    role_of_regime,
)
from pnm.shared.contracts.records import Authority, ChedType, Regime


def test_every_ched_type_has_a_regime() -> None:
    assert set(REGIME_OF_CHED) == set(ChedType)


def test_authority_per_regime_and_its_role() -> None:
    assert AUTHORITY_OF_REGIME == {Regime.PHYTO: Authority.PD, Regime.VET: Authority.NVWA}
    assert REGIME_OF_AUTHORITY == {Authority.PD: Regime.PHYTO, Authority.NVWA: Regime.VET}
    assert ROLE_OF_AUTHORITY == {Authority.PD: "pd-inspector", Authority.NVWA: "nvwa-inspector"}
    assert role_of_regime(Regime.PHYTO) == "pd-inspector"
    assert role_of_regime(Regime.VET) == "nvwa-inspector"


@pytest.mark.parametrize(
    ("ched_type", "role"),
    [
        (ChedType.CHED_PP, "pd-inspector"),
        (ChedType.CHED_P, "nvwa-inspector"),
        (ChedType.CHED_A, "nvwa-inspector"),
        # Feed and food of non-animal origin: notified in VGC, checked by NVWA.
        (ChedType.CHED_D, "nvwa-inspector"),
    ],
)
def test_who_enters_a_written_pre_notification(ched_type: ChedType, role: str) -> None:
    assert role_of_ched(ched_type) == role
