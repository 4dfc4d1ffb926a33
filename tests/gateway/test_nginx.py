"""Production's front door: the real nginx with deploy/nginx/default.conf (its upstream hosts
replaced by local ports) in front of the real gateway app, the real attendance app and small
stand-ins for the other services. A revoked session never reaches a service."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from gateway import accounts
from gateway.app import create_app
from shared import auth
from shared.testing import services
from shared.testing.harness import ServiceHarness
from tests.gateway.helpers import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy/nginx/default.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app, servers: list | None = None) -> int:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if servers is not None:
        servers.append(server)
    return server.server_port


def stand_in(seen: list, hosts: list):
    def service(environ, start_response):
        seen.append(environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"])
        hosts.append((environ["PATH_INFO"], environ.get("HTTP_HOST")))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"stand-in answered"]
    return service


def noting_hosts(app, hosts: list):
    """``app``, noting the Host header of every request it gets."""
    def noted(environ, start_response):
        hosts.append((environ["PATH_INFO"], environ.get("HTTP_HOST")))
        return app(environ, start_response)
    return noted


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b""]


@pytest.fixture
def nginx(tmp_path):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if binary is None:
        services.missing("nginx is not installed (apt-get install nginx-light; .ci/run does)")
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    accounts.create_user(db, "mari@example.ee", "Mari Maasikas", PASSWORD, ["coordinator"])
    attendance = ServiceHarness("attendance", f"sqlite:///{tmp_path}/attendance.sqlite",
                                f"sqlite-bus:///{tmp_path}/bus.sqlite")
    seen: list[str] = []
    host_headers: list[tuple[str, str]] = []  # (path, Host) of each request the portal and stand-ins got
    portal: list = []
    ports = {"portal": serve(noting_hosts(create_app(db=db), host_headers), portal),
             "attendance-web": serve(DispatcherMiddleware(not_found, {"/attendance": attendance.app}))}
    for name in ("enrolment", "billing", "notify", "reporting"):
        ports[f"{name}-web"] = serve(stand_in(seen, host_headers))
    listen = free_port()
    conf = CONF.read_text()
    conf, hosts = re.subn(r"server ([a-z-]+):8000;", lambda m: f"server 127.0.0.1:{ports[m.group(1)]};", conf)
    assert hosts == 6
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp_path / "default.conf").write_text(conf)
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path}/default.conf; }}\n")
    proc = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                             str(tmp_path / "error.log")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{listen}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {proc.stdout.read() if proc.poll() is not None else ''}"
                                f"{(tmp_path / 'error.log').read_text() if (tmp_path / 'error.log').exists() else ''}")
                time.sleep(0.1)
        yield base, db, seen, portal[0], host_headers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sign_in(base) -> requests.Session:
    browser = requests.Session()
    token = csrf_token(browser.get(f"{base}/auth/login").text)
    response = browser.post(f"{base}/auth/login", data={"email": "mari@example.ee", "password": PASSWORD,
                                                        "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    return browser


def cleared(response) -> bool:
    """The session cookie deleted (among the answer's cookies: the language's may come too)."""
    return bool(re.search(rf"(^|, ){auth.SESSION_COOKIE}=;[^=]*?Expires=Thu, 01 Jan 1970[^,]*; Max-Age=0",
                          response.headers.get("Set-Cookie", "")))


def test_nginx_refuses_a_revoked_session_before_any_service(nginx):
    base, db, seen, _, _ = nginx
    api = f"{base}/attendance/api/sessions"
    # no session: every service's public routes go through
    assert requests.get(f"{base}/enrolment/apply").text == "stand-in answered"
    assert requests.get(f"{base}/reporting/p/some-token").text == "stand-in answered"
    assert requests.get(api).status_code == 401  # the service's own answer to no session

    browser = sign_in(base)
    assert browser.get(api).status_code == 200  # the real attendance app verified the cookie
    assert browser.get(f"{base}/billing/", allow_redirects=False).text == "stand-in answered"
    assert "Mari Maasikas" in browser.get(f"{base}/").text
    old = browser.cookies.get(auth.SESSION_COOKIE)
    before = list(seen)

    accounts.disable(db, accounts.find_user(db, "mari@example.ee").user_id)
    refused = browser.get(api)
    assert refused.status_code == 401 and refused.json()["reason"] == "session_ended" and cleared(refused)
    cookies = {auth.SESSION_COOKIE: old}
    page = requests.get(f"{base}/attendance/sessions?lang=en", cookies=cookies, allow_redirects=False)
    assert page.status_code == 302 and cleared(page)
    assert page.headers["Location"].endswith("/auth/login?next=/attendance/sessions%3Flang%3Den")
    posted = requests.post(f"{base}/billing/claims/1/approve", cookies=cookies, data={"x": "1"}, allow_redirects=False)
    assert posted.status_code == 302 and "/auth/login?next=" in posted.headers["Location"]
    assert requests.get(f"{base}/notify/api/summary", cookies=cookies).status_code == 401
    assert seen == before  # none of it reached a service
    # the gateway's own pages: signed out
    assert "Mari Maasikas" not in requests.get(f"{base}/", cookies=cookies).text
    # the check itself is not reachable from outside
    assert requests.get(f"{base}/_auth/check").status_code == 404

    accounts.enable(db, accounts.find_user(db, "mari@example.ee").user_id)
    assert requests.get(api, cookies=cookies).status_code == 401  # the old session stays ended
    assert sign_in(base).get(api).status_code == 200


def test_without_a_session_cookie_nothing_waits_on_the_portal(nginx):
    base, _, seen, portal, _ = nginx
    browser = sign_in(base)
    portal.shutdown()
    portal.server_close()
    # public pages and personal links: no session to check, answered with the portal down
    assert requests.get(f"{base}/enrolment/apply").text == "stand-in answered"
    assert requests.get(f"{base}/reporting/p/some-token").text == "stand-in answered"
    # a staff session that cannot be checked does not get through (fails closed)
    before = list(seen)
    assert browser.get(f"{base}/billing/").status_code >= 500
    assert seen == before


def test_the_services_see_the_host_and_port_the_browser_asked_for(nginx):
    """The front door published on another port than 80 (compose: 8080:80): the services and
    the portal's session check get the browser's Host with its port, not the host alone."""
    base, db, _, _, hosts = nginx
    asked = {"Host": "office.example.ee:8080"}
    assert requests.get(f"{base}/enrolment/apply", headers=asked).text == "stand-in answered"
    assert hosts[-1] == ("/enrolment/apply", "office.example.ee:8080")
    requests.get(f"{base}/auth/login", headers=asked)
    assert hosts[-1] == ("/auth/login", "office.example.ee:8080")

    # (the cookie by hand: requests matches its jar against the Host header's name)
    signed_in = {**asked, "Cookie": f"{auth.SESSION_COOKIE}={sign_in(base).cookies.get(auth.SESSION_COOKIE)}"}
    del hosts[:]
    assert requests.get(f"{base}/billing/", headers=signed_in).text == "stand-in answered"
    assert hosts == [("/auth/check", "office.example.ee:8080"), ("/billing/", "office.example.ee:8080")]
    accounts.disable(db, accounts.find_user(db, "mari@example.ee").user_id)
    del hosts[:]
    assert requests.get(f"{base}/billing/", headers=signed_in, allow_redirects=False).status_code == 302
    assert hosts == [("/auth/check", "office.example.ee:8080"), ("/auth/refused", "office.example.ee:8080")]
