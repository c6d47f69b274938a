"""Alembic's environment: migrate the connection `pep_docs.migrations.upgrade` hands over.

Only online migrations on a given connection are supported: the upgrade runs inside the caller's
transaction, under its lock, so no second connection (and no alembic.ini URL) is ever opened.
"""

from __future__ import annotations

from alembic import context

from pep_docs.db import Base
from pep_docs.errors import PepDocsError
from pep_docs.migrations import VERSION_TABLE, ours

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise PepDocsError(
        "pep-docs migrations run on an open connection only",
        where="pep_docs/migrations/env.py",
        hint="use `python -m pep_docs.migrations upgrade` or `revision` (or start the service), "
        "not the alembic command",
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    version_table=VERSION_TABLE,
    include_name=ours,
)
with context.begin_transaction():
    context.run_migrations()
