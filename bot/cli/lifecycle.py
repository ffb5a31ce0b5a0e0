"""The lifecycle at the terminal: advance agencies, see what can be done, the audit log,
roles, application rounds and the state diagram.

    safecomm advance AGENCY TRIGGER [--reason R] [--ground G] [--year Y]
    safecomm actions AGENCY
    safecomm history AGENCY
    safecomm audit verify
    safecomm role grant KEY ROLE | role revoke KEY | role list
    safecomm round create NAME [--quota N] [--opens DATE] | round join ROUND AGENCY [--received DATE]
    safecomm round score AGENCY [--material X] [--interview Y]
    safecomm round interview-list ROUND [--out DIR]
    safecomm round ranking ROUND | round close ROUND [--out DIR] | round publish ROUND [--out DIR]
    safecomm register [--out DIR]
    safecomm diagram

AGENCY is an agency id or credit code, ROUND a round id or name. The operator
acts as admin under their login name (`SAFECOMM_OPERATOR` overrides it). Every
refusal is one line on stderr and exit code 1; nothing is written then. A round's
lists (the interview list, the filing list) are written after the commit
(`round interview-list` and `round publish` write them again).
"""

from __future__ import annotations

import errno
import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import fail, keep_register, open_engine, operator, print_table, settings
from bot.cli.numbers import QUOTA, YEAR
from workflow.core.i18n import workflow_texts
from workflow.lifecycle import machine, states  # pure data: cheap to import

if TYPE_CHECKING:
    from sqlmodel import Session

    from workflow.access.actors import Actor
    from workflow.registry.models import Agency

audit_app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
role_app = typer.Typer(help="管理员与专家角色 / roles", no_args_is_help=True)
round_app = typer.Typer(help="申请批次（第十条）/ application rounds", no_args_is_help=True)


def _t(key: str, /, **params: object) -> str:
    return workflow_texts.text(f"lifecycle.cli.{key}", None, **params)


def _headers(key: str) -> list[str]:
    return _t(key).split("|")


def _actor() -> Actor:
    from workflow.access.actors import Actor

    return Actor.cli(operator())


def _session() -> AbstractContextManager[Session]:
    """One unit of work on the configured database: committed when the command succeeds."""
    from workflow.core.db import transaction

    return transaction(open_engine())


def _look() -> AbstractContextManager[Session]:
    """A look at the configured database: rolled back, so it stores nothing."""
    from workflow.core.db import transaction

    return transaction(open_engine(), read_only=True)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def advance(
    agency: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    trigger: str = typer.Argument(
        ...,
        help="操作，代码或中文名称（如 review 或 材料审核通过） / trigger, code or name: "
        + ", ".join(machine.TRIGGER_NAMES),
    ),
    reason: str | None = typer.Option(
        None,
        "--reason",
        help="原因（取消优先推荐资格、不予通过时必填） / reason (required to withdraw or reject)",
    ),
    ground: str | None = typer.Option(
        None,
        "--ground",
        help="取消优先推荐资格的依据（第十四条，仅 withdraw） / Art. 14 ground (withdraw only): "
        + ", ".join(states.GROUNDS),
    ),
    year: int | None = typer.Option(
        None,
        "--year",
        help="考核年度（默认本年） / assessment year (default: this year)",
        parser=YEAR,
    ),
) -> None:
    """推进机构流程（检查权限与条件，记入审计日志） / advance an agency by a trigger."""
    from workflow.core.db import transaction
    from workflow.lifecycle import engine as lifecycle
    from workflow.lifecycle.audit import appended
    from workflow.registry.service import find_agency

    current = settings()
    engine = open_engine()
    trigger = states.code_of(trigger, machine.TRIGGER_NAMES, states.trigger_label) or trigger
    if ground is not None:
        ground = states.code_of(ground, states.GROUNDS, states.ground_label) or ground
    with transaction(engine) as session:
        row = find_agency(session, agency)
        assert row.id is not None
        entry = lifecycle.advance(
            session, row.id, trigger, _actor(), reason, ground=ground, year=year, settings=current
        )
        flags = _review_flags(session, row) if entry.trigger == "review" else []
        moves = appended(session)
    print(
        _t(
            "advanced",
            agency=row.name,
            source=states.state_label(entry.source),
            target=states.state_label(entry.target),
            trigger=states.trigger_label(trigger),
            seq=entry.seq,
        )
    )
    for flag in flags:
        print(flag)
    keep_register(engine, moves)


