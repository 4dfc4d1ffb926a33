"""A rule a person broke, worded for them in Estonian and English.

The code is the stable part: APIs, tests and translations key on it; the texts may change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    et: str
    en: str

    def text(self, language: str = "et") -> str:
        # Estonian is the default language of the programme.
        return self.en if language == "en" else self.et

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "et": self.et, "en": self.en}


#: Field path -> every problem found there; empty when all is well.
Errors = dict[str, list[Problem]]


def errors_as_json(errors: Errors) -> dict[str, list[dict[str, str]]]:
    return {path: [problem.as_dict() for problem in problems] for path, problems in errors.items()}
