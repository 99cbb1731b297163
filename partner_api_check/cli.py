"""``partner-api check BASE_URL``: play Vercel against a partner server and report.

Exit status: 0 when no required check failed (warnings and skips do not count unless
``--strict``), 1 when one did or the server never answered, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from partner_api_check.checks import GROUPS
from partner_api_check.context import (
    DEFAULT_ISSUER,
    DEFAULT_METADATA,
    DEFAULT_WEBHOOK_PATH,
    Settings,
)
from partner_api_check.junit import write_junit
from partner_api_check.kit import Kit, KitOptions
from partner_api_check.report import render, write_json
from partner_api_check.waiting import wait_until_answering

DEFAULT_WAIT_SECONDS = 60.0


def _metadata(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def add_check_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The `check` command and its options, on the `partner-api` command's subcommands."""
    check = commands.add_parser(
        "check", help="run the conformance checks against a running server",
        description="Serve a JWKS and a fake Vercel API, print the settings the server must "
                    "use, then call BASE_URL the way Vercel does and report what it got wrong.")
    check.add_argument("base_url", metavar="BASE_URL",
                       help="the server's Partner API base URL, e.g. http://127.0.0.1:8000")
    check.add_argument("--report", type=Path, metavar="FILE", help="also write a JSON report")
    check.add_argument("--junit", type=Path, metavar="FILE",
                       help="also write JUnit XML (one test case per check), for CI")
    check.add_argument("--strict", action="store_true",
                       help="fail the run on warnings (recommended checks) too")
    check.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                       help="how long to wait for BASE_URL to answer before checking "
                            f"(default: {DEFAULT_WAIT_SECONDS:g})")
    check.add_argument("--client-secret", metavar="SECRET",
                       help="the integration's client secret; enables the webhooks group")
    check.add_argument("--audience", metavar="oac_…",
                       help="token audience (default: an id derived from the signing key)")
    check.add_argument("--issuer", default=DEFAULT_ISSUER, metavar="URL",
                       help=f"token issuer (default: {DEFAULT_ISSUER})")
    check.add_argument("--product", metavar="SLUG",
                       help="product to provision; without it resource checks are skipped")
    check.add_argument("--plan", metavar="ID",
                       help="plan to provision with (default: picked from the product's plans)")
    check.add_argument("--metadata", type=_metadata, default=DEFAULT_METADATA, metavar="JSON",
                       help=f"resource metadata (default: {json.dumps(DEFAULT_METADATA)})")
    check.add_argument("--only", nargs="+", choices=list(GROUPS), default=list(GROUPS),
                       metavar="GROUP", help=f"run only these groups: {', '.join(GROUPS)}")
    check.add_argument("--webhook-path", default=DEFAULT_WEBHOOK_PATH, metavar="PATH",
                       help=f"webhook URL path under BASE_URL (default: {DEFAULT_WEBHOOK_PATH})")
    check.add_argument("--key-file", type=Path, metavar="PATH",
                       help="keep the signing key here (created if missing), so the server's "
                            "settings stay valid across runs")
    check.add_argument("--jwks-port", type=int, default=0, metavar="N",
                       help="port of the JWKS server (default: any free port)")
    check.add_argument("--api-port", type=int, default=0, metavar="N",
                       help="port of the fake Vercel API (default: any free port)")
    check.add_argument("--wait-for-config", action="store_true",
                       help="after printing the settings, wait for Enter before checking")
    return check


def run(args: argparse.Namespace) -> int:
    """Run the checks `args` (of the `check` command) ask for; the exit status."""
    options = KitOptions(issuer=args.issuer, audience=args.audience, key_file=args.key_file,
                         jwks_port=args.jwks_port, api_port=args.api_port)
    settings = Settings(base_url=args.base_url, product=args.product, plan=args.plan,
                        metadata=args.metadata, client_secret=args.client_secret,
                        webhook_path=args.webhook_path)
    with Kit(options) as kit:
        print("The server under test must use these settings:")
        for name, value in kit.server_settings().items():
            print(f"  {name}={value}")
        if args.client_secret:
            print("  INTEGRATION_CLIENT_SECRET=(the value given with --client-secret)")
        if args.wait_for_config:
            print("Start the server with them, then press Enter.", flush=True)
            sys.stdin.readline()
        print(f"Waiting up to {args.wait:g} s for {args.base_url} to answer…", flush=True)
        if not wait_until_answering(args.base_url, args.wait):
            print(f"{args.base_url} did not answer within {args.wait:g} s.")
            return 1
        print(flush=True)
        report = kit.check(settings, args.only)
    print(render(report))
    if args.report:
        write_json(report, args.report)
        print(f"Report written to {args.report}")
    if args.junit:
        write_junit(report, args.junit, args.strict)
        print(f"JUnit XML written to {args.junit}")
    return 1 if report.failed(args.strict) else 0


def main(argv: list[str] | None = None) -> int:
    root = argparse.ArgumentParser(prog="partner-api", description="Partner API tools.")
    add_check_command(root.add_subparsers(dest="command", required=True))
    return run(root.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
