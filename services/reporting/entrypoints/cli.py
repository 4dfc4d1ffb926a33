"""Reporting's own commands (``python -m services.reporting <command>``, see ``shared.cli``).

    anonymise-due [--dry-run]   anonymise every edition past its retention date (irreversible,
                                so a person or a scheduled job of the operator's runs it; it is
                                not one of the worker's ticks)
"""
from __future__ import annotations

import argparse

from services.reporting.service_layer import editions


def anonymise_due(kit, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reporting anonymise-due",
                                     description="Anonymise every edition past its retention date.")
    parser.add_argument("--dry-run", action="store_true", help="only list the editions that are due")
    args = parser.parse_args(argv)
    due = editions.due(kit)
    if args.dry_run:
        for edition in due:
            print(f"due {edition.edition_id} (kept until {editions.retention_date(edition):%d.%m.%Y})")
        print(f"{len(due)} edition(s) due for anonymisation; nothing changed (--dry-run)")
        return 0
    done = editions.anonymise_due(kit, actor="retention (command line)")
    for edition_id in done:
        print(f"anonymised {edition_id}")
    print(f"{len(done)} edition(s) anonymised")
    return 0


COMMANDS = {"anonymise-due": anonymise_due}
