"""`pep-docs worker`: an RQ worker (with the scheduler that runs retries) for the service's jobs."""

from __future__ import annotations

import logging

from rq import Queue, Worker
from rq.serializers import JSONSerializer

from pep_docs.jobs import configure, maintain
from pep_docs.settings import Settings

log = logging.getLogger("pep_docs.worker")


class PepDocsWorker(Worker):
    """RQ's worker, whose periodic maintenance also puts back work Redis lost.

    RQ's own maintenance fails or retries jobs abandoned by a killed worker; ours compares the
    database (the record of truth) with Redis and queues again what a Redis restart dropped.
    """

    settings: Settings

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            maintain(self.settings)
        except Exception:  # maintenance must never stop the worker
            log.exception("maintenance failed; trying again at the next interval")


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    from redis import Redis

    from pep_docs.extractors.sandbox import warm

    configure(settings)
    # Warm once here: every work-horse RQ forks from this process, and every reader child forked
    # from a horse, starts with the schema and the blank forms ready.
    warm()
    connection = Redis.from_url(settings.REDIS_URL)
    queue = Queue(settings.QUEUE, connection=connection, serializer=JSONSerializer)
    worker = PepDocsWorker(
        [queue],
        connection=connection,
        serializer=JSONSerializer,
        maintenance_interval=settings.MAINTENANCE_SECONDS,
        # An idle worker waits on Redis for (worker_ttl - 15) s between maintenance checks, so
        # this keeps lost work from waiting longer than MAINTENANCE_SECONDS to be put back.
        worker_ttl=settings.MAINTENANCE_SECONDS + 15,
    )
    worker.settings = settings
    return worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
