"""Synthetic city generator: a city that looks real to the software and knows its own truth.

Other domains use it only through :mod:`citybrain.simulate.service` and the files it writes
(layout documented in ``docs/simulate.md``).
"""

GENERATOR_VERSION = "1.0.0"
