"""A hand-built group covering every band and every kind of answer, shared by the tests.

Tallinn's day I (2019-04-17) is the entry day; P12 entered in Pärnu (2019-04-09); P11 never
entered. Ages at entry: P1 17, P2 18, P3 24, P4 25, P5 29, P6 30, P7 54, P8 55, P9 59
(born 29 Feb), P10 unknown, P12 64. Organisations: L1–L4 local governments, N1–N2 NGOs,
X1 of unrecorded kind; L4 only through P11.
"""
from datetime import date

from services.reporting.domain.participant import Participant

TALLINN_DAY_1 = date(2019, 4, 17)
PARNU_DAY_1 = date(2019, 4, 9)
COMPLETED_TALLINN = date(2019, 6, 6)
DROPPED_OUT = date(2019, 5, 9)

NOES = {name: "no" for name in (
    "disability", "third_country_national", "foreign_background", "minority", "homeless", "rural_area"
)}


def _participant(number, *, organisation, exit_status=None, **fields):
    organisation_kind = {"L": "local_government", "N": "ngo", "X": None}[organisation[0]]
    exit_date = {"completed": COMPLETED_TALLINN, "dropped_out": DROPPED_OUT, None: None}[exit_status]
    fields.setdefault("entry_date", TALLINN_DAY_1)
    return Participant(
        participant_id=f"P{number}",
        group_id="tallinn-2019",
        city="Tallinn",
        organisation_id=organisation,
        organisation_kind=organisation_kind,
        first_name=f"Eesnimi{number}",
        last_name=f"Perekonnanimi{number}",
        email=f"p{number}@example.ee",
        exit_status=exit_status,
        exit_date=exit_date if fields["entry_date"] else None,
        county="Harju maakond",
        municipality="Tallinn",
        **fields,
    )


GROUP = (
    _participant(1, organisation="L1", sex="female", personal_code="60104180178",  # born 2001-04-18
                 employment_status="inactive", isced=2, exit_status="completed",
                 **{**NOES, "disability": "yes", "rural_area": "yes"}),
    _participant(2, organisation="N1", personal_code="50104170126",  # male, born 2001-04-17
                 employment_status="unemployed", isced=3, exit_status="dropped_out",
                 **{**NOES, "third_country_national": "yes", "foreign_background": "yes",
                    "minority": "declined"}),
    _participant(3, organisation="N1", sex="female", birth_date=date(1994, 4, 18),
                 employment_status="long_term_unemployed", isced=4, exit_status="completed",
                 **{**NOES, "disability": "declined", "homeless": "yes"}),
    _participant(4, organisation="L1", sex="male", birth_date=date(1994, 4, 17),
                 employment_status="employed", isced=5,
                 **{**NOES, "foreign_background": "declined", "rural_area": None}),
    _participant(5, organisation="L2", sex="non_binary", birth_date=date(1989, 4, 18),
                 employment_status="self_employed", isced=6, exit_status="completed", **NOES),
    _participant(6, organisation="N2", personal_code="48904170154",  # female, born 1989-04-17
                 employment_status="employed", isced=8, exit_status="completed",
                 **{**NOES, "disability": None}),
    _participant(7, organisation="L2", personal_code="36404180217",  # male, born 1964-04-18
                 employment_status="unemployed", isced=1, exit_status="completed",
                 **{**NOES, "homeless": "declined"}),
    _participant(8, organisation="N2", personal_code="46404170102",  # female, born 1964-04-17
                 employment_status="inactive", isced=0, exit_status="dropped_out",
                 **{**NOES, "minority": "yes"}),
    _participant(9, organisation="X1", sex=None, birth_date=date(1960, 2, 29),
                 employment_status="long_term_unemployed", isced="declined", exit_status="completed"),
    _participant(10, organisation="L1", sex="female", disability="yes"),
    _participant(11, organisation="L4", sex="male", birth_date=date(1990, 1, 1), entry_date=None,
                 employment_status="unemployed", isced=3, **NOES),
    _participant(12, organisation="L3", personal_code="35501010334",  # male, born 1955-01-01
                 entry_date=PARNU_DAY_1, employment_status="declined", isced=7, exit_status="completed",
                 **{**NOES, "third_country_national": "yes", "rural_area": "yes"}),
)
