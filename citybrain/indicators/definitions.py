"""Indicator definitions as data: what is measured, from which source, and what is good.

A definition is validated once when the library loads, so a typo in a city's own library file
fails at start with the indicator's code in the message, not halfway through a checkup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from citybrain.indicators.errors import LibraryInvalid

LIBRARY_FILE = Path(__file__).with_name("library.yaml")

# The eight families of MOHURD's city health check (城市体检), plus data governance, which
# a city brain checks about itself.
FAMILIES: dict[str, str] = {
    "生态宜居": "Ecological liveability",
    "健康舒适": "Health and comfort",
    "安全韧性": "Safety and resilience",
    "交通便捷": "Convenient transport",
    "风貌特色": "Townscape and character",
    "整洁有序": "Clean and orderly",
    "多元包容": "Diversity and inclusion",
    "创新活力": "Innovation and vitality",
    "数据治理": "Data governance",
}

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,47}$")]
Dimension = Literal["city", "district"]


class Thresholds(BaseModel):
    """``bad`` scores 0 and ``good`` scores 100; values between are scored linearly."""

    model_config = ConfigDict(extra="forbid")
    bad: float
    good: float

    @model_validator(mode="after")
    def _distinct(self) -> Thresholds:
        if self.bad == self.good:
            raise ValueError("thresholds bad and good must differ")
        return self


class LakeSource(BaseModel):
    """An aggregate over one lake table, grouped by city and (optionally) district.

    ``table`` names a dataset as ``curated:<dataset id>`` (resolved through the ingest
    service) or a lake table ``schema.table``. Expressions are trusted library SQL, never
    user input; values in ``where`` are literals of the library, not request parameters.
    """

    model_config = ConfigDict(extra="forbid")
    kind: Literal["lake"]
    table: str
    value: str = Field(description="Aggregate expression, e.g. count(*) or avg(x)")
    where: str | None = None
    district: str | None = Field(None, description="Expression giving the 6-digit district code")


class ServiceSource(BaseModel):
    """A named function over other domains' services (see citybrain.indicators.sources)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["service"]
    function: str
    args: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Ratio(BaseModel):
    """Value = numerator / denominator × scale, each computed from its own source."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["ratio"]
    numerator: LakeSource | ServiceSource
    denominator: LakeSource | ServiceSource
    scale: float = 1.0


Source = Annotated[LakeSource | ServiceSource | Ratio, Field(discriminator="kind")]


class IndicatorDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name_zh: str
    name_en: str
    family: str
    iso37120: str = Field(description="ISO 37120 theme")
    unit: str = ""
    direction: Literal["up", "down", "neutral"] = Field(
        description="up: higher is better; down: lower is better; neutral: not scored"
    )
    target: float | None = None
    thresholds: Thresholds | None = None
    dimensions: list[Dimension] = Field(default_factory=lambda: ["city"])
    weight: float = 1.0
    source: Source
    datasets: list[str] = Field(default_factory=list, description="Lineage: source datasets")
    description: str = ""

    @model_validator(mode="after")
    def _scored_needs_thresholds(self) -> IndicatorDef:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}; one of {sorted(FAMILIES)}")
        if self.direction != "neutral" and self.thresholds is None:
            raise ValueError("a scored indicator (direction up/down) needs thresholds")
        if (
            self.direction == "up"
            and self.thresholds
            and self.thresholds.good < self.thresholds.bad
        ):
            raise ValueError("direction up needs good > bad")
        if (
            self.direction == "down"
            and self.thresholds
            and self.thresholds.good > self.thresholds.bad
        ):
            raise ValueError("direction down needs good < bad")
        return self

    @property
    def scored(self) -> bool:
        return self.direction != "neutral"


class Library(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicators: list[IndicatorDef]

    @model_validator(mode="after")
    def _unique_codes(self) -> Library:
        seen: set[str] = set()
        for item in self.indicators:
            if item.code in seen:
                raise ValueError(f"duplicate indicator code {item.code}")
            seen.add(item.code)
        return self

    def get(self, code: str) -> IndicatorDef | None:
        return next((i for i in self.indicators if i.code == code), None)


def load_library(path: Path = LIBRARY_FILE) -> Library:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        # Top-level keys starting with "x-" hold YAML anchors shared by several indicators.
        data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return Library.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        first = str(e).splitlines()[:6]
        raise LibraryInvalid(
            f"indicator library {path.name} is invalid: {' '.join(first)}",
            f"指标库 {path.name} 无效:{' '.join(first)}",
        ) from e


@lru_cache
def default_library() -> Library:
    return load_library()
