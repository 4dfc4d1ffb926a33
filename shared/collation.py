"""Estonian alphabetical order for lists people read (names on sheets and overviews).

Python sorts strings by code point, which puts Õ, Ä, Ö, Ü and Š, Ž after every ASCII letter
and upper case before lower case. Nothing in the project's dependencies collates Estonian:
Babel has no collation, PyICU (ICU's ``et`` collation) is not a dependency and no ``et_EE``
locale can be relied on for ``locale.strxfrm``. So this is a small sort key after the
Estonian alphabet (Eesti õigekeelsussõnaraamat; CLDR's ``et`` collation agrees)::

    a b c d e f g h i j k l m n o p q r s š z ž t u v w õ ä ö ü x y

Case and other accents are ignored at first (é sorts as e, ø as o) and only break ties,
lower case first; anything else (spaces, hyphens, digits) sorts before the letters, by
code point.
"""
from __future__ import annotations

import unicodedata

ALPHABET = "abcdefghijklmnopqrsšzžtuvwõäöüxy"
_RANK = {letter: rank for rank, letter in enumerate(ALPHABET, start=1)}
_EXTRA_BASE = {"ø": "o", "ß": "s", "æ": "a", "œ": "o", "đ": "d", "ł": "l", "ı": "i"}


def _primary(char: str) -> tuple[int, int]:
    rank = _RANK.get(char)
    if rank is not None:
        return (1, rank)
    # A letter outside the alphabet sorts as its base letter (é as e, ç as c).
    base = _EXTRA_BASE.get(char) or unicodedata.normalize("NFD", char)[0]
    rank = _RANK.get(base)
    return (1, rank) if rank is not None else (0, ord(char))


def estonian_key(text: str | None) -> tuple:
    """A sort key putting ``text`` in Estonian alphabetical order: ``sorted(names, key=estonian_key)``."""
    text = unicodedata.normalize("NFC", text or "")
    folded = text.lower()
    return (tuple(_primary(c) for c in folded), folded, tuple(not c.islower() for c in text), text)


def name_key(last_name: str | None, first_name: str | None, *tie_breakers: str) -> tuple:
    """People by last name, then first name, in Estonian order; ``tie_breakers`` (an id) last."""
    return (estonian_key(last_name), estonian_key(first_name), *tie_breakers)
