"""Shapes of the API's responses."""

from __future__ import annotations

from ninja import Schema


class ProcedureOut(Schema):
    code: str
    name: str
    field: str
    level: str
    online_level: str
    url: str


class ProcedureListOut(Schema):
    items: list[ProcedureOut]
    total: int


class ErrorOut(Schema):
    detail: str
