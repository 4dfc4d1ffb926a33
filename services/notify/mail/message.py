"""Building the MIME message: text and HTML alternatives, attachments, safe headers.

Names, subjects and team names come from public forms. A CR or LF in any of them must never
reach a header, where it would start a new one (``Bcc: …``): every value is flattened to
one line before the email package sees it, and addresses are checked, not repaired.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from services.notify.domain.rendering import RenderedEmail
from shared import clock

# Every control character (C0, DEL, C1) and the Unicode line/paragraph separators, which
# some mail software also treats as line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")

# Headers build_message sets itself; extra headers may not replace or add to them.
MANAGED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "content-disposition", "sender", "return-path",
})


class InvalidAddress(ValueError):
    """An address that cannot be sent to as it stands; retrying will not help."""


def one_line(value: str) -> str:
    """Control characters become spaces and runs of whitespace collapse: one header line."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def make_address(name: str | None, address: str) -> Address:
    display_name = one_line(name or "")
    addr_spec = str(address).strip()
    if not _ADDRESS.match(addr_spec):
        raise InvalidAddress(f"not a usable e-mail address: {address!r}")
    try:
        return Address(display_name=display_name, addr_spec=addr_spec)
    except (ValueError, IndexError) as error:  # the email package's parser raises both
        raise InvalidAddress(f"not a usable e-mail address: {address!r}") from error


def encode_subject(subject: str) -> str:
    """The Subject header, RFC 2047-encoded and folded here rather than by the email package.

    Its folder (CPython 3.11/3.12) can split a header between two encoded words at a space
    and drop that space: "(team “Meeskond tori”)" arrived as "(team “Meeskondtori”)". The
    older Header class keeps every space inside an encoded word; ``subject`` is one line.
    """
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, maxlinelen=76, header_name="Subject").encode()


def safe_filename(filename: str) -> str:
    """No directories, no control characters: a mail client must not be told where to write."""
    name = one_line(filename).replace("/", "_").replace("\\", "_").lstrip(".")
    return name or "attachment"


def build_message(
    sender: tuple[str | None, str],
    to: tuple[str | None, str],
    rendered: RenderedEmail,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    message_id_domain: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """One message to one recipient, ready for SMTP.

    ``message_id``, when given (say, the e-mail row's id), makes the Message-ID stable across
    retries, so a recipient's software can spot a duplicate from an ambiguous send.
    ``message_id_domain`` defaults to the sender's domain.
    """
    from_address = make_address(*sender)
    to_address = make_address(*to)
    domain = one_line(message_id_domain or from_address.domain)
    if not domain or not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_address
    msg["To"] = to_address
    msg.set_raw("Subject", encode_subject(one_line(rendered.subject)))
    msg["Date"] = format_datetime(clock.local(date or clock.now()))
    if message_id:
        local_part = re.sub(r"[^A-Za-z0-9.$%_+-]", "-", message_id).strip(".-")
        if not local_part:
            raise ValueError(f"not usable in a Message-ID: {message_id!r}")
        msg["Message-ID"] = f"<{local_part}@{domain}>"
    else:
        msg["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: keeps out-of-office robots from answering and looping.
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in MANAGED_HEADERS:
            raise ValueError(f"header {name!r} may not be set here")
        del msg[name]
        msg[name] = one_line(value)

    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    for filename, mime_type, data in attachments:
        if not _MIME_TYPE.match(mime_type):
            raise ValueError(f"not a MIME type: {mime_type!r}")
        maintype, subtype = mime_type.lower().split("/", 1)
        # add_attachment wraps the text/html alternative into multipart/mixed by itself.
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype,
                           filename=safe_filename(filename))
    return msg

