"""round received: the date a written application was received, the interview list's date

Revision ID: 0009_round_received
Revises: 0008_assessment_policy
Create Date: 2026-12-03

`application.received_on` (收件日期, Art. 10) breaks ranking ties instead of the
data-entry time; applications already stored are given the local day they were
created (`applied_at` in the settings' zone, Asia/Shanghai unless configured).
`round.interview_list_at` records when the list invited to interview was first
published.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_round_received"
down_revision = "0008_assessment_policy"
branch_labels = None
depends_on = None

_application = sa.table(
    "application",
    sa.column("id", sa.Integer()),
    sa.column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("received_on", sa.Date()),
)


def _zone() -> ZoneInfo:
    from workflow.core.settings import SettingsError, get_settings

    try:
        return get_settings().zone
    except SettingsError:  # the start-up reports a wrong setting; the rules' zone here
        return ZoneInfo("Asia/Shanghai")


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interview_list_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    from workflow.core.clock import local_date

    connection = op.get_bind()
    zone = _zone()
    rows = connection.execute(sa.select(_application.c.id, _application.c.applied_at)).all()
    for row_id, applied_at in rows:
        connection.execute(
            _application.update()
            .where(_application.c.id == row_id)
            .values(received_on=local_date(applied_at, zone))
        )


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("interview_list_at")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("received_on")
