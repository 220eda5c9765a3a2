"""The `approvals-bot` command."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.config import CONFIG_ENV, POSTGRES_SCHEMES, Config, ConfigError, config_path, load_config
from bot.config_check import problems, sources
from bot.export import EXPORT_COLUMNS, EXPORT_FORMATS, csv_cell, export_rows, render_export
from bot.i18n import LANGUAGES
from bot.init_config import InitError, run_init
from bot.logs import setup_logging
from bot.store import StoreLockedError, StoreUnavailableError, StoreVersionError
from bot.store.tinydb import read_meta

__all__ = ["EXPORT_COLUMNS", "csv_cell", "main"]  # the export's columns and cells are part of the CLI


CONFIG_HELP = f"the configuration file (default: ${CONFIG_ENV}, else ./config.toml)"


def port_number(text: str) -> int:
    """--port: 1 to 65535, or 0 for any free port (printed when serving)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port from 1 to 65535 (or 0: any free port), got {text!r}"
        )
    return port


def package_version() -> str:
    try:
        return importlib.metadata.version("approvals-bot")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand and flag, each with its help."""
    parser = argparse.ArgumentParser(prog="approvals-bot", description="Approvals in Slack.")
    parser.add_argument("--version", action="version", version=f"approvals-bot {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser(
        "init", help="write a working config.toml for the embedded engine, Slack over Socket Mode"
    )
    init.add_argument("--path", default="config.toml", help="where to write it (default: ./config.toml)")
    init.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    init.add_argument(
        "--non-interactive",
        action="store_true",
        help="ask nothing: take the tokens and admins from the environment, fail if any is missing",
    )
    init.add_argument(
        "--language",
        choices=LANGUAGES,
        default="zh_CN",
        help="language of the bot's messages (default: zh_CN)",
    )

    serve = commands.add_parser("serve", help="run the bot: Slack events, WeCom callbacks, health")
    serve.add_argument("--config", help=CONFIG_HELP)
    serve.add_argument("--host", help="address to listen on (default: server.host)")
    serve.add_argument(
        "--port", type=port_number, help="port to listen on, 0 for any free one (default: server.port)"
    )

    sweep = commands.add_parser(
        "sweep", help="sweep every provider now and deliver what it finds (beside a running serve too)"
    )
    sweep.add_argument("--config", help=CONFIG_HELP)
    sweep.add_argument("--url", help="a running serve to ask (default: server.host and server.port)")

    check = commands.add_parser("check-config", help="validate the configuration and explain problems")
    check.add_argument("--config", help=CONFIG_HELP)

    demo = commands.add_parser("demo", help="the whole loop, offline, with stand-ins for Slack and WeCom")
    demo.add_argument("--dir", help="keep the demo's store here (default: a temporary folder)")
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="instead of the story: type slash commands and press buttons",
    )

    sandbox = commands.add_parser(
        "sandbox", help="a WeCom stand-in on loopback: [[local.templates]] served as WeCom templates, offline"
    )
    sandbox.add_argument("--config", help=CONFIG_HELP)
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    sandbox.add_argument("--port", type=port_number, default=8090, help="port to listen on (default: 8090)")
    sandbox.add_argument("--callback-url", help="where to POST callbacks (default: server.public_url)")

    export = commands.add_parser("export", help="every approval the bot knows, to stdout")
    export.add_argument("--config", help=CONFIG_HELP)
    export.add_argument("--format", choices=EXPORT_FORMATS, default="json", help="json (default) or csv")

    migrate = commands.add_parser(
        "migrate-store", help="copy the TinyDB store into an empty PostgreSQL database (serve stopped)"
    )
    migrate.add_argument("--config", help=CONFIG_HELP)
    migrate.add_argument("--to", required=True, metavar="postgresql://USER@HOST/DB", help="the database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging()
    try:
        return {
            "init": cmd_init,
            "serve": cmd_serve,
            "check-config": cmd_check_config,
            "export": cmd_export,
            "sandbox": cmd_sandbox,
            "demo": cmd_demo,
            "sweep": cmd_sweep,
            "migrate-store": cmd_migrate_store,
        }[args.command](args)
    except ConfigError as exc:
        print(f"approvals-bot: {exc}", file=sys.stderr)
        return 2
    except (StoreLockedError, StoreVersionError, StoreUnavailableError) as exc:  # not this process's to use
        print(f"approvals-bot: {exc}", file=sys.stderr)
        return 3
    except InitError as exc:
        print(f"approvals-bot init: {exc}", file=sys.stderr)
        return 2


def _load(args: argparse.Namespace, *, required: bool = True) -> Config:
    return load_config(config_path(args.config), required=required)


def cmd_init(args: argparse.Namespace) -> int:
    return run_init(
        Path(args.path), force=args.force, interactive=not args.non_interactive, language=args.language
    )


def cmd_check_config(args: argparse.Namespace) -> int:
    config = _load(args)
    found = problems(config)
    errors = [p for p in found if p.severity == "error"]
    print(f"Checked {config.source}:")
    for problem in found:
        print(f"  {problem}")
    if errors:
        print(f"{len(errors)} error(s): the bot will not start until they are fixed.")
        return 1
    where = " and ".join(sources(config)) or "no provider yet"
    print(f"OK ({len(found)} warning(s)). Approvals come from {where}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime import SlackRefusedError, build_runtime, check_slack_at_start
    from bot.server import serve

    config = _load(args)
    errors = [p for p in problems(config) if p.severity == "error"]
    if errors:
        for problem in errors:
            print(f"approvals-bot: {problem}", file=sys.stderr)
        print("approvals-bot: run `approvals-bot check-config` for the full list", file=sys.stderr)
        return 1
    host = args.host if args.host is not None else config.server.host
    port = int(args.port if args.port is not None else config.server.port)
    # on a database, replicas share the inbox table and each acknowledges and applies in one process
    front_process = config.server.front_process and not config.database_url
    runtime = build_runtime(config, journaled_elsewhere=front_process)
    try:
        check_slack_at_start(runtime)
    except SlackRefusedError as exc:
        runtime.stop()
        print(f"approvals-bot: {exc}", file=sys.stderr)
        return 1
    try:
        serve(runtime, host, port, front_process=front_process)
    except OSError as exc:
        runtime.stop()
        print(f"approvals-bot: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Sweep now. Without serve: open the store, sweep, deliver, exit. Beside serve (which holds
    the store): ask it to sweep, proving with the bot's secret that the request is ours.

    On PostgreSQL nothing holds the store, so the sweep runs here even beside running replicas; that
    is safe because nothing in it counts on being alone: each approval is applied under its lock in
    the database and compared with what is stored (the leader's sweep finding the same change queues
    nothing more), callbacks and outbox items are claimed as the replicas claim them, and a watermark
    written by the older of two overlapping sweeps only makes the next sweep look again."""
    from bot.runtime import build_runtime

    config = _load(args)
    try:
        runtime = build_runtime(config, with_bolt=False)
    except StoreLockedError:
        return _sweep_through_server(config, args.url)
    try:
        runtime.processor.apply_pending()  # callbacks acknowledged but not applied come first
        reports = [asdict(r) for r in runtime.sweeper.run_once()]
        left = _deliver_all(runtime)
        problems = runtime.health()["problems"]
    finally:
        runtime.stop()
    _print_sweep(reports)
    for problem in problems:
        print(f"approvals-bot: {problem}", file=sys.stderr)
    if left:
        why = "Slack refuses the bot" if problems else "rate limits"
        print(f"{left} message(s) still waiting for Slack ({why}); the next run or serve sends them")
    return 1 if any(r["error"] for r in reports) else 0


