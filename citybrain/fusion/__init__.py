"""Fusion: entity resolution of department records into the base registries (基础库)."""
