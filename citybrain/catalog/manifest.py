"""Read a delivery manifest (the synthetic city's ``manifest.yaml``) into catalog entries.

The manifest says what each department delivered (format, encoding, path, fields with data
elements and sensitivity, update cycle, key, row count). The Chinese government fields it does
not carry are derived here, the way a big-data bureau would first classify a new resource:
personal data → 有条件共享 with its legal basis and 不予开放; sensitive personal data → 重要数据.
Paths become absolute so loads work from any working directory.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from citybrain.catalog.errors import ManifestInvalid
from citybrain.catalog.schemas import DatasetCreate

PERSONAL_BASIS = (
    "含个人信息:依《中华人民共和国个人信息保护法》第十三条、第二十八条及《政务数据共享条例》"
    "按履职需要有条件共享 / contains personal information: shared on conditions for statutory "
    "duties (PIPL art. 13, 28)"
)
THEMES_BY_DEPARTMENT = {
    "gongan": ["SOCI", "JUST"],
    "weijian": ["HEAL", "SOCI"],
    "minzheng": ["SOCI"],
    "renshe": ["SOCI", "ECON"],
    "scjg": ["ECON"],
    "shichang": ["ECON"],
    "jiaoyu": ["EDUC"],
    "ziranziyuan": ["REGI"],
    "bigdata": ["GOVE", "REGI"],
}
STANDARD_OF_ELEMENT = {
    "id_card": "GB 11643-1999 公民身份号码",
    "uscc": "GB 32100-2015 法人和其他组织统一社会信用代码编码规则",
    "admin_code": "GB/T 2260-2007 中华人民共和国行政区划代码",
    "date": "GB/T 7408.1-2023 日期和时间 信息交换表示法",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
    "sqlite": "application/vnd.sqlite3",
}
# Other deliveries of the synthetic city that have no field list in the manifest.
EXTRA_DELIVERIES: tuple[tuple[str, str, str, str, tuple[str, ...], str, str], ...] = (
    ("perception.devices", "物联感知设备清单", "IoT sensing devices", "csv",
     ("perception", "devices"), "daily", "device_id"),
    ("perception.cameras", "视频监控点位清单", "Video surveillance cameras", "csv",
     ("perception", "cameras"), "daily", "camera_id"),
    ("reports.citizen", "市民诉求(12345热线)", "Citizen reports (12345 hotline)", "ndjson",
     ("reports", "citizen"), "realtime", "id"),
    ("reports.detections", "视频智能识别事件", "Video-AI detections", "ndjson",
     ("reports", "detections"), "realtime", "id"),
)


def read_manifest(path: Path) -> list[DatasetCreate]:
    """Every dataset the manifest lists, validated; raises :class:`ManifestInvalid`."""
    path = Path(path)
    if not path.is_file():
        raise ManifestInvalid(f"manifest {path} not found", f"清单文件 {path} 不存在")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ManifestInvalid(
            f"manifest {path.name} is not valid YAML: {e}", f"清单 {path.name} 不是合法的 YAML"
        ) from e
    if not isinstance(doc, dict) or not isinstance(doc.get("datasets"), list):
        raise ManifestInvalid(
            f"manifest {path.name} has no datasets list", f"清单 {path.name} 缺少 datasets 列表"
        )
    base = path.parent.resolve()
    entries = [_entry(item, doc, base) for item in doc["datasets"]]
    entries += _extra_entries(doc, base)
    return entries


def _entry(item: dict[str, Any], doc: dict[str, Any], base: Path) -> DatasetCreate:
    try:
        department = item.get("department") or {}
        if isinstance(department, str):
            department = {"code": department, "name": department}
        fields = [
            {
                "name": f["name"],
                "label_zh": f.get("label", f.get("label_zh", "")),
                "type": f.get("type", "string"),
                "data_element": f.get("data_element", f.get("element", "none")),
                "sensitivity": f.get("sensitivity", "none"),
            }
            for f in item.get("fields", [])
        ]
        return DatasetCreate.model_validate(
            _derived(item["id"], item["title"], department, item, fields, doc, base)
        )
    except (KeyError, TypeError, ValidationError) as e:
        ident = item.get("id", "?") if isinstance(item, dict) else "?"
        raise ManifestInvalid(
            f"manifest entry {ident} is invalid: {_first_error(e)}",
            f"清单条目 {ident} 无效:{_first_error(e)}",
            dataset=str(ident),
        ) from e


def _derived(
    ident: str,
    title: str,
    department: dict[str, str],
    item: dict[str, Any],
    fields: list[dict[str, Any]],
    doc: dict[str, Any],
    base: Path,
) -> dict[str, Any]:
    personal = any(f["sensitivity"] != "none" for f in fields)
    fmt = item["format"]
    distribution: dict[str, Any] = {
        "format": fmt,
        "access_url": str((base / item["path"]).resolve()),
        "encoding": item.get("encoding"),
        "media_type": MEDIA_TYPES.get(fmt, ""),
    }
    if item.get("table"):
        distribution["table"] = item["table"]
    period = doc.get("period") or {}
    elements = sorted({f["data_element"] for f in fields} & STANDARD_OF_ELEMENT.keys())
    code = department.get("code", "bigdata")
    name = department.get("name", "")
    generator = doc.get("generator", "")
    return {
        "id": ident,
        "title": title,
        "title_en": item.get("title_en") or "",
        "description": item.get("description") or f"{name}提供的{title}",
        "publisher": code,
        "publisher_name": name,
        "contact_name": f"{name}数据专员" if name else "",
        "keywords": [k for k in (name, title, *(f["label_zh"] for f in fields[:3])) if k],
        "themes": THEMES_BY_DEPARTMENT.get(code, ["GOVE"]),
        "spatial": item.get("spatial", doc.get("spatial", "")) or "",
        "temporal_start": period.get("start"),
        "temporal_end": period.get("end"),
        "update_cycle": item.get("update_cycle", item.get("cycle", "irregular")),
        "conforms_to": [STANDARD_OF_ELEMENT[e] for e in elements],
        "provenance": (
            f"{name or code} delivered {fmt} ({item.get('encoding') or 'UTF-8'})"
            + (
                f"; generated by {generator} {doc.get('generator_version', '')} "
                f"seed {doc.get('seed')}"
                if generator
                else ""
            )
        ),
        "distributions": [distribution],
        "share_type": "conditional" if personal else "unconditional",
        "share_basis": PERSONAL_BASIS if personal else "",
        "open_type": "none" if personal else "conditional",
        "source_system": item.get("source_system") or f"{name or code}业务系统",
        "primary_key": item.get("primary_key") or [],
        "watermark_field": item.get("watermark_field"),
        "record_count": item.get("row_count"),
        "fields": fields,
    }


def _extra_entries(doc: dict[str, Any], base: Path) -> list[DatasetCreate]:
    """Device lists and event feeds the manifest names by path only; fields read from the file."""
    entries = []
    for ident, title, title_en, fmt, (section, key), cycle, pk in EXTRA_DELIVERIES:
        rel = (doc.get(section) or {}).get(key)
        if not isinstance(rel, str) or not (base / rel).is_file():
            continue
        names = _field_names(base / rel, fmt)
        if not names:
            continue
        fields = [_guess_field(n) for n in names]
        item = {"format": fmt, "path": rel, "encoding": "UTF-8", "title_en": title_en}
        entries.append(
            DatasetCreate.model_validate(
                _derived(
                    ident,
                    title,
                    {"code": "bigdata", "name": "大数据发展管理局"},
                    {**item, "update_cycle": cycle, "primary_key": [pk] if pk in names else []},
                    fields,
                    doc,
                    base,
                )
            )
        )
    return entries


def _field_names(path: Path, fmt: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        if fmt == "csv":
            return next(csv.reader(f), [])
        first = f.readline()
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return []
    return list(record) if isinstance(record, dict) else []


def _guess_field(name: str) -> dict[str, Any]:
    lowered = name.lower()
    element, sensitivity, ftype = "none", "none", "string"
    if "phone" in lowered:
        element, sensitivity = "phone", "personal"
    elif "address" in lowered:
        element = "address"
    elif lowered in ("lon", "lat"):
        element, ftype = "coordinate", "float"
    elif lowered.endswith("_date"):
        element, ftype = "date", "date"
    elif lowered.endswith("_at"):
        element, ftype = "datetime", "datetime"
    elif lowered.endswith("_code") and "grid" not in lowered:
        element = "code"
    return {
        "name": name,
        "label_zh": name,
        "type": ftype,
        "data_element": element,
        "sensitivity": sensitivity,
    }


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    if isinstance(e, KeyError):
        return f"missing key {e}"
    return str(e)
