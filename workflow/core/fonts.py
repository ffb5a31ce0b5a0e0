"""The CJK font for charts drawn on the server.

The optional extra `cjk` installs `pylopdf_fonts_zh_cn` (Noto Sans SC, SIL OFL 1.1):
a font `pip install` brings, so the results chart gets Chinese labels on any host,
without a system font package. Without the extra, None: the chart falls back to
whatever CJK font the system has, else to English labels (never empty boxes).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


def packaged_font_path() -> Path | None:
    """The Noto Sans SC file of the `cjk` extra, if installed."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = pylopdf_fonts_zh_cn.sans_path()
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def register_packaged_font() -> str | None:
    """Add the packaged font to matplotlib's font manager once; its family name, or None."""
    path = packaged_font_path()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())
