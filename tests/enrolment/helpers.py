"""Test data and shortcuts for the enrolment service tests (through its HTTP API and pages)."""
from __future__ import annotations

import copy
import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from services.enrolment.adapters.models import Application, Member, Organisation
from shared.clock import TALLINN
from tests.unit.enrolment.builders import EXPERIENCE, bad_checksum, registry_code

__all__ = ["EXPERIENCE", "bad_checksum", "registry_code"]

BEFORE_DEADLINE = datetime(2019, 2, 15, 10, 0, tzinfo=TALLINN)
LAST_SECOND = datetime(2019, 3, 1, 23, 59, 59, tzinfo=TALLINN)
AFTER_DEADLINE = datetime(2019, 3, 2, 0, 0, tzinfo=TALLINN)
CITIES = ("Pärnu", "Tartu", "Rakvere", "Tallinn")


def application_json(n: int = 1, **changes) -> dict:
    """A valid team: two local-government and two NGO members. ``n`` varies names, codes and
    e-mails so several applications differ."""
    data = {
        "team_name": f"Meeskond {n}",
        "organisations": [
            {"key": "kov", "name": f"Pärnu Linnavalitsus {n}", "registry_code": registry_code("7", n),
             "kind": "local_government", "address": "Suur-Sepa 16, Pärnu", "billing_email": f"arved{n}@parnu.ee"},
            {"key": "mtu", "name": f"MTÜ Abikäsi {n}", "registry_code": registry_code("8", n),
             "kind": "ngo", "address": "Rüütli 1, Pärnu", "billing_email": f"raamatupidamine{n}@abikasi.ee"},
        ],
        "members": [
            {"first_name": "Mari", "last_name": "Maasikas", "email": f"mari{n}@parnu.ee", "phone": "+372 5123 4567",
             "position": "sotsiaaltöö juht", "organisation_key": "kov"},
            {"first_name": "Jüri", "last_name": "Juurikas", "email": f"jyri{n}@parnu.ee", "phone": "",
             "position": "spetsialist", "organisation_key": "kov"},
            {"first_name": "Kati", "last_name": "Kask", "email": f"kati{n}@abikasi.ee", "phone": "5551234",
             "position": "juhataja", "organisation_key": "mtu"},
            {"first_name": "Peeter", "last_name": "Pärn", "email": f"peeter{n}@abikasi.ee", "phone": "",
             "position": "projektijuht", "organisation_key": "mtu"},
        ],
        "idea": {"title": "Eakate päevahoid", "description": "Päevahoid koostöös vallaga.", "kind": "new"},
        "intends_to_delegate": True,
        "ngo_experience": EXPERIENCE,
        "preferred_cities": ["Pärnu", "Tartu"],
        "contact_email": f"kontakt{n}@parnu.ee",
        "language": "et",
    }
    data.update(copy.deepcopy(changes))
    return data


def form_data(app: dict, *, csrf: str, key: str, org_rows: int = 4, member_rows: int = 8,
              city_rows: int = 4) -> dict:
    """The application as the HTML form posts it: organisation rows are referenced by number."""
    data = {"csrf_token": csrf, "idempotency_key": key, "team_name": app["team_name"],
            "contact_email": app["contact_email"], "language": app.get("language", "et"),
            "idea_title": app["idea"]["title"], "idea_description": app["idea"]["description"],
            "idea_kind": app["idea"]["kind"], "ngo_experience": app["ngo_experience"], "submit": "1"}
    if app["intends_to_delegate"]:
        data["intends_to_delegate"] = "y"
    row_of = {}
    for i in range(max(org_rows, len(app["organisations"]))):
        o = app["organisations"][i] if i < len(app["organisations"]) else {}
        if o:
            row_of[o["key"]] = str(i + 1)
        for f in ("name", "registry_code", "kind", "address", "billing_email"):
            data[f"organisations-{i}-{f}"] = o.get(f, "")
    for i in range(max(member_rows, len(app["members"]))):
        m = app["members"][i] if i < len(app["members"]) else {}
        for f in ("first_name", "last_name", "email", "phone", "position"):
            data[f"members-{i}-{f}"] = m.get(f, "")
        data[f"members-{i}-organisation_key"] = row_of.get(m.get("organisation_key"), m.get("organisation_key", ""))
    for i in range(city_rows):
        cities = app["preferred_cities"]
        data[f"preferred_cities-{i}"] = cities[i] if i < len(cities) else ""
    return data


def counts(h) -> dict[str, int]:
    """Rows and events: "nothing changed" means all of these stay the same."""
    with h.kit.db.engine.connect() as conn:
        rows = {model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Application, Member, Organisation)}
    rows["events"] = len(h.published())
    return rows


def path_of(url: str) -> str:
    """A personal link's path inside the service (the test client has no /enrolment prefix)."""
    return urlsplit(url).path.removeprefix("/enrolment")


def token_of(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


def submit(h, n: int = 1, key: str | None = None, **changes):
    headers = {"Idempotency-Key": key} if key else {}
    return h.client.post("/api/applications", json=application_json(n, **changes), headers=headers)


def submitted(h, application_id: str) -> dict:
    return next(p for p in h.payloads("enrolment.application.submitted") if p["application_id"] == application_id)


def confirm_all(h, application_id: str) -> None:
    for member in submitted(h, application_id)["members"]:
        r = h.client.post(f"/api/confirmations/{token_of(member['confirm_url'])}", json={})
        assert r.status_code == 200, r.get_json()


def complete_application(h, n: int = 1, **changes) -> str:
    """Submitted through the API and confirmed by every member: ready to be accepted."""
    r = submit(h, n, **changes)
    assert r.status_code == 201, r.get_json()
    application_id = r.get_json()["application_id"]
    confirm_all(h, application_id)
    return application_id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def edition_form_data(page: str) -> dict:
    """The edition form's inputs as the page filled them in (checkboxes left out), ready to post."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            data[name.group(1)] = value.group(1) if value else ""
    data["csrf_token"] = csrf_of(page)
    data["submit"] = "1"
    return data


def field_block(html: str, field_id: str) -> str:
    """The HTML of one form field (the macro's <div class="field …">) holding ``field_id``."""
    at = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="field ', 0, at)
    # The field's own errors follow its input, up to the next field.
    nxt = html.find('<div class="field ', at)
    return html[start: nxt if nxt != -1 else len(html)]


def edition_body(edition: dict) -> dict:
    """An edition as the API shows it → the body PUT /api/editions/<id> takes."""
    return {"year": edition["year"], "name": edition["name"],
            "application_deadline": edition["application_deadline"],
            "groups": [{"group_id": g["group_id"], "city": g["city"], "capacity_teams": g["capacity_teams"],
                        "sessions": [{k: s[k] for k in ("day_number", "starts_at", "ends_at", "venue", "seats")}
                                     for s in g["sessions"]]} for g in edition["groups"]]}


def set_capacity(h, city: str, capacity: int) -> None:
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    for group in body["groups"]:
        if group["city"] == city:
            group["capacity_teams"] = capacity
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 200, r.get_json()
