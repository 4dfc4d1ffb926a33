import pytest
import yaml

from services.reporting.domain.indicator_sets import (
    IndicatorSetError,
    available_sets,
    load_indicator_set,
    parse_indicator_set,
)
from services.reporting.domain.rules import DistinctOrganisations, NotCollected


def test_shipped_sets():
    assert available_sets() == ("esf_2014_2020", "esf_plus_2021_2027")


def test_esf_plus_has_eeco01_to_eeco18_in_order_then_programme_specific():
    indicator_set = load_indicator_set("esf_plus_2021_2027")
    assert indicator_set.codes == (
        *(f"EECO{number:02d}" for number in range(1, 19)),
        "PS-NGO",
        "PS-COMPLETED",
    )
    assert indicator_set.regulation == "Regulation (EU) 2021/1057, Annex I"
    assert indicator_set["EECO18"].unit == "entities"
    assert indicator_set["EECO18"].rule == DistinctOrganisations("local_government")
    assert indicator_set["PS-NGO"].rule == DistinctOrganisations("ngo")
    assert all(indicator.collected for indicator in indicator_set.indicators)
    assert {indicator.unit for indicator in indicator_set.indicators if indicator.code != "EECO18"
            and indicator.code != "PS-NGO"} == {"participants"}


def test_esf_2014_2020_has_co01_to_co23():
    indicator_set = load_indicator_set("esf_2014_2020")
    assert indicator_set.codes == (
        "TOTAL",
        *(f"CO{number:02d}" for number in range(1, 24)),
        "PS-KOV",
        "PS-NGO",
        "PS-COMPLETED",
    )
    not_collected = [indicator.code for indicator in indicator_set.indicators if not indicator.collected]
    assert not_collected == ["CO12", "CO13", "CO14", "CO20", "CO21", "CO22", "CO23"]
    for code in ("CO20", "CO21", "CO22", "CO23"):
        assert indicator_set[code].unit == "entities"
        assert isinstance(indicator_set[code].rule, NotCollected)


@pytest.mark.parametrize("name", ["esf_2014_2020", "esf_plus_2021_2027"])
def test_every_indicator_is_named_in_both_languages(name):
    for indicator in load_indicator_set(name).indicators:
        assert indicator.name_en and indicator.name_et and indicator.name_en != indicator.name_et


def test_age_edges_of_each_set():
    assert load_indicator_set("esf_plus_2021_2027").age_edges() == {18, 30, 55}
    assert load_indicator_set("esf_2014_2020").age_edges() == {25, 55}


def test_loading_is_cached_and_sets_are_immutable():
    assert load_indicator_set("esf_2014_2020") is load_indicator_set("esf_2014_2020")
    with pytest.raises(AttributeError):
        load_indicator_set("esf_2014_2020").name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["esf_2007_2013", "../../../etc/passwd", "esf_2014_2020.yaml", ""])
def test_unknown_names_are_refused_not_opened(name):
    with pytest.raises(IndicatorSetError):
        load_indicator_set(name)


def test_unknown_code_lookup():
    with pytest.raises(KeyError):
        load_indicator_set("esf_2014_2020")["EECO01"]


def _set_text(indicators):
    return {
        "name": "custom",
        "title_en": "Custom",
        "title_et": "Oma",
        "regulation": "none",
        "indicators": indicators,
    }


def _indicator(**overrides):
    base = {"code": "X1", "name_en": "All", "name_et": "Kõik", "unit": "participants",
            "rule": {"everyone": True}}
    return {**base, **overrides}


def test_an_edition_can_bring_its_own_set():
    custom = parse_indicator_set(
        yaml.safe_load(
            """
            name: custom
            title_en: Youth
            title_et: Noored
            regulation: national
            indicators:
              - {code: Y1, name_en: Aged 15-24, name_et: 15–24-aastased, unit: participants,
                 rule: {age_at_entry: {between: [15, 24]}}}
            """
        )
    )
    assert custom.codes == ("Y1",)
    assert custom.age_edges() == {15, 25}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "mapping"),
        ({**_set_text([_indicator()]), "name": ""}, "name is required"),
        (_set_text([]), "non-empty list"),
        (_set_text([_indicator(), _indicator()]), "duplicate codes X1"),
        (_set_text([_indicator(unit="people")]), "unit must be"),
        (_set_text([_indicator(name_et=None)]), "name_et is required"),
        (_set_text([_indicator(colour="red")]), "unexpected keys"),
        (_set_text([_indicator(rule={"everyone": "yes"})]), "everyone: true"),
        (_set_text([_indicator(rule={"distinct_organisations": {"kind": "ngo"}})]), "entity indicators"),
        (_set_text([_indicator(rule={"any": [{"distinct_organisations": True}]})]), "entity indicators"),
        (_set_text([_indicator(unit="entities")]), "entity indicator needs"),
        (_set_text([_indicator(note=3)]), "note must be text"),
        (_set_text(["EECO01"]), "must be a mapping"),
        ({k: v for k, v in _set_text([_indicator()]).items() if k != "regulation"}, "regulation"),
    ],
)
def test_malformed_sets_are_refused(data, message):
    with pytest.raises(IndicatorSetError, match=message):
        parse_indicator_set(data)
