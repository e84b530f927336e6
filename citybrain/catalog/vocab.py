"""Controlled vocabularies of the catalog: the words an entry may use, with Chinese labels.

Data elements (数据元) are owned by the standards domain; until it publishes its registry the
catalog validates field elements against :data:`DATA_ELEMENTS` below. The keys are the plain
strings the synthetic city's manifest uses, so the standards domain can take the list over by
replacing :func:`data_elements` without touching stored entries.
"""

from __future__ import annotations

#: Data elements a field may be bound to (数据元); ``none`` means "no standard element".
DATA_ELEMENTS: dict[str, tuple[str, str]] = {
    "id_card": ("公民身份号码", "resident ID card number (GB 11643)"),
    "uscc": ("统一社会信用代码", "unified social credit code (GB 32100)"),
    "phone": ("电话号码", "phone number"),
    "address": ("地址", "address"),
    "date": ("日期", "date"),
    "datetime": ("日期时间", "date and time"),
    "name": ("姓名/名称", "person or organisation name"),
    "admin_code": ("行政区划代码", "administrative division code (GB/T 2260)"),
    "amount": ("金额", "amount of money"),
    "code": ("编码", "identifier or code of the source system"),
    "gender": ("性别", "gender (GB/T 2261.1)"),
    "ethnicity": ("民族", "ethnic group (GB/T 3304)"),
    "email": ("电子邮箱", "e-mail address"),
    "coordinate": ("坐标", "longitude/latitude"),
    "none": ("无", "no standard element"),
}

#: Personal-information sensitivity of a field (个人信息 / 敏感个人信息, PIPL art. 28).
SENSITIVITY: dict[str, tuple[str, str]] = {
    "none": ("非个人信息", "not personal"),
    "personal": ("个人信息", "personal information"),
    "sensitive": ("敏感个人信息", "sensitive personal information"),
}

#: Security grade per GB/T 43697-2024 数据安全技术 数据分类分级规则.
SECURITY_GRADES: dict[str, tuple[str, str]] = {
    "core": ("核心数据", "core data"),
    "important": ("重要数据", "important data"),
    "general": ("一般数据", "general data"),
}

#: 共享类型: the last two require a legal basis (依据).
SHARE_TYPES: dict[str, tuple[str, str]] = {
    "unconditional": ("无条件共享", "shared unconditionally"),
    "conditional": ("有条件共享", "shared on conditions"),
    "none": ("不予共享", "not shared"),
}

#: 开放类型 of public-data opening.
OPEN_TYPES: dict[str, tuple[str, str]] = {
    "unconditional": ("无条件开放", "open unconditionally"),
    "conditional": ("有条件开放", "open on conditions"),
    "none": ("不予开放", "not open"),
}

#: Update cycles (更新周期) with their DCAT accrualPeriodicity (EU frequency authority) and the
#: interval in hours that scheduling uses (``None``: never due by itself).
UPDATE_CYCLES: dict[str, tuple[str, str, float | None]] = {
    "realtime": ("实时", "CONT", 0.25),
    "hourly": ("每小时", "HOURLY", 1),
    "daily": ("每日", "DAILY", 24),
    "weekly": ("每周", "WEEKLY", 24 * 7),
    "monthly": ("每月", "MONTHLY", 24 * 30),
    "quarterly": ("每季度", "QUARTERLY", 24 * 91),
    "yearly": ("每年", "ANNUAL", 24 * 365),
    "irregular": ("不定期", "IRREG", None),
}

#: Declared field types and the DuckDB type the curated zone uses for them.
FIELD_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "float": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
}

#: DCAT-AP data themes (EU data-theme authority) with Chinese labels.
THEMES: dict[str, tuple[str, str]] = {
    "SOCI": ("人口与社会", "population and society"),
    "HEAL": ("卫生健康", "health"),
    "EDUC": ("教育文化", "education, culture and sport"),
    "ECON": ("经济与财政", "economy and finance"),
    "GOVE": ("政府与公共部门", "government and public sector"),
    "JUST": ("司法与公共安全", "justice, legal system and public safety"),
    "REGI": ("区域与城市", "regions and cities"),
    "ENVI": ("生态环境", "environment"),
    "TRAN": ("交通运输", "transport"),
    "ENER": ("能源", "energy"),
    "AGRI": ("农业", "agriculture, fisheries, forestry and food"),
    "TECH": ("科学技术", "science and technology"),
    "INTR": ("国际事务", "international issues"),
}

ACCESS_RIGHTS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
FORMATS = ("csv", "xlsx", "json", "ndjson", "parquet", "sqlite", "sql", "http")


def data_elements() -> dict[str, tuple[str, str]]:
    """The data elements fields may use; the standards domain will provide these later."""
    return DATA_ELEMENTS