def _review_flags(session: Session, row: Agency) -> list[str]:
    """What material review should show the experts although the conditions are met:
    consultants registered with another filed agency (the 挂靠 check, Art. 8(4))."""
    from workflow.registry.eligibility import check_eligibility

    return [c.reason for c in check_eligibility(session, row).flagged]


def actions(
    agency: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
) -> None:
    """机构当前可做的操作及不可做的原因 / what may be done with the agency now, and why not."""
    from workflow.access.actors import role_label
    from workflow.lifecycle import engine as lifecycle
    from workflow.registry.service import find_agency

    current = settings()
    with _look() as session:
        row = find_agency(session, agency)
        print(
            _t(
                "current",
                agency=row.name,
                code=row.credit_code,
                state=row.status,
                label=states.state_label(row.status),
            )
        )
        found = lifecycle.available_triggers(session, row, _actor(), settings=current)
        if not found:
            print(_t("no_actions"))
            return
        rows = []
        for action in found:
            notes = [u.message() for u in action.unmet]
            if action.allowed and action.needs_reason:
                notes.append(_t("needs_reason"))
            if action.allowed and action.grounds:
                grounds = states.join_words(map(states.ground_label, action.grounds), None)
                notes.append(_t("grounds", grounds=grounds))
            rows.append(
                [
                    states.trigger_label(action.trigger),
                    states.state_label(action.dest),
                    role_label(action.role),
                    _t("yes") if action.allowed else _t("no"),
                    workflow_texts.text("lifecycle.separator").join(notes),
                ]
            )
        print_table(_headers("actions_header"), rows)


def show_history(
    agency: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
) -> None:
    """机构办理记录，按时间先后（本地时区） / an agency's lifecycle history, oldest first."""
    from workflow.core.clock import local_text
    from workflow.lifecycle.audit import history, in_words
    from workflow.registry.service import find_agency

    zone = settings().zone
    with _look() as session:
        row = find_agency(session, agency)
        assert row.id is not None
        entries = history(session, row.id)
        if not entries:
            print(_t("no_history", agency=row.name))
            return
        print_table(
            _headers("history_header"),
            [
                [
                    e.seq,
                    local_text(e.at, zone),
                    words.trigger,
                    f"{words.source} → {words.target}" if e.source or e.target else "",
                    e.actor_name,
                    words.role,
                    words.channel,
                    words.note,
                ]
                for e, words in ((e, in_words(e)) for e in entries)
            ],
        )


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            help="同时核对这些锚点文件（可多次给出） / also check these anchor files (repeatable)"
        ),
    ] = None,
) -> None:
    """校验审计日志哈希链、各机构状态与其最后一条审计日志是否一致，以及给出的锚点；有问题则逐条指出并以 1 退出
    / verify the audit hash chain, every agency's status against its last entry, and anchors."""
    from workflow.lifecycle import anchors
    from workflow.lifecycle.audit import state_findings, verify

    current = settings()
    key = anchors.load_key(current.audit_key_file) if anchor else b""
    marks = [(path, anchors.read_anchor(path, key)) for path in anchor or []]
    with _look() as session:
        result, findings = verify(session), state_findings(session)
        broken = [problem for _, mark in marks if (problem := anchors.check(session, mark))]
    problems = [] if result.ok else [result.message()]
    problems += broken + [finding.message() for finding in findings]
    if problems:
        fail("\n".join(problems))
    print(result.message())
    for path, mark in marks:
        print(
            workflow_texts.text(
                "lifecycle.anchor.holds", None, path=path, at=mark.at, count=mark.seal.count
            )
        )


