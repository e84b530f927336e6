"""Errors of the org domain."""

from citybrain.errors import Conflict, NotFound


class DistrictNotFound(NotFound):
    code = "district_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"district {code} not found", f"未找到区市 {code}", district=code)


class DepartmentNotFound(NotFound):
    code = "department_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"department {code} not found", f"未找到部门 {code}", department=code)


class OrgConflict(Conflict):
    code = "org_conflict"
