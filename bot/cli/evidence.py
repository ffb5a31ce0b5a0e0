"""`safecomm evidence AGENCY YEAR`: the experts' desk at the terminal.

Prints, indicator by indicator, what the agency recorded for the year — the counts
against Art. 11's minimums, the shortfalls per unit, the activities and every file
(`workflow.guidance.desk`) — with the suggested 有无此项内容 / 有无证据. `--indicator`
narrows to one (also the pack); `--pack DIR` writes the evidence pack (`workflow.guidance.pack`), `--zip`
also its zip. Read only: nothing in the database changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import open_engine, settings
from bot.cli.numbers import YEAR

if TYPE_CHECKING:
    from workflow.guidance.desk import DeskActivity, DeskFile, IndicatorDesk


def _t(key: str, **params: object) -> str:
    from bot.texts import bot_texts

    return bot_texts.text(f"evidence.{key}", None, **params)


def activity_line(activity: DeskActivity) -> str:
    parts = [activity.day.isoformat(), activity.unit, activity.what]
    if activity.title:
        parts.append(activity.title)
    if activity.description and activity.description != activity.title:
        parts.append(activity.description)
    if activity.attendance is not None:
        parts.append(_t("attendance", n=activity.attendance))
    if activity.files:
        parts.append(_t("activity_files", n=activity.files))
    if activity.on_behalf:
        parts.append(_t("on_behalf"))
    return " ".join(parts)


def file_line(item: DeskFile) -> str:
    where = "，".join(p for p in (item.day.isoformat(), item.unit or item.what) if p)
    line = _t("file", name=item.original_name, kb=f"{item.size / 1024:.1f}", where=where)
    return line if item.present else f"{line} {_t('missing')}"


def _print_indicator(item: IndicatorDesk) -> None:
    suggestion = item.suggestion()
    print(f"【{item.code}】{item.name}" + (f"  {suggestion}" if suggestion else ""))
    print(f"  {item.short()}")
    for shortfall in item.shortfalls:
        print(f"  ! {shortfall}")
    for activity in item.activities:
        print(f"  · {activity_line(activity)}")
    for file in item.files:
        print(f"    {file_line(file)}")


def evidence(
    agency: Annotated[
        str, typer.Argument(help="机构编号、信用代码或全称 / agency id, credit code or exact name")
    ],
    year: Annotated[int, typer.Argument(help="考核年度 / assessment year", parser=YEAR)],
    indicator: Annotated[
        str | None, typer.Option(help="只看一个指标，如 2.4 / one indicator only, e.g. 2.4")
    ] = None,
    pack: Annotated[
        Path | None,
        typer.Option(help="生成证据包的目录（须尚不存在） / write the evidence pack into DIR"),
    ] = None,
    zip_pack: Annotated[
        bool, typer.Option("--zip", help="另生成证据包的 zip 文件 / also zip the pack")
    ] = False,
) -> None:
    """工作佐证：逐项指标查阅记录的指导工作和文件，可导出证据包 / the experts' evidence desk."""
    from dataclasses import replace

    from workflow.core.db import transaction
    from workflow.guidance.desk import build_desk
    from workflow.guidance.pack import write_pack
    from workflow.registry.service import find_agency_named

    config = settings()
    with transaction(open_engine(), read_only=True) as session:
        row = find_agency_named(session, agency)
        assert row.id is not None
        desk = build_desk(session, row.id, year, config)
    chosen = [desk.indicator(indicator)] if indicator else list(desk.indicators)
    print(
        _t(
            "title",
            agency=desk.agency_name,
            id=desk.agency_id,
            year=year,
            as_of=desk.as_of.isoformat(),
            units=desk.units,
        )
    )
    for item in chosen:
        _print_indicator(item)
    if pack is not None:
        packed = replace(desk, indicators=tuple(chosen))
        result = write_pack(packed, pack, archive=zip_pack)
        print(_t("packed", path=result.folder, n=result.files, missing=result.missing))
        if result.archive is not None:
            print(_t("zipped", path=result.archive))


def register(app: typer.Typer) -> None:
    """Add this topic's command to the app."""
    app.command("evidence")(evidence)
