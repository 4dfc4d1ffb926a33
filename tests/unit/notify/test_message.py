import email
from datetime import UTC, datetime
from email import policy

import pytest

from services.notify.domain.rendering import SAMPLE_CONTEXTS, RenderedEmail, render
from services.notify.mail.message import InvalidAddress, build_message, safe_filename
from shared import clock

SENDER = ("Arenguprogramm", "noreply@programm.example.org")
TO = ("Mari Maasikas", "mari@example.com")
PDF = b"%PDF-1.4\n% not really a PDF\n"


def parse(msg):
    """Read the message back from its wire form, as the receiving side would."""
    return email.message_from_bytes(msg.as_bytes(), policy=policy.default)


def header_block(msg) -> bytes:
    return msg.as_bytes().split(b"\r\n\r\n", 1)[0]


@pytest.fixture
def rendered():
    return render("invoice_issued", "et", SAMPLE_CONTEXTS["invoice_issued"])


def test_text_and_html_alternatives(rendered):
    msg = parse(build_message(SENDER, TO, rendered))
    assert msg.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == rendered.text
    assert "Pärnu Linnavalitsus" in msg.get_body(("html",)).get_content()
    assert str(msg["Subject"]) == rendered.subject
    assert msg["To"].addresses[0].display_name == "Mari Maasikas"
    assert msg["Auto-Submitted"] == "auto-generated"


def test_attachments_make_it_mixed(rendered):
    msg = parse(build_message(SENDER, TO, rendered, [("arve-2019-0001.pdf", "application/pdf", PDF)]))
    assert msg.get_content_type() == "multipart/mixed"
    body, attachment = list(msg.iter_parts())
    assert body.get_content_type() == "multipart/alternative"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "arve-2019-0001.pdf"
    assert attachment.get_content() == PDF
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == rendered.text


def test_attachment_filenames_cannot_name_a_path(rendered):
    msg = parse(build_message(SENDER, TO, rendered, [("../../etc/passwd\r\nX: y", "text/plain", b"x")]))
    filename = list(msg.iter_attachments())[0].get_filename()
    assert "/" not in filename and "\n" not in filename and not filename.startswith(".")
    assert safe_filename("...") == "attachment"


def test_text_only_when_there_is_no_html():
    msg = parse(build_message(SENDER, TO, RenderedEmail("Tere", "Tere!\n", "")))
    assert msg.get_content_type() == "text/plain"


@pytest.mark.parametrize("field", ["name", "subject", "header"])
def test_a_line_break_can_never_add_a_header(field):
    evil = "Mari\r\nBcc: evil@example.com"
    to = (evil, "mari@example.com") if field == "name" else TO
    rendered = RenderedEmail(evil if field == "subject" else "Tere", "Tere!\n", "<p>Tere!</p>")
    headers = {"Reply-To": "koordinaator@example.org\r\nBcc: evil@example.com"} if field == "header" else None
    built = build_message(SENDER, to, rendered, headers=headers)
    parsed = parse(built)
    assert parsed["Bcc"] is None and built["Bcc"] is None
    assert b"\r\nBcc:" not in header_block(built)
    assert all(not line.lower().startswith(b"bcc") for line in header_block(built).split(b"\r\n"))
    if field == "name":
        assert parsed["To"].addresses[0].addr_spec == "mari@example.com"


def test_bad_sender_name_stays_in_the_display_name():
    msg = parse(build_message(("Arenguprogramm\nCc: x@example.com", "noreply@programm.example.org"), TO,
                              RenderedEmail("Tere", "Tere!\n", "")))
    assert msg["Cc"] is None
    assert msg["From"].addresses[0].addr_spec == "noreply@programm.example.org"


@pytest.mark.parametrize("address", [
    "mari@example.com\r\nBcc: evil@example.com",
    "mari@example.com, evil@example.com",
    "Mari <mari@example.com>",
    "mari",
    "",
    "mari@@example.com",
])
def test_addresses_are_checked_not_repaired(address, rendered):
    with pytest.raises(InvalidAddress):
        build_message(SENDER, ("Mari", address), rendered)


@pytest.mark.parametrize("name", ["Bcc", "To", "subject", "Content-Type", "X-Bad:Name", "X Bad", ""])
def test_extra_headers_cannot_replace_managed_ones(name, rendered):
    with pytest.raises(ValueError):
        build_message(SENDER, TO, rendered, headers={name: "x"})


def test_extra_headers_are_set(rendered):
    msg = parse(build_message(SENDER, TO, rendered, headers={
        "Reply-To": "Kadri Kask <arenguprogramm@example.org>", "X-Programme-Email-Id": "42"}))
    assert msg["Reply-To"].addresses[0].addr_spec == "arenguprogramm@example.org"
    assert msg["X-Programme-Email-Id"] == "42"


def test_non_ascii_is_encoded_so_headers_stay_ascii():
    rendered = render("payment_reminder", "et", SAMPLE_CONTEXTS["payment_reminder"])
    built = build_message(SENDER, ("Jüri Õunapuu", "juri@example.com"), rendered)
    header_block(built).decode("ascii")  # raises if a raw non-ASCII byte got through
    parsed = parse(built)
    assert parsed["To"].addresses[0].display_name == "Jüri Õunapuu"
    assert str(parsed["Subject"]) == rendered.subject


def test_message_id_and_date(rendered):
    clock.set_now(datetime(2019, 4, 9, 7, 0, tzinfo=UTC))
    msg = parse(build_message(SENDER, TO, rendered))
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@programm.example.org>")
    assert msg["Date"] == "Tue, 09 Apr 2019 10:00:00 +0300"
    assert msg["Date"].datetime == datetime(2019, 4, 9, 7, 0, tzinfo=UTC)


def test_message_ids_are_unique_unless_given(rendered):
    first = build_message(SENDER, TO, rendered)
    second = build_message(SENDER, TO, rendered)
    assert first["Message-ID"] != second["Message-ID"]
    stable = [build_message(SENDER, TO, rendered, message_id_domain="notify.example.org",
                            message_id="email-42")["Message-ID"] for _ in range(2)]
    assert stable == ["<email-42@notify.example.org>"] * 2


def test_a_message_id_domain_cannot_smuggle_anything(rendered):
    with pytest.raises(ValueError):
        build_message(SENDER, TO, rendered, message_id_domain="example.org>\r\nBcc: x@y.z")
