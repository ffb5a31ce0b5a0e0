"""Audit anchors: `safecomm audit anchor` signs the chain's length and head hash with
a key kept off the database, and `audit verify --anchor` then finds the tamperings
the chain alone cannot: a cut tail with the head copied back, both tables wiped, the
last entry or the whole chain rewritten with fresh hashes. A forged entry appended
after the anchor is found by the status check when it moves an agency on paper only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.bot.conftest import Cli
from tests.workflow.lifecycle_steps import make_agency
from workflow.core.settings import get_settings
from workflow.lifecycle.audit import entry_hash
from workflow.lifecycle.models import GENESIS, AuditEntry


@pytest.fixture
def db(any_db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """The CLI on SQLite and on PostgreSQL, with a signing key in a file of its own."""
    monkeypatch.setenv("SAFECOMM_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    get_settings.cache_clear()
    return any_db


@pytest.fixture
def anchored(db: Engine, cli: Cli, tmp_path: Path) -> Path:
    """Three entries (two agencies rejected, one role granted), then an anchor of them."""
    with Session(db, expire_on_commit=False) as session:
        first, second = make_agency(session), make_agency(session, name="乙咨询公司")
    assert cli("audit", "key", str(tmp_path / "audit.key"))[0] == 0
    for agency in (first, second):
        assert cli("advance", str(agency.id), "reject", "--reason", "材料不全")[0] == 0
    assert cli("role", "grant", "2001", "expert")[0] == 0
    path = tmp_path / "anchor.json"
    code, out, err = cli("audit", "anchor", "--out", str(path))
    assert (code, err) == (0, "") and "共 3 条" in out
    return path


def _rehash(db: Engine, *, reason: str | None = None, seqs: list[int] | None = None) -> None:
    """Rewrite entries `seqs` (all by default) with fresh hashes, as an attacker who knows
    the (public) hash would, and copy the new head back: the chain is consistent again."""
    with Session(db) as session:
        entries = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all())
        session.expunge_all()
    previous = GENESIS
    with db.begin() as connection:
        for entry in entries:
            if seqs is None or entry.seq in seqs:
                entry.reason = reason if reason is not None else entry.reason
            entry.prev_hash = previous
            entry.hash = entry_hash(entry)
            connection.execute(
                text("UPDATE auditentry SET reason = :r, prev_hash = :p, hash = :h WHERE id = :i"),
                {"r": entry.reason, "p": entry.prev_hash, "h": entry.hash, "i": entry.id},
            )
            previous = entry.hash
        connection.execute(
            text("UPDATE audithead SET seq = :s, hash = :h"), {"s": len(entries), "h": previous}
        )


def _cut_tail(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(text("DELETE FROM auditentry WHERE seq = 3"))
        previous = connection.execute(text("SELECT hash FROM auditentry WHERE seq = 2")).scalar()
        connection.execute(text("UPDATE audithead SET seq = 2, hash = :h"), {"h": previous})


def _wipe(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(text("DELETE FROM auditentry"))
        connection.execute(text("UPDATE audithead SET seq = 0, hash = :h"), {"h": GENESIS})
        connection.execute(text("UPDATE agency SET status = 'applied'"))  # states put back too


def _edit_last(db: Engine) -> None:
    _rehash(db, reason="改写的原因", seqs=[3])


def _rewrite_all(db: Engine) -> None:
    _rehash(db, reason="整条链被改写")


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (_cut_tail, "审计日志被截短或清空"),
        (_wipe, "审计日志被截短或清空"),
        (_edit_last, "审计日志被改写：第 3 条的哈希与"),
        (_rewrite_all, "审计日志被改写：第 3 条的哈希与"),
    ],
)
def test_an_anchor_finds_what_the_chain_alone_cannot(
    db: Engine, cli: Cli, anchored: Path, tamper: object, said: str
) -> None:
    assert cli("audit", "verify", "--anchor", str(anchored))[0] == 0
    tamper(db)  # type: ignore[operator]
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "审计日志完整" in out  # consistent again: the chain alone is fooled
    code, out, err = cli("audit", "verify", "--anchor", str(anchored))
    assert code == 1 and out == "" and said in err


def test_a_forged_step_appended_after_the_anchor_is_found_by_the_status_check(
    db: Engine, cli: Cli, anchored: Path
) -> None:
    with Session(db) as session:
        last = session.exec(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        session.expunge(last)
    forged = AuditEntry(
        **{name: getattr(last, name) for name in AuditEntry.model_fields if name != "id"}
    )
    forged.seq, forged.source, forged.target, forged.trigger = 4, "rejected", "filed", "file"
    with Session(db) as session:
        forged.prev_hash = session.exec(select(AuditEntry.hash).where(AuditEntry.seq == 3)).one()
    forged.hash = entry_hash(forged)
    with db.begin() as connection:
        columns = [name for name in AuditEntry.model_fields if name != "id"]
        connection.execute(
            text(
                f"INSERT INTO auditentry ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + name for name in columns)})"
            ),
            {name: getattr(forged, name) for name in columns},
        )
        connection.execute(text("UPDATE audithead SET seq = 4, hash = :h"), {"h": forged.hash})
    code, _, err = cli("audit", "verify", "--anchor", str(anchored))
    assert code == 1 and "与机构状态不符" in err and "“已备案”" in err
    assert "截短" not in err and "被改写" not in err  # history up to the anchor holds


def test_every_published_round_list_carries_the_anchor_line(
    db: Engine, cli: Cli, tmp_path: Path
) -> None:
    with Session(db, expire_on_commit=False) as session:
        agency = make_agency(session)
    assert cli("round", "create", "2026 第一批", "--quota", "1")[0] == 0
    assert cli("round", "join", "2026 第一批", agency.credit_code)[0] == 0
    assert cli("round", "score", agency.credit_code, "--material", "80")[0] == 0
    assert cli("advance", agency.credit_code, "review")[0] == 0
    out = tmp_path / "公告"
    code, _, err = cli("round", "interview-list", "2026 第一批", "--out", str(out))
    assert code == 0, err
    with Session(db) as session:
        head = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()
    assert head is not None
    (listed,) = out.glob("*.csv")
    last = listed.read_text(encoding="utf-8-sig").strip().splitlines()[-1]
    assert last == f"审计日志锚点：共 {head.seq} 条，末条哈希 {head.hash}"


def test_an_edited_or_foreign_anchor_is_refused(
    db: Engine, cli: Cli, anchored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.loads(anchored.read_text(encoding="utf-8"))
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(body | {"count": 1}), encoding="utf-8")
    code, _, err = cli("audit", "verify", "--anchor", str(edited))
    assert code == 1 and "签名不符" in err
    assert cli("audit", "key", str(tmp_path / "other.key"))[0] == 0
    monkeypatch.setenv("SAFECOMM_AUDIT_KEY_FILE", str(tmp_path / "other.key"))
    get_settings.cache_clear()
    code, _, err = cli("audit", "verify", "--anchor", str(anchored))
    assert code == 1 and "签名不符" in err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json", encoding="utf-8")
    code, _, err = cli("audit", "verify", "--anchor", str(garbage))
    assert code == 1 and "不是有效的审计锚点文件" in err


def test_anchoring_needs_a_key_of_its_own(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFECOMM_AUDIT_KEY_FILE")
    get_settings.cache_clear()
    code, _, err = cli("audit", "anchor", "--out", str(tmp_path / "a.json"))
    assert code == 1 and "未设置审计锚点签名密钥" in err
    short = tmp_path / "short.key"
    short.write_text("abc", encoding="utf-8")
    monkeypatch.setenv("SAFECOMM_AUDIT_KEY_FILE", str(short))
    get_settings.cache_clear()
    code, _, err = cli("audit", "anchor", "--out", str(tmp_path / "a.json"))
    assert code == 1 and "太短" in err and not (tmp_path / "a.json").exists()
    code, _, err = cli("audit", "key", str(short))
    assert code == 1 and "已存在" in err and short.read_text(encoding="utf-8") == "abc"