def _deliver_all(runtime: Any, limit: float = 120.0) -> int:
    """Deliver what the sweep queued before exiting (cron has no serve); returns what is left.

    While Slack refuses the bot nothing can go out: the items stay held for the next run or serve."""
    deadline = time.monotonic() + limit
    while runtime.deliverer.backlog() and time.monotonic() < deadline and runtime.deliverer.fault is None:
        time.sleep(min(runtime.deliverer.run_once(), 1.0))
    return runtime.deliverer.backlog()


def _sweep_through_server(config: Config, url: str | None) -> int:
    import httpx

    from bot.scheduling import SWEEP_HEADER, SWEEP_PATH, sweep_signature

    stored = read_meta(config.store_path, "secret:links")
    secret = config.server.link_secret.encode() if config.server.link_secret else bytes.fromhex(stored or "")
    host = config.server.host if config.server.host not in ("", "0.0.0.0") else "127.0.0.1"
    target = (url or f"http://{host}:{config.server.port}").rstrip("/") + SWEEP_PATH
    try:
        reply = httpx.post(
            target, headers={SWEEP_HEADER: sweep_signature(secret, int(time.time()))}, timeout=300
        )
    except httpx.HTTPError as exc:
        print(
            f"approvals-bot: a serve holds the store, but {target} does not answer ({exc})", file=sys.stderr
        )
        return 1
    if reply.status_code != 200:
        print(f"approvals-bot: the running serve refused the sweep ({reply.status_code})", file=sys.stderr)
        return 1
    print("(swept by the running serve)")
    _print_sweep(reply.json())
    return 1 if any(r["error"] for r in reply.json()) else 0


