"""Errors raised by the synthetic city generator."""

from __future__ import annotations

from citybrain.errors import CityBrainError


class SimulateError(CityBrainError):
    """Bad request to the generator (unknown scale, bad override, bad URL)."""

    http_status = 400
    code = "simulate_error"
    title_en = "Simulation error"
    title_zh = "模拟城市生成错误"


class OutputExistsError(SimulateError):
    """The output directory already holds files; refuse to mix two cities without --force."""

    http_status = 409
    code = "simulate_output_exists"


class PublishError(SimulateError):
    """The live telemetry target could not be reached or refused the readings."""

    http_status = 502
    code = "simulate_publish_failed"
