"""HTTP routes of the org domain: a thin layer over :mod:`citybrain.org.service`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from citybrain.deps import SessionDep
from citybrain.org import service
from citybrain.org.schemas import (
    DepartmentCode,
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    DistrictCode,
    DistrictCreate,
    DistrictPublic,
    DistrictUpdate,
)

router = APIRouter(tags=["org"])


@router.get("/districts", response_model=list[DistrictPublic])
def list_districts(session: SessionDep) -> list[DistrictPublic]:
    return [DistrictPublic.model_validate(d) for d in service.list_districts(session)]


@router.post(
    "/districts",
    response_model=DistrictPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already exists with the same values (idempotent retry)"}},
)
def create_district(
    data: DistrictCreate, session: SessionDep, response: Response
) -> DistrictPublic:
    district, created = service.create_district(session, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return DistrictPublic.model_validate(district)


@router.get("/districts/{code}", response_model=DistrictPublic)
def get_district(code: DistrictCode, session: SessionDep) -> DistrictPublic:
    return DistrictPublic.model_validate(service.get_district(session, code))


@router.patch("/districts/{code}", response_model=DistrictPublic)
def update_district(
    code: DistrictCode, data: DistrictUpdate, session: SessionDep
) -> DistrictPublic:
    return DistrictPublic.model_validate(service.update_district(session, code, data))


@router.delete("/districts/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_district(code: DistrictCode, session: SessionDep) -> Response:
    service.delete_district(session, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/departments", response_model=list[DepartmentPublic])
def list_departments(
    session: SessionDep, district: DistrictCode | None = None
) -> list[DepartmentPublic]:
    return [DepartmentPublic.model_validate(d) for d in service.list_departments(session, district)]


@router.post(
    "/departments",
    response_model=DepartmentPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already exists with the same values (idempotent retry)"}},
)
def create_department(
    data: DepartmentCreate, session: SessionDep, response: Response
) -> DepartmentPublic:
    department, created = service.create_department(session, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return DepartmentPublic.model_validate(department)


@router.get("/departments/{code}", response_model=DepartmentPublic)
def get_department(code: DepartmentCode, session: SessionDep) -> DepartmentPublic:
    return DepartmentPublic.model_validate(service.get_department(session, code))


@router.patch("/departments/{code}", response_model=DepartmentPublic)
def update_department(
    code: DepartmentCode, data: DepartmentUpdate, session: SessionDep
) -> DepartmentPublic:
    return DepartmentPublic.model_validate(service.update_department(session, code, data))


@router.delete("/departments/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_department(code: DepartmentCode, session: SessionDep) -> Response:
    service.delete_department(session, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
