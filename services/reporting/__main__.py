from services.reporting.app import bootstrap, create_app
from shared.cli import main

main(bootstrap, create_app)
