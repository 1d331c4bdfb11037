"""Drop the container and document indexes of lines and notifications: candidates are found
through the key tables, and these only cost every write.

Revision ID: ec59959f848f
Revises: 5dea94818e29
Create Date: 2026-11-27 09:03:27.376588
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ec59959f848f"
down_revision: str | None = "5dea94818e29"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(
        op.f("ix_line_containers"), table_name="line", schema="matcher", postgresql_using="gin"
    )
    op.drop_index(op.f("ix_line_transport_document"), table_name="line", schema="matcher")
    op.drop_index(
        op.f("ix_prenotification_containers"),
        table_name="prenotification",
        schema="matcher",
        postgresql_using="gin",
    )
    op.drop_index(
        op.f("ix_prenotification_transport_document"),
        table_name="prenotification",
        schema="matcher",
    )


def downgrade() -> None:
    op.create_index(
        op.f("ix_prenotification_transport_document"),
        "prenotification",
        ["transport_document"],
        unique=False,
        schema="matcher",
    )
    op.create_index(
        op.f("ix_prenotification_containers"),
        "prenotification",
        ["containers"],
        unique=False,
        schema="matcher",
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_line_transport_document"),
        "line",
        ["transport_document"],
        unique=False,
        schema="matcher",
    )
    op.create_index(
        op.f("ix_line_containers"),
        "line",
        ["containers"],
        unique=False,
        schema="matcher",
        postgresql_using="gin",
    )
