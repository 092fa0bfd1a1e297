"""Run the Alembic migrations shipped inside the package, on SQLite or PostgreSQL."""

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    location = resources.files("prevent_ig.adapters.records").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def heads(engine: Engine) -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
