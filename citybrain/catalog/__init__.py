"""Data resource catalog (数据资源目录): datasets, fields, versions and column lineage."""
