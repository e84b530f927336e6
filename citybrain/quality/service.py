"""Quality logic: scan datasets, keep scores, and run the rectification loop (整改闭环).

Each failing rule opens (or updates) one ticket to the dataset's owning department with the
counts and a few sample rows; the next scan that finds the rule passing closes it by itself.
Plain functions over a session and the lake; the API, the CLI and the demo call these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain import privacy
from citybrain.errors import InvalidInput, UnknownChoice
from citybrain.quality import engine
from citybrain.quality.errors import (
    DatasetNotScannable,
    TicketNotFound,
    TicketStateError,
    UnknownTicketState,
)
from citybrain.quality.models import QualityResult, QualityScan, QualityTicket, QualityTicketEvent
from citybrain.quality.rules import DIMENSIONS, DatasetInfo, FieldInfo, Rule, derive_rules
from citybrain.standards import service as standards
from citybrain.store.lake import DuckDBLake

DEFAULT_WEIGHTS: dict[str, float] = {d: 1.0 for d in DIMENSIONS}
DUE_DAYS = 7
#: Data elements whose values identify a person: masked in the samples a scan keeps (results,
#: tickets, reports) and in a ticket's fix list, which any officer reading the rectification
#: loop sees.
IDENTIFIER_ELEMENTS = ("id_card", "phone")
ACTIVE = ("open", "in_progress", "resolved", "reopened")
#: A ticket state as the console and the reports name it (Chinese, English).
STATE_NAMES: dict[str, tuple[str, str]] = {
    "open": ("待整改", "open"),
    "in_progress": ("整改中", "in progress"),
    "resolved": ("已报整改", "reported fixed"),
    "reopened": ("重新打开", "reopened"),
    "closed": ("已关闭", "closed"),
}
#: Allowed manual transitions: action → (from states, to state)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open", "reopened"), "in_progress"),
    "resolve": (("open", "in_progress", "reopened"), "resolved"),
    "reopen": (("resolved", "closed"), "reopened"),
}


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _masked(ds: DatasetInfo, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of ``ds`` with its identifier fields masked (see IDENTIFIER_ELEMENTS)."""
    identifiers = [f.name for f in ds.fields if f.element in IDENTIFIER_ELEMENTS]
    return [privacy.mask_row(row, identifiers) for row in rows]


def check_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """Dimension weights as given, refused when a name is no dimension or a weight is
    negative (a typo would otherwise weigh nothing and change every score silently)."""
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(DIMENSIONS))
    if unknown:
        raise InvalidInput(
            f"unknown quality dimension(s) {unknown}; known: {sorted(DIMENSIONS)}",
            f"未知的质量维度 {unknown}; 可用: {sorted(DIMENSIONS)}",
            dimensions=unknown,
        )
    negative = sorted(d for d, w in weights.items() if not w >= 0)
    if negative:
        raise InvalidInput(
            f"dimension weights must be >= 0: {negative}", f"维度权重不能为负: {negative}",
            dimensions=negative,
        )
    return weights


