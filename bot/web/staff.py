"""The admins' and experts' pages: progress, the evidence desk, scores, results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
