"""shared.collation: Estonian alphabetical order (a … s š z ž t u v w õ ä ö ü x y)."""
from __future__ import annotations

from shared.collation import estonian_key, name_key


def test_names_sort_in_the_estonian_alphabet_not_by_code_point():
    names = ["Ümar", "Zirk", "Õun", "Tamm", "Šmidt", "Saar", "Žukov", "Wiik", "Ärm", "Öpik", "Xenia", "Vaher", "Ylo"]
    assert sorted(names, key=estonian_key) == [
        "Saar", "Šmidt", "Zirk", "Žukov", "Tamm", "Vaher", "Wiik", "Õun", "Ärm", "Öpik", "Ümar", "Xenia", "Ylo"]
    assert sorted(names) != sorted(names, key=estonian_key)  # what the code point order did


def test_case_and_foreign_accents_only_break_ties():
    assert sorted(["mets", "Mets", "Metsa", "Méts", "Maasikas"], key=estonian_key) == [
        "Maasikas", "mets", "Mets", "Méts", "Metsa"]
    assert sorted(["öö", "Oja", "õhtu", "ojo"], key=estonian_key) == ["Oja", "ojo", "õhtu", "öö"]


def test_people_by_last_then_first_name():
    people = [("Öövel", "Ülle"), ("Tamm", "Jaan"), ("Šmõškina", "Õnne"), ("Tamm", "Ävi"), ("Tamm", "Ülo")]
    assert sorted(people, key=lambda p: name_key(*p)) == [
        ("Šmõškina", "Õnne"), ("Tamm", "Jaan"), ("Tamm", "Ävi"), ("Tamm", "Ülo"), ("Öövel", "Ülle")]