@audit_app.command("anchor")
def audit_anchor(
    out: Annotated[
        Path | None,
        typer.Option(help="锚点文件路径（默认 audit-anchor-<条数>.json） / the anchor file"),
    ] = None,
) -> None:
    """写一个用密钥签名的审计锚点（条数与末条哈希），保存在数据库服务器以外
    / write a signed checkpoint of the audit chain, to keep off the database server."""
    from workflow.lifecycle import anchors
    from workflow.lifecycle.audit import verify

    current = settings()
    key = anchors.load_key(current.audit_key_file)
    with _look() as session:
        result, point = verify(session), anchors.seal(session)
    if not result.ok:  # anchoring a broken chain would vouch for the damage
        fail(result.message())
    path = out or Path(f"audit-anchor-{point.count}.json")
    anchors.write_anchor(path, point, key)
    print(
        workflow_texts.text(
            "lifecycle.anchor.written", None, path=path, count=point.count, head=point.head
        )
    )


@audit_app.command("key")
def audit_key(
    path: Annotated[Path, typer.Argument(help="新密钥文件的路径 / where to write the new key")],
) -> None:
    """生成审计锚点签名密钥（随机 32 字节，仅本人可读） / create an anchor signing key."""
    from workflow.lifecycle import anchors

    settings()
    anchors.new_key(path)
    print(workflow_texts.text("lifecycle.anchor.key_written", None, path=path))


@role_app.command("grant")
def role_grant(
    key: str = typer.Argument(
        ...,
        help="tg:<Telegram 用户编号> 或 Telegram 用户编号 / tg:<Telegram id> or Telegram id",
    ),
    role: str = typer.Argument(..., help="管理员（admin） | 专家（expert） / admin | expert"),
) -> None:
    """授予 Telegram 用户管理员或专家角色（替换原角色） / grant the admin or expert role."""
    from workflow.access import grants
    from workflow.access.actors import Role, parse_role, role_label

    current = settings()
    wanted = parse_role(states.code_of(role, tuple(Role), role_label) or role)
    with _session() as session:
        entry = grants.grant(session, key, wanted, _actor(), current)
    print(_t("granted", key=entry.subject, role=role_label(wanted), seq=entry.seq))


@role_app.command("revoke")
def role_revoke(
    key: str = typer.Argument(
        ..., help="tg:<Telegram 用户编号> 或 Telegram 用户编号 / tg:<Telegram id> or Telegram id"
    ),
) -> None:
    """撤销授予的角色（SAFECOMM_ADMIN_IDS 中的管理员不受影响） / revoke a granted role."""
    from workflow.access import grants
    from workflow.access.actors import role_label

    current = settings()
    with _session() as session:
        entry = grants.revoke(session, key, _actor(), current)
    print(_t("revoked", key=entry.subject, role=role_label(entry.source), seq=entry.seq))


@role_app.command("list")
def role_list() -> None:
    """列出全部管理员与专家及角色来源 / list admins and experts, and where each role comes from."""
    from workflow.access.actors import role_label
    from workflow.access.roles import list_grants

    current = settings()
    with _look() as session:
        rows = [
            [key, role_label(role), source] for key, role, source in list_grants(session, current)
        ]
    print_table(_headers("roles_header"), rows)
    print(_t("cli_operator", operator=operator()))


@round_app.command("create")
def round_create(
    name: str = typer.Argument(..., help="批次名称 / round name"),
    quota: int | None = typer.Option(
        None,
        "--quota",
        help="备案名额（总量控制，不填则不限） / quota of agencies to file (none: no limit)",
        parser=QUOTA,
    ),
    opens: str | None = typer.Option(
        None,
        "--opens",
        help="批次开始日期（默认今天；收件日期不得早于此日） / the day the round opened (default today)",
    ),
) -> None:
    """新建申请批次，可设备案名额（总量控制） / open an application round, optionally with a quota."""
    from workflow.rounds import service

    current = settings()
    day = None if opens is None else service.parse_received(opens, "lifecycle.round.bad_opens")
    with _session() as session:
        made = service.create_round(
            session, name, _actor(), quota=quota, opens_on=day, settings=current
        )
    print(
        _t(
            "round_created",
            round=made.name,
            id=made.id,
            quota=made.quota if made.quota is not None else _t("no_quota"),
        )
    )