def score_outcomes(
    outcomes: list[engine.RuleOutcome], weights: dict[str, float] | None = None
) -> tuple[float | None, dict[str, float], dict[str, float]]:
    """(dataset score, per-dimension scores, per-field scores), each 0..100."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    by_dim: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_field: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for o in outcomes:
        if o.score is None:
            continue
        by_dim[o.rule.dimension].append((o.score, o.rule.weight))
        if o.rule.field:
            by_field[o.rule.field].append((o.score, o.rule.weight))

    def mean(items: list[tuple[float, float]]) -> float:
        total = sum(w for _, w in items)
        return 100.0 * sum(s * w for s, w in items) / total if total else 100.0

    dims = {d: round(mean(v), 2) for d, v in by_dim.items()}
    fields = {f: round(mean(v), 2) for f, v in by_field.items()}
    wsum = sum(weights.get(d, 1.0) for d in dims)
    overall = None
    if wsum:
        overall = round(sum(s * weights.get(d, 1.0) for d, s in dims.items()) / wsum, 2)
    return overall, dims, fields


def scan_dataset(
    session: Session,
    lake: DuckDBLake,
    ds: DatasetInfo,
    rules: list[Rule] | None = None,
    *,
    load_ref: str = "",
    weights: dict[str, float] | None = None,
    due_days: int = DUE_DAYS,
    as_of: date | None = None,
) -> QualityScan:
    """Scan one dataset (one aggregate query), store the scores, open/update/close tickets."""
    standards.install_lake_macros(lake)
    rules = derive_rules(ds, as_of) if rules is None else rules
    outcome = engine.run_scan(lake, ds, rules)
    for o in outcome.outcomes:
        o.samples = _masked(ds, o.samples)
    overall, dims, fields = score_outcomes(outcome.outcomes, weights)
    scan = QualityScan(
        dataset=ds.id,
        department=ds.department,
        lake_table=ds.lake_table,
        load_ref=load_ref,
        rows=outcome.rows,
        score=overall,
        dimension_scores=dims,
        field_scores=fields,
        district_scores=outcome.districts,
        seconds=round(outcome.seconds, 4),
        scanned_at=now(),
    )
    session.add(scan)
    session.flush()
    for o in outcome.outcomes:
        session.add(
            QualityResult(
                scan_id=scan.id,
                rule_key=o.rule.key,
                dimension=o.rule.dimension,
                field=o.rule.field,
                description=o.rule.description,
                checked=o.checked,
                failed=o.failed,
                score=None if o.score is None else round(100 * o.score, 3),
                error=o.error,
                samples=o.samples,
            )
        )
    _rectify(session, scan, ds, outcome.outcomes, due_days)
    session.flush()
    return scan


def _active_ticket(session: Session, dataset: str, rule_key: str) -> QualityTicket | None:
    return session.scalars(
        select(QualityTicket)
        .where(
            QualityTicket.dataset == dataset,
            QualityTicket.rule_key == rule_key,
            QualityTicket.state.in_(ACTIVE),
        )
        .order_by(QualityTicket.id.desc())
    ).first()


def _event(
    session: Session, ticket: QualityTicket, action: str, actor: str = "system", note: str = ""
) -> None:
    session.add(
        QualityTicketEvent(
            ticket_id=ticket.id,
            at=now(),
            action=action,
            state=ticket.state,
            failed=ticket.failed,
            actor=actor,
            note=note,
        )
    )


def _rectify(
    session: Session,
    scan: QualityScan,
    ds: DatasetInfo,
    outcomes: list[engine.RuleOutcome],
    due_days: int,
) -> None:
    """The loop: failing rules open or update tickets; passing rules close theirs."""
    stamp = now()
    for o in outcomes:
        if o.error is not None:
            continue  # a rule that could not run proves nothing either way
        ticket = _active_ticket(session, ds.id, o.rule.key)
        if o.failed > 0:
            if ticket is None:
                ticket = QualityTicket(
                    dataset=ds.id,
                    rule_key=o.rule.key,
                    department=ds.department,
                    dimension=o.rule.dimension,
                    field=o.rule.field,
                    description=o.rule.description,
                    state="open",
                    failed=o.failed,
                    checked=o.checked,
                    samples=o.samples,
                    last_scan_id=scan.id,
                    opened_at=stamp,
                    due_at=stamp + timedelta(days=due_days),
                    updated_at=stamp,
                )
                session.add(ticket)
                session.flush()
                _event(session, ticket, "opened", note=f"{o.failed}/{o.checked} rows fail")
            else:
                was = ticket.state
                ticket.failed, ticket.checked, ticket.samples = o.failed, o.checked, o.samples
                ticket.last_scan_id, ticket.updated_at = scan.id, stamp
                if was == "resolved":  # claimed fixed, but the new load still fails
                    ticket.state = "reopened"
                _event(
                    session,
                    ticket,
                    "rechecked_failing" if was != "resolved" else "reopened",
                    note=f"{o.failed}/{o.checked} rows fail",
                )
        elif ticket is not None:
            ticket.state, ticket.failed, ticket.checked = "closed", 0, o.checked
            ticket.samples, ticket.last_scan_id = [], scan.id
            ticket.updated_at = ticket.closed_at = stamp
            _event(session, ticket, "auto_closed", note="next load passes / 新数据已通过检查")


def list_tickets(
    session: Session,
    *,
    department: str | None = None,
    dataset: str | None = None,
    state: str | None = None,
    active_only: bool = False,
) -> list[QualityTicket]:
    if state and state not in STATE_NAMES:  # a typo would list nothing and look like no work
        raise UnknownTicketState(state, list(STATE_NAMES))
    q = select(QualityTicket).order_by(QualityTicket.id)
    if department:
        q = q.where(QualityTicket.department == department)
    if dataset:
        q = q.where(QualityTicket.dataset == dataset)
    if state:
        q = q.where(QualityTicket.state == state)
    if active_only:
        q = q.where(QualityTicket.state.in_(ACTIVE))
    return list(session.scalars(q))


def get_ticket(session: Session, ticket_id: int) -> QualityTicket:
    ticket = session.get(QualityTicket, ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def ticket_history(session: Session, ticket_id: int) -> list[QualityTicketEvent]:
    get_ticket(session, ticket_id)
    return list(
        session.scalars(
            select(QualityTicketEvent)
            .where(QualityTicketEvent.ticket_id == ticket_id)
            .order_by(QualityTicketEvent.id)
        )
    )


def transition(
    session: Session, ticket_id: int, action: str, actor: str = "officer", note: str = ""
) -> QualityTicket:
    """A department officer acknowledges, resolves (claims fixed) or reopens a ticket."""
    if action not in TRANSITIONS:
        raise UnknownChoice("ticket action", "工单操作", action, TRANSITIONS)
    ticket = get_ticket(session, ticket_id)
    sources, target = TRANSITIONS[action]
    if ticket.state == target:
        return ticket  # idempotent retry
    if ticket.state not in sources:
        raise TicketStateError(ticket_id, ticket.state, action)
    ticket.state, ticket.updated_at = target, now()
    if target != "closed":
        ticket.closed_at = None
    _event(session, ticket, action, actor=actor, note=note)
    session.flush()
    return ticket


def is_overdue(ticket: QualityTicket, at: datetime | None = None) -> bool:
    return ticket.state in ACTIVE and _aware(ticket.due_at) < (at or now())


def latest_scans(session: Session) -> list[QualityScan]:
    """The newest scan of every dataset."""
    scans = session.scalars(select(QualityScan).order_by(QualityScan.id)).all()
    latest: dict[str, QualityScan] = {}
    for s in scans:
        latest[s.dataset] = s
    return sorted(latest.values(), key=lambda s: s.dataset)


def scan_results(session: Session, scan_id: int) -> list[QualityResult]:
    return list(
        session.scalars(
            select(QualityResult).where(QualityResult.scan_id == scan_id).order_by(QualityResult.id)
        )
    )


def trend(
    session: Session, dataset: str | None = None, department: str | None = None
) -> list[dict[str, Any]]:
    """Scores over loads (oldest first), for one dataset or a department."""
    q = select(QualityScan).order_by(QualityScan.id)
    if dataset:
        q = q.where(QualityScan.dataset == dataset)
    if department:
        q = q.where(QualityScan.department == department)
    return [
        {
            "scan_id": s.id,
            "dataset": s.dataset,
            "department": s.department,
            "load_ref": s.load_ref,
            "score": s.score,
            "rows": s.rows,
            "scanned_at": _aware(s.scanned_at).isoformat(),
        }
        for s in session.scalars(q)
    ]


def _new_card(department: str) -> dict[str, Any]:
    """An empty scorecard; ``_wsum``/``_w`` accumulate the row-weighted score."""
    return {
        "department": department,
        "datasets": 0,
        "rows": 0,
        "_wsum": 0.0,
        "_w": 0,
        "dimensions": {},
        "open_tickets": 0,
        "overdue_tickets": 0,
    }


def scorecards(session: Session) -> list[dict[str, Any]]:
    """Per department: row-weighted score of its datasets' latest scans, open/overdue tickets."""
    cards: dict[str, dict[str, Any]] = {}
    for s in latest_scans(session):
        c = cards.setdefault(s.department, _new_card(s.department))
        c["datasets"] += 1
        c["rows"] += s.rows
        if s.score is not None:
            w = max(s.rows, 1)
            c["_wsum"] += s.score * w
            c["_w"] += w
        for d, v in (s.dimension_scores or {}).items():
            c["dimensions"].setdefault(d, []).append(v)
    at = now()
    for t in list_tickets(session, active_only=True):
        c = cards.setdefault(t.department, _new_card(t.department))
        c["open_tickets"] += 1
        c["overdue_tickets"] += int(is_overdue(t, at))
    out = []
    for c in cards.values():
        w = c.pop("_w")
        wsum = c.pop("_wsum")
        c["score"] = round(wsum / w, 2) if w else None
        c["dimensions"] = {d: round(sum(v) / len(v), 2) for d, v in c["dimensions"].items()}
        out.append(c)
    return sorted(out, key=lambda c: (c["score"] is None, c["score"] or 0))


