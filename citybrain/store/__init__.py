"""Stores: the ops database (SQLAlchemy) and the lake (DuckDB, Spark later).

Only this package knows which engine runs; domains get sessions and lake handles from it.
"""
