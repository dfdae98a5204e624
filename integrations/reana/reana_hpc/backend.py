"""The backend's operations on HPCJobs, independent of reana-job-controller.

``reana_hpc.rjc.job_manager`` adapts these to RJC's ``JobManager`` contract; anything else (a test, a
CLI, another workflow system) can use them directly.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Dict, Mapping, Optional

from kubernetes.client.rest import ApiException

from .errors import HPCBackendError
from .kube import HPCJobsApi, api_client
from .live import OperatorLogs, credentials_of, is_running
from .logs import MAX_LOG_BYTES, step_logs
from .manifest import build_hpcjob
from .settings import Settings
from .status import phase_of, reana_status

log = logging.getLogger(__name__)

CREATE_ATTEMPTS = 3
_PERMANENT = (400, 401, 403, 404, 422)


def _api_message(e: ApiException) -> str:
    try:
        return json.loads(e.body).get("message") or str(e.reason)
    except (TypeError, ValueError, AttributeError):
        return str(e.reason)


class HPCBackend:
    """Creates, stops and reads the HPCJobs of REANA steps in one namespace."""

    def __init__(
        self,
        settings: Settings,
        api: Optional[HPCJobsApi] = None,
        retry_wait: float = 2.0,
        live: Optional[OperatorLogs] = None,
    ):
        self.settings = settings
        self.api = api or HPCJobsApi(settings.namespace)
        self.retry_wait = retry_wait
        self._live = live

    def live(self) -> Optional[OperatorLogs]:
        """The operator's live-logs endpoint (REANA_HPC_OPERATOR_URL), with this process's Kubernetes credentials."""
        if self._live is None and self.settings.operator_url:
            configuration = api_client().configuration
            self._live = OperatorLogs(
                self.settings.operator_url, self.settings.operator_ca, lambda: credentials_of(configuration)
            )
        return self._live

    @classmethod
    def from_env(cls) -> "HPCBackend":
        return cls(Settings.from_env())

    def submit(self, request: Mapping[str, Any]) -> str:
        """Creates the HPCJob of a step and returns its name (REANA's backend job id).

        Transient API errors are retried; a retry that finds the object already there (the first
        create went through but its answer was lost) counts as success, so a step is never created twice
        and never lost. Names are unique per call, so a 409 can only be our own earlier attempt.
        """
        manifest = build_hpcjob(request, self.settings)
        name = manifest["metadata"]["name"]
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                self.api.create(manifest)
                log.info("created HPCJob %s/%s", self.settings.namespace, name)
                return name
            except ApiException as e:
                if e.status == 409:
                    return name
                if e.status in _PERMANENT:
                    raise HPCBackendError(
                        f"the Kubernetes API refused HPCJob {name}: {_api_message(e)}"
                    ) from None
                if attempt == CREATE_ATTEMPTS:
                    raise HPCBackendError(
                        f"could not create HPCJob {name} after {attempt} attempts: {_api_message(e)}"
                    ) from None
                log.warning("creating HPCJob %s failed (%s); retrying", name, e.status)
            except Exception as e:  # noqa: BLE001 - network errors: retry, then report
                if attempt == CREATE_ATTEMPTS:
                    raise HPCBackendError(f"could not create HPCJob {name}: {e}") from None
                log.warning("creating HPCJob %s failed (%s); retrying", name, type(e).__name__)
            time.sleep(self.retry_wait * attempt)
        raise AssertionError("unreachable")

    def stop(self, name: str) -> bool:
        """Deletes the HPCJob; the operator's finalizer removes its HTCondor job. Idempotent."""
        deleted = self.api.delete(name)
        log.info("stopping HPCJob %s/%s (%s)", self.settings.namespace, name, "deleted" if deleted else "already gone")
        return deleted

    def get(self, name: str) -> Optional[Dict[str, Any]]:
        return self.api.get(name)

    def status(self, name: str) -> str:
        """The REANA status of the step right now (read from the HPCJob, never remembered)."""
        obj = self.api.get(name)
        return reana_status(phase_of(obj), deleted=obj is None)

    def logs(self, name: str, workspace: Optional[str] = None, hpcjob: Optional[Mapping[str, Any]] = None) -> str:
        """stdout and stderr of the step's last attempt (see ``logs.step_logs``).

        While the attempt runs, what it has written so far comes from the operator's live-logs endpoint
        (``live.py``) when one is configured; without one, or when it cannot answer, the workspace's files.

        :param workspace: the workflow workspace as this process sees it; derived from the HPCJob when not given.
        :param hpcjob: the HPCJob if the caller has it (saves a read; a deleted one has its last state).
        """
        obj = hpcjob
        if obj is None:
            try:
                obj = self.api.get(name)
            except Exception as e:  # noqa: BLE001 - logs are best effort; the files may still be there
                log.warning("could not read HPCJob %s for its logs: %s", name, e)
        live = self.live() if is_running(obj) else None
        if live is not None:
            text = live.so_far(self.settings.namespace, name, MAX_LOG_BYTES)
            if text is not None:
                return text
        if workspace is None and obj is not None:
            path = ((obj.get("spec") or {}).get("workspace") or {}).get("path")
            workspace = self.settings.to_reana_path(path) if path else None
        return step_logs(workspace, name, obj)
