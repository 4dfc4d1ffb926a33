"""The e-mails embedded mode writes as .eml files under $VAR_DIR/mail, read as a member would."""
from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

CONFIRM_LINK = re.compile(r"https?://\S+/enrolment/p/[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str

    def confirm_link(self) -> str | None:
        found = CONFIRM_LINK.search(self.text)
        return found.group(0) if found else None


def read_all(directory: Path) -> list[Mail]:
    mails = []
    for path in sorted(directory.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = message.get_body(preferencelist=("plain",))
        to = message["To"].addresses[0].addr_spec.casefold()  # notify writes addresses in lower case
        mails.append(Mail(to=to, subject=str(message["Subject"]),
                          text=body.get_content() if body is not None else ""))
    return mails
