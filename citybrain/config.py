"""Settings: one place that decides which stores CityBrain runs on.

Read from ``CITYBRAIN_*`` environment variables, then an optional TOML file named by
``CITYBRAIN_CONFIG``, then defaults that give a working embedded setup in ``./citybrain-data``.
No other module decides between SQLite and PostgreSQL or between DuckDB and Spark.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from citybrain.errors import InvalidInput

DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    """Effective configuration. Every field can be set as ``CITYBRAIN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_", extra="ignore")

    home: Path = Field(Path("citybrain-data"), description="Data directory (数据目录).")
    ops_db_url: str | None = Field(
        None,
        description="Ops DB SQLAlchemy URL; default a SQLite file in the data dir. "
        "postgresql+psycopg://user@host/db works unchanged.",
    )
    lake_path: Path | None = Field(None, description="DuckDB lake file; default home/lake.duckdb.")
    lake_engine: Literal["duckdb", "spark"] = Field("duckdb", description="Lake engine.")
    mqtt_url: str | None = Field(None, description="Optional MQTT broker, mqtt://host:port.")
    env: Literal["development", "production"] = Field("development", description="Deployment.")
    secret_key: str = Field(DEV_SECRET, description="Signing secret; must be set in production.")
    log_level: str = Field("INFO", description="Python log level.")
    host: str = Field("127.0.0.1", description="Default bind address of `citybrain serve`.")
    port: int = Field(8000, description="Default port of `citybrain serve`.")
    quality_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weights of the quality dimensions in a dataset's score, e.g. "
        '{"validity": 2, "timeliness": 0.5}; a dimension not named weighs 1.',
    )
    assets_dir: Path | None = Field(
        None,
        description="Front-end packages installed from npm; default citybrain/web/node_modules.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = os.environ.get("CITYBRAIN_CONFIG")
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "CITYBRAIN_SECRET_KEY must be set in production "
                "/ 生产环境必须设置 CITYBRAIN_SECRET_KEY"
            )
        return self

    @property
    def effective_ops_db_url(self) -> str:
        return self.ops_db_url or f"sqlite:///{(self.home / 'ops.db').resolve()}"

    @property
    def effective_lake_path(self) -> Path:
        return (self.lake_path or self.home / "lake.duckdb").resolve()

    @property
    def effective_assets_dir(self) -> Path:
        return self.assets_dir or Path(__file__).parent / "web" / "node_modules"

    def public_dict(self) -> dict[str, str]:
        """The effective configuration with secrets masked, for `citybrain config`."""
        values = {
            "home": str(self.home.resolve()),
            "ops_db_url": _mask_url_password(self.effective_ops_db_url),
            "lake_engine": self.lake_engine,
            "lake_path": str(self.effective_lake_path),
            "mqtt_url": _mask_url_password(self.mqtt_url) if self.mqtt_url else "",
            "env": self.env,
            "secret_key": "(default, development only)" if self.secret_key == DEV_SECRET else "***",
            "log_level": self.log_level,
            "host": self.host,
            "port": str(self.port),
            "assets_dir": str(self.effective_assets_dir),
        }
        return values


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy-style URL (e.g. mqtt://)
        return url


class ConfigError(InvalidInput):
    code = "config_invalid"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in e.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}", f"配置无效:{problems}") from e
