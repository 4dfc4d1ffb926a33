"""``python -m gateway create-user …`` and ``python -m gateway run`` (embedded mode)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from gateway import accounts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create a staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", action="append", required=True,
                        help="coordinator | trainer | finance, optionally scoped: trainer:Tartu,Pärnu")
    create.add_argument("--password", help="read from $STAFF_PASSWORD or asked for when omitted")
    sub.add_parser("migrate", help="apply the accounts database migrations")
    run = sub.add_parser("run", help="embedded mode: every service in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "run":
        from gateway.embedded import serve
        serve(args.host, args.port, demo=not args.no_demo)
        return
    db = accounts.database()
    db.migrate()
    if args.command == "create-user":
        password = args.password or os.environ.get("STAFF_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = accounts.create_user(db, args.email, args.name, password, args.role)
        except accounts.AccountError as exc:
            sys.exit(f"error: {exc}")
        print(f"created {user.email} ({', '.join(user.role_names)})")


if __name__ == "__main__":
    main()
