"""`partner-api`: the installed server's processes, and the conformance kit.

    partner-api migrate            the release step: migrate the database to the head
    partner-api serve              the web process: gunicorn with the shipped configuration
    partner-api worker [--burst]   the job worker
    partner-api check BASE_URL     play Vercel against any partner server (partner_api_check)

They run from any directory, with nothing but the installed package: settings come from the
environment (the README's table), the catalog from `CATALOG_PATH`, a provider of one's own
from the catalog (`"provider": "package.module:ClassName"`), importable from the working
directory. `python -m partner_api …` is the same, for a checkout that is not installed.

A setting that cannot be used ends each of them with one line that names it (exit 1): the
app's own settings through `create_app`, gunicorn's sizes (`WEB_CONCURRENCY`, `PORT`, …)
here, before gunicorn reads them itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from partner_api import serving

GUNICORN_CONFIG = "python:partner_api.gunicorn_conf"
WSGI_APP = "partner_api.wsgi:app"


def _flask(arguments: Sequence[str]) -> int:
    """Run a `flask --app partner_api.wsgi …` command in this process."""
    from flask.cli import FlaskGroup

    from partner_api import create_app

    group = FlaskGroup(create_app=create_app, add_default_commands=False)
    return group.main(args=list(arguments), prog_name="partner-api", standalone_mode=False) or 0


def migrate(_: argparse.Namespace) -> int:
    return _flask(["db", "upgrade"])


def worker(args: argparse.Namespace) -> int:
    return _flask(["jobs", "work", *(["--burst"] if args.burst else [])])


def serve(_: argparse.Namespace) -> int:
    problems = serving.problems(os.environ)
    if problems:
        raise SystemExit(f"partner-api cannot start: {'; '.join(problems)}")
    command = gunicorn_command()
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, fixed arguments
    return 0  # not reached


def gunicorn_command(app: str = WSGI_APP) -> list[str]:
    """gunicorn with the shipped configuration, serving `app` (the benchmark serves others)."""
    return [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, app]


def check(args: argparse.Namespace) -> int:
    from partner_api_check import cli

    return cli.run(args)


def parser() -> argparse.ArgumentParser:
    from partner_api_check import cli as check_cli

    root = argparse.ArgumentParser(
        prog="partner-api", description="The partner-api server and its conformance kit."
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="migrate the database (the release step)").set_defaults(
        run=migrate
    )
    commands.add_parser("serve", help="serve the Partner API with gunicorn").set_defaults(
        run=serve
    )
    work = commands.add_parser("worker", help="run the background jobs")
    work.add_argument("--burst", action="store_true", help="exit once no job is due")
    work.set_defaults(run=worker)
    check_cli.add_check_command(commands).set_defaults(run=check)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command != "check":
        sys.path.insert(0, os.getcwd())  # a provider module of one's own, next to the catalog
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
