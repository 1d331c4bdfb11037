"""Which competent authority answers for which goods (docs/access.md, "Roles"): a CHED type
belongs to a regime, each regime has one authority, and one role speaks for each authority.

Written once, so the matcher (which regime a pre-notification covers), holds (who may lift a
hold), the pre-notification service (who may enter a written one) and the console (whose queue
a line is in) cannot disagree."""

from __future__ import annotations

from pnm.shared.contracts.records import Authority, ChedType, Regime
from pnm.shared.roles import Role

REGIME_OF_CHED: dict[ChedType, Regime] = {
    ChedType.CHED_PP: Regime.PHYTO,
    ChedType.CHED_P: Regime.VET,
    ChedType.CHED_A: Regime.VET,
    # Feed and food of non-animal origin is notified in VGC and checked by NVWA.
    ChedType.CHED_D: Regime.VET,
}
AUTHORITY_OF_REGIME: dict[Regime, Authority] = {
    Regime.PHYTO: Authority.PD,
    Regime.VET: Authority.NVWA,
}
REGIME_OF_AUTHORITY: dict[Authority, Regime] = {a: r for r, a in AUTHORITY_OF_REGIME.items()}
ROLE_OF_AUTHORITY: dict[Authority, Role] = {
    Authority.PD: Role.PD_INSPECTOR,
    Authority.NVWA: Role.NVWA_INSPECTOR,
}


def role_of_regime(regime: Regime) -> Role:
    """The role that may lift a hold under the regime."""
    return ROLE_OF_AUTHORITY[AUTHORITY_OF_REGIME[regime]]


def role_of_ched(ched_type: ChedType) -> Role:
    """The role that may enter a written pre-notification of the CHED type."""
    return role_of_regime(REGIME_OF_CHED[ched_type])