# --------------------------------------------------------------------------- catalog + lake

#: Catalog data elements → standards elements (others get no validity rule).
ELEMENT_OF_CATALOG = {
    "id_card": "id_card",
    "uscc": "uscc",
    "phone": "phone",
    "address": "address",
    "date": "date",
    "datetime": "date",
    "name": "name",
    "admin_code": "admin_code",
    "amount": "amount",
    "code": "code",
}


def lake_table_of(dataset_id: str) -> tuple[str, str]:
    """(schema, table) of a dataset's raw zone: the text exactly as the department delivered
    it, which is what a rectification ticket has to point at (curated rows are typed and
    untypable rows are already set aside there)."""
    from citybrain.ingest import service as ingest

    return ingest.raw_table(dataset_id)


def dataset_info(entry: Any) -> DatasetInfo:
    """What quality needs of a catalog entry (any object with the catalog's attributes)."""
    from citybrain.quality.city_rules import OPTIONAL_FIELDS

    fields = tuple(
        FieldInfo(
            name=f.name,
            element=ELEMENT_OF_CATALOG.get(f.data_element, "none"),
            type=f.type,
            label=f.label_zh or "",
            required=False if (entry.id, f.name) in OPTIONAL_FIELDS else None,
        )
        for f in entry.fields
    )
    schema, table = lake_table_of(entry.id)
    address = next((f.name for f in fields if f.element == "address"), None)
    return DatasetInfo(
        id=entry.id,
        department=entry.publisher,
        schema=schema,
        table=table,
        fields=fields,
        primary_key=tuple(entry.primary_key or ()),
        update_cycle=entry.update_cycle or "",
        record_field=entry.watermark_field,
        title=entry.title,
        row_order="_cb_row",
        district_field=address,
    )


