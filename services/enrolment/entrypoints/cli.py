"""Enrolment's own commands (``python -m services.enrolment <command>``, see ``shared.cli``).

    load-edition FILE   create the edition a data file describes (the layout of
                        ``services/enrolment/data/edition_2019.yaml``), or update the edition of
                        that year to it; every change publishes the schedule with the next
                        revision, a file that changes nothing publishes nothing
"""
from __future__ import annotations

import argparse
import sys

from services.enrolment.domain.edition import EditionError
from services.enrolment.service_layer import editions
from services.enrolment.service_layer.errors import Refused


def load_edition(kit, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.enrolment load-edition",
                                     description="Create or update an edition from its data file (YAML).")
    parser.add_argument("file", help="the edition's YAML file")
    args = parser.parse_args(argv)
    kit.db.migrate()
    try:
        edition_id, changed = editions.load_edition_file(kit, args.file, actor=f"data file {args.file}")
    except OSError as exc:
        print(f"error: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except EditionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Refused as exc:  # e.g. a group with teams removed, a confirmed claim policy changed
        problems = [p.en for found in exc.errors.values() for p in found] or [exc.message("en")]
        print("error: the edition was not saved:\n" + "\n".join(f"- {p}" for p in problems), file=sys.stderr)
        return 1
    revision = editions.get_edition(kit, edition_id)["revision"]
    print(f"edition {edition_id}: published as revision {revision}" if changed
          else f"edition {edition_id}: nothing changed (revision {revision})")
    return 0


COMMANDS = {"load-edition": load_edition}
