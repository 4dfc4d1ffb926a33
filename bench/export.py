"""The ESF export of 100,000 participants as CSV and XLSX, against writing the same rows
with the csv module and openpyxl's write-only mode in the same run (goal: ≤ 2× the raw time).

The raw baseline turns each record into a row of plain strings and writes it: what our
export does on top (Estonian labels, formula neutralising, typed dates, the codebook
sheet) is the cost being measured.
"""
from __future__ import annotations

import csv
import io
import os
import random
import time
from datetime import date, timedelta

from openpyxl import Workbook

from services.reporting.domain.participant import Participant
from services.reporting.exports.participants import HEADINGS, participants_csv, participants_xlsx

N = int(os.environ.get("BENCH_PARTICIPANTS", "100000"))


def records(n: int) -> list[Participant]:
    rnd = random.Random(2019)
    out = []
    for i in range(n):
        entry = date(2019, 4, 9) + timedelta(days=rnd.randrange(60))
        out.append(Participant(
            participant_id=f"p-{i}", group_id="2019-parnu", city="Pärnu", organisation_kind="ngo",
            organisation_id=f"org-{i % 500}", first_name=rnd.choice(["Mari", "Jüri", "=cmd", "Õie"]),
            last_name=f"Tamm{i}", email=f"p{i}@example.ee", personal_code="49403136515",
            sex=rnd.choice(["female", "male", "non_binary", None]), birth_date=date(1994, 3, 13),
            entry_date=entry, exit_date=entry + timedelta(days=40), exit_status="completed",
            employment_status=rnd.choice(["employed", "unemployed", "inactive", "declined"]),
            isced=rnd.choice([2, 4, 6, "declined", None]),
            disability=rnd.choice(["yes", "no", "declined", None]), third_country_national="no",
            foreign_background="no", minority="declined", homeless="no", rural_area="yes",
            county="Pärnu maakond", municipality="Pärnu linn"))
    return out


def plain_rows(rows: list[Participant]) -> list[list[str]]:
    return [[str(getattr(r, name) or "") for name in (
        "participant_id", "first_name", "last_name", "personal_code", "sex", "birth_date", "entry_date",
        "exit_date", "exit_status", "employment_status", "isced", "disability", "third_country_national",
        "foreign_background", "minority", "homeless", "rural_area", "county", "municipality",
        "organisation_kind", "group_id", "city")] for r in rows]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    data = records(N)

    def raw_csv():
        raw = plain_rows(data)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADINGS)
        writer.writerows(raw)

    def raw_xlsx():
        raw = plain_rows(data)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Osalejad")
        sheet.append(list(HEADINGS))
        for row in raw:
            sheet.append(row)
        workbook.save(io.BytesIO())

    results = {
        "CSV": (timed(lambda: participants_csv(data, io.BytesIO())), timed(raw_csv)),
        "XLSX": (timed(lambda: participants_xlsx(data, io.BytesIO())), timed(raw_xlsx)),
    }
    for kind, (ours, baseline) in results.items():
        print(f"export {kind}: {N:,} participants  ours {ours:.2f} s  raw {baseline:.2f} s  "
              f"ratio {ours / baseline:.2f}  (goal ≤ 2.00)", flush=True)


if __name__ == "__main__":
    main()
