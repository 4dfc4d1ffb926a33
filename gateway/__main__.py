"""``python -m gateway create-user …`` (and the other account commands below) and
``python -m gateway run`` (embedded mode)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from gateway import accounts
from shared import clock


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create a staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", action="append", required=True,
                        help="coordinator | trainer | finance, optionally scoped: trainer:Tartu,Pärnu")
    create.add_argument("--password", help="read from $STAFF_PASSWORD or asked for when omitted")
    sub.add_parser("list-users", help="list the staff accounts")
    for command, what in (("disable-user", "disable an account (ends its sessions)"),
                          ("enable-user", "enable a disabled account")):
        sub.add_parser(command, help=what).add_argument("--email", required=True)
    roles = sub.add_parser("set-roles", help="replace an account's roles (ends its sessions)")
    roles.add_argument("--email", required=True)
    roles.add_argument("--role", action="append", required=True, help="as for create-user; repeat for several")
    password = sub.add_parser("set-password", help="set a new password (ends the account's sessions)")
    password.add_argument("--email", required=True)
    password.add_argument("--password", help="read from $STAFF_PASSWORD or asked for when omitted")
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
    try:
        account_command(db, args)
    except accounts.AccountError as exc:
        sys.exit(f"error: {exc}")


def _password(args) -> str:
    return args.password or os.environ.get("STAFF_PASSWORD") or getpass.getpass("Password: ")


def account_command(db, args) -> None:
    if args.command == "create-user":
        user = accounts.create_user(db, args.email, args.name, _password(args), args.role)
        print(f"created {user.email} ({', '.join(user.role_names)})")
    elif args.command == "list-users":
        for a in accounts.list_users(db):
            status = f"disabled {clock.local(a.disabled_at):%d.%m.%Y %H:%M}" if a.disabled else "active"
            print(f"{a.email}\t{a.name}\t{' '.join(a.grant_specs)}\t{status}\t"
                  f"created {clock.local(a.created_at):%d.%m.%Y %H:%M}")
    elif args.command == "disable-user":
        accounts.disable(db, accounts.find_user(db, args.email).user_id)
        print(f"disabled {args.email.strip().lower()}; its sessions have ended")
    elif args.command == "enable-user":
        accounts.enable(db, accounts.find_user(db, args.email).user_id)
        print(f"enabled {args.email.strip().lower()}")
    elif args.command == "set-roles":
        accounts.set_grants(db, accounts.find_user(db, args.email).user_id, args.role)
        print(f"roles of {args.email.strip().lower()}: {' '.join(args.role)}; its sessions have ended")
    elif args.command == "set-password":
        user_id = accounts.find_user(db, args.email).user_id  # before asking for a password
        accounts.set_password(db, user_id, _password(args))
        print(f"new password for {args.email.strip().lower()}; its sessions have ended")


if __name__ == "__main__":
    main()
