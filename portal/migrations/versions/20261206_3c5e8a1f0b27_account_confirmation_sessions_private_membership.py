"""Accounts: a confirmed e-mail, a session version, failed logins per account; and
community memberships hidden unless the member shows them.

Accounts that exist before this revision start unconfirmed: nothing proves their
addresses, so their reports stop counting in treatment figures until they confirm.

Revision ID: 3c5e8a1f0b27
Revises: 5d2e8c1f7a90
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.db

revision = "3c5e8a1f0b27"
down_revision = "5d2e8c1f7a90"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_confirmed_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column("visible", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("visible")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
        batch.drop_column("email_confirmed_at")
