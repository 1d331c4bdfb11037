"""The audit trail: an append-only hash chain of every action on a hold or case, refusals too
(docs/audit.md).

`audit_pending` takes an entry inside the action's transaction; a deferred constraint trigger
appends the transaction's entries to `audit_entry` at commit, under the row lock of
`audit_head`, so the chain is linear
and gap-free under concurrent transactions and the lock is held for the commit alone (and, being
the only lock taken at that point, cannot deadlock with the rows the actions lock).

The hash computed here must be the one of `pnm.holds.domain.audit_chain.chain_hash`.

Revision ID: 8b9690f97e53
Revises: fa0007a15db8
Create Date: 2026-12-07 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8b9690f97e53"
down_revision: str | None = "fa0007a15db8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _content() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.Text(), nullable=False),
        sa.Column("actor_roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("actor_organisation", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    ]


CONTENT = (
    "at, actor_subject, actor_roles, actor_organisation, action, subject_type, subject_id, "
    "before, after, outcome, detail"
)


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        *_content(),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sequence"),
        sa.CheckConstraint("outcome IN ('done', 'refused')", name="ck_audit_entry_outcome"),
        schema="holds",
    )
    op.create_index(
        "ix_audit_entry_subject",
        "audit_entry",
        ["subject_type", "subject_id", "sequence"],
        schema="holds",
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"], schema="holds")
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        *_content(),
        sa.Column("content_digest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="holds",
    )
    op.create_table(
        "audit_head",
        sa.Column("singleton", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("singleton"),
        sa.CheckConstraint("singleton", name="ck_audit_head_singleton"),
        schema="holds",
    )
    op.execute(
        f"INSERT INTO holds.audit_head (singleton, sequence, hash) VALUES (true, 0, '{GENESIS_HASH}')"
    )

    # At commit, the first of a transaction's pending entries appends them all, in the order
    # they were recorded, under one lock of the head and with one update of it (the same row
    # updated once per entry would be a chain of row versions to walk, growing with the batch);
    # the other entries' triggers find theirs gone. Other transactions' pending entries are
    # never visible here: they are appended before their transaction commits.
    op.execute(
        f"""
        CREATE FUNCTION holds.audit_append() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            last holds.audit_head%ROWTYPE;
            pending record;
            next_hash text;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM holds.audit_pending WHERE id = NEW.id) THEN
                RETURN NULL;
            END IF;
            SELECT * INTO STRICT last FROM holds.audit_head WHERE singleton FOR UPDATE;
            FOR pending IN
                WITH appended AS (DELETE FROM holds.audit_pending RETURNING *)
                SELECT * FROM appended ORDER BY id
            LOOP
                next_hash := encode(sha256(convert_to(
                    'pnm-audit-1|' || (last.sequence + 1) || '|' || last.hash || '|'
                    || pending.content_digest, 'UTF8')), 'hex');
                INSERT INTO holds.audit_entry (sequence, {CONTENT}, prev_hash, hash)
                VALUES (last.sequence + 1, pending.at, pending.actor_subject,
                        pending.actor_roles, pending.actor_organisation, pending.action,
                        pending.subject_type, pending.subject_id, pending.before,
                        pending.after, pending.outcome, pending.detail, last.hash, next_hash);
                last.sequence := last.sequence + 1;
                last.hash := next_hash;
            END LOOP;
            UPDATE holds.audit_head SET sequence = last.sequence, hash = last.hash
            WHERE singleton;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER audit_append AFTER INSERT ON holds.audit_pending
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION holds.audit_append()
        """
    )
    # Entries come only through audit_append (trigger depth 2), and never change or go.
    op.execute(
        """
        CREATE FUNCTION holds.audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'holds.audit_entry is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'entries are written through holds.audit_pending; '
                             'see docs/audit.md for the archive step';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON holds.audit_entry
        FOR EACH ROW EXECUTE FUNCTION holds.audit_entry_guard()
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON holds.audit_entry
        FOR EACH STATEMENT EXECUTE FUNCTION holds.audit_entry_guard()
        """
    )
    # The head only moves forward over entries appended after it, and never goes.
    op.execute(
        """
        CREATE FUNCTION holds.audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.singleton AND NEW.sequence > OLD.sequence
               AND EXISTS (SELECT 1 FROM holds.audit_entry e
                           WHERE e.sequence = OLD.sequence + 1 AND e.prev_hash = OLD.hash)
               AND EXISTS (SELECT 1 FROM holds.audit_entry e
                           WHERE e.sequence = NEW.sequence AND e.hash = NEW.hash)
               AND (SELECT count(*) FROM holds.audit_entry e
                    WHERE e.sequence > OLD.sequence AND e.sequence <= NEW.sequence)
                   = NEW.sequence - OLD.sequence THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'holds.audit_head only advances over appended entries: % refused',
                TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON holds.audit_head
        FOR EACH ROW EXECUTE FUNCTION holds.audit_head_guard()
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON holds.audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION holds.audit_head_guard()
        """
    )


def downgrade() -> None:
    # No delete path: a trail with entries is archived and removed by its owner by hand
    # (docs/audit.md), never by a schema downgrade.
    op.execute(
        """
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM holds.audit_entry) THEN
                RAISE EXCEPTION 'holds.audit_entry holds entries: archive them first (docs/audit.md)';
            END IF;
        END $$
        """
    )
    op.execute("DROP TABLE holds.audit_head")
    op.execute("DROP TABLE holds.audit_pending")
    op.execute("DROP TABLE holds.audit_entry")
    op.execute("DROP FUNCTION holds.audit_head_guard()")
    op.execute("DROP FUNCTION holds.audit_entry_guard()")
    op.execute("DROP FUNCTION holds.audit_append()")
