from services.reporting.app import bootstrap, create_app
from services.reporting.entrypoints.cli import COMMANDS
from shared.cli import main

main(bootstrap, create_app, extra_commands=COMMANDS)
