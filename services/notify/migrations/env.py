from services.notify.adapters.models import Base
from shared.migrations_env import run

run("notify", Base.metadata)
