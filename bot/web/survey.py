"""The questionnaire in the browser, for community staff: `/s/<token>`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
