import subprocess
import sys


def test_the_domain_imports_no_framework():
    """The rules must stay testable without a web app, a database or a broker."""
    probe = (
        "import sys\n"
        "import services.attendance.domain.schedule, services.attendance.domain.makeup\n"
        "import services.attendance.domain.outcomes, services.attendance.domain.checkin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'kombu', 'marshmallow'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
