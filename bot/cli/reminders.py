"""Agency contacts and reminders at the terminal.

    safecomm agency link REF               a one-time link that binds a contact to the agency
    safecomm agency weblink REF            a one-time sign-in link to the agency's web pages
    safecomm agency contacts REF [--json]  who receives the agency's reminders
    safecomm agency unbind REF USER_ID     stop a contact receiving them
    safecomm remind plan [--at DATETIME]   which reminder is due to whom and when
    safecomm remind send                   enqueue what is due and send it once (bot token needed)
    safecomm remind status [--json]        the outbox: counts, blocked recipients, uncertain sends

REF is the agency id or its unified social credit code. DATETIME is local time
in the configured zone (`2026-12-08T09:00`, or a date for its midnight).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import fail, open_engine, operator, print_json, print_table, settings
from bot.cli.numbers import TELEGRAM_USER
from bot.texts import bot_texts
from workflow.core.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.telegram.jobs import CycleReport
    from workflow.core.settings import Settings
    from workflow.reminders.plan import Reminder

remind_app = typer.Typer(help="提醒 / reminders and the outbox", no_args_is_help=True)


def _t(key: str, **params: object) -> str:
    return bot_texts.text(f"reminders.cli.{key}", settings().language, **params)


# --- safecomm agency link / contacts / unbind --------------------------------------------


def agency_link(
    ref: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
) -> None:
    """生成机构联系人绑定链接（一次性） / issue a one-time contact link for an agency."""
    from surveys.invitations import invitation_link
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency
    from workflow.reminders import contacts

    current = settings()
    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        link = contacts.issue_link_token(session, agency, operator())
    print(_t("link", agency=agency.name, link=invitation_link(link.token, current.bot_username)))


def agency_weblink(
    ref: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
) -> None:
    """生成机构网页登录链接（一次性） / a one-time sign-in link to the agency's web pages."""
    from workflow.access.actors import Actor
    from workflow.access.weblogins import issue_login, login_link
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency

    current = settings()
    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        assert agency.id is not None
        token = issue_login(
            session,
            "agency",
            actor_key=f"agency:{agency.id}",
            label=agency.name,
            issued_by=Actor.cli(operator()),
            settings=current,
            agency_id=agency.id,
        )
    url = login_link(token, current.public_url)
    print(
        bot_texts.text(
            "web.agency.cli.weblink",
            current.language,
            agency=agency.name,
            url=url,
            hours=current.web_link_hours,
        )
    )


