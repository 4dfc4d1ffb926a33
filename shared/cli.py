"""The command line every service shares: ``python -m services.<name> <command>``.

web      serve HTTP (development server; production runs gunicorn on ``create_app()``)
worker   consumer + outbox relay + periodic tick, in one process
consume | relay | tick   each on its own (scale them separately)
         (each loop beats a heartbeat: ``python -m shared.heartbeat <name> [loops]`` checks it)
migrate  apply the service's Alembic migrations
makemigration -m MESSAGE   autogenerate the next migration from the models
(a service may add its own, e.g. reporting's ``anonymise-due``)
"""
from __future__ import annotations

import argparse
import signal
import threading

from shared.heartbeat import Heartbeat
from shared.observability import configure_logging


def main(bootstrap, create_app, argv=None, extra_commands: dict | None = None) -> None:
    """``extra_commands``: a service's own one-off commands, ``{name: run(kit, argv) -> exit code}``;
    ``run`` parses the arguments after the name itself."""
    extra_commands = extra_commands or {}
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["web", "worker", "consume", "relay", "tick", "migrate",
                                            "makemigration", *extra_commands])
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--once", action="store_true", help="tick: run the jobs once and exit")
    args, rest = parser.parse_known_args(argv)
    if args.command not in extra_commands and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    configure_logging()
    if args.command in extra_commands:
        raise SystemExit(extra_commands[args.command](bootstrap(), rest))
    if args.command == "makemigration":
        make_migration(bootstrap, args.message)
        return
    kit = bootstrap()
    if args.command == "migrate":
        kit.db.migrate()
        return
    if args.command == "web":
        create_app(kit=kit).run(port=args.port)
        return
    if args.command == "tick" and args.once:
        kit.tick()
        return
    kit.db.migrate()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    loops = {"consume": kit.consumer().run, "relay": kit.relay().run, "tick": kit.run_ticks}
    # Each loop beats its own heartbeat: the container's health check (python -m shared.heartbeat)
    names = list(loops) if args.command == "worker" else [args.command]
    threads = [threading.Thread(target=loops[name], args=(stop, Heartbeat(kit.name, name)), daemon=True)
               for name in names]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        stop.wait(1)
    for thread in threads:
        thread.join(timeout=10)


def make_migration(bootstrap, message: str) -> None:
    """Compare the models with a scratch database at head and write the difference."""
    import tempfile

    from alembic import command

    from shared.config import Settings
    with tempfile.TemporaryDirectory() as tmp:
        probe = bootstrap()
        settings = Settings.from_env(probe.name, database_url=f"sqlite:///{tmp}/scratch.sqlite")
        kit = bootstrap(settings)
        kit.db.migrate()
        cfg = kit.db.alembic_config()
        command.revision(cfg, message=message, autogenerate=True)
