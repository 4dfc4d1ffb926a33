from services.attendance.adapters.models import Base
from shared.migrations_env import run

run("attendance", Base.metadata)
