"""The two writes the HPCJob backend makes to REANA's job table (reana-db), besides RJC's own.

reana-db sets ``Job.started_at`` whenever a job's status is *set* to ``running`` (an ORM listener), and
reana-job-controller sets every job ``running`` right after submission, long before an HPC step starts.
So the backend creates its row already ``running`` with a bulk update, which fires no listener, making
RJC's submission-time write a no-op for ``started_at``; the monitor then writes ``started_at`` once,
from the HPCJob's ``status.startTime``. Both are bulk updates for the same reason.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Mapping, Optional

from reana_db.database import Session
from reana_db.models import Job, JobStatus

from ..status import start_time

log = logging.getLogger(__name__)


def mark_submitted(job_id: str) -> None:
    """The new row becomes ``running`` (what RJC is about to write) without a start time."""
    try:
        Session.query(Job).filter(Job.id_ == job_id).update({"status": JobStatus.running}, synchronize_session=False)
        Session.commit()
    except Exception as e:  # noqa: BLE001 - as RJC's own DB writes: log and carry on
        Session.rollback()
        log.warning("could not mark job %s submitted: %s", job_id, e)


def local_naive(rfc3339: Optional[str]) -> datetime:
    """An HPCJob timestamp as reana-db stores times (naive, local: it uses ``datetime.now()``); now if unset."""
    if not rfc3339:
        return datetime.now()
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).astimezone().replace(tzinfo=None)


def record_start(job_id: str, hpcjob: Mapping[str, Any]) -> None:
    """Writes ``started_at`` from the HPCJob's real start, once (only while it is still empty)."""
    when = local_naive(start_time(hpcjob))
    try:
        Session.query(Job).filter(Job.id_ == job_id, Job.started_at.is_(None)).update(
            {"started_at": when}, synchronize_session=False
        )
        Session.commit()
    except Exception:
        Session.rollback()  # leave the monitor thread's session usable for RJC's next status write
        raise
