"""HPCJob phase -> REANA job status, and REANA's order of statuses.

REANA's job statuses (reana-db ``JobStatus``): created, running, finished, failed, stopped, queued.
REANA's workflow engines wait until a job is ``finished``, ``failed`` or ``stopped``. A status is only
reported when it moves the job forward (``advances``): reana-job-controller marks every job ``running``
at submission, so a step waiting for an HPC slot stays ``running`` in REANA, as with the upstream
HTCondor and SLURM backends; its real start is recorded separately (``start_time``).

``Held`` maps to ``queued``: a held HTCondor job is not running and the operator either releases it,
retries it, or fails it by the HPCJob's retryPolicy, so it is waiting, not finished. ``kubectl get
hpcjob`` shows the hold and its reason.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

QUEUED = "queued"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
STOPPED = "stopped"

FINAL_STATUSES = (FINISHED, FAILED, STOPPED)

PHASE_TO_STATUS = {
    "Pending": QUEUED,
    "Submitted": QUEUED,
    "Queued": QUEUED,
    "Held": QUEUED,
    "Running": RUNNING,
    "Succeeded": FINISHED,
    "Failed": FAILED,
    "Lost": FAILED,
}


def phase_of(hpcjob: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The phase of an HPCJob object (``None`` before the operator has written a status)."""
    if not hpcjob:
        return None
    return (hpcjob.get("status") or {}).get("phase")


def reana_status(phase: Optional[str], deleted: bool = False) -> str:
    """REANA status of an HPCJob in ``phase``; ``deleted`` when the HPCJob no longer exists.

    A new HPCJob without a status yet is ``queued``. An HPCJob deleted before it finished was
    cancelled (``stopped``); one deleted after it finished keeps its outcome (e.g. removed by its
    ``ttlSecondsAfterFinished``).
    """
    status = PHASE_TO_STATUS.get(phase or "Pending", QUEUED)
    if deleted and status not in (FINISHED, FAILED):
        return STOPPED
    return status


# REANA's order of job statuses (reana-db ``JobStatus`` values are not in this order: queued is 5).
_ORDER = {"created": 0, QUEUED: 1, RUNNING: 2, FINISHED: 3, FAILED: 3, STOPPED: 3}


def advances(current: Optional[str], desired: str) -> bool:
    """Whether reporting ``desired`` moves a job forward from ``current`` in REANA's order.

    created -> queued -> running -> finished | failed | stopped. reana-job-controller marks every job
    ``running`` at submission, so a step still waiting for an HPC slot stays ``running`` in REANA:
    writing ``queued`` afterwards would move the status backwards (reana-db's listener would also set
    ``started_at`` again on the next ``running``).
    """
    if is_final(current):
        return False
    return _ORDER.get(desired, 0) > _ORDER.get(current or "created", 0)


def start_time(hpcjob: Optional[Mapping[str, Any]]) -> Optional[str]:
    """When the step first started executing (``status.startTime``, RFC 3339), if it has."""
    if not hpcjob:
        return None
    return (hpcjob.get("status") or {}).get("startTime")


def is_final(status: Optional[str]) -> bool:
    """Whether a REANA status is terminal (nothing changes it afterwards)."""
    return status in FINAL_STATUSES
