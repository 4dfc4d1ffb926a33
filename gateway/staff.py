"""The staff accounts page (a whole-edition coordinator's): list, create, disable and enable,
change roles; and every signed-in user's own password. Each change that ends sessions
(disabling, a new password, new grants) is enforced at the front door (gateway/front_door.py)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError as NotAnEmail
from marshmallow.validate import Email
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Length, ValidationError

from gateway import accounts
from shared import auth, clock
from shared.auth import ROLES
from shared.web import t


def _db():
    return current_app.extensions["accounts_db"]


def _role_labels() -> dict[str, str]:
    return {"coordinator": t("koordinaator", "coordinator"), "trainer": t("koolitaja", "trainer"),
            "finance": t("finantsjuht", "finance")}


def _messages() -> dict[str, str]:
    """accounts.AccountError codes in the user's language."""
    return {
        "password_short": t("Parool peab olema vähemalt 10 märki pikk.", "The password must be at least 10 characters long."),
        "email_invalid": t("Kirjutage e-posti aadress, nt mari@example.ee.", "Write an e-mail address, e.g. mari@example.ee."),
        "email_taken": t("Selle e-postiga konto on juba olemas.", "An account with this e-mail exists already."),
        "name_missing": t("Kirjutage nimi.", "Write the name."),
        "no_role": t("Valige vähemalt üks roll.", "Choose at least one role."),
        "unknown_role": t("Tundmatu roll.", "Unknown role."),
        "not_scopable": t("Finantsjuhi rolli ei saa linnadega piirata.", "The finance role cannot be limited to cities."),
    }


