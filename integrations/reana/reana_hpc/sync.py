"""Keeps REANA's job table in step with the HPCJobs: the heart of the job monitor, without RJC.

reana-job-controller keeps its jobs in ``JOB_DB`` (a dict: REANA job id -> ``{"status", "backend_job_id",
"compute_backend", "deleted", "obj", ...}``) and its monitors report through ``update_job_status`` and
``store_job_logs``. ``StatusSync`` is a watch handler (see ``watch.HPCJobWatcher``) that, after every
list, every event and every tick, recomputes each unfinished job's REANA status from the HPCJob
(``status.reana_status``) and reports the ones that move the job forward (``status.advances``: never
``queued`` after ``running``), in the order the upstream monitors do: logs first, then the final status,
then ``deleted=True`` so the job is never processed again. When a step first runs, its real start time
(``status.startTime`` of the HPCJob) is recorded once through ``record_start``.

Restart-safe by construction: the only state besides JOB_DB is a cache of the HPCJobs as last listed
or watched, rebuilt from the API server on every (re)list. A job that vanished while nobody watched is
confirmed with a direct read before it is called stopped, so a job created after a list is never
mistaken for a deleted one.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, List, MutableMapping, Optional

from .status import FINISHED, FAILED, RUNNING, advances, is_final, phase_of, reana_status, start_time

log = logging.getLogger(__name__)

_UNKNOWN = object()


class StatusSync:
    """Reconciles the JOB_DB entries of this backend with HPCJobs.

    :param job_db: RJC's JOB_DB (or any dict of the same shape).
    :param owns: ``job -> bool``, whether a JOB_DB entry is one of this backend's jobs. The monitor
        decides by the entry's job manager class, not by the name it was registered under.
    :param update_job_status: ``(job_id, status)``, RJC's ``job_db.update_job_status``.
    :param store_job_logs: ``(job_id, logs)``, RJC's ``job_db.store_job_logs``.
    :param get_logs: ``(name, workspace, hpcjob) -> str``.
    :param get_hpcjob: ``name -> dict | None`` (a direct read, to confirm a disappearance).
    :param record_start: ``(job_id, hpcjob)``, called once per job when its HPCJob first runs.
    """

    def __init__(
        self,
        job_db: MutableMapping[str, Dict[str, Any]],
        owns: Callable[[Dict[str, Any]], bool],
        update_job_status: Callable[[str, str], None],
        store_job_logs: Callable[[str, str], None],
        get_logs: Callable[[str, Optional[str], Optional[Dict[str, Any]]], str],
        get_hpcjob: Callable[[str], Optional[Dict[str, Any]]],
        *,
        record_start: Optional[Callable[[str, Dict[str, Any]], None]] = None,
        confirm_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.job_db = job_db
        self.owns = owns
        self.record_start = record_start
        self._started: set = set()
        self.update_job_status = update_job_status
        self.store_job_logs = store_job_logs
        self.get_logs = get_logs
        self.get_hpcjob = get_hpcjob
        self.confirm_interval = confirm_interval
        self._clock = clock
        self._lock = threading.RLock()
        self._cache: Dict[str, Dict[str, Any]] = {}
        self._gone: Dict[str, Optional[Dict[str, Any]]] = {}
        self._last_confirm: Dict[str, float] = {}
        self.synced = False

    # --------------------------------------------------------------- watch handler

    def replace(self, objects: List[Dict[str, Any]]) -> None:
        """After a (re)list: the complete set. Anything cached but no longer listed was deleted unseen."""
        with self._lock:
            fresh = {o["metadata"]["name"]: o for o in objects}
            for name, obj in self._cache.items():
                if name not in fresh:
                    self._gone[name] = obj
            for name in fresh:
                self._gone.pop(name, None)
            self._cache = fresh
            self.synced = True
            self.reconcile()

    def apply(self, event_type: str, obj: Dict[str, Any]) -> None:
        """One watch event (ADDED, MODIFIED or DELETED)."""
        with self._lock:
            name = obj["metadata"]["name"]
            if event_type == "DELETED":
                self._cache.pop(name, None)
                self._gone[name] = obj
            else:
                self._cache[name] = obj
                self._gone.pop(name, None)
            self.reconcile()

    # --------------------------------------------------------------- reconcile

    def _entries(self):
        for job_id, job in list(self.job_db.items()):
            if job.get("deleted") or not self.owns(job):
                continue
            if is_final(job.get("status")):
                continue
            yield job_id, job

    def _observe(self, name: str):
        """(HPCJob or None, deleted?) for ``name``, or _UNKNOWN when there is nothing to go on yet."""
        if name in self._cache:
            return self._cache[name], False
        if name in self._gone:
            return self._gone[name], True
        if not self.synced:
            return _UNKNOWN
        now = self._clock()
        if now - self._last_confirm.get(name, -1e18) < self.confirm_interval:
            return _UNKNOWN
        self._last_confirm[name] = now
        try:
            obj = self.get_hpcjob(name)
        except Exception as e:  # noqa: BLE001 - try again on the next tick
            log.warning("could not read HPCJob %s: %s", name, e)
            return _UNKNOWN
        if obj is None:
            self._gone[name] = None
            return None, True
        self._cache[name] = obj
        return obj, False

    def reconcile(self) -> None:
        """Reports every status that differs from what its HPCJob says. Safe to call any time."""
        with self._lock:
            active = set()
            for job_id, job in self._entries():
                name = job.get("backend_job_id")
                if not name:
                    continue
                active.add(name)
                seen = self._observe(name)
                if seen is _UNKNOWN:
                    continue
                obj, deleted = seen
                desired = reana_status(phase_of(obj), deleted=deleted)
                self._note_start(job_id, obj, desired)
                if not advances(job.get("status"), desired):
                    continue
                try:
                    self._report(job_id, job, name, obj, desired)
                except Exception:  # noqa: BLE001 - one bad job must not stop the others
                    log.exception("could not report status %s of job %s (%s)", desired, job_id, name)
            # Forget disappearances nobody waits for any more.
            for name in [n for n in self._gone if n not in active]:
                del self._gone[name]
            for name in [n for n in self._last_confirm if n not in active]:
                del self._last_confirm[name]

    def _note_start(self, job_id: str, obj: Optional[Dict[str, Any]], desired: str) -> None:
        """Records the real start once, when the HPCJob says it ran (Running, or finished after running)."""
        if self.record_start is None or job_id in self._started or obj is None:
            return
        if desired != RUNNING and not (desired in (FINISHED, FAILED) and start_time(obj)):
            return
        self._started.add(job_id)
        try:
            self.record_start(job_id, obj)
        except Exception:  # noqa: BLE001 - a missing start time must not stop status reports
            log.exception("could not record the start of job %s", job_id)

    def _report(self, job_id: str, job: Dict[str, Any], name: str, obj: Optional[Dict[str, Any]], status: str) -> None:
        if is_final(status):
            workspace = getattr(job.get("obj"), "workflow_workspace", None)
            self.store_job_logs(job_id, self.get_logs(name, workspace, obj))
            self.update_job_status(job_id, status)
            job["deleted"] = True
            self._started.discard(job_id)
            log.info("job %s (HPCJob %s) is %s", job_id, name, status)
        else:
            self.update_job_status(job_id, status)

    # --------------------------------------------------------------- ticking

    def start_ticker(self, interval: float, stop: threading.Event, name: str = "hpcjob-sync-tick") -> threading.Thread:
        """Reconciles every ``interval`` seconds, so that changes made to JOB_DB by others (RJC marks every
        new job ``running`` right after submission) are corrected without waiting for an HPCJob event."""

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    if self.synced:
                        self.reconcile()
                except Exception:  # noqa: BLE001
                    log.exception("periodic reconcile failed")

        t = threading.Thread(target=loop, name=name, daemon=True)
        t.start()
        return t
