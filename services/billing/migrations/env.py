from services.billing.adapters.models import Base
from shared.migrations_env import run

run("billing", Base.metadata)
