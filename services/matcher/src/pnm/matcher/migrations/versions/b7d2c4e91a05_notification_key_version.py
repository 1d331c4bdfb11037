"""The version of a pre-notification's keys in the key table, included in its primary key
index: candidates are found with their version by an index-only scan, and only versions whose
facts are not yet parsed are read from `prenotification`.

Revision ID: b7d2c4e91a05
Revises: ec59959f848f
Create Date: 2026-11-27 09:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2c4e91a05"
down_revision: str | None = "ec59959f848f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "prenotification_key", sa.Column("version", sa.Integer(), nullable=True), schema="matcher"
    )
    op.execute(
        "UPDATE matcher.prenotification_key k SET version = p.version"
        " FROM matcher.prenotification p WHERE p.reference = k.reference"
    )
    op.execute("DELETE FROM matcher.prenotification_key WHERE version IS NULL")
    op.alter_column("prenotification_key", "version", nullable=False, schema="matcher")
    op.execute(
        "ALTER TABLE matcher.prenotification_key DROP CONSTRAINT prenotification_key_pkey,"
        " ADD CONSTRAINT prenotification_key_pkey PRIMARY KEY (key, reference) INCLUDE (version)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE matcher.prenotification_key DROP CONSTRAINT prenotification_key_pkey,"
        " ADD CONSTRAINT prenotification_key_pkey PRIMARY KEY (key, reference)"
    )
    op.drop_column("prenotification_key", "version", schema="matcher")
