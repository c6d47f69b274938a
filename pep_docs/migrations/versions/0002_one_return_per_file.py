"""One return per file per authority: a unique index on returns (authority, sha256, copy_number).

Revision 0002, after 0001. `intake.keep` looked for a return with the same bytes, then inserted
one: two uploads of one file at the same moment (two officers, a double-click, two zips
unpacked at once) could both find none and make two returns. With this index the database
refuses the second insert, and `keep` answers with the first return instead.

A database may already hold such copies, made by that race. None of them is deleted or changed:
each holds what was read, may be linked from a zip (`zip_members`) and named in the audit log,
and an officer may have worked on either. So the index includes `copy_number`, a new column
that is 0 for every return, and the copies already kept are numbered 1, 2, ... (the earliest
upload stays 0, the one `keep` finds), which lets the index be made with every row in place. A
new copy can never be made: `keep` always inserts 0. Each copy found is logged (a warning naming
the authority and the return ids), so an officer can look at both and delete the extra one if
they wish.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("pep_docs.migrations")
INDEX = "ix_returns_one_per_file"


def upgrade() -> None:
    op.add_column("returns", sa.Column("copy_number", sa.Integer(), server_default="0",
                                       nullable=False))  # fmt: skip
    returns = sa.table("returns", sa.column("id"), sa.column("authority"), sa.column("sha256"),
                       sa.column("uploaded"), sa.column("copy_number"))  # fmt: skip
    bind = op.get_bind()
    kept_twice = bind.execute(
        sa.select(returns.c.authority, returns.c.sha256)
        .group_by(returns.c.authority, returns.c.sha256)
        .having(sa.func.count() > 1)
        .order_by(returns.c.authority, returns.c.sha256)
    ).all()
    for authority, digest in kept_twice:
        ids = bind.scalars(
            sa.select(returns.c.id)
            .where(returns.c.authority == authority, returns.c.sha256 == digest)
            .order_by(returns.c.uploaded, returns.c.id)
        ).all()
        for number, return_id in enumerate(ids[1:], start=1):
            bind.execute(returns.update().where(returns.c.id == return_id)
                         .values(copy_number=number))  # fmt: skip
        log.warning("returns %s of %s are one file (sha256 %s) uploaded more than once at the "
                    "same moment: all are kept, %s as the return and the others as its copies "
                    "(copy_number 1, 2, ...); look at them and delete the extra ones if you wish",
                    ", ".join(ids), authority, digest, ids[0])  # fmt: skip
    op.create_index(INDEX, "returns", ["authority", "sha256", "copy_number"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="returns")
    op.drop_column("returns", "copy_number")
