"""Errors of the quality domain."""

from __future__ import annotations

from citybrain.errors import Conflict, InvalidInput, NotFound, UnknownChoice


class TicketNotFound(NotFound):
    code = "quality_ticket_not_found"

    def __init__(self, ticket_id: int) -> None:
        super().__init__(
            f"ticket {ticket_id} not found", f"未找到工单 {ticket_id}", ticket=ticket_id
        )


class TicketStateError(Conflict):
    code = "quality_ticket_state"

    def __init__(self, ticket_id: int, state: str, action: str) -> None:
        super().__init__(
            f"ticket {ticket_id} is {state}; cannot {action}",
            f"工单 {ticket_id} 当前状态为 {state},不能执行 {action}",
            ticket=ticket_id,
            state=state,
            action=action,
        )


class UnknownTicketState(UnknownChoice):
    code = "quality_unknown_ticket_state"

    def __init__(self, state: str, known: list[str]) -> None:
        super().__init__("ticket state", "工单状态", state, known)


class DatasetNotScannable(InvalidInput):
    code = "quality_dataset_not_scannable"


class NotScanned(NotFound):
    """A report asked for a dataset or a department no scan has covered yet."""

    code = "quality_not_scanned"

    def __init__(self, kind: str, name: str) -> None:
        zh = {"dataset": "数据集", "department": "部门"}[kind]
        super().__init__(
            f"no quality scan of {kind} {name} yet: run `citybrain quality scan`",
            f"{zh} {name} 尚未进行质量检查: 请先运行 `citybrain quality scan`",
            kind=kind,
            name=name,
        )
