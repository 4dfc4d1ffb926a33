from services.reporting.adapters.models import Base
from shared.migrations_env import run

run("reporting", Base.metadata)
