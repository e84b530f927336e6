"""The domains (capabilities) this build of CityBrain contains, in dependency order.

The CLI, the API app, the web console and the migrations discover domain parts from this list:
a domain plugs in by adding its package name here and providing any of ``api.router``,
``cli.register``, ``web.NAV_ITEMS``/``web.router`` and a ``migrations/`` folder. A name whose
package does not exist yet is skipped, so the list can run ahead of the code.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "org",
    "simulate",
    "catalog",
    "ingest",
    "standards",
    "quality",
    "fusion",
    "perception",
    "events",
    "indicators",
)


def domain_module(domain: str, part: str) -> ModuleType | None:
    """Import ``citybrain.<domain>.<part>`` if the domain has that part."""
    name = f"citybrain.{domain}.{part}"
    package_dir = Path(__file__).parent / domain
    if not (package_dir / "__init__.py").exists():
        return None
    if not (package_dir / f"{part}.py").exists() and not (package_dir / part).is_dir():
        return None
    return importlib.import_module(name)


def migration_dirs() -> list[Path]:
    """Each domain's Alembic version folder; domains keep independent branches."""
    root = Path(__file__).parent
    return [root / d / "migrations" for d in DOMAINS if (root / d / "migrations").is_dir()]
