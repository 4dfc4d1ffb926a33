"""Known vulnerabilities of the installed packages, from PyPI's own advisory data.

pip-audit asks PyPI's JSON API per release (/pypi/<name>/<version>/json). Where that is
not served -- this workplace's PyPI mirror serves only the project pages, /pypi/<name>/json,
which describe the latest release -- pip-audit audits nothing and says so. This check uses
what is served: a package installed at its latest release is audited with that page's
``vulnerabilities``; an older one with its release page where there is one, and otherwise
it is listed as not audited. Exit 1 on any vulnerability, 2 when nothing could be audited.

    python .ci/advisories.py            (make audit runs it after pip-audit)
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata

INDEX = "https://pypi.org/pypi"
OWN = {"programme-office"}  # this project, installed editable


@dataclass
class Report:
    findings: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # name, version, id, fixed in
    audited: list[str] = field(default_factory=list)
    not_audited: list[tuple[str, str, str]] = field(default_factory=list)  # name, version, why


def fetch_json(url: str) -> dict | None:
    """The JSON at ``url``; None when the server has no such page."""
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:  # nosec B310 - a fixed https address
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def installed() -> list[tuple[str, str]]:
    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in OWN:
            seen[name.lower()] = (name, dist.version)
    return sorted(seen.values())


def audit_one(name: str, version: str, fetch: Callable[[str], dict | None]) -> tuple[str, list[dict] | None]:
    """(how it was audited or why not, the release's advisories or None)."""
    try:
        project = fetch(f"{INDEX}/{name}/json")
        if project is None:
            return "not on PyPI", None
        if project["info"]["version"] == version:
            return "latest release", project.get("vulnerabilities", [])
        release = fetch(f"{INDEX}/{name}/{version}/json")
    except (OSError, ValueError, KeyError) as exc:
        return f"PyPI unreachable ({exc.__class__.__name__})", None
    if release is None:
        return f"not the latest release ({project['info']['version']}) and no page for {version}", None
    return "release page", release.get("vulnerabilities", [])


def audit(packages: Iterable[tuple[str, str]], fetch: Callable[[str], dict | None] = fetch_json) -> Report:
    packages = list(packages)
    report = Report()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: audit_one(*p, fetch), packages))
    for (name, version), (how, advisories) in zip(packages, results, strict=True):
        if advisories is None:
            report.not_audited.append((name, version, how))
            continue
        report.audited.append(name)
        for advisory in advisories:
            if advisory.get("withdrawn"):
                continue
            report.findings.append((name, version, advisory.get("id", "?"), list(advisory.get("fixed_in") or [])))
    return report


def main(fetch: Callable[[str], dict | None] = fetch_json) -> int:
    report = audit(installed(), fetch)
    for name, version, advisory, fixed in report.findings:
        print(f"VULNERABLE {name} {version}: {advisory} (fixed in {', '.join(fixed) or 'no release yet'})")
    for name, version, why in report.not_audited:
        print(f"not audited: {name} {version}: {why}")
    print(f"advisories: {len(report.audited)} packages audited with PyPI's data, "
          f"{len(report.not_audited)} not audited, {len(report.findings)} known vulnerabilities")
    if report.findings:
        return 1
    return 0 if report.audited else 2


if __name__ == "__main__":
    sys.exit(main())
