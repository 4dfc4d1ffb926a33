"""Refusals of the enrolment use cases, worded for people (Estonian and English).

Entry points turn a ``Refused`` into a JSON error (API) or a message next to the field
(pages); the code stays stable for clients and tests, the texts may change.
"""
from __future__ import annotations

from services.enrolment.domain.problems import Errors, Problem


class Refused(Exception):
    """The use case did not change anything; ``status`` is the HTTP status to answer with."""

    status = 409

    def __init__(self, problem: Problem, *, status: int | None = None, field: str | None = None,
                 errors: Errors | None = None):
        super().__init__(problem.en)
        self.problem = problem
        self.status = status or self.status
        self.errors: Errors = errors if errors is not None else ({field: [problem]} if field else {})

    @property
    def code(self) -> str:
        return self.problem.code

    def message(self, language: str) -> str:
        return self.problem.text(language)


class Invalid(Refused):
    """Input broke one or more rules: every problem by field path."""

    status = 422

    def __init__(self, errors: Errors, problem: Problem | None = None):
        count = sum(len(p) for p in errors.values())
        super().__init__(problem or Problem(
            "invalid", f"Andmetes on vigu ({count}). Palun parandage need.",
            f"The data has {count} error(s). Please correct them."), errors=errors)


class NotFound(Refused):
    status = 404


def not_found(what_et: str, what_en: str) -> NotFound:
    return NotFound(Problem("not_found", f"{what_et} ei leitud.", f"{what_en} not found."))
