import subprocess
import sys


def test_domain_imports_no_web_database_or_bus_library():
    # A fresh interpreter, so modules other tests imported do not hide an import.
    code = (
        "import sys\n"
        "import services.reporting.domain.indicators, services.reporting.domain.retention\n"
        "import services.reporting.domain.personal_code, services.reporting.domain.participant\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & "
        "{'flask', 'sqlalchemy', 'kombu', 'pika', 'openpyxl', 'marshmallow'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