def _print_sweep(reports: list[dict[str, Any]]) -> None:
    if not reports:
        print("nothing to sweep: no provider that can be swept is configured")
    for r in reports:
        kind = "first sweep (recorded, nobody told)" if r["first"] else "sweep"
        result = (
            f"error: {r['error']}" if r["error"] else f"{r['changed']} change(s), {r['reads']} detail read(s)"
        )
        print(f"{r['provider']}: {kind}: {r['looked_at']} looked at, {result}")


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.offline.demo import run_demo

    return run_demo(Path(args.dir) if args.dir else None, interactive=args.interactive)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.offline.sandbox_config import SandboxConfigError, build_sandbox, callback_url_for

    config = _load(args)
    try:
        sandbox = build_sandbox(config, callback_url=args.callback_url)
    except SandboxConfigError as exc:
        print(f"approvals-bot sandbox: {exc}", file=sys.stderr)
        return 1
    sandbox.start(args.host, args.port)
    callbacks = args.callback_url or callback_url_for(config)
    print(
        f"WeCom sandbox on {sandbox.base_url} (set wecom.api_base to it); callbacks to {callbacks}",
        file=sys.stderr,
        flush=True,
    )
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sandbox.stop()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    # a config named explicitly must exist; without one, the default store path is exported
    config = _load(args, required=bool(args.config or os.environ.get(CONFIG_ENV)))
    from bot.runtime import journal_decoders, open_reader

    reader = open_reader(config, journal_decoders(config))
    try:
        rows = export_rows(reader)
    finally:
        reader.close()
    sys.stdout.write(render_export(rows, args.format))
    return 0


def cmd_migrate_store(args: argparse.Namespace) -> int:
    """Copy the TinyDB store (store.path) into the database `--to`, count both sides, refuse to overwrite.
    The password comes from PGPASSWORD, never the command line."""
    config = _load(args)
    if not args.to.startswith(POSTGRES_SCHEMES):
        print("approvals-bot: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    from bot.runtime import journal_decoders
    from bot.store.postgres import PostgresStore
    from bot.store.postgres.copy import CountMismatchError, TargetNotEmptyError, copy_store

    target = PostgresStore(args.to)
    try:
        counts = copy_store(config.store_path, target, journal_decoders(config))
    except (TargetNotEmptyError, CountMismatchError) as exc:
        print(f"approvals-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        target.close()
    print(f"Copied {config.store_path} into {target.path}:")
    for table, count in counts.items():
        print(f"  {table}: {count}")
    print(f'Counts verified. Set store.url = "{target.path}" and start serve on it.')
    return 0
