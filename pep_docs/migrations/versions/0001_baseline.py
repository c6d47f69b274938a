"""The baseline: the tables as `create_all` made them before there were migrations.

Revision 0001, the first. Each table is made only if the database lacks it: a database made by
`create_all` (it has the tables, no version table) is brought to this revision by the tables
it is missing alone (one made before 29 November 2026 has no `zip_members`), as `create_all`
would have made them, and is otherwise left as it is; `pep_docs.migrations.upgrade` then checks
its columns against the models. An empty database gets every table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pep_docs.errors import PepDocsError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create(name: str, *items: sa.SchemaItem, indexes: dict[str, list[str]] | None = None) -> None:
    """`op.create_table`, and its indexes (name: columns), unless the table exists."""
    if sa.inspect(op.get_bind()).has_table(name):
        return
    op.create_table(name, *items)
    for index, columns in (indexes or {}).items():
        op.create_index(index, name, columns, unique=False)


def upgrade() -> None:
    _create(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("authority", sa.String(length=64), nullable=False),
        sa.Column("api_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_token_hash"),
        sa.UniqueConstraint("email"),
    )
    _create(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("remote", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes={"ix_audit_at": ["at"]},
    )
    _create(
        "packs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("authority", sa.String(length=64), nullable=False),
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.Column("formats", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.Column("cohort_name", sa.String(length=255), nullable=False),
        sa.Column("cohort_stored", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("result_stored", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes={"ix_packs_authority": ["authority"]},
    )
    _create(
        "returns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("authority", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded", sa.DateTime(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.Column("extraction", sa.JSON(), nullable=True),
        sa.Column("check", sa.JSON(), nullable=True),
        sa.Column("child_name", sa.String(length=255), nullable=True),
        sa.Column("rating", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes={"ix_returns_authority": ["authority"], "ix_returns_sha256": ["sha256"]},
    )
    _create(
        "pack_chunks",
        sa.Column("pack_id", sa.String(length=32), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["packs.id"]),
        sa.PrimaryKeyConstraint("pack_id", "index"),
    )
    _create(
        "zip_members",
        sa.Column("zip_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"]),
        sa.ForeignKeyConstraint(["zip_id"], ["returns.id"]),
        sa.PrimaryKeyConstraint("zip_id", "position"),
        indexes={"ix_zip_members_return_id": ["return_id"]},
    )


def downgrade() -> None:
    # Below the baseline there is no schema, only data lost: nothing here drops a table.
    raise PepDocsError("the baseline (revision 0001) is the oldest schema: no downgrade below it",
                       where="pep_docs/migrations/versions/0001_baseline.py")  # fmt: skip