def rules_for(
    ds: DatasetInfo,
    catalog: list[DatasetInfo],
    as_of: date | None = None,
    consensus: dict[str, str] | None = None,
) -> list[Rule]:
    """Derived rules plus the city's configured ones (:mod:`citybrain.quality.city_rules`)."""
    from citybrain.quality import city_rules

    return derive_rules(ds, as_of) + city_rules.rules_for(ds, {d.id: d for d in catalog}, consensus)


def scan_catalog(
    session: Session,
    lake: DuckDBLake,
    *,
    load_ref: str = "",
    as_of: date | None = None,
    progress: Any = None,
    weights: dict[str, float] | None = None,
    step: Callable[[str], None] | None = None,
) -> list[QualityScan]:
    """Scan every active catalog dataset that has been loaded into the lake; ``weights``
    weigh the dimensions in each dataset's score (``Settings.quality_weights``).

    ``progress(dataset_id)`` is called after each dataset; ``step(what)`` before each step
    with a bilingual line saying what runs (the city-wide references take a while on a city
    before the first dataset is scanned)."""
    from citybrain.catalog import service as catalog

    weights = check_weights(weights)
    infos = [dataset_info(d) for d in catalog.list_datasets(session)]
    present = set(lake.tables())
    loaded = [ds for ds in infos if (ds.schema, ds.table) in present]
    from citybrain.quality import city_rules

    say = step or (lambda _: None)
    standards.install_lake_macros(lake)
    say("全市比对基准(姓名共识、住户现住址) / city-wide references (names, homes)")
    with lake.writer() as con:
        consensus = city_rules.materialize_consensus(con, {d.id: d for d in loaded})
    scans = []
    for ds in loaded:
        say(f"质量检查 / scanning {ds.id}")
        rules = rules_for(ds, loaded, as_of, consensus)
        scans.append(scan_dataset(session, lake, ds, rules, load_ref=load_ref, weights=weights))
        if progress is not None:
            progress(ds.id)
    return scans


