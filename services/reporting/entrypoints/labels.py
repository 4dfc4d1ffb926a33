"""Plain-language labels (Estonian, English) for the values the form asks and the pages show."""
from __future__ import annotations

from shared import i18n

SEX = {
    "female": ("naine", "female"),
    "male": ("mees", "male"),
    "non_binary": ("mittebinaarne", "non-binary"),
}
EMPLOYMENT = {
    "employed": ("Töötan (palgatöö, ka avalikus teenistuses)", "Employed (including the public service)"),
    "self_employed": ("Füüsilisest isikust ettevõtja või muu ettevõtja", "Self-employed"),
    "unemployed": ("Töötu (ilma tööta ja otsin tööd)", "Unemployed (without work and looking for it)"),
    "long_term_unemployed": ("Pikaajaline töötu (töötu üle 12 kuu, alla 25-aastasena üle 6 kuu)",
                             "Long-term unemployed (over 12 months; under 25: over 6 months)"),
    "inactive": ("Mitteaktiivne (ei tööta ega otsi tööd, nt õpin, olen lapsehoolduspuhkusel või pensionil)",
                 "Inactive (neither working nor looking for work, e.g. studying, on parental leave, retired)"),
    "declined": ("Ei soovi vastata", "Prefer not to say"),
}
ISCED = {
    "0": ("Alghariduseta (vähem kui 6 klassi)", "Less than primary education (fewer than 6 grades)"),
    "1": ("Algharidus (6 klassi)", "Primary education (6 grades)"),
    "2": ("Põhiharidus (9 klassi)", "Basic education (9 grades, lower secondary)"),
    "3": ("Keskharidus või kutsekeskharidus (gümnaasium, kutsekool)",
          "Upper secondary education: general or vocational"),
    "4": ("Keskharidusejärgne kutseharidus", "Vocational education after upper secondary school"),
    "5": ("Lühike kõrgharidusõpe (nt keskeriharidus keskhariduse baasil)",
          "Short-cycle higher education"),
    "6": ("Bakalaureusekraad või rakenduskõrgharidus", "Bachelor's degree or professional higher education"),
    "7": ("Magistrikraad (ka integreeritud õpe, nt arst, õpetaja)",
          "Master's degree (including integrated studies, e.g. medicine, teaching)"),
    "8": ("Doktorikraad", "Doctoral degree"),
    "declined": ("Ei soovi vastata", "Prefer not to say"),
}
ANSWER = {
    "yes": ("Jah", "Yes"),
    "no": ("Ei", "No"),
    "declined": ("Ei soovi vastata", "Prefer not to say"),
}
EXIT_STATUS = {"completed": ("lõpetas", "completed"), "dropped_out": ("katkestas", "dropped out")}
ORGANISATION_KIND = {"local_government": ("kohalik omavalitsus", "local government"),
                     "ngo": ("vabaühendus", "NGO")}
STATUS = {"active": ("osaleb", "active"), "withdrawn": ("loobus", "withdrawn"),
          "substituted": ("asendatud", "substituted")}
# The questions, each with a short explanation (shown under the question).
QUESTIONS = {
    "disability": (
        ("Kas teil on tuvastatud puue või vähenenud töövõime?", "Do you have a recognised disability or "
         "reduced work ability?"),
        ("Terviseandmed on eriliiki isikuandmed: vastamine on vabatahtlik.",
         "Health data is special-category personal data: answering is voluntary.")),
    "third_country_national": (
        ("Kas olete kolmanda riigi kodanik?", "Are you a third-country national?"),
        ("St te ei ole ühegi Euroopa Liidu riigi kodanik (ka määratlemata kodakondsusega).",
         "That is, you are not a citizen of any EU country (including undetermined citizenship).")),
    "foreign_background": (
        ("Kas olete välispäritolu?", "Do you have a foreign background?"),
        ("Teie või mõlemad teie vanemad on sündinud väljaspool Eestit.",
         "You or both of your parents were born outside Estonia.")),
    "minority": (
        ("Kas kuulute rahvus- või muusse vähemusse (sh romad)?",
         "Do you belong to a national or other minority (including the Roma)?"),
        ("Rahvuslik või etniline päritolu on eriliiki isikuandmed: vastamine on vabatahtlik.",
         "Ethnic origin is special-category personal data: answering is voluntary.")),
    "homeless": (
        ("Kas olete kodutu või eluasemeturult tõrjutud?", "Are you homeless or affected by housing exclusion?"),
        ("Nt teil ei ole püsivat elukohta või elate ajutiselt teiste juures.",
         "E.g. you have no permanent home or live temporarily with others.")),
    "rural_area": (
        ("Kas elate maapiirkonnas?", "Do you live in a rural area?"),
        ("Küla, alevik või hajaasustus (mitte linn ega suurem alev).",
         "A village, small town or sparsely populated area (not a city).")),
}
COUNTIES = (
    "Harju maakond", "Hiiu maakond", "Ida-Viru maakond", "Jõgeva maakond", "Järva maakond", "Lääne maakond",
    "Lääne-Viru maakond", "Põlva maakond", "Pärnu maakond", "Rapla maakond", "Saare maakond", "Tartu maakond",
    "Valga maakond", "Viljandi maakond", "Võru maakond",
)
FIELDS = {
    "personal_code": ("isikukood", "personal code"),
    "sex": ("sugu", "sex"),
    "birth_date": ("sünniaeg", "birth date"),
    "entry_date": ("sisenemise kuupäev", "entry date"),
    "exit_date": ("väljumise kuupäev", "exit date"),
    "exit_status": ("väljumise staatus", "exit status"),
    "employment_status": ("tööturu staatus", "employment status"),
    "isced": ("haridustase", "education level"),
    "disability": ("puue", "disability"),
    "third_country_national": ("kolmanda riigi kodakondsus", "third-country national"),
    "foreign_background": ("välispäritolu", "foreign background"),
    "minority": ("vähemus", "minority"),
    "homeless": ("kodutus", "homelessness"),
    "rural_area": ("maapiirkond", "rural area"),
    "county": ("maakond", "county"),
    "municipality": ("omavalitsus", "municipality"),
}


def pick(pair: tuple[str, str] | None) -> str:
    if pair is None:
        return ""
    return pair[1] if i18n.select_locale() == "en" else pair[0]


def label(mapping: dict, value) -> str:
    """The label of ``value`` in the UI language; '—' for no value."""
    if value is None or value == "":
        return "—"
    return pick(mapping.get(str(value))) or str(value)


def choices(mapping: dict) -> list[tuple[str, str]]:
    return [(key, pick(pair)) for key, pair in mapping.items()]
