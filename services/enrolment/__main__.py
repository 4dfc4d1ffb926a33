from services.enrolment.app import bootstrap, create_app
from services.enrolment.entrypoints.cli import COMMANDS
from shared.cli import main

main(bootstrap, create_app, extra_commands=COMMANDS)
