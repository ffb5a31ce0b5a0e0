"""Every import command refuses a hostile workbook in one line and imports nothing:
zip bomb, billion laughs, XXE, an oversized file, a renamed csv (issue 14, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from tests.bot.conftest import Cli
from tests.workflow.core.hostile_workbooks import ATTACKS

IMPORTERS = {
    "agency import": (("agency", "import"), ["单位登记表", "人员登记表"]),
    "agency changes": (("agency", "changes"), ["更正登记"]),
    "assess import": (("assess", "import"), ["2026"]),
    "unit import": (("unit", "import"), ["创建单位"]),
    "guidance import (records)": (("guidance", "import"), ["指导记录"]),
    "guidance import (activities)": (("guidance", "import"), ["指导工作"]),
}
REFUSAL = {
    "zip bomb": "解压后的内容超过 100 MB 或压缩比异常",
    "billion laughs in workbook.xml": "含有不允许的 XML 内容",
    "billion laughs in a sheet": "含有不允许的 XML 内容",
    "external entity": "含有不允许的 XML 内容",
    "file too large": "太大：Excel 工作簿最大 20 MB",
    "renamed csv": "不是 Excel 工作簿（.xlsx）",
}


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("importer", IMPORTERS)
def test_a_hostile_workbook_is_refused_in_one_line(
    db: Engine, cli: Cli, tmp_path: Path, importer: str, attack: str
) -> None:
    command, sheets = IMPORTERS[importer]
    path = ATTACKS[attack](tmp_path / "filled.xlsx", sheets)
    before = _rows(db)
    code, out, err = cli(*command, str(path))
    assert code == 1 and out == ""
    assert REFUSAL[attack] in err and "filled.xlsx" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _rows(db) == before
