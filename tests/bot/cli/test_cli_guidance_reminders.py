"""`safecomm remind plan` shows the quarterly Art. 11 shortfall reminder beside the others."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from tests.bot.conftest import Cli
from tests.workflow.lifecycle_steps import agency_in
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import transaction
from workflow.core.settings import load_settings
from workflow.reminders.models import AgencyContact

ALICE = 1001


def test_remind_plan_lists_the_quarters_guidance_reminder(db: Engine, cli: Cli) -> None:
    with transaction(db) as session:
        agency = agency_in(session, "filed", load_settings(), name="甲咨询公司")
        unit = CreationUnit(name="幸福里社区", district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        assert agency.id is not None and unit.id is not None
        session.add(Guidance(unit_id=unit.id, agency_id=agency.id, year=2026))
        session.add(AgencyContact(agency_id=agency.id, telegram_user_id=ALICE, display_name="李"))
        agency_id = agency.id

    code, out, _ = cli("remind", "plan", "--at", "2026-06-01T10:00")
    _, as_json, _ = cli("remind", "plan", "--at", "2026-06-10T10:00", "--json")

    assert code == 0 and "2026-06-10 09:00" in out and "指导工作提醒" in out
    guidance = [row for row in json.loads(as_json) if row["kind"] == "指导工作提醒"]
    assert guidance == [
        {
            "due": "2026-06-10 09:00",
            "kind": "指导工作提醒",
            "chat_id": ALICE,
            "state": "已到期",
            "key": f"guidance:{agency_id}:{ALICE}:2026-Q2:T-20",
        }
    ]
