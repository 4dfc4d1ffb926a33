"""What the conditions a member confirms state, and a digest of it.

The conditions name the edition's claim cap, whether the cap is stated with VAT (the
edition's ``vat_applies``: False drops the clause; True, or None = billing's own setting,
whose default is that VAT applies, keep it) and the make-up rule attendance set for the
edition (projected from ``attendance.make_up_rule.changed``; none seen = the brochure's).

The digest is what a member read, in any language: the page carries it in a hidden field and
the API returns it, so that a confirmation sent after any of these changed is not recorded
against conditions the member did not read.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal

# The make-up windows attendance publishes (shared/events/attendance.py MakeUpRuleChanged).
BEFORE_OWN_NEXT_DAY = "before_own_next_day"  # the brochure's
ANY_LATER_SAME_DAY = "any_later_same_day"
WINDOWS = (BEFORE_OWN_NEXT_DAY, ANY_LATER_SAME_DAY)

DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class MakeUpRule:
    """Whether a missed day may be made up in another city's group, and in which sessions."""
    allowed: bool = True
    window: str = BEFORE_OWN_NEXT_DAY

    @property
    def stated(self) -> str:
        """What the conditions say: the window only matters while make-ups are allowed."""
        return self.window if self.allowed else "none"


BROCHURE_RULE = MakeUpRule()


@dataclass(frozen=True)
class StatedConditions:
    claim_cap: Decimal
    vat_clause: bool  # the cap is stated "incl. VAT"
    make_up: MakeUpRule = BROCHURE_RULE

    @property
    def digest(self) -> str:
        terms = {"claim_cap": f"{Decimal(self.claim_cap):.2f}", "vat_clause": self.vat_clause,
                 "make_up": self.make_up.stated}
        return hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).hexdigest()


def stated_conditions(claim_cap: Decimal, vat_applies: bool | None, make_up: MakeUpRule | None) -> StatedConditions:
    """The edition's terms as the conditions state them. ``vat_applies`` None leaves VAT to
    billing's setting, which by default applies it: the clause stays."""
    return StatedConditions(claim_cap, vat_applies is not False, make_up or BROCHURE_RULE)


def is_digest(value: object) -> bool:
    return isinstance(value, str) and DIGEST.fullmatch(value) is not None
