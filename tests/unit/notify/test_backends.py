"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1) and to files."""
import email
import shutil
import socket
import ssl
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notify.domain.rendering import SAMPLE_CONTEXTS, render
from services.notify.mail.backends import (
    MAX_ATTEMPTS,
    FileBackend,
    PermanentDeliveryError,
    SmtpBackend,
    TemporaryDeliveryError,
    message_id_slug,
    next_attempt_delay,
    should_retry,
)
from services.notify.mail.message import build_message
from shared.testing import services

HOST = "127.0.0.1"
PDF = b"%PDF-1.4\n% test\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Handler:
    """Records what it accepts; answers DATA and RCPT from scripted replies first."""

    def __init__(self, data_replies=(), rcpt_replies=()):
        self.data_replies = list(data_replies)
        self.rcpt_replies = list(rcpt_replies)
        self.received = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(handler, **kwargs):
    controller = Controller(handler, hostname=HOST, port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def message(to=("Mari Maasikas", "mari@example.com"), attachments=()):
    rendered = render("invoice_issued", "et", SAMPLE_CONTEXTS["invoice_issued"])
    return build_message(("Arenguprogramm", "noreply@programm.example.org"), to, rendered, attachments)


def received_message(handler, index=0):
    return email.message_from_bytes(handler.received[index].content, policy=policy.default)


def test_message_is_received_with_recipient_subject_and_attachment():
    handler = Handler()
    msg = message(attachments=[("arve-2019-0001.pdf", "application/pdf", PDF)])
    with smtp_server(handler) as port:
        SmtpBackend(HOST, port).send(msg)
    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert envelope.mail_from == "noreply@programm.example.org"
    assert envelope.rcpt_tos == ["mari@example.com"]
    got = received_message(handler)
    assert str(got["Subject"]) == "Arve nr 2019-0001: arenguprogrammi koolituskulude hüvitamine"
    attachment = next(got.iter_attachments())
    assert attachment.get_filename() == "arve-2019-0001.pdf"
    assert attachment.get_content() == PDF


def test_a_4xx_is_temporary_and_the_retry_goes_through():
    handler = Handler(data_replies=["451 4.3.0 Try again later"])
    msg = message()
    with smtp_server(handler) as port:
        backend = SmtpBackend(HOST, port)
        with pytest.raises(TemporaryDeliveryError) as failure:
            backend.send(msg)
        assert failure.value.smtp_code == 451
        backend.send(msg)
    assert len(handler.received) == 1


def test_a_5xx_is_permanent():
    handler = Handler(data_replies=["550 5.7.1 Message rejected"])
    with smtp_server(handler) as port, pytest.raises(PermanentDeliveryError) as failure:
        SmtpBackend(HOST, port).send(message())
    assert failure.value.smtp_code == 550
    assert "Message rejected" in str(failure.value)
    assert handler.received == []


def test_a_refused_recipient_is_permanent():
    handler = Handler(rcpt_replies=["550 5.1.1 No such user"])
    with smtp_server(handler) as port, pytest.raises(PermanentDeliveryError) as failure:
        SmtpBackend(HOST, port).send(message())
    assert failure.value.smtp_code == 550
    assert "mari@example.com" in str(failure.value)


def test_a_greylisted_recipient_is_temporary():
    handler = Handler(rcpt_replies=["450 4.2.0 Greylisted, come back later"])
    with smtp_server(handler) as port, pytest.raises(TemporaryDeliveryError) as failure:
        SmtpBackend(HOST, port).send(message())
    assert failure.value.smtp_code == 450


class CountingHandler(Handler):
    """Also counts SMTP sessions (one EHLO/HELO each)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses


def test_a_delivery_run_sends_over_one_session_renewed_every_hundred_messages():
    handler = CountingHandler()
    with smtp_server(handler) as port:
        backend = SmtpBackend(HOST, port)
        with backend.session():
            for i in range(SmtpBackend.MESSAGES_PER_SESSION + 5):
                backend.send(message(to=("Mari", f"mari{i}@example.com")))
        assert backend._held.smtp is None  # closed at the end of the run
        backend.send(message())  # outside a run: a session of its own
    assert len(handler.received) == SmtpBackend.MESSAGES_PER_SESSION + 6
    assert handler.sessions == 3


def test_a_failed_send_drops_the_shared_session_and_the_next_message_gets_a_fresh_one():
    handler = CountingHandler(data_replies=["451 4.3.0 Try again later"])
    with smtp_server(handler) as port:
        backend = SmtpBackend(HOST, port)
        with backend.session():
            with pytest.raises(TemporaryDeliveryError):
                backend.send(message())
            backend.send(message())
            backend.send(message())
    assert len(handler.received) == 2
    assert handler.sessions == 2


def test_a_shared_session_the_server_closed_is_reopened_not_failed():
    handler = CountingHandler()
    with smtp_server(handler) as port:
        backend = SmtpBackend(HOST, port)
        with backend.session():
            backend.send(message())
            backend._held.smtp.sock.shutdown(socket.SHUT_RDWR)  # the server (or a NAT) dropped it
            backend.send(message())
    assert len(handler.received) == 2
    assert handler.sessions == 2


def test_no_server_is_temporary():
    with pytest.raises(TemporaryDeliveryError):
        SmtpBackend(HOST, free_port(), timeout=2).send(message())


def test_a_silent_server_times_out_temporarily():
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind((HOST, 0))
        silent.listen(1)
        with pytest.raises(TemporaryDeliveryError):
            SmtpBackend(HOST, silent.getsockname()[1], timeout=0.5).send(message())


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"notify", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_on_a_plain_local_connection():
    handler = Handler()
    with smtp_server(handler, authenticator=_authenticator, auth_require_tls=False, auth_required=True) as port:
        SmtpBackend(HOST, port, username="notify", password="s3cret").send(message())
    assert len(handler.received) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_is_our_configuration_so_temporary():
    handler = Handler()
    with smtp_server(handler, authenticator=_authenticator, auth_require_tls=False, auth_required=True) as port:
        with pytest.raises(TemporaryDeliveryError) as failure:
            SmtpBackend(HOST, port, username="notify", password="wrong").send(message())
    assert failure.value.smtp_code == 535
    assert handler.received == []


def test_credentials_are_never_sent_in_clear_to_a_remote_host():
    with pytest.raises(ValueError):
        SmtpBackend("smtp.example.org", 25, security="none", username="u", password="p")
    with pytest.raises(ValueError):
        SmtpBackend(HOST, 25, security="ssl")
    assert "p4ss" not in repr(SmtpBackend(HOST, 25, username="u", password="p4ss"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A throwaway self-signed certificate for 127.0.0.1 (needs the openssl command)."""
    openssl = shutil.which("openssl")
    if not openssl:
        services.missing("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, test only
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_starttls(certificate):
    server_context, client_context = certificate
    handler = Handler()
    with smtp_server(handler, tls_context=server_context, require_starttls=True,
                     authenticator=_authenticator, auth_required=True) as port:
        SmtpBackend(HOST, port, security="starttls", username="notify", password="s3cret",
                    ssl_context=client_context).send(message())
    assert len(handler.received) == 1


def test_implicit_tls(certificate):
    server_context, client_context = certificate
    handler = Handler()
    with smtp_server(handler, ssl_context=server_context) as port:
        SmtpBackend(HOST, port, security="tls", ssl_context=client_context).send(message())
    assert len(handler.received) == 1


def test_an_untrusted_certificate_is_refused(certificate):
    server_context, _ = certificate
    handler = Handler()
    with smtp_server(handler, tls_context=server_context, require_starttls=True) as port:
        with pytest.raises(TemporaryDeliveryError, match="certificate"):
            SmtpBackend(HOST, port, security="starttls").send(message())
    assert handler.received == []


def test_file_backend_writes_one_eml_per_message(tmp_path):
    backend = FileBackend(tmp_path / "mail")
    msg = message(attachments=[("arve.pdf", "application/pdf", PDF)])
    path = backend.send(msg)
    assert path.parent == tmp_path / "mail" and path.suffix == ".eml"
    assert path.name == message_id_slug(msg["Message-ID"]) + ".eml"
    stored = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["Message-ID"] == msg["Message-ID"]
    assert next(stored.iter_attachments()).get_content() == PDF

    assert backend.send(msg) == path  # the same message again replaces, never duplicates
    backend.send(message())
    assert sorted(p.suffix for p in (tmp_path / "mail").iterdir()) == [".eml", ".eml"]  # no temp files left


def test_message_id_slugs_are_safe_file_names():
    assert message_id_slug("<171.42.7@programm.example.org>") == "171.42.7@programm.example.org"
    slug = message_id_slug("<../../etc/passwd@x>")
    assert "/" not in slug and not slug.startswith(".")
    with pytest.raises(ValueError):
        message_id_slug("")


def test_file_backend_failure_is_temporary(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(TemporaryDeliveryError):
        FileBackend(blocker / "mail").send(message())


def test_backoff_grows_and_is_capped():
    delays = [next_attempt_delay(n) for n in range(1, MAX_ATTEMPTS + 3)]
    assert next_attempt_delay(0) == timedelta(0)
    assert delays[:4] == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1)]
    assert delays == sorted(delays)
    assert max(delays) == timedelta(hours=6)
    with pytest.raises(ValueError):
        next_attempt_delay(-1)


def test_retries_stop_at_max_attempts():
    assert should_retry(MAX_ATTEMPTS - 1)
    assert not should_retry(MAX_ATTEMPTS)
