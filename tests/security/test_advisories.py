"""`.ci/advisories.py`: which packages it can audit with PyPI's data, and what fails the audit."""
import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location("advisories", Path(__file__).parents[2] / ".ci" / "advisories.py")
advisories = sys.modules["advisories"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(advisories)

PAGES = {
    "https://pypi.org/pypi/fresh/json": {"info": {"version": "2.0"}, "vulnerabilities": []},
    "https://pypi.org/pypi/leaky/json": {"info": {"version": "1.5"}, "vulnerabilities": [
        {"id": "PYSEC-2026-1", "fixed_in": ["1.6"]}, {"id": "PYSEC-2025-9", "withdrawn": "2025-10-01"}]},
    "https://pypi.org/pypi/old/json": {"info": {"version": "3.0"}, "vulnerabilities": []},
    "https://pypi.org/pypi/old/2.9/json": {"info": {"version": "2.9"}, "vulnerabilities": [
        {"id": "GHSA-xxxx", "fixed_in": ["3.0"]}]},
    "https://pypi.org/pypi/behind/json": {"info": {"version": "5.0"}, "vulnerabilities": []},
}


def fetch(url):
    return PAGES.get(url)


def test_latest_releases_are_audited_with_the_project_page_and_older_ones_with_their_release_page():
    report = advisories.audit([("fresh", "2.0"), ("leaky", "1.5"), ("old", "2.9"), ("behind", "4.0"),
                               ("private", "1.0")], fetch)
    assert sorted(report.audited) == ["fresh", "leaky", "old"]
    assert report.findings == [("leaky", "1.5", "PYSEC-2026-1", ["1.6"]), ("old", "2.9", "GHSA-xxxx", ["3.0"])]
    assert [(n, v) for n, v, _ in report.not_audited] == [("behind", "4.0"), ("private", "1.0")]
    assert "not the latest release (5.0)" in report.not_audited[0][2]


def test_findings_fail_the_audit_and_nothing_audited_is_not_a_pass(monkeypatch, capsys):
    monkeypatch.setattr(advisories, "installed", lambda: [("leaky", "1.5")])
    assert advisories.main(fetch) == 1
    assert "VULNERABLE leaky 1.5: PYSEC-2026-1 (fixed in 1.6)" in capsys.readouterr().out
    monkeypatch.setattr(advisories, "installed", lambda: [("fresh", "2.0")])
    assert advisories.main(fetch) == 0
    monkeypatch.setattr(advisories, "installed", lambda: [("behind", "4.0")])
    assert advisories.main(fetch) == 2  # nothing audited


def test_an_unreachable_index_leaves_the_package_not_audited():
    def down(url):
        raise OSError("no route")
    report = advisories.audit([("fresh", "2.0")], down)
    assert report.audited == [] and report.not_audited[0][2].startswith("PyPI unreachable")
