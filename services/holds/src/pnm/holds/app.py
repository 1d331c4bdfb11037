from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pnm.holds import cases, reconciliation, resend
from pnm.holds.acks import UnknownInstruction, WrongTerminal, on_terminal_ack
from pnm.holds.adapters.tables import declared
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.api.refusals import audit_refusals
from pnm.holds.api.routes import build_router
from pnm.holds.authority import NoDestinationNow, NotTheAuthority
from pnm.holds.decisions import on_decision
from pnm.holds.domain.case import CaseRefused
from pnm.holds.domain.hold import IllegalTransition
from pnm.holds.settings import protocol_settings
from pnm.holds.store import AlreadyHeld, UnknownCase, UnknownHold
from pnm.shared.contracts.topics import DECISIONS, EventType, terminal_acks_topic
from pnm.shared.messaging.processor import Handler, dispatch_by_type
from pnm.shared.migrations import migrations_dir
from pnm.shared.reconciliation import reconciliation_loop
from pnm.shared.service import ServiceContext, ServiceDefinition


def subscriptions(ctx: ServiceContext) -> Mapping[str, Handler]:
    """The decisions, and every registered terminal's own ack topic (an ack is taken only for
    the terminal whose topic it came on)."""
    acks = {
        terminal_acks_topic(code).name: dispatch_by_type(
            {EventType.TERMINAL_ACK: partial(on_terminal_ack, clock=ctx.clock, topic_terminal=code)}
        )
        for code in sorted(known_terminals())
    }
    decisions = dispatch_by_type(
        {EventType.DECISION_CHANGED: partial(on_decision, clock=ctx.clock)}
    )
    return {DECISIONS.name: decisions, **acks}


definition = ServiceDefinition(
    error_statuses={
        UnknownHold: 404,
        UnknownInstruction: 404,
        UnknownCase: 404,
        NotTheAuthority: 403,
        WrongTerminal: 403,
        IllegalTransition: 409,
        AlreadyHeld: 409,
        NoDestinationNow: 409,
        CaseRefused: 409,
        cases.AlreadyLinked: 409,
    },
    name="holds",
    tables=declared,
    migrations=migrations_dir(__file__),
    build_router=build_router,
    subscriptions=subscriptions,
    background=lambda ctx: [
        reconciliation_loop(ctx, reconciliation.reconcile),
        resend.resend_loop(ctx, protocol_settings()),
    ],
    ledgers=lambda ctx: [reconciliation.ledger(ctx)],
    configure_app=audit_refusals,
    description="Holds, terminal block instructions and their acknowledgements",
)