@round_app.command("join")
def round_join(
    round_ref: str = typer.Argument(..., metavar="ROUND", help="批次编号或名称 / round id or name"),
    agency: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    received: str | None = typer.Option(
        None,
        "--received",
        help="收件日期（书面申请材料收到之日，默认今天；再次加入同一批次可更正）"
        " / date the written application was received (default today; joining again corrects it)",
    ),
) -> None:
    """将机构当前申请加入批次并登记收件日期 / put the agency's application into the round."""
    from workflow.registry.service import find_agency
    from workflow.rounds import ranking, service

    current = settings()
    day = service.parse_received(received) if received is not None else None
    with _session() as session:
        row = find_agency(session, agency)
        assert row.id is not None
        application = service.join_round(
            session, round_ref, row.id, _actor(), received_on=day, settings=current
        )
        joined = ranking.find_round(session, round_ref).name
        received_on = application.received_on
    print(_t("joined", agency=row.name, round=joined, received=received_on))


@round_app.command("score")
def round_score(
    agency: str = typer.Argument(..., help="机构编号或统一社会信用代码 / agency id or credit code"),
    material: float | None = typer.Option(
        None, "--material", help="材料审核得分 0–100 / material-review score 0–100"
    ),
    interview: float | None = typer.Option(
        None, "--interview", help="面试答辩得分 0–100 / interview score 0–100"
    ),
) -> None:
    """录入机构申请的材料审核和/或面试答辩得分 / record material-review and/or interview scores."""
    from workflow.registry.service import find_agency
    from workflow.rounds import ranking, service

    current = settings()
    with _session() as session:
        row = find_agency(session, agency)
        assert row.id is not None
        application = service.record_scores(
            session, row.id, _actor(), material=material, interview=interview, settings=current
        )
        composite = ranking.composite_score(application, current)
        flags = _review_flags(session, row) if material is not None else []
        short = ranking.shortfall(application, current)
        # a failed interview cannot be passed (the `interview` guard): the panel rejects it
        before_interview = (
            row.status == states.State.REVIEWED
            and ranking.interview_shortfall(application, current) is not None
        )
    print(
        _t(
            "scored",
            agency=row.name,
            material=_number(application.material_score),
            interview=_number(application.interview_score),
            composite="-" if composite is None else f"{composite:.2f}",
        )
    )
    for flag in flags:
        print(flag)
    if short is not None:
        note = "below_interview_note" if before_interview else "below_bar_note"
        print(_t(note, agency=row.name, why=short.message(), id=row.id))


@round_app.command("interview-list")
def round_interview_list(
    round_ref: str = typer.Argument(..., metavar="ROUND", help="批次编号或名称 / round id or name"),
    out: Path = typer.Option(
        Path("."), "--out", help="面试答辩名单输出目录 / where to write the interview list"
    ),
) -> None:
    """材料审核完成后公布面试答辩名单（xlsx、csv） / publish the list invited to interview."""
    from workflow.core.clock import local_text
    from workflow.lifecycle.anchors import seal
    from workflow.rounds import review

    current = settings()
    _writable(out)  # before anything is recorded: the list is written after the commit
    with _session() as session:
        published = review.publish_interview_list(session, round_ref, _actor(), settings=current)
        anchor = seal(session).line(current.language)
    written = review.write_interview_list(
        published.invited, out, published.round.name, current.language, anchor
    )
    print(
        _t(
            "interview_listed",
            round=published.round.name,
            count=len(published.invited),
            at=local_text(published.published_at, current.zone),
        )
    )
    for path in written:
        print(_t("written", path=path))


@round_app.command("ranking")
def round_ranking(
    round_ref: str = typer.Argument(..., metavar="ROUND", help="批次编号或名称 / round id or name"),
) -> None:
    """批次综合测评排名：总成绩，其次面试答辩得分，再次收件日期 / the round's ranking."""
    from workflow.rounds import ranking

    current = settings()
    with _look() as session:
        found = ranking.find_round(session, round_ref)
        assert found.id is not None
        ranked = ranking.ranking(session, found.id, current)
        quota = found.quota
        minimum = current.min_composite_score
        print(
            _t(
                "ranking_title",
                round=found.name,
                quota=quota if quota is not None else _t("no_quota"),
                scope=_t(f"scope_{current.quota_scope}"),
                mw=f"{current.material_weight:g}",
                iw=f"{current.interview_weight:g}",
                bar=f"{current.interview_pass_score:g}",
                minimum=_t("no_minimum") if minimum is None else f"{minimum:g}",
            )
        )
        places = ranking.places(session, found, ranked, current)
        rows = []
        place = 0
        for r in ranked:
            if r.shortfall is None:
                place += 1
                inside = _t("yes") if place <= places else _t("no")
            else:
                inside = _t("below_bar")
            rows.append(
                [
                    r.rank,
                    r.agency.name,
                    r.agency.credit_code,
                    _number(r.application.material_score),
                    _number(r.application.interview_score),
                    f"{r.composite:.2f}",
                    r.received_on or "-",
                    states.state_label(r.agency.status),
                    inside,
                ]
            )
        print_table(_headers("ranking_header"), rows)
        unranked = len(ranking.members(session, found.id)) - len(ranked)
        if unranked:
            print(_t("unranked", count=unranked))


