"""application judgements: the experts' Art. 8(2) and 8(3) judgements on the application

Revision ID: 0010_application_judgements
Revises: 0009_round_received
Create Date: 2026-12-04

The business-scope check (Art. 8(2)) becomes the experts' decision on a suggestion,
and the familiarity judgement (Art. 8(3)) is recorded on the application, for the
programmes' procedures and each of the seven fields, no longer on the agency (a new
application starts without it). An agency-level judgement already stored moves onto
the agency's current application (the newest), for the procedures and all seven
fields, with its judge and time and the stage `migrated`.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_application_judgements"
down_revision = "0009_round_received"
branch_labels = None
depends_on = None

FAMILIAR_ITEMS = (
    "procedures",
    "work_safety",
    "emergency_management",
    "disaster_reduction",
    "traffic_safety",
    "fire_safety",
    "gas_safety",
    "public_safety",
)
MIGRATED_REASON = "原记录在机构上的第八条第三项判断，迁移至当前申请"

_agency = sa.table(
    "agency",
    sa.column("id", sa.Integer()),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("familiar_judgement", sa.Boolean()),
    sa.column("familiar_judged_by", sqlmodel.sql.sqltypes.AutoString(length=100)),
    sa.column("familiar_judged_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
_application = sa.table(
    "application",
    sa.column("id", sa.Integer()),
    sa.column("agency_id", sa.Integer()),
    sa.column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def _current_applications(connection: sa.Connection) -> dict[int, int]:
    """agency id → its newest application (latest `applied_at`, then highest id)."""
    rows = connection.execute(
        sa.select(_application.c.agency_id, _application.c.id).order_by(
            _application.c.agency_id, _application.c.applied_at, _application.c.id
        )
    ).all()
    return {agency_id: application_id for agency_id, application_id in rows}


def upgrade() -> None:
    judgement = op.create_table(
        "applicationjudgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("judged_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("judged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "item", name="uq_applicationjudgement_item"),
    )
    assert judgement is not None
    with op.batch_alter_table("applicationjudgement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applicationjudgement_application_id"), ["application_id"], unique=False
        )

    connection = op.get_bind()
    current = _current_applications(connection)
    judged = connection.execute(
        sa.select(
            _agency.c.id,
            _agency.c.created_at,
            _agency.c.familiar_judgement,
            _agency.c.familiar_judged_by,
            _agency.c.familiar_judged_at,
        ).where(_agency.c.familiar_judgement.is_not(None))
    ).all()
    rows = [
        {
            "application_id": current[agency_id],
            "item": item,
            "passed": bool(familiar),
            "reason": MIGRATED_REASON,
            "judged_by": (judged_by or "")[:100],
            "judged_at": judged_at or created_at,
            "stage": "migrated",
        }
        for agency_id, created_at, familiar, judged_by, judged_at in judged
        if agency_id in current
        for item in FAMILIAR_ITEMS
    ]
    if rows:
        connection.execute(judgement.insert(), rows)

    # not batch mode: on SQLite it would copy and drop the agency table, and with foreign
    # keys on, dropping it deletes every application and consultant (ON DELETE CASCADE);
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL) leaves the rows alone
    for column in ("familiar_judged_at", "familiar_judged_by", "familiar_judgement"):
        op.execute(sa.text(f"ALTER TABLE agency DROP COLUMN {column}"))


def downgrade() -> None:
    op.add_column("agency", sa.Column("familiar_judgement", sa.Boolean(), nullable=True))
    op.add_column(
        "agency",
        sa.Column(
            "familiar_judged_by",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "agency",
        sa.Column("familiar_judged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    # an agency-level judgement again: familiar only if every item of the current
    # application was judged familiar, not familiar if any was judged not familiar
    connection = op.get_bind()
    judgement = sa.table(
        "applicationjudgement",
        sa.column("application_id", sa.Integer()),
        sa.column("item", sa.String()),
        sa.column("passed", sa.Boolean()),
        sa.column("judged_by", sa.String()),
        sa.column("judged_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    for agency_id, application_id in _current_applications(connection).items():
        found = connection.execute(
            sa.select(
                judgement.c.item, judgement.c.passed, judgement.c.judged_by, judgement.c.judged_at
            )
            .where(
                judgement.c.application_id == application_id,
                judgement.c.item.in_(FAMILIAR_ITEMS),
            )
            .order_by(judgement.c.judged_at)
        ).all()
        if not found:
            continue
        if any(not passed for _, passed, _, _ in found):
            verdict: bool | None = False
        elif len({item for item, _, _, _ in found}) == len(FAMILIAR_ITEMS):
            verdict = True
        else:
            continue
        _, _, judged_by, judged_at = found[-1]
        connection.execute(
            _agency.update()
            .where(_agency.c.id == agency_id)
            .values(
                familiar_judgement=verdict,
                familiar_judged_by=judged_by,
                familiar_judged_at=judged_at,
            )
        )
    with op.batch_alter_table("applicationjudgement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicationjudgement_application_id"))
    op.drop_table("applicationjudgement")
