"""The Virtual School's QA record of a return: a new table, `qa_records`.

Revision 0003, after 0002. An officer records the answers to the PEP's QA section on a return's
page (`pep_docs.web.qa_record`); they are kept beside the extraction, one row per return, so what
the school's form said stays as it was read. A new table: nothing already there changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # For a while the service made this table with `create_all` before it had migrations: a
    # database of then has it already, as the models make it.
    if sa.inspect(op.get_bind()).has_table("qa_records"):
        return
    op.create_table(
        "qa_records",
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
        ),
        sa.PrimaryKeyConstraint("return_id"),
    )


def downgrade() -> None:
    op.drop_table("qa_records")
