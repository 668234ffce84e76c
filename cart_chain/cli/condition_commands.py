"""``condition import`` / ``show`` / ``formats``: the shippers' temperature loggers."""

from __future__ import annotations

import argparse
from pathlib import Path

from cart_chain.cli.common import emit_json, open_db, shown, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError


def _duration(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h} h {m:02d} min {sec:02d} s" if h else f"{m} min {sec:02d} s"


def cmd_condition_import(args: argparse.Namespace) -> int:
    from cart_chain.services.condition import import_condition

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    db = open_db(args)
    by = signer(args.by, "Performed by", PasswordSource())
    r = import_condition(
        db,
        args.unit,
        data,
        by,
        leg=args.leg,
        fmt=args.format,
        tz=args.tz,
        temperature_unit=args.unit_of_temperature,
        filename=path.name,
    )
    print(f"imported logger file for {r.subject} (entry {r.seq}, signed by {by.username})")
    for detail in r.deviations:
        print(f"  DEVIATION (QA must review): {detail}")
    return 0


def cmd_condition_show(args: argparse.Namespace) -> int:
    from cart_chain.services.condition_views import condition_of

    c = condition_of(open_db(args, read_only=True), args.unit)
    if args.json:
        emit_json(c)
        return 0
    print(f"unit {c.unit}  (case {c.coi})")
    if not c.legs:
        print("  no transport leg recorded")
    for leg in c.legs:
        until = leg.receipt or "still on its way"
        print(f"leg {leg.seq}  {leg.step}  {leg.handoff} -> {until}")
        if not leg.imports:
            print("  no logger file imported")
        for i in leg.imports:
            print(
                f"  logger {shown(i.serial or '(no serial)')}  format {i.format}  "
                f"entry {i.seq} by {i.by}  sha256 {i.sha256[:16]}...  {i.size} bytes"
            )
            print(
                f"    {i.samples} samples {i.first} -> {i.last}, every "
                f"{_duration(i.interval_s)}; limits {i.limits}"
            )
            mkt = f", MKT {i.mkt_c:g} °C" if i.mkt_c is not None else ""
            print(f"    min {i.min_c:g} °C, max {i.max_c:g} °C{mkt}")
            for e in i.excursions:
                ok = " (tolerated)" if e["tolerated"] else ""
                print(
                    f"    excursion {e['start']} -> {e['end']} ({_duration(e['duration_s'])}), "
                    f"extreme {e['extreme_c']:g} °C{ok}"
                )
            for g in i.gaps:
                print(f"    gap {g['start']} -> {g['end']} ({_duration(g['duration_s'])})")
            if i.started_late:
                print("    the logger started after the handoff")
            if i.stopped_early:
                print("    the logger stopped before the receipt")
            for d in i.deviations:
                state = d.decision or "OPEN, awaiting QA"
                print(f"    deviation #{d.seq} {d.rule}: {state}")
    return 0


def cmd_condition_formats(args: argparse.Namespace) -> int:
    from cart_chain.services.condition_formats import all_formats, site_folder

    formats = all_formats()
    if args.json:
        emit_json(
            {
                n: {"title": f.title, "source": f.source, "verified": f.verified}
                for n, f in sorted(formats.items())
            }
        )
        return 0
    for name, f in sorted(formats.items()):
        mark = "" if f.verified else "  [UNVERIFIED layout]"
        print(f"{name}: {f.title}{mark}")
        print(f"    source: {f.source}")
    print(f"a site's own layouts: {site_folder()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cond = sub.add_parser("condition", help="temperature loggers of the transport legs")
    cs = cond.add_subparsers(dest="condition_command", metavar="ACTION", required=True)
    p = cs.add_parser(
        "import", help="import a logger file for a unit's leg (signed; excursions -> deviations)"
    )
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("file", metavar="FILE", help="the logger's CSV export, or its PDF report")
    p.add_argument("--by", metavar="USER", required=True)
    p.add_argument(
        "--leg", type=int, metavar="SEQ", help="the transport step's entry (default: the latest)"
    )
    p.add_argument("--format", default="auto", metavar="auto|NAME")
    p.add_argument("--tz", metavar="ZONE", help="time zone of a file that states none")
    p.add_argument(
        "--temperature-unit",
        dest="unit_of_temperature",
        metavar="C|F|K",
        help="temperature unit of a file that states none",
    )
    p.set_defaults(handler=cmd_condition_import)
    p = cs.add_parser("show", help="legs, loggers, min/max/MKT, excursions and gaps of a unit")
    p.add_argument("unit", metavar="UNIT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_condition_show)
    p = cs.add_parser("formats", help="the logger layouts known, with their sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_condition_formats)