# --------------------------------------------------------------------------- for other domains


def overall_score(session: Session) -> float | None:
    """City-wide data quality 0..100: the row-weighted mean of every dataset's latest score."""
    scans = [s for s in latest_scans(session) if s.score is not None]
    weight = sum(max(s.rows, 1) for s in scans)
    if not weight:
        return None
    return round(sum(s.score * max(s.rows, 1) for s in scans) / weight, 2)  # type: ignore[operator]


def open_ticket_count(session: Session) -> int:
    """Rectification tickets not yet closed (open, in progress, resolved, reopened)."""
    return len(list_tickets(session, active_only=True))


def district_scores(session: Session) -> dict[str, float]:
    """District code → quality score 0..100 of the rows whose address names that district
    (row-weighted over the latest scan of every dataset with an address field)."""
    from citybrain.org import service as org

    codes = {d.name_zh: d.code for d in org.list_districts(session)}
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s in latest_scans(session):
        for name, v in (s.district_scores or {}).items():
            code = codes.get(name)
            if code is None or v.get("score") is None:
                continue
            acc[code][0] += v["score"] * v["rows"]
            acc[code][1] += v["rows"]
    return {code: round(total / rows, 2) for code, (total, rows) in sorted(acc.items()) if rows}


def catalog_rules(
    session: Session, lake: DuckDBLake, dataset_id: str
) -> tuple[DatasetInfo, list[Rule]]:
    """A loaded catalog dataset and the rules a scan runs on it."""
    from citybrain.catalog import service as catalog

    infos = [dataset_info(d) for d in catalog.list_datasets(session)]
    present = set(lake.tables())
    loaded = [ds for ds in infos if (ds.schema, ds.table) in present]
    ds = next((d for d in loaded if d.id == dataset_id), None)
    if ds is None:
        raise DatasetNotScannable(
            f"dataset {dataset_id} is not in the catalog or not loaded",
            f"数据集 {dataset_id} 未编目或未汇聚入湖",
            dataset=dataset_id,
        )
    return ds, rules_for(ds, loaded)


def _catalog_rule(
    session: Session, lake: DuckDBLake, dataset_id: str, rule_key: str
) -> tuple[DatasetInfo, Rule]:
    """A loaded dataset and one of the rules a scan runs on it, the lake's macros installed."""
    ds, rules = catalog_rules(session, lake, dataset_id)
    rule = next((r for r in rules if r.key == rule_key), None)
    if rule is None:
        raise DatasetNotScannable(
            f"no rule {rule_key} on {dataset_id}", f"数据集 {dataset_id} 无规则 {rule_key}"
        )
    standards.install_lake_macros(lake)
    return ds, rule


def failing_rows(
    session: Session, lake: DuckDBLake, dataset_id: str, rule_key: str, columns: list[str]
) -> list[dict[str, Any]]:
    """Every row failing one rule of a dataset (only ``columns`` and the reason): the full
    list a department works through, beyond the ticket's sample."""
    ds, rule = _catalog_rule(session, lake, dataset_id, rule_key)
    return engine.failing_rows(lake, ds, rule, columns)


def ticket_rows(session: Session, lake: DuckDBLake, ticket_id: int) -> list[dict[str, Any]]:
    """The full fix list of a ticket (整改清单): every row of its dataset that fails its rule
    now, with the row number, the sample columns and the reason, identifiers masked as in
    the samples. Read from the lake as loaded, so it reflects the latest load."""
    ticket = get_ticket(session, ticket_id)
    ds, rule = _catalog_rule(session, lake, ticket.dataset, ticket.rule_key)
    rows = engine.failing_rows(lake, ds, rule, ["_cb_row", *engine.sample_columns(ds, rule)])
    return _masked(ds, rows)
