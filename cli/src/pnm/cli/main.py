"""`pnm`: run, serve, migrate, replay and benchmark the pre-notification matching system."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from pnm.cli.service_names import SERVICE_NAMES

SECTIONS = ["replay", "pipeline", "ingest", "intake", "matching", "burst", "holds"]
# Only on request: rejoin waits out consumer-group session timeouts, minutes of mostly idle
# time; year generates (once, then kept under var/year/) and replays a year of traffic.
ON_REQUEST = ["rejoin", "year"]


def _scenario(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.days is None:
        from pnm.cli.scenario.output import run_scenario
        from pnm.cli.scenario.plan import CONTROLLED_SHARE

        if args.kind is None:
            parser.error("scenario: --kind is required for one day (or give --days)")
        share = CONTROLLED_SHARE if args.controlled_share is None else args.controlled_share
        run_scenario(
            args.kind,
            args.seed,
            args.date,
            1000 if args.lines is None else args.lines,
            args.outage,
            args.output,
            args.expect,
            share,
            args.families,
        )
        return
    from pnm.cli.scenario.year import LINES_PER_DAY, YEAR_CONTROLLED_SHARE, run_days

    if args.outage != "none" or args.families:
        parser.error("scenario: --outage and --families are for one day, not with --days")
    share = YEAR_CONTROLLED_SHARE if args.controlled_share is None else args.controlled_share
    run_days(
        args.date,
        args.days,
        args.seed,
        args.output,
        args.expect,
        LINES_PER_DAY if args.lines is None else args.lines,
        ("rotterdam", "schiphol") if args.kind is None else (args.kind,),
        share,
    )


def _families(text: str) -> frozenset[str]:
    from pnm.cli.scenario.families import FAMILIES

    chosen = set(FAMILIES) if text == "all" else set(text.split(","))
    unknown = chosen - set(FAMILIES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown families {sorted(unknown)}: {FAMILIES}")
    return frozenset(chosen)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pnm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "standalone", help="all services and the console in one process, embedded PostgreSQL"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path, default=Path("var/standalone"))
    p.add_argument("--pg-port", type=int, default=0, help="embedded PostgreSQL port (0: any)")
    p.add_argument("--database-url", help="use this PostgreSQL instead of the embedded one")
    p.add_argument("--demo", action="store_true", help="load the demo data set at start")

    p = sub.add_parser("serve", help="one service (or all) on Kafka + PostgreSQL")
    p.add_argument("service", choices=[*SERVICE_NAMES, "all"])
    p.add_argument("--host")
    p.add_argument("--port", type=int)

    p = sub.add_parser("migrate", help="upgrade the database schemas to the newest revision")
    p.add_argument("service", nargs="*", help=f"any of {', '.join(SERVICE_NAMES)} (default: all)")

    p = sub.add_parser("topics", help="list topics, write deploy/topics.txt, or create them")
    p.add_argument("--write", type=Path, help="write the topic list to this file")
    p.add_argument("--create", action="store_true", help="create topics and DLQ twins on Kafka")

    p = sub.add_parser("kafka-acls", help="print the kafka-acls.sh commands a deployment needs")
    p.add_argument("--prefix", default="", help="topic and group name prefix")
    p.add_argument("--terminal", action="append", default=[], help="a terminal code (repeat)")
    p.add_argument(
        "--idempotent-write", action="store_true", help="brokers before 2.8: IdempotentWrite"
    )

    p = sub.add_parser("replay", help="run recorded inputs through the matcher's domain code")
    p.add_argument("input", type=Path)
    p.add_argument("--until", help="advance the clock to this time at the end (RFC 3339)")
    p.add_argument("--output", type=Path)
    p.add_argument("--expect", type=Path, help="expected statuses: print precision/recall/F1")
    p.add_argument(
        "--indicators", type=Path, help="indicator set (directory or JSON) instead of the shipped"
    )
    p.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("SET_A", "SET_B"),
        help="replay under two indicator sets and show the decisions that differ",
    )

    p = sub.add_parser("bench", help="pipeline rate beside a raw aiokafka passthrough")
    p.add_argument("--only", choices=SECTIONS + ON_REQUEST, help="run one section")
    p.add_argument("--lines", type=int, default=5000, help="manifest lines (pipeline)")
    p.add_argument("--records", type=int, default=10000, help="pre-notifications (intake)")
    p.add_argument(
        "--manifest-lines", type=int, default=10000, help="lines of one manifest (ingest)"
    )
    p.add_argument("--bootstrap", help="use this Kafka (default: start one from deploy/)")
    p.add_argument("--database-url", help="use this PostgreSQL (default: start one)")
    p.add_argument(
        "--notifications",
        type=int,
        default=1_000_000,
        help="active pre-notifications in memory (matching)",
    )
    p.add_argument(
        "--burst",
        type=int,
        nargs=2,
        default=(100_000, 20_000),
        metavar=("NOTIFICATIONS", "LINES"),
        help="active pre-notifications and manifest lines (burst)",
    )
    p.add_argument(
        "--matchers", type=int, default=2, help="matcher processes, one consumer group (burst)"
    )
    p.add_argument(
        "--replay",
        type=int,
        nargs=2,
        default=(10_000, 50_000),
        metavar=("LINES", "NOTIFICATIONS"),
        help="manifest lines and pre-notifications of the generated set (replay)",
    )
    p.add_argument("--year-days", type=int, default=365, help="days of generated traffic (year)")
    p.add_argument("--year-lines", type=int, default=13_750, help="manifest lines a day (year)")
    p.add_argument(
        "--year-cache", type=Path, default=Path("var/year"), help="where generated sets are kept"
    )

    p = sub.add_parser("token", help="mint a development token (signed with PNM_AUTH_SECRET)")
    p.add_argument("--role", action="append", required=True, dest="roles")
    p.add_argument("--sub", default="dev-user")
    p.add_argument("--org")
    p.add_argument(
        "--ttl-hours",
        type=float,
        default=8.0,
        help="at most PNM_AUTH_MAX_PERSON_TOKEN_HOURS (12), or for a token of only feed: and "
        "terminal: roles PNM_AUTH_MAX_SYSTEM_TOKEN_HOURS (168)",
    )

    p = sub.add_parser("dlq", help="list, show or re-drive a service's dead letters")
    p.add_argument("action", choices=["list", "show", "redrive"])
    p.add_argument("id", nargs="?", help="the dead letter (show, redrive)")
    p.add_argument("--url", help="the service's base URL (default: PNM_URL)")
    p.add_argument("--token", help="an admin bearer token (default: PNM_TOKEN)")
    p.add_argument("--limit", type=int, default=100)

    p = sub.add_parser("postgres", help="start or stop a local PostgreSQL (embedded wheel)")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument("--data-dir", type=Path, default=Path("var/postgres"))
    p.add_argument("--port", type=int, default=5432)

    p = sub.add_parser(
        "scenario",
        help="seeded replay days with the expected status per line (docs/year-generator.md)",
    )
    p.add_argument("--kind", choices=["rotterdam", "schiphol"], help="with --days: both if unset")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD (first)")
    p.add_argument(
        "--days", type=int, help="this many consecutive days in one file (Rotterdam + Schiphol)"
    )
    p.add_argument(
        "--lines", type=int, help="manifest lines (a day; default 1000, with --days 13750)"
    )
    p.add_argument(
        "--controlled-share",
        type=float,
        help="share of lines under a risk indicator (default 0.4, with --days 0.12)",
    )
    p.add_argument("--outage", choices=["none", "ongoing", "recovered"], default="none")
    p.add_argument(
        "--families",
        type=_families,
        default=frozenset(),
        help="one day: issue-16 families, comma-separated, or all (tests/data/corpus/README.md)",
    )
    p.add_argument("--output", type=Path, required=True, help="replay events (JSON lines)")
    p.add_argument("--expect", type=Path, required=True, help="expected statuses (JSON lines)")

    p = sub.add_parser(
        "audit", help="verify the holds service's audit trail, or export a range (docs/audit.md)"
    )
    p.add_argument("action", choices=["verify", "export"])
    p.add_argument("--database-url", help="default: PNM_HOLDS_DATABASE_URL, else PNM_DATABASE_URL")
    p.add_argument("--archive", type=Path, help="verify: this export's manifest, not the database")
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        help="verify: SEQUENCE:HASH kept outside the database, e.g. an earlier head (repeat)",
    )
    p.add_argument(
        "--until", help="export: through this sequence number, or the last entry before a time"
    )
    p.add_argument("--from", dest="first", type=int, default=1, help="export: first sequence")
    p.add_argument("--output", type=Path, default=Path("."), help="export: into this directory")

    p = sub.add_parser(
        "terminal-sim", help="a terminal outside the system: applies and answers its instructions"
    )
    p.add_argument("--terminal", required=True, help="the terminal code, e.g. ECTDELTA")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--kafka", metavar="BOOTSTRAP", help="read its own instruction topic")
    where.add_argument("--url", help="poll the holds API here (base URL of the system)")
    p.add_argument("--token", help="a terminal:CODE bearer token for --url (default: PNM_TOKEN)")
    p.add_argument("--topic-prefix", help="default: PNM_KAFKA_TOPIC_PREFIX")
    p.add_argument("--delay", default="0", help="seconds before applying: N or LOW-HIGH")
    p.add_argument("--reject-rate", type=float, default=0.0, help="0..1, with --seed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--down-every", type=float, default=0.0, help="seconds per up+down cycle")
    p.add_argument("--down-for", type=float, default=0.0, help="seconds down in each cycle")
    p.add_argument("--register", type=Path, help="keep the container register in this JSON file")
    p.add_argument("--poll-seconds", type=float, default=1.0, help="REST: wait when idle")

    p = sub.add_parser(
        "goods-vocabulary",
        help="rebuild the matcher's goods vocabulary (docs/goods-recognition.md)",
    )
    p.add_argument("--hs", type=Path, required=True, help="hs2022_nomenclature.csv")
    p.add_argument("--cn", type=Path, required=True, help="cn2026_multilingual.csv")

    p = sub.add_parser(
        "goods-eval", help="precision and recall of goods recognition on a labelled corpus"
    )
    p.add_argument("--corpus", type=Path, help="default: tests/data/goods_corpus.csv")
    p.add_argument("--indicators", type=Path, help="an indicator set (default: the shipped one)")
    p.add_argument("--missed", action="store_true", help="list the descriptions missed")

    args = parser.parse_args(argv)
    if args.command == "standalone":
        from pnm.cli.standalone import run_standalone

        asyncio.run(run_standalone(args))
    elif args.command == "serve":
        from pnm.cli.serve import run_serve

        asyncio.run(run_serve(args.service, args.host, args.port))
    elif args.command == "migrate":
        from pnm.cli.serve import run_migrate

        asyncio.run(run_migrate(args.service or list(SERVICE_NAMES)))
    elif args.command == "topics":
        from pnm.cli.topics import run_topics, topic_list

        if args.write:
            args.write.write_text(topic_list())
        asyncio.run(run_topics(args.create))
    elif args.command == "kafka-acls":
        from pnm.cli.kafka_acls import run_kafka_acls

        run_kafka_acls(args.prefix, args.terminal, args.idempotent_write)
    elif args.command == "goods-vocabulary":
        from pnm.cli.goods_vocabulary import write

        print(f"goods vocabulary {write(args.hs, args.cn)}")
    elif args.command == "goods-eval":
        from pnm.cli.goods_eval import CORPUS, report
        from pnm.matcher.adapters.indicator_data import load_indicator_set, shipped_indicator_set

        indicators = load_indicator_set(args.indicators) if args.indicators else None
        print(report(indicators or shipped_indicator_set(), args.corpus or CORPUS, args.missed))
    elif args.command == "replay":
        from pnm.cli.replay import run_replay

        sys.exit(
            run_replay(
                args.input, args.until, args.output, args.expect, args.indicators, args.compare
            )
        )
    elif args.command == "bench":
        from pnm.cli.bench import run_bench

        asyncio.run(
            run_bench(
                [args.only] if args.only else SECTIONS,
                args.lines,
                args.records,
                args.manifest_lines,
                args.bootstrap,
                args.database_url,
                args.notifications,
                tuple(args.burst),
                args.matchers,
                tuple(args.replay),
                (args.year_days, args.year_lines, args.year_cache),
            )
        )
    elif args.command == "token":
        from pnm.cli.token import run_token

        run_token(args.roles, args.sub, args.org, args.ttl_hours)
    elif args.command == "dlq":
        from pnm.cli.dlq import run_dlq

        sys.exit(asyncio.run(run_dlq(args.action, args.id, args.url, args.token, args.limit)))
    elif args.command == "postgres":
        from pnm.cli.postgres import LocalPostgres

        pg = LocalPostgres(args.data_dir, args.port)
        if args.action == "start":
            pg.start()
        elif args.action == "stop":
            pg.stop()
        print(pg.url)
    elif args.command == "scenario":
        _scenario(parser, args)
    elif args.command == "terminal-sim":
        from pnm.cli.terminal_register import Behaviour, Downtime, parse_delay
        from pnm.cli.terminal_sim import run_terminal_sim
        from pnm.shared.contracts.topics import terminal_instructions_topic

        try:
            terminal_instructions_topic(args.terminal)  # the code must name a topic
            behaviour = Behaviour(parse_delay(args.delay), args.reject_rate, args.seed)
            downtime = Downtime(args.down_every, args.down_for)
        except ValueError as err:
            parser.error(str(err))
        asyncio.run(
            run_terminal_sim(
                args.terminal,
                args.kafka,
                args.url,
                args.token,
                args.topic_prefix,
                behaviour,
                downtime,
                args.register,
                args.poll_seconds,
            )
        )
    elif args.command == "audit":
        from pnm.cli import audit

        if args.action == "export":
            if args.until is None:
                parser.error("audit export needs --until")
            sys.exit(
                asyncio.run(
                    audit.run_audit_export(args.until, args.first, args.output, args.database_url)
                )
            )
        if args.archive is not None:
            sys.exit(audit.run_audit_verify_archive(args.archive))
        try:
            anchors = [audit.anchor(a) for a in args.anchor]
        except ValueError as err:
            parser.error(f"--anchor: {err}")
        sys.exit(asyncio.run(audit.run_audit_verify(args.database_url, anchors)))


if __name__ == "__main__":
    main()