def _cities(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


class RolesForm(FlaskForm):
    """Roles as checkboxes; coordinator and trainer may name cities (none: the whole edition)."""
    coordinator = BooleanField()
    coordinator_cities = StringField(validators=[Length(max=500)])
    trainer = BooleanField()
    trainer_cities = StringField(validators=[Length(max=500)])
    finance = BooleanField()

    def specs(self) -> list[str]:
        out = []
        for role in ROLES:
            if getattr(self, role).data:
                cities = _cities(getattr(self, f"{role}_cities").data) if role in accounts.SCOPABLE else []
                out.append(role + (":" + ",".join(cities) if cities else ""))
        return out

    def fill(self, account: accounts.Account) -> None:
        for grant in account.grants:
            getattr(self, grant.role).data = True
            if grant.cities is not None:
                getattr(self, f"{grant.role}_cities").data = ", ".join(grant.cities)

    def validate_coordinator(self, field):
        if not any(getattr(self, role).data for role in ROLES):
            raise ValidationError(_messages()["no_role"])

    def _cities_need_their_role(self, role: str, field) -> None:
        if _cities(field.data) and not getattr(self, role).data:
            raise ValidationError(t("Linnad kehtivad ainult selle rolliga: märkige ka roll.",
                                    "Cities apply to this role only: tick the role too."))

    def validate_coordinator_cities(self, field):
        self._cities_need_their_role("coordinator", field)

    def validate_trainer_cities(self, field):
        self._cities_need_their_role("trainer", field)


class CreateForm(RolesForm):
    name = StringField(validators=[Length(max=200)])
    email = EmailField(validators=[Length(max=254)])
    password = PasswordField()

    def validate_name(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_messages()["name_missing"])

    def validate_email(self, field):
        try:
            Email()((field.data or "").strip())
        except NotAnEmail:
            raise ValidationError(_messages()["email_invalid"]) from None

    def validate_password(self, field):
        if len(field.data or "") < 10:
            raise ValidationError(_messages()["password_short"])


class PasswordForm(FlaskForm):
    current = PasswordField()
    new = PasswordField()
    again = PasswordField()

    def validate_new(self, field):
        if len(field.data or "") < 10:
            raise ValidationError(_messages()["password_short"])

    def validate_again(self, field):
        if field.data != self.new.data:
            raise ValidationError(t("Paroolid ei ühti.", "The passwords do not match."))


def _roles_form(account: accounts.Account, formdata=None) -> RolesForm:
    # One form per account on one page: the prefix keeps their field ids and names apart.
    form = RolesForm(formdata=formdata, prefix=f"u-{account.user_id}")
    if formdata is None:
        form.fill(account)
    return form


def _page(status: int = 200, create_form: CreateForm | None = None, roles_form: tuple[str, RolesForm] | None = None):
    people = accounts.list_users(_db())
    forms = {a.user_id: _roles_form(a) for a in people}
    if roles_form is not None:
        forms[roles_form[0]] = roles_form[1]
    return render_template("gateway/staff.html", people=people, roles_forms=forms, open_roles=roles_form and roles_form[0],
                           create_form=create_form or CreateForm(formdata=None),
                           role_labels=_role_labels(), service="staff"), status


def _account_or_404(user_id: str) -> accounts.Account:
    try:
        return accounts.get_user(_db(), user_id)
    except accounts.AccountError:
        abort(404)


def _refuse(message: str, status: int):
    flash(message, "error")
    return _page(status)


def _resign_if_self(user_id: str) -> None:
    """The coordinator's own session: its epoch just moved, so sign it in again with the new one
    (their other sessions end, this one goes on)."""
    me = auth.current_user()
    if me is not None and me.user_id == user_id:
        account = accounts.get_user(_db(), user_id)
        auth.sign_in(auth.StaffUser(account.user_id, account.name, account.email, account.grants),
                     current_app.config["SESSION_MAX_AGE"], account.session_epoch)


def blueprint() -> Blueprint:
    bp = Blueprint("staff", __name__)

    @bp.app_template_filter("tallinn")
    def tallinn(moment) -> str:
        """Stored in UTC, shown on the Tallinn wall clock."""
        return clock.local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""

    @bp.get("/auth/staff")
    @auth.requires("coordinator")
    def page():
        return _page()

    @bp.post("/auth/staff")
    @auth.requires("coordinator")
    def create():
        form = CreateForm()
        if not form.validate_on_submit():
            return _page(422, create_form=form)
        try:
            user = accounts.create_user(_db(), form.email.data, form.name.data, form.password.data, form.specs())
        except accounts.AccountError as exc:
            target = {"email_taken": form.email, "email_invalid": form.email, "password_short": form.password,
                      "name_missing": form.name}.get(exc.code, form.coordinator)
            target.errors = [_messages().get(exc.code, str(exc))]
            return _page(422, create_form=form)
        flash(t(f"Konto {user.email} on loodud.", f"The account {user.email} was created."), "success")
        return redirect(url_for("staff.page"))

    @bp.post("/auth/staff/<user_id>/disable")
    @auth.requires("coordinator")
    def disable(user_id: str):
        account = _account_or_404(user_id)  # the CSRF token was checked before (CSRFProtect)
        if account.user_id == auth.current_user().user_id:
            return _refuse(t("Oma kontot ei saa keelata.", "You cannot disable your own account."), 409)
        accounts.disable(_db(), user_id)
        flash(t(f"Konto {account.email} on keelatud; selle sessioonid lõppesid.",
                f"The account {account.email} is disabled; its sessions have ended."), "success")
        return redirect(url_for("staff.page"))

    @bp.post("/auth/staff/<user_id>/enable")
    @auth.requires("coordinator")
    def enable(user_id: str):
        account = _account_or_404(user_id)  # the CSRF token was checked before (CSRFProtect)
        accounts.enable(_db(), user_id)
        flash(t(f"Konto {account.email} on taas lubatud.", f"The account {account.email} is enabled again."),
              "success")
        return redirect(url_for("staff.page"))

    @bp.post("/auth/staff/<user_id>/roles")
    @auth.requires("coordinator")
    def roles(user_id: str):
        account = _account_or_404(user_id)
        form = RolesForm(prefix=f"u-{account.user_id}")
        if not form.validate_on_submit():
            return _page(422, roles_form=(user_id, form))
        grants = accounts.parse_grants(form.specs())
        if account.user_id == auth.current_user().user_id and not any(
                g.role == "coordinator" and g.cities is None for g in grants):
            # It would lock them out of this page; another coordinator can do it.
            form.coordinator.errors = [t("Oma koordinaatori rolli (kogu lend) ei saa ise ära võtta.",
                                         "You cannot take away your own coordinator role (whole edition).")]
            return _page(422, roles_form=(user_id, form))
        accounts.set_grants(_db(), user_id, form.specs())
        _resign_if_self(user_id)
        flash(t(f"Konto {account.email} rollid on muudetud; selle sessioonid lõppesid.",
                f"The roles of {account.email} were changed; its sessions have ended."), "success")
        return redirect(url_for("staff.page"))

    @bp.route("/auth/password", methods=["GET", "POST"])
    @auth.requires(*ROLES, scoped=True)  # every signed-in user, scoped or not: only their own account
    def password():
        form = PasswordForm()
        me = auth.current_user()
        if form.validate_on_submit():
            if accounts.authenticate(_db(), me.email, form.current.data).user is None:
                form.current.errors = [t("Praegune parool on vale.", "The current password is wrong.")]
            else:
                accounts.set_password(_db(), me.user_id, form.new.data)
                _resign_if_self(me.user_id)
                flash(t("Parool on muudetud; teised sessioonid lõppesid.",
                        "The password was changed; other sessions have ended."), "success")
                return redirect("/")
        status = 422 if form.is_submitted() else 200
        return render_template("gateway/password.html", form=form, service="password"), status

    return bp