@round_app.command("close")
def round_close(
    round_ref: str = typer.Argument(..., metavar="ROUND", help="批次编号或名称 / round id or name"),
    out: Path = typer.Option(
        Path("."), "--out", help="公告名单输出目录 / where to write the publication list"
    ),
) -> None:
    """结束批次：名额内备案，因总量控制未列入或未达通过线的不予通过，生成备案名单 / close the round."""
    from workflow.core.db import transaction
    from workflow.lifecycle.anchors import seal
    from workflow.lifecycle.audit import appended
    from workflow.rounds import closing

    current = settings()
    _writable(out)  # before anything is filed: the list is written after the commit
    engine = open_engine()
    with transaction(engine) as session:
        closed = closing.close_round(session, round_ref, _actor(), settings=current)
        moves, anchor = appended(session), seal(session).line(current.language)
    keep_register(engine, moves)  # whatever becomes of the round's list below
    written = closing.write_publication(
        closed.published, out, closed.round.name, current.language, anchor
    )
    print(
        _t(
            "closed",
            round=closed.round.name,
            filed=len(closed.filed),
            rejected=len(closed.rejected),
            failed=len(closed.failed),
        )
    )
    for path in written:
        print(_t("written", path=path))


@round_app.command("publish")
def round_publish(
    round_ref: str = typer.Argument(..., metavar="ROUND", help="批次编号或名称 / round id or name"),
    out: Path = typer.Option(
        Path("."), "--out", help="公告名单输出目录 / where to write the publication list"
    ),
) -> None:
    """重新生成已结束批次的公告名单 / write a closed round's publication list again."""
    from workflow.lifecycle.anchors import seal
    from workflow.rounds import closing

    current = settings()
    _writable(out)
    with _look() as session:
        the_round, published = closing.closed_round_list(session, round_ref, current)
        anchor = seal(session).line(current.language)
    written = closing.write_publication(published, out, the_round.name, current.language, anchor)
    for path in written:
        print(_t("written", path=path))


def register_list(
    out: Path = typer.Option(
        Path("."), "--out", help="备案机构名录输出目录 / where to write the register"
    ),
) -> None:
    """生成当前备案机构名录（已备案、已考核、保留优先推荐资格的机构，含联系方式；xlsx、csv）
    / write the current register (every agency holding the status, with its contacts)."""
    from workflow.registry import register

    current = settings()
    _writable(out)
    with _look() as session:
        listed = register.current_register(session, current)
        written = register.write_current(session, current, out)
    for path in written:
        print(workflow_texts.text("register.written", None, count=len(listed), path=path))


def _writable(directory: Path) -> None:
    """Create `directory` and make sure files can be written there, or raise the OSError
    (one line from `main`) before anything changes."""
    directory.mkdir(parents=True, exist_ok=True)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(directory))


def diagram() -> None:
    """输出流程状态图（Mermaid stateDiagram-v2） / print the lifecycle as a Mermaid diagram."""
    from workflow.lifecycle import machine

    print(machine.mermaid(), end="")


def register(app: typer.Typer) -> None:
    """Add this topic's commands to the app."""
    app.command("advance")(advance)
    app.command("actions")(actions)
    app.command("history")(show_history)
    app.command("diagram")(diagram)
    app.command("register")(register_list)
    app.add_typer(audit_app, name="audit")
    app.add_typer(role_app, name="role")
    app.add_typer(round_app, name="round")
