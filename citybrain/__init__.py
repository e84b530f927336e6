"""CityBrain: an open-source city brain (城市大脑).

Pools every department's data, checks it against national standards, fuses it into base
registries, shares it under policy, and lets it drive city operations.
"""

__version__ = "0.1.0"
