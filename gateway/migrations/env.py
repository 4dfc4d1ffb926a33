from gateway.accounts import Base
from shared.migrations_env import run

run("accounts", Base.metadata)