def agency_contacts(
    ref: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """列出机构的联系人 / the Telegram contacts bound to an agency."""
    from workflow.core.clock import local_text
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency
    from workflow.reminders import contacts

    zone = settings().zone
    with transaction(open_engine(), read_only=True) as session:
        agency = find_agency(session, ref)
        assert agency.id is not None
        rows = [
            (c.telegram_user_id, c.display_name, local_text(c.bound_at, zone))
            for c in contacts.contacts_of(session, agency.id)
        ]
    if as_json:
        print_json([{"user_id": u, "name": n, "bound_at": b} for u, n, b in rows])
    elif rows:
        print_table(_t("contacts_header").split(","), rows)
    else:
        print(_t("no_contacts", agency=agency.name))


def agency_unbind(
    ref: Annotated[
        str, typer.Argument(help="机构编号或统一社会信用代码 / agency id or credit code")
    ],
    user_id: Annotated[
        int,
        typer.Argument(
            help="联系人的 Telegram 用户编号 / the contact's Telegram user id",
            parser=TELEGRAM_USER,
        ),
    ],
) -> None:
    """解除联系人绑定 / unbind a contact from an agency."""
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency
    from workflow.reminders import contacts

    with transaction(open_engine()) as session:
        agency = find_agency(session, ref)
        assert agency.id is not None
        contacts.unbind(session, agency.id, user_id)
    print(_t("unbound", user=user_id, agency=agency.name))


# --- safecomm remind … ---------------------------------------------------------------------


def parse_moment(value: str) -> datetime:
    """A local date-time (or date) in the configured zone, as an aware datetime."""
    zone = settings().zone
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("reminders.bad_datetime", value=value, zone=zone.key) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@remind_app.command("plan")
def remind_plan(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="按此本地时间计算（默认现在），如 2026-12-08T09:00 / local time to plan for (default: now)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """列出仍然有效的提醒及发送时间 / every reminder still relevant, with when it is due.

    缺什么、缺谁按今天的数据，--at 只改变时间 / the facts are today's; --at only moves the clock.
    """
    from surveys.coverage import unit_facts
    from workflow.core.clock import local_text, utcnow
    from workflow.core.db import transaction
    from workflow.reminders import outbox
    from workflow.reminders.cycle import current_plan
    from workflow.reminders.plan import latest_of_each_series

    current = settings()
    now = parse_moment(at) if at else utcnow()
    with transaction(open_engine(), read_only=True) as session:
        reminders = current_plan(session, now, current, unit_facts)
        states = {
            row.key: row.state for row in outbox.rows_with_keys(session, [r.key for r in reminders])
        }
    due = {r.key for r in latest_of_each_series([r for r in reminders if r.due_at <= now])}

    def state(reminder: Reminder) -> str:
        """Its outbox state once enqueued; before that: due now, superseded, or later."""
        if reminder.key in states:
            return _t(f"state.{states[reminder.key]}")
        if reminder.key in due:
            return _t("due_now")
        return _t("superseded") if reminder.due_at <= now else _t("later")

    rows = [
        (local_text(r.due_at, current.zone), _t(f"kind.{r.kind}"), r.chat_id, state(r), r.key)
        for r in reminders
    ]
    if as_json:
        print_json(
            [
                dict(zip(("due", "kind", "chat_id", "state", "key"), row, strict=True))
                for row in rows
            ]
        )
    elif rows:
        print_table(_t("plan_header").split(","), rows)
    else:
        print(_t("nothing_planned", at=local_text(now, current.zone)))


@remind_app.command("send")
def remind_send() -> None:
    """立即发送一次到期的提醒 / enqueue what is due and send it, once."""
    import asyncio

    current = settings()
    if current.telegram_token is None:
        fail(_t("no_token"), 2)
    from workflow.core.leader import Leadership, current_leader

    engine = open_engine()
    leadership = Leadership(engine, takeover_seconds=current.leader_takeover_seconds)
    if not leadership.try_acquire():  # two senders would exceed Telegram's rate together
        found = current_leader(engine)
        fail(_t("not_leader", name=found.name if found else "?"), 1)
    try:
        report = asyncio.run(_send_once(engine, current))
    finally:
        leadership.release()
    print(
        _t(
            "sent",
            enqueued=report.enqueued,
            skipped=report.skipped,
            sent=report.send.sent,
            undeliverable=report.send.undeliverable,
            failed=report.send.failed,
            uncertain=report.send.uncertain,
        )
    )
    if report.send.quiet:
        print(_t("quiet", start=current.quiet_start, end=current.quiet_end))


async def _send_once(engine: Engine, current: Settings) -> CycleReport:
    """One reminder cycle through a bot built like the running one (rate limiter included),
    as the leader: what a stopped sender left is recovered first."""
    from bot.blocking import run_unit
    from bot.telegram.app import build_application
    from bot.telegram.jobs import run_cycle
    from workflow.reminders import outbox

    app = build_application(current, engine)
    async with app:
        await run_unit(engine, outbox.recover)  # this process leads: other senders are gone
        return await run_cycle(app.bot, engine, current)


@remind_app.command("status")
def remind_status(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / JSON output")] = False,
) -> None:
    """提醒发送情况：各状态数量、屏蔽了机器人的用户、结果不确定的提醒 / the outbox at a glance."""
    from workflow.core.clock import local_text
    from workflow.core.db import transaction
    from workflow.reminders import models, outbox

    zone = settings().zone
    with transaction(open_engine(), read_only=True) as session:
        counts = outbox.counts(session)
        blocked = outbox.undeliverable_chats(session)
        uncertain = outbox.rows_in(session, models.UNCERTAIN)
    if as_json:
        print_json(
            {
                "counts": counts,
                "undeliverable": [{"chat_id": c, "error": e} for c, e, _ in blocked],
                "uncertain": [{"key": r.key, "chat_id": r.chat_id} for r in uncertain],
            }
        )
        return
    print(_t("counts", **counts))
    if blocked:
        print(_t("blocked_head"))
        print_table(
            _t("blocked_header").split(","), [(c, local_text(w, zone), e) for c, e, w in blocked]
        )
    if uncertain:
        print(_t("uncertain_head"))
        print_table(
            _t("uncertain_header").split(","),
            [(r.key, r.chat_id, local_text(r.claimed_at, zone)) for r in uncertain],
        )


def register(app: typer.Typer) -> None:
    """Add `agency link|weblink|contacts|unbind` to the registry's `agency` group (registered
    first, see `bot.cli`), and `remind`."""
    agency_group = next(g.typer_instance for g in app.registered_groups if g.name == "agency")
    assert agency_group is not None
    agency_group.command("link")(agency_link)
    agency_group.command("weblink")(agency_weblink)
    agency_group.command("contacts")(agency_contacts)
    agency_group.command("unbind")(agency_unbind)
    app.add_typer(remind_app, name="remind")
