"""The public pages: the home page, the current 公示 and the register (Art. 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
