"""Ingestion (数据汇聚): connectors and load runs from department sources into the lake."""
