"""`safecomm demo`: a whole year of the Association's work, offline, in about a minute.

No network and no token: the bot runs on `bot.demo.offline.RecordingRequest`, so
every chat below goes through the real handlers and the same service
functions as the CLI and the live bot. On a fresh SQLite file the demo

1. registers five agencies (one short of consultants) and their consultants;
2. files one of them in a round two years back (explicit dates through the real
   round and lifecycle), then walks this year's round with a quota of two:
   material review, the list invited to interview published (Art. 10(1)),
   interview, ranking, filing, one rejected outside the quota, the publication
   list and the current register (Art. 6) written;
3. records the communities each filed agency guided, by programme, and issues
   questionnaire invitations (sheet and QR codes); records a year of Art. 11 guidance
   work (`bot.demo.work`: one unit a training short, one safe community with 12
   projects) and shows the shortfalls;
4. binds an agency contact who records a piece of work with a photo (/record) and
   hands in the annual report in the chat, and lets
   community staff answer the questionnaire in the chat (the transcript is
   printed; one unit changes an answer, one stops half-way);
5. runs the December reminders on a simulated clock (what would be sent each day,
   the quarterly Art. 11 shortfall reminder among them);
6. lays the experts' desk out for one agency (per indicator the facts, files and the
   suggested judgement; the evidence pack with its linked index written), fills the
   questionnaire section from the answers, scores the other
   indicators (one agency's base + bonus above 100, another's bonus not turning
   a fail into a pass), finalises the assessments and proposes the exits (one
   on ground 1, the agency filed two years back and idle on ground 2);
7. publishes the results, which opens the 公示 period and writes the exit list
   (取消优先推荐资格名单); records two objections, dismisses one and upholds the
   other (the sheet re-scored and re-finalised, the results published again);
   the ground-1 exit is refused during the period and confirmed after it, and
   the register is written again; prints the results, writing every export.

Everything it writes lands in `--out` (default `./safecomm-demo`).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.demo import work
from bot.demo.offline import OFFLINE_TOKEN, RecordingRequest, UpdateFactory
from bot.telegram.app import BotApplication, build_application
from bot.telegram.jobs import run_cycle
from bot.telegram.rendering import parse_press
from bot.texts import bot_texts, warn_without_help_contact
from migrations import upgrade
from surveys.answering import Action
from surveys.invitations import export_invitations, invitations_of, issue_invitations
from surveys.scoring import fill_sheets
from workflow.access.actors import Actor
from workflow.assessment import objections, publication, results
from workflow.assessment.bonus import AwardInput, add_award
from workflow.assessment.exits import confirm, propose
from workflow.assessment.finalising import finalise
from workflow.assessment.publicity import day_text
from workflow.assessment.sheets import LineInput, enter_lines
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import export_sheet
from workflow.community.campaigns import campaign_for, default_campaign
from workflow.community.units import add_guidance, add_unit, find_unit
from workflow.core.clock import local_date, utcnow
from workflow.core.db import make_engine, transaction
from workflow.core.errors import Refused
from workflow.core.i18n import set_help_contact, set_language
from workflow.core.settings import Settings, load_settings
from workflow.guidance import kinds
from workflow.guidance.desk import build_desk
from workflow.guidance.pack import write_pack
from workflow.lifecycle import audit, states
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.anchors import seal
from workflow.registry.eligibility import check_eligibility
from workflow.registry.identifiers import id_number_check_character, make_credit_code
from workflow.registry.judgements import record_familiarity, record_scope
from workflow.registry.models import MATERIALS, Agency
from workflow.registry.register import Refreshed, after_commit, current_register
from workflow.registry.service import add_consultant, register_agency, set_materials
from workflow.reminders import contacts
from workflow.reminders.models import SENT, Outbox
from workflow.rounds import closing, review, service

ADMIN_CHAT = 880001
CONTACT_CHAT = 880101
STAFF_CHATS = (880201, 880202, 880203, 880204)
OPERATOR = Actor.cli("demo-admin")


@dataclass(frozen=True)
class DemoAgency:
    """Seed data of one agency: its name, size and how it will fare."""

    name: str
    district: str
    consultants: int
    material: float
    interview: float
    materials_points: int  # points below the maximum on every materials indicator
    zero: str | None = None  # an indicator the experts find empty


AGENCIES = (
    DemoAgency("北京安泰安全技术咨询有限公司", "朝阳区", 6, 88, 92, 0),
    DemoAgency("北京众安应急管理咨询有限公司", "海淀区", 5, 85, 80, 2, zero="2.4"),
    DemoAgency("北京华宇安全评价中心有限公司", "丰台区", 5, 78, 75, 1),
    DemoAgency("北京新起点安全咨询有限公司", "通州区", 4, 70, 70, 1),
    DemoAgency("北京远达安全咨询有限公司", "西城区", 5, 82, 84, 0),
)
THIS_ROUND = AGENCIES[:4]  # the last one was filed two years before the demo year
BONUS = {  # Art. 13 bonus cases of the filed agencies, by their place in the round:
    # (item, creation unit, title / base, evidence)
    0: (
        ("B1", "幸福里社区", "北京市安全社区", "幸福里社区获评北京市安全社区"),
        ("B3", "和平街社区", "和平街社区公共安全教育基地", "指导和平街社区建成公共安全教育基地"),
    ),
    1: (("B3", "万柳社区", "万柳社区公共安全教育基地", "指导万柳社区建成公共安全教育基地"),),
}
UNITS = (
    ("幸福里社区", "朝阳区", 0),
    ("和平街社区", "朝阳区", 0),
    ("中关村社区", "海淀区", 1),
    ("万柳社区", "海淀区", 1),
)
SURVEY_PLAN = {  # staff chat → (answers, change item 2 to, finish?)
    STAFF_CHATS[0]: ([4, 4, 3, 4, 4], None, True),
    STAFF_CHATS[1]: ([3, 4, 3, 3, 4], 2, True),
    STAFF_CHATS[2]: ([3, 3, 2, 3, 4], None, True),
    STAFF_CHATS[3]: ([2, 3], None, False),
}


def phrase(key: str, /, **params: object) -> str:
    """A demo text from the catalogue, in the configured language."""
    return bot_texts.text(f"demo.{key}", None, **params)


def say(key: str, /, **params: object) -> None:
    print(phrase(key, **params))


def heading(key: str) -> None:
    print()
    print("═" * 60)
    say(key)
    print("═" * 60)


def demo_year(settings: Settings, today: date) -> int:
    """This year while its questionnaire is still open today, else the next one."""
    closes = default_campaign(today.year, settings).questionnaire_closes
    return today.year if today <= closes else today.year + 1


# --- fake but valid personal data (masked in every output) ---------------------


def credit_code(serial: int) -> str:
    return make_credit_code("91110105", f"MA{serial:06d}")


def id_number(serial: int, born: date, male: bool) -> str:
    order = serial % 500 * 2 + (1 if male else 0)
    body = "110105" + born.strftime("%Y%m%d") + f"{order:03d}"
    return body + id_number_check_character(body)


def agency_form(index: int, seed: DemoAgency) -> dict[str, object]:
    return {
        "name": seed.name,
        "address": f"北京市{seed.district}安全路{index + 1}号",
        "licence_place": f"北京市{seed.district}",
        "credit_code": credit_code(index + 1),
        "postcode": "100020",
        "legal_representative": "王立安",
        "office_phone": f"010-6500{index + 1:04d}",
        "principal": "李文明",
        "principal_mobile": f"1381000{index + 1:04d}",
        "performance_summary": "多年从事安全社区、综合减灾示范社区创建咨询服务。",
        "independent_legal_person": True,
        "fixed_office": True,
        "business_scope": "安全生产技术咨询服务；应急管理咨询服务",
        "service_since": date(2015, 3, 1),
        "admin_staff": "赵专职",
        "process_docs_complete": True,
        "licences_complete": True,
    }


def consultant_form(agency_index: int, index: int) -> dict[str, object]:
    born = date(1975 + index, 3, 1 + agency_index)
    male = index % 2 == 0
    return {
        "name": f"咨询师{'甲乙丙丁戊己'[index]}{agency_index + 1}",
        "gender": "男" if male else "女",
        "birth_date": born,
        "employer_department": "咨询部",
        "position": "项目经理",
        "title": "高级工程师" if index < 2 else "工程师",
        "specialty": "安全生产",
        "mobile": f"1391{agency_index:03d}{index:04d}",
        "email": f"consultant{agency_index}{index}@example.com",
        "id_number": id_number(agency_index * 10 + index, born, male),
        "years_consulting": 5 + index,
        "pledge_date": date(2026, 1, 5),
    }


# --- the chat, through the real handlers -----------------------------------------


class DemoChat:
    """Feeds updates to the real application and prints both sides of each chat."""

    def __init__(self, app: BotApplication, request: RecordingRequest) -> None:
        self.app, self.request = app, request
        self.updates = UpdateFactory(app)

    async def send(self, user: int, who: str, text: str) -> None:
        say("line.user", who=who, text=text)
        await self._process(self.updates.text(user, text, name=who))

    async def upload(self, user: int, who: str, name: str, content: bytes, caption: str) -> None:
        say("line.upload", who=who, name=name, caption=caption)
        file_id = self.request.add_file(content)
        update = self.updates.document(
            user, name, "application/pdf", len(content), file_id=file_id, caption=caption, name=who
        )
        await self._process(update)

    async def photo(self, user: int, who: str, content: bytes) -> None:
        say("line.photo", who=who)
        file_id = self.request.add_file(content)
        await self._process(self.updates.photo(user, file_id, len(content), name=who))

    async def tap(self, user: int, who: str, label: str) -> None:
        """Press the newest button labelled `label` (the agency chat's buttons)."""
        for call in reversed(self.request.sent(user)):
            for row in call.keyboard:
                for button in row:
                    if button["text"] == label and call.message_id is not None:
                        say("line.press", who=who, button=label)
                        update = self.updates.callback(
                            user, str(button["callback_data"]), call.message_id, name=who
                        )
                        await self._process(update)
                        return
        raise LookupError(f"no button {label!r}")

    async def press(self, user: int, who: str, action: Action, **wanted: int) -> None:
        """Press the newest survey button doing `action` (with that item / points)."""
        text, data, message_id = self.button(user, action, wanted)
        say("line.press", who=who, button=text)
        await self._process(self.updates.callback(user, data, message_id, name=who))

    def button(self, user: int, action: Action, wanted: dict[str, int]) -> tuple[str, str, int]:
        """The newest button in the chat whose press matches: its text, data and message."""
        for call in reversed(self.request.sent(user)):
            for row in call.keyboard:
                for button in row:
                    press = parse_press(button.get("callback_data"))
                    if (
                        press is not None
                        and press.action == action
                        and all(getattr(press, key) == value for key, value in wanted.items())
                        and call.message_id is not None
                    ):
                        return button["text"], str(button["callback_data"]), call.message_id
        raise LookupError(f"no {action.name} button {wanted}")

    async def _process(self, update: Any) -> None:
        before = len(self.request.calls)
        await self.app.process_update(update)
        for call in self.request.calls[before:]:
            if call.method in {"sendMessage", "editMessageText"}:
                print(_bot_line(call.text, call.keyboard))
            elif call.method == "answerCallbackQuery" and call.params.get("text"):
                say("line.notice", text=call.params["text"])


def _bot_line(text: str, keyboard: list[list[dict[str, Any]]]) -> str:
    lines = text.splitlines() or [""]
    shown = "\n".join(["  🤖 " + lines[0], *("     " + line for line in lines[1:])])
    labels = [b["text"] for row in keyboard for b in row]
    return shown + ("\n     " + " ".join(f"［{label}］" for label in labels) if labels else "")


# --- the year --------------------------------------------------------------------


def register(engine: Engine, settings: Settings) -> list[int]:
    heading("register")
    ids = []
    with transaction(engine) as session:
        for index, seed in enumerate(AGENCIES):
            agency = register_agency(session, agency_form(index, seed))
            assert agency.id is not None
            for number in range(seed.consultants):
                add_consultant(session, agency.id, consultant_form(index, number))
            set_materials(session, agency.id, dict.fromkeys(MATERIALS, True))
            record_scope(session, agency.id, OPERATOR, True, "专家组确认", settings=settings)
            record_familiarity(session, agency.id, OPERATOR, True, "专家组判断", settings=settings)
            ids.append(agency.id)
    with transaction(engine) as session:
        for agency_id in ids:
            row = session.get(Agency, agency_id)
            assert row is not None
            verdict = check_eligibility(session, row)
            failed = phrase("separator").join(c.reason for c in verdict.conditions if not c.passed)
            say(
                "eligibility_ok" if verdict.passed else "eligibility_no",
                agency=row.name,
                why=failed,
            )
    return ids


def at(day: date, settings: Settings, hour: int = 9) -> datetime:
    """A moment of the simulated calendar, in the settings' zone."""
    return datetime.combine(day, time(hour), tzinfo=settings.zone)


def earlier_filing(engine: Engine, settings: Settings, agency_id: int, year: int) -> None:
    """The veteran agency's history: filed in a round of `year` (two years before the
    demo year), through the same round and lifecycle services with explicit dates, so
    the audit log dates its filing then (Art. 14(2) reads the filing year from it)."""
    seed = AGENCIES[-1]
    name = f"{year}年演示批次"
    opened = at(date(year, 3, 2), settings)
    with transaction(engine) as session:
        service.create_round(session, name, OPERATOR, settings=settings, now=opened)
        day = opened + timedelta(days=7)
        service.join_round(session, name, agency_id, OPERATOR, settings=settings, now=day)
        service.record_scores(
            session, agency_id, OPERATOR, material=seed.material, settings=settings, now=day
        )
        lifecycle.advance(session, agency_id, "review", OPERATOR, settings=settings, now=day)
        day += timedelta(days=14)
        review.publish_interview_list(session, name, OPERATOR, settings=settings, now=day)
        day += timedelta(days=7)
        service.record_scores(
            session, agency_id, OPERATOR, interview=seed.interview, settings=settings, now=day
        )
        lifecycle.advance(session, agency_id, "interview", OPERATOR, settings=settings, now=day)
        day += timedelta(days=7)
        closing.close_round(session, name, OPERATOR, settings=settings, now=day)
        moves = audit.appended(session)
    after_commit(engine, moves, settings, now=day)
    say("earlier_filed", agency=seed.name, round=name, day=day_text(local_date(day, settings.zone)))


def show_register(engine: Engine, settings: Settings, refreshed: Refreshed | None) -> None:
    """Art. 6: the current register as just written (mobiles masked)."""
    if refreshed is None:
        return
    print(refreshed.message(settings.language))
    with transaction(engine, read_only=True) as session:
        listed = current_register(session, settings)
    say("register_count", count=len(listed))
    for item in listed:
        say(
            "register_row",
            number=item.number,
            agency=item.name,
            principal=item.principal,
            mobile=item.principal_mobile,
            state=states.state_label(item.state),
            filed=item.filed_on.isoformat() if item.filed_on else "",
        )


def application_round(
    engine: Engine, settings: Settings, ids: Sequence[int], year: int, out: Path
) -> list[int]:
    heading("round")
    earlier_filing(engine, settings, ids[-1], year - 2)
    name = "演示批次"
    opened = at(date(year, 3, 2), settings)  # the round runs in March: filed before April
    received = opened + timedelta(days=7)
    with transaction(engine) as session:  # material review (Art. 10(1))
        service.create_round(session, name, OPERATOR, quota=2, settings=settings, now=opened)
        for agency_id, seed in zip(ids, THIS_ROUND, strict=False):
            service.join_round(session, name, agency_id, OPERATOR, settings=settings, now=received)
            service.record_scores(
                session,
                agency_id,
                OPERATOR,
                material=seed.material,
                settings=settings,
                now=received,
            )
            if seed.consultants < 5:
                lifecycle.advance(
                    session,
                    agency_id,
                    "reject",
                    OPERATOR,
                    "材料审核未通过：咨询人员少于 5 名",
                    settings=settings,
                    now=received,
                )
                say("rejected", agency=seed.name)
                continue
            lifecycle.advance(
                session, agency_id, "review", OPERATOR, settings=settings, now=received
            )
        published = received + timedelta(days=7)
        invited = review.publish_interview_list(
            session, name, OPERATOR, settings=settings, now=published
        )
        anchor = seal(session).line(settings.language)
        say("interview_list", count=len(invited.invited))
        for item in invited.invited:
            say(
                "invited_row",
                number=item.number,
                agency=item.agency.name,
                received=item.received_on.isoformat(),
            )
    lists = review.write_interview_list(invited.invited, out, name, settings.language, anchor)
    for path in lists:
        say("wrote", path=path)
    interviewed, closes = published + timedelta(days=7), published + timedelta(days=14)
    with transaction(engine) as session:  # interview, ranking and filing (Art. 10(2)-(4))
        for item in invited.invited:
            agency_id = int(item.agency.id or 0)
            seed = THIS_ROUND[ids.index(agency_id)]
            service.record_scores(
                session,
                agency_id,
                OPERATOR,
                interview=seed.interview,
                settings=settings,
                now=interviewed,
            )
            lifecycle.advance(
                session, agency_id, "interview", OPERATOR, settings=settings, now=interviewed
            )
        closed = closing.close_round(session, name, OPERATOR, settings=settings, now=closes)
        moves, anchor = audit.appended(session), seal(session).line(settings.language)
    refreshed = after_commit(engine, moves, settings, now=closes)  # the register (Art. 6)
    written = closing.write_publication(
        closed.published, out, closed.round.name, settings.language, anchor
    )
    for ranked in closed.filed:
        say("filed", rank=ranked.rank, agency=ranked.agency.name, score=f"{ranked.composite:.1f}")
    for ranked in closed.rejected:
        say(
            "outside_quota",
            rank=ranked.rank,
            agency=ranked.agency.name,
            score=f"{ranked.composite:.1f}",
        )
    for path in written:
        say("wrote", path=path)
    show_register(engine, settings, refreshed)
    return [int(ranked.agency.id or 0) for ranked in closed.filed]


def guidance(
    engine: Engine, settings: Settings, filed: Sequence[int], year: int, out: Path
) -> list[tuple[int, int, str]]:
    """The units each filed agency guides from April; returns (agency, unit, name)."""
    heading("guidance")
    guided: list[tuple[int, int, str]] = []
    with transaction(engine) as session:
        for name, district, which in UNITS:
            unit = add_unit(
                session, name, district, safe_community=True, disaster_reduction=which == 1
            )
            agency = session.get(Agency, filed[which])
            assert agency is not None and agency.id is not None and unit.id is not None
            record = add_guidance(session, unit, agency, year, started_on=guidance_start(year))
            programmes = phrase("list_separator").join(
                kinds.programme_label(code)
                for code, on in (
                    (kinds.SAFE_COMMUNITY, record.safe_community),
                    (kinds.DISASTER_REDUCTION, record.disaster_reduction),
                )
                if on
            )
            say("guided", unit=name, agency=agency.name, year=year, programmes=programmes)
            guided.append((agency.id, unit.id, name))
        issued = issue_invitations(session, year)
        export = export_invitations(session, year, out, settings.bot_username, settings.language)
    say("invited", count=len(issued), sheet=export.sheet, qr=len(export.qr_codes))
    return guided


def guidance_start(year: int) -> date:
    """Guidance begins the month after the March round files the agencies."""
    return date(year, 4, 1)


def year_of_work(
    engine: Engine,
    settings: Settings,
    filed: Sequence[int],
    guided: Sequence[tuple[int, int, str]],
    year: int,
    out: Path,
) -> None:
    """Art. 11: the year's work recorded, and the shortfalls it leaves."""
    heading("work")
    files = work.record_year(
        engine, settings, guided, year, guidance_start(year), OPERATOR, out / "scratch"
    )
    shutil.rmtree(out / "scratch")
    say("work_recorded", units=len(guided), files=files)
    say("work_as_of", day=date(year, 10, 1))
    work.show_shortfalls(engine, settings, filed, year, date(year, 10, 1), say)


async def chats(
    engine: Engine, settings: Settings, filed: Sequence[int], year: int
) -> BotApplication:
    heading("chats")
    request = RecordingRequest()
    app = build_application(
        settings, engine, token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    await app.initialize()
    chat = DemoChat(app, request)
    with transaction(engine) as session:
        agency = session.get(Agency, filed[1])
        assert agency is not None
        link = contacts.issue_link_token(session, agency, OPERATOR.name)
        staff_links = [invitation.token for invitation, _, _ in invitations_of(session, year)]
    contact = phrase("persona.contact")
    say("contact_binds", agency=agency.name)
    await chat.send(CONTACT_CHAT, contact, f"/start {link.token}")
    await chat.send(CONTACT_CHAT, contact, "/status")
    await record_in_chat(chat, contact, settings, year)
    report = phrase("report_file", year=year)
    await chat.upload(
        CONTACT_CHAT, contact, report, b"%PDF-1.7 demo report", phrase("caption.report")
    )
    for number, (user, token) in enumerate(zip(STAFF_CHATS, staff_links, strict=True), start=1):
        answers, change, finish = SURVEY_PLAN[user]
        who = phrase("persona.staff", number=number)
        print()
        say("staff_answers", who=who)
        await chat.send(user, who, f"/start {token}")
        for item, value in enumerate(answers, start=1):
            await chat.press(user, who, Action.ANSWER, item=item, points=value)
        if change is not None:
            await chat.press(user, who, Action.CHANGE, item=change)
            await chat.press(user, who, Action.ANSWER, item=change, points=1)
        if finish:
            await chat.press(user, who, Action.SUBMIT)
    return app


async def record_in_chat(chat: DemoChat, contact: str, settings: Settings, year: int) -> None:
    """The contact records a publicity event with a photo through /record (Art. 11 2(5)):
    only on a day inside this year's guidance, since the chat records work done by today."""
    today = local_date(utcnow(), settings.zone)
    if not guidance_start(year) <= today <= default_campaign(year, settings).report_due:
        say("record_skipped", day=today)
        return
    say("contact_records")
    await chat.send(CONTACT_CHAT, contact, "/record")
    await chat.tap(CONTACT_CHAT, contact, "万柳社区")
    await chat.tap(CONTACT_CHAT, contact, kinds.kind_label(kinds.PUBLICITY))
    await chat.tap(CONTACT_CHAT, contact, kinds.topic_label(kinds.PUBLICITY, "campaign"))
    await chat.tap(CONTACT_CHAT, contact, bot_texts.text("recording.today"))
    await chat.send(CONTACT_CHAT, contact, phrase("record_description"))
    await chat.photo(CONTACT_CHAT, contact, b"\xff\xd8\xff\xe0 demo publicity photo")
    await chat.tap(CONTACT_CHAT, contact, bot_texts.text("recording.done"))


async def december(app: BotApplication, engine: Engine, settings: Settings, year: int) -> None:
    heading("december")
    with transaction(engine) as session:
        campaign = campaign_for(session, year, settings)
    say(
        "campaign",
        opens=campaign.opens,
        due=campaign.report_due,
        closes=campaign.questionnaire_closes,
        results=campaign.results_published,
    )
    request = app.bot.request  # the RecordingRequest behind the bot
    assert isinstance(request, RecordingRequest)
    day = campaign.opens
    while day <= campaign.questionnaire_closes:
        moment = datetime.combine(day, time(9, 30), tzinfo=settings.zone)
        before, already = len(request.calls), _sent_ids(engine)
        await run_cycle(app.bot, engine, settings, now=moment)
        sent = [c for c in request.calls[before:] if c.method == "sendMessage"]
        if sent:
            say(
                "reminders_sent",
                day=day.strftime("%m-%d"),
                count=len(sent),
                who=phrase("list_separator").join(_sent_kinds(engine, already)),
            )
            for call in sent:
                to_admin = int(call.params["chat_id"]) == ADMIN_CHAT
                if not to_admin or day in (campaign.opens, campaign.questionnaire_closes):
                    print(_bot_line(call.text, []))
        day += timedelta(days=1)


def _sent_ids(engine: Engine) -> set[int]:
    with transaction(engine, read_only=True) as session:
        ids = session.exec(select(Outbox.id).where(Outbox.state == SENT)).all()
    return {i for i in ids if i is not None}


def _sent_kinds(engine: Engine, already: set[int]) -> list[str]:
    """The kinds of the reminders a cycle sent, by name (from the outbox, not the text)."""
    with transaction(engine, read_only=True) as session:
        sent = session.exec(
            select(Outbox.id, Outbox.kind).where(Outbox.state == SENT).order_by(col(Outbox.id))
        ).all()
    return [
        bot_texts.text(f"reminders.cli.kind.{kind}") for id_, kind in sent if id_ not in already
    ]


def experts_desk(engine: Engine, settings: Settings, agency_id: int, year: int, out: Path) -> None:
    """What the experts read before they score an agency: per indicator the recorded facts
    and files, with the suggested judgement, and the evidence pack with its linked index."""
    with transaction(engine, read_only=True) as session:
        due = campaign_for(session, year, settings).report_due
        desk = build_desk(session, agency_id, year, settings, as_of=due)
    say("desk", agency=desk.agency_name, units=desk.units)
    for item in desk.indicators:
        suggestion = item.suggestion()
        say(
            "desk_line",
            code=item.code,
            name=item.name,
            facts=item.short(),
            suggestion=f"；{suggestion}" if suggestion else "",
        )
    pack = write_pack(desk, out / phrase("pack_folder", agency=desk.agency_name, year=year))
    say("pack", folder=pack.folder, files=pack.files)


def assessment(
    engine: Engine, settings: Settings, filed: Sequence[int], year: int, out: Path
) -> None:
    heading("assessment")
    experts_desk(engine, settings, filed[1], year, out)
    seeds = {agency_id: AGENCIES[index] for index, agency_id in enumerate(filed)}
    with transaction(engine) as session:
        report = fill_sheets(session, year, OPERATOR.name, settings=settings)
        for filled in report.filled:
            say(
                "questionnaire",
                agency=filled.agency,
                responses=filled.responses,
                points=filled.points_in_words(),
            )
        for place, (agency_id, seed) in enumerate(seeds.items()):
            lines = {
                item.code: LineInput(points=0, content_present=False, evidence_present=False)
                if item.code == seed.zero
                else LineInput(max(item.max - seed.materials_points, 0), True, True)
                for item in STANDARD.indicators
                if item.method == "materials"
            }
            enter_lines(session, agency_id, year, lines, actor="专家组")
            for code, unit_name, title, evidence in BONUS.get(place, ()):
                unit = find_unit(session, unit_name)
                case = AwardInput(code, unit.id, title, evidence)
                add_award(session, agency_id, year, case, actor="专家组")
    with transaction(engine) as session:  # the morning after the questionnaire closed
        campaign = campaign_for(session, year, settings)
    after_close = at(campaign.questionnaire_closes + timedelta(days=1), settings)
    for agency_id in filed:
        with transaction(engine) as session:
            finalise(session, agency_id, year, OPERATOR, settings, now=after_close)
    with transaction(engine) as session:
        for proposal in propose(session, year, settings):
            say(
                "proposal",
                agency=proposal.agency_name,
                decision=states.trigger_label(proposal.decision),
                reason=proposal.reason(),
            )
    heading("publicity")
    published = at(campaign.results_published, settings)
    ends = publish(engine, settings, year, out, published)
    objected = filed[1]
    during = published + timedelta(days=2)
    with transaction(engine) as session:  # Art. 15: objections during the period
        first = objections.record(
            session,
            objected,
            year,
            "已随年度报告提交中关村社区风险辨识记录，指标 2.4 不应为 0 分",
            OPERATOR,
            settings,
            now=during,
        )
        second = objections.record(
            session,
            objected,
            year,
            "万柳社区问卷得分偏低，请求复核",
            OPERATOR,
            settings,
            now=during,
        )
        for objection in (first, second):
            say(
                "objection_recorded",
                id=objection.id,
                agency=AGENCIES[1].name,
                day=day_text(objection.received_on),
                reason=objection.reason,
            )
    with transaction(engine) as session:
        try:  # the ground-1 exit waits for the period to end
            confirm(session, year, OPERATOR, settings, objected, now=during)
        except Refused as refused:
            say("exit_waits", agency=AGENCIES[1].name, why=refused.message())
    decided = during + timedelta(days=1)
    with transaction(engine) as session:
        objections.decide(
            session,
            int(second.id or 0),
            objections.DISMISSED,
            "万柳社区问卷由创建单位自行填写，计分无误，维持原结果",
            OPERATOR,
            settings,
            now=decided,
        )
        say("objection_dismissed", id=second.id, agency=AGENCIES[1].name)
        objections.decide(
            session,
            int(first.id or 0),
            objections.UPHELD,
            "经专家组复核，中关村社区风险辨识记录已提交但缺少佐证，指标 2.4 重新评分",
            OPERATOR,
            settings,
            now=decided,
        )
        say("objection_upheld", id=first.id, agency=AGENCIES[1].name)
    with transaction(engine) as session:  # re-scored by the experts, then re-finalised
        enter_lines(session, objected, year, {"2.4": LineInput(1, True, False)}, actor="专家组")
    with transaction(engine) as session:
        view, _ = finalise(session, objected, year, OPERATOR, settings, now=decided)
        evaluation = view.evaluation(settings)
        assert evaluation is not None
        say(
            "refinalised",
            agency=AGENCIES[1].name,
            base=evaluation.base,
            final=evaluation.final,
            why=evaluation.reason(),
        )
    publish(engine, settings, year, out, decided)
    after = at(ends + timedelta(days=1), settings)
    with transaction(engine) as session:  # the exits, once the period has ended
        exits = confirm(session, year, OPERATOR, settings, now=after)
        for entry in exits:
            agency = session.get(Agency, entry.agency_id)
            assert agency is not None
            say(
                "exit_confirmed",
                agency=agency.name,
                state=states.state_label(agency.status),
                reason=entry.reason,
            )
    show_register(engine, settings, after_commit(engine, exits, settings, now=after))
    with transaction(engine) as session:
        rows = results.year_results(session, year, settings)
        for agency_id in filed:
            agency = session.get(Agency, agency_id)
            assert agency is not None
            export_sheet(
                session,
                agency_id,
                agency.name,
                year,
                out / f"考核评分表-{year}-{agency_id}.xlsx",
                settings,
                settings=settings,
            )
    heading("results")
    for row in rows:
        e = row.evaluation
        say(
            "result",
            rank=row.rank,
            agency=row.agency_name,
            base=e.base,
            bonus=e.bonus,
            final=e.final,
            grade=e.grade_text(None),
            why=e.reason(None),
        )
    with transaction(engine) as session:
        for agency in session.exec(select(Agency).order_by(col(Agency.id))):
            if agency.status in states.HOLDING or agency.status == states.State.WITHDRAWN:
                say("final_state", agency=agency.name, state=states.state_label(agency.status))
        say("audit", result=audit.verify(session).message())
    say("outputs", out=out)


def publish(engine: Engine, settings: Settings, year: int, out: Path, now: datetime) -> date:
    """Art. 15, as `safecomm results` does it: the ranked results open the 公示 period (kept
    when open already) and name the exit list (取消优先推荐资格名单), written after the
    commit beside the results; returns the period's last day."""
    with transaction(engine) as session:
        rows = results.year_results(session, year, settings)
        period, opened = publication.open_period(session, year, OPERATOR, settings, now=now)
        exit_rows = publication.exit_list(session, year, settings)
        anchor = seal(session).line(settings.language)
    results.write_xlsx(rows, year, out / f"考核结果-{year}.xlsx", settings.language, anchor)
    results.write_csv(rows, out / f"考核结果-{year}.csv", settings.language, anchor)
    results.write_chart(rows, year, out / f"考核结果-{year}.png")
    stem = out / publication.exit_list_stem(year, settings.language)
    publication.write_exit_xlsx(
        exit_rows, year, stem.with_suffix(".xlsx"), settings.language, anchor
    )
    publication.write_exit_csv(exit_rows, stem.with_suffix(".csv"), settings.language, anchor)
    for row in rows:
        e = row.evaluation
        say(
            "published_row",
            rank=row.rank,
            agency=row.agency_name,
            final=e.final,
            grade=e.grade_text(None),
        )
    dates = {"starts": day_text(period.starts), "ends": day_text(period.ends), "year": year}
    say("period_opened" if opened else "period_kept", **dates)
    say("exit_list", count=len(exit_rows))
    for exit_row in exit_rows:
        say(
            "exit_row",
            number=exit_row.number,
            agency=exit_row.agency_name,
            reason=exit_row.proposal.reason(),
        )
    for suffix in (".xlsx", ".csv"):
        say("wrote", path=stem.with_suffix(suffix))
    return period.ends


def run_demo(out: Path, *, language: str = "zh", today: date | None = None) -> Path:
    """Run the whole year into `out` (emptied first); returns the database file."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    database = out / "safecomm-demo.db"
    settings = load_settings(
        database_url=f"sqlite:///{database}",
        admin_ids=[ADMIN_CHAT],
        upload_dir=str(out / "uploads"),
        language=language,
        register_dir=str(out),
    )
    set_language(language)
    set_help_contact(settings.help_phone, settings.help_email)
    warn_without_help_contact(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    year = demo_year(settings, today or local_date(utcnow(), settings.zone))
    say("intro", year=year, out=out)
    ids = register(engine, settings)
    filed = application_round(engine, settings, ids, year, out)
    guided = guidance(engine, settings, filed, year, out)
    year_of_work(engine, settings, filed, guided, year, out)

    async def chat_and_remind() -> None:
        app = await chats(engine, settings, filed, year)
        try:
            await december(app, engine, settings, year)
        finally:
            await app.shutdown()

    asyncio.run(chat_and_remind())
    assessment(engine, settings, filed, year, out)
    engine.dispose()
    return database
