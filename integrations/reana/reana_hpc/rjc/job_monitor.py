"""``JobMonitorHPC``: reana-job-controller's job monitor for the HPCJob backend.

Shaped like RJC's own monitors: a singleton per job-controller process whose thread runs
``watch_jobs(job_db, app)`` forever, and which reports through RJC's ``job_db.update_job_status`` and
``job_db.store_job_logs``. It derives every status from the HPCJobs (``reana_hpc.sync``), so a restarted
watch, a 410 or a lost event cannot leave a status wrong, and it follows the JOB_DB entries whose job
manager is ``HPCJobManager``, whatever name the backend was registered under.

RJC starts it after each submission as ``JOB_MONITORS[backend]()(app=..., workflow_uuid=...)``; with a
workflow uuid it watches only that workflow's HPCJobs (one job-controller serves one workflow).
"""

from __future__ import annotations

import logging
import threading
from typing import Optional

from . import RJC_MISSING

try:
    from reana_job_controller.job_db import store_job_logs, update_job_status
    from reana_job_controller.job_monitor import JobMonitor
    from reana_job_controller.utils import singleton
except ImportError as e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(RJC_MISSING) from e

from .. import labels
from ..sync import StatusSync
from ..watch import HPCJobWatcher
from . import job_manager, job_rows

log = logging.getLogger(__name__)

TICK_SECONDS = 2.0
WATCH_TIMEOUT_SECONDS = 240
RESYNC_SECONDS = 300.0


class HPCJobMonitor(JobMonitor):
    """The monitor; ``JobMonitorHPC`` (below) is its singleton factory, as RJC's monitors are."""

    def __init__(self, workflow_uuid: Optional[str] = None, app=None, **kwargs):
        self.job_manager_cls = job_manager.HPCJobManager
        self.workflow_uuid = workflow_uuid
        self.backend = job_manager.backend()
        self._stop = threading.Event()
        self.sync: Optional[StatusSync] = None
        self.watcher: Optional[HPCJobWatcher] = None
        super().__init__(thread_name="hpc_job_monitor", app=app)

    def watch_jobs(self, job_db, app=None):
        """Watches this workflow's HPCJobs and reports REANA statuses; runs until ``shutdown()``."""
        backend = self.backend

        def get_logs(name, workspace, hpcjob):
            return self.job_manager_cls.get_logs(name, workspace=workspace, hpcjob=hpcjob)

        self.sync = StatusSync(
            job_db,
            lambda job: isinstance(job.get("obj"), job_manager.HPCJobManager),
            update_job_status,
            store_job_logs,
            get_logs,
            backend.get,
            record_start=job_rows.record_start,
        )
        self.watcher = HPCJobWatcher(
            backend.api,
            labels.workflow_selector(self.workflow_uuid),
            self.sync,
            watch_timeout_seconds=WATCH_TIMEOUT_SECONDS,
            resync_seconds=RESYNC_SECONDS,
        )
        if self._stop.is_set():  # shut down before the thread got here
            return
        self.sync.start_ticker(TICK_SECONDS, self._stop)
        log.info("watching HPCJobs (%s) in %s", self.watcher.label_selector, backend.settings.namespace)
        self.watcher.run()

    def shutdown(self) -> None:
        """Stops the watch and the ticker (tests; RJC itself never stops its monitors)."""
        self._stop.set()
        if self.watcher:
            self.watcher.stop()


JobMonitorHPC = singleton(HPCJobMonitor)
"""What ``JOB_MONITORS["hpc"]`` returns: one monitor per process, created on first call."""
