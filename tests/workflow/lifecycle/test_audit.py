"""The audit log is a hash chain: any edited, deleted or reordered entry is found, and
`verify` names the first broken one."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import committed
from tests.workflow.lifecycle_steps import ADMIN, EXPERT, make_agency
from workflow.access import grants
from workflow.access.actors import Role
from workflow.core.errors import Refused
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import (
    VERIFY_CHUNK,
    entry_hash,
    history,
    in_words,
    state_findings,
    verify,
)
from workflow.lifecycle.models import GENESIS, AuditEntry
from workflow.rounds import service as rounds


def _five_entries(engine: Engine, settings: Settings) -> int:
    """Entries 1-5: a grant, two rejections, a new application and its score."""
    with Session(engine, expire_on_commit=False) as session:
        committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
        first = make_agency(session)
        second = make_agency(session)
        assert first.id is not None and second.id is not None
        committed(lifecycle.advance)(
            session, first.id, "reject", EXPERT, "材料不全", settings=settings
        )
        committed(lifecycle.advance)(
            session, second.id, "reject", EXPERT, "面试未到", settings=settings
        )
        committed(lifecycle.advance)(session, first.id, "reapply", ADMIN, settings=settings)
        committed(rounds.record_scores)(session, first.id, EXPERT, material=72, settings=settings)
        return first.id


def _tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _verify(engine: Engine):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return verify(session)


def test_intact_chain(any_engine: Engine, settings: Settings) -> None:
    agency_id = _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
        assert all(entry_hash(e) == e.hash for e in entries)
        assert [e.trigger for e in history(session, agency_id)] == ["reject", "reapply", "score"]
        result = verify(session)
    assert result.ok and result.checked == 5
    assert result.message() == f"审计日志完整：共 5 条，链尾哈希 {entries[-1].hash[:12]}…"


def test_edited_entry_is_named(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "UPDATE auditentry SET reason = '材料齐全' WHERE seq = 3")
    result = _verify(any_engine)
    assert (result.problem, result.seq) == ("edited", 3)
    assert "第 3 条" in result.message() and "哈希不符" in result.message()


def test_edited_time_is_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        at = session.exec(select(AuditEntry.at).where(AuditEntry.seq == 2)).one()
    with any_engine.begin() as connection:
        connection.execute(
            text("UPDATE auditentry SET at = :at WHERE seq = 2"),
            {"at": at.replace(year=at.year - 1)},
        )
    assert (_verify(any_engine).problem, _verify(any_engine).seq) == ("edited", 2)


def test_edited_and_rehashed_entry_breaks_the_next_link(
    any_engine: Engine, settings: Settings
) -> None:
    _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        session.expunge(entry)
    entry.reason = "改写"
    forged = entry_hash(entry)
    with any_engine.begin() as connection:
        connection.execute(
            text("UPDATE auditentry SET reason = '改写', hash = :h WHERE seq = 2"), {"h": forged}
        )
    result = _verify(any_engine)
    assert (result.problem, result.seq) == ("relinked", 3)


def test_deleted_entry_is_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "DELETE FROM auditentry WHERE seq = 2")
    result = _verify(any_engine)
    assert (result.problem, result.seq) == ("missing", 3)
    assert "第 3 条" in result.message() and "之前有记录被删除" in result.message()


def test_deleted_first_entry_is_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "DELETE FROM auditentry WHERE seq = 1")
    assert (_verify(any_engine).problem, _verify(any_engine).seq) == ("missing", 2)


def test_deleted_newest_entries_are_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "DELETE FROM auditentry WHERE seq >= 4")
    result = _verify(any_engine)
    assert (result.problem, result.seq) == ("truncated", 3)
    assert "第 3 条之后的记录被删除" in result.message()


def test_deleted_head_row_is_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "DELETE FROM audithead")
    assert _verify(any_engine).problem == "truncated"


def test_reordered_entries_are_found(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        ids = session.exec(select(AuditEntry.id).order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
    second, third = ids[1], ids[2]
    _tamper(
        any_engine,
        f"UPDATE auditentry SET id = -1 WHERE id = {second}",
        f"UPDATE auditentry SET id = {second} WHERE id = {third}",
        f"UPDATE auditentry SET id = {third} WHERE id = -1",
    )
    result = _verify(any_engine)
    assert (result.problem, result.seq, result.entry_id) == ("reordered", 3, second)
    assert "顺序被调换" in result.message()


def _swap_storage_places(engine: Engine, seq_a: int, seq_b: int) -> tuple[int, int]:
    """Swap the ids (the storage order) of two entries; return their old ids."""
    with Session(engine) as session:
        ids = dict(session.exec(select(AuditEntry.seq, AuditEntry.id)).all())
    first, second = ids[seq_a], ids[seq_b]
    _tamper(
        engine,
        f"UPDATE auditentry SET id = -1 WHERE id = {first}",
        f"UPDATE auditentry SET id = {first} WHERE id = {second}",
        f"UPDATE auditentry SET id = {second} WHERE id = -1",
    )
    return first, second


def _rehash(engine: Engine, seq: int) -> None:
    """Rewrite an entry and give it a fresh, matching hash (its successor still points at
    the old one)."""
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == seq)).one()
        session.expunge(entry)
    entry.reason = "改写"
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE auditentry SET reason = '改写', hash = :h WHERE seq = :seq"),
            {"h": entry_hash(entry), "seq": seq},
        )


# (name, tampering, expected (problem, seq, entries checked before it)); with five
# entries and chunks of 1, 2, 3 or 4 every problem falls at or next to a chunk boundary
BREAKS = {
    "intact": (lambda engine: None, (None, None, 5)),
    "edited": (
        lambda engine: _tamper(engine, "UPDATE auditentry SET reason = '改' WHERE seq = 3"),
        ("edited", 3, 2),
    ),
    "relinked": (lambda engine: _rehash(engine, 2), ("relinked", 3, 2)),
    "missing": (
        lambda engine: _tamper(engine, "DELETE FROM auditentry WHERE seq = 3"),
        ("missing", 4, 2),
    ),
    "reordered next door": (
        lambda engine: _swap_storage_places(engine, 2, 3),
        ("reordered", 3, 1),
    ),
    # the entry that belongs here is stored chunks later: found by a query, not a list
    "reordered far apart": (
        lambda engine: _swap_storage_places(engine, 2, 5),
        ("reordered", 5, 1),
    ),
    "truncated": (
        lambda engine: _tamper(engine, "DELETE FROM auditentry WHERE seq >= 5"),
        ("truncated", 4, 4),
    ),
    "all deleted": (
        lambda engine: _tamper(engine, "DELETE FROM auditentry"),
        ("truncated", 0, 0),
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_chunked_walk_finds_the_same_break_at_every_chunk_size(
    any_engine: Engine, settings: Settings, name: str
) -> None:
    """`verify` reads the log a chunk at a time; where the chunks end changes nothing."""
    _five_entries(any_engine, settings)
    tamper, expected = BREAKS[name]
    tamper(any_engine)
    with Session(any_engine) as session:
        results = {chunk: verify(session, chunk=chunk) for chunk in (1, 2, 3, 4, 5, VERIFY_CHUNK)}
    assert {(r.problem, r.seq, r.checked) for r in results.values()} == {expected}
    assert len({r for r in results.values()}) == 1  # same entry, same last good hash


def test_reordered_far_apart_names_the_entry_standing_in_the_wrong_place(
    any_engine: Engine, settings: Settings
) -> None:
    _five_entries(any_engine, settings)
    second, _ = _swap_storage_places(any_engine, 2, 5)
    with Session(any_engine) as session:
        result = verify(session, chunk=1)
    assert (result.problem, result.seq, result.entry_id) == ("reordered", 5, second)


def test_entries_cannot_be_changed_through_the_orm(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        entry.reason = "改"
        session.add(entry)
        with pytest.raises(Refused, match="只能追加"):
            session.flush()
        session.rollback()
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        session.delete(entry)
        with pytest.raises(Refused, match="只能追加"):
            session.flush()
        session.rollback()
    assert _verify(any_engine).ok


def test_english_messages(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    _tamper(any_engine, "UPDATE auditentry SET actor_name = 'x' WHERE seq = 4")
    assert _verify(any_engine).message("en").startswith("Audit log tampered with: entry 4 (id ")


@pytest.mark.parametrize(
    ("subject", "zh", "en"),
    [
        ("objection:3", "异议 3", "objection 3"),
        ("activity:12", "指导工作记录 12", "guidance record 12"),
        ("publication:2026", "2026年考核结果公示", "publication of the 2026 results"),
        ("2026 第一批: 4", "2026 第一批: 4", "2026 第一批: 4"),  # free text stays as stored
    ],
)
def test_the_subject_of_an_entry_reads_in_words(subject: str, zh: str, en: str) -> None:
    entry = AuditEntry(seq=1, actor="cli:a", trigger="guidance.add", subject=subject, hash="")
    assert in_words(entry, "zh").note == zh
    assert in_words(entry, "en").note == en


def _findings(engine: Engine):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return state_findings(session)


def test_every_status_matches_its_last_entry(any_engine: Engine, settings: Settings) -> None:
    _five_entries(any_engine, settings)
    with Session(any_engine) as session:
        make_agency(session)  # no entry yet: still in the initial state
    assert _findings(any_engine) == []


def test_status_changed_without_an_entry_is_found(any_engine: Engine, settings: Settings) -> None:
    agency_id = _five_entries(any_engine, settings)
    _tamper(any_engine, f"UPDATE agency SET status = 'filed' WHERE id = {agency_id}")
    assert _verify(any_engine).ok  # the chain itself is intact
    [finding] = _findings(any_engine)
    assert (finding.agency_id, finding.status, finding.recorded) == (agency_id, "filed", "applied")
    assert f"机构 {agency_id}" in finding.message() and "“已备案”" in finding.message()
    assert "status disagree" in finding.message("en")


def test_both_tables_wiped_is_found_by_the_agencies_left(
    any_engine: Engine, settings: Settings
) -> None:
    _five_entries(any_engine, settings)
    _tamper(
        any_engine,
        "DELETE FROM auditentry",
        f"UPDATE audithead SET seq = 0, hash = '{GENESIS}'",
    )
    assert _verify(any_engine).ok and _verify(any_engine).checked == 0  # the chain cannot tell
    [finding] = _findings(any_engine)  # the agency rejected in entry 3 still stands rejected
    assert (finding.status, finding.recorded) == ("rejected", "applied")
