"""The agency's pages: the year's checklist, its Art. 11 records and Art. 15 report."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
