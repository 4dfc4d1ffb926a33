from services.enrolment.adapters.models import Base
from shared.migrations_env import run

run("enrolment", Base.metadata)
