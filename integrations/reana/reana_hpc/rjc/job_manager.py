"""``HPCJobManager``: reana-job-controller's compute backend contract, implemented with HPCJobs.

reana-job-controller (RJC) uses a backend class in three ways, which this class follows:

* ``cls(**job_request, secrets=...)`` then ``execute()`` (``POST /jobs``): ``execute`` returns the
  backend job id; RJC's ``execution_hook`` then records the job in its database.
* ``cls.stop(backend_job_id)`` on the *class* (``DELETE /jobs/<id>``, ``/shutdown``, monitors): so
  ``stop`` is a static method.
* ``cls.get_logs(backend_job_id, workspace=...)`` on the class (``/shutdown``, monitors): a classmethod.

Jobs are recorded with ``compute_backend = "HTCondor"`` (reana-commons' ``REANA_COMPUTE_BACKENDS``, the
names reana-server's admin statistics count): every HPCJob runs as an HTCondor job, on an HPC pool.

The backend job id is the HPCJob's name. The HPCJob is created in ``REANA_HPC_NAMESPACE``; see
``reana_hpc.settings`` for the deployment settings.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, Optional

from kubernetes.client.rest import ApiException

from . import RJC_MISSING

try:
    from reana_commons.config import REANA_COMPUTE_BACKENDS
    from reana_job_controller.errors import ComputingBackendSubmissionError
    from reana_job_controller.job_manager import JobManager
except ImportError as e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(RJC_MISSING) from e

from ..backend import HPCBackend
from . import job_rows

log = logging.getLogger(__name__)

_lock = threading.Lock()
_backend: Optional[HPCBackend] = None


def backend() -> HPCBackend:
    """The process-wide backend, built from the environment on first use (class-level calls need it)."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = HPCBackend.from_env()
        return _backend


def set_backend(b: Optional[HPCBackend]) -> None:
    """Replaces the process-wide backend (tests; ``None`` rebuilds it from the environment)."""
    global _backend
    with _lock:
        _backend = b


# The request fields that shape the HPCJob (besides the ones JobManager keeps itself).
_HPC_FIELDS = (
    "cvmfs_mounts",
    "kerberos",
    "voms_proxy",
    "rucio",
    "htcondor_max_runtime",
    "htcondor_accounting_group",
    "htcondor_request_cpus",
    "htcondor_request_memory",
    "htcondor_request_disk",
    "htcondor_requirements",
    "slurm_partition",
    "slurm_time",
    "unpacked_img",
)


class HPCJobManager(JobManager):
    """Runs a REANA step as an HPCJob (on HPC through the SCAILFIN HPC operator and HTCondor)."""

    def __init__(
        self,
        docker_img=None,
        cmd=None,
        prettified_cmd=None,
        env_vars=None,
        workflow_uuid=None,
        workflow_workspace=None,
        cvmfs_mounts="false",
        shared_file_system=False,
        job_name=None,
        kerberos=False,
        voms_proxy=False,
        rucio=False,
        unpacked_img=False,
        htcondor_max_runtime="",
        htcondor_accounting_group=None,
        htcondor_request_cpus="",
        htcondor_request_memory="",
        htcondor_request_disk="",
        htcondor_requirements="",
        slurm_partition=None,
        slurm_time=None,
        secrets=None,
        **kwargs: Any,
    ):
        """Keeps the request; nothing is validated or created until ``execute()``.

        Validation happens in ``execute`` on purpose: RJC turns an exception there into
        ``Job submission failed. <message>``, which reaches the user, while one raised here would be an
        anonymous 500. ``secrets`` (the user's REANA secrets) are accepted and dropped: they never go
        into an HPCJob. Other keyword arguments (``kubernetes_*``, ``c4p_*``) belong to other backends.
        """
        super().__init__(
            docker_img=docker_img,
            cmd=cmd,
            prettified_cmd=prettified_cmd,
            # JobManager adds REANA_WORKSPACE etc. to the dict it is given: give it our own copy.
            env_vars=dict(env_vars or {}),
            workflow_uuid=workflow_uuid,
            workflow_workspace=workflow_workspace,
            job_name=job_name,
        )
        self.compute_backend = REANA_COMPUTE_BACKENDS["htcondor"]
        self.cvmfs_mounts = cvmfs_mounts
        self.shared_file_system = shared_file_system
        values = locals()
        self.hpc_request: Dict[str, Any] = {k: values[k] for k in _HPC_FIELDS}

    def request(self) -> Dict[str, Any]:
        """The full request the HPCJob is built from (``reana_hpc.manifest.build_hpcjob``)."""
        return {
            **self.hpc_request,
            "docker_img": self.docker_img,
            "cmd": self.cmd,
            "prettified_cmd": self.prettified_cmd,
            "env_vars": self.env_vars,
            "workflow_uuid": self.workflow_uuid,
            "workflow_workspace": self.workflow_workspace,
            "job_name": self.job_name,
        }

    @JobManager.execution_hook
    def execute(self):
        """Creates the HPCJob and returns its name (the backend job id)."""
        return backend().submit(self.request())

    def create_job_in_db(self, backend_job_id):
        """RJC's row, then made ``running`` without a start time (see ``job_rows``)."""
        super().create_job_in_db(backend_job_id)
        job_rows.mark_submitted(self.job_id)

    @staticmethod
    def stop(backend_job_id, **kwargs):
        """Deletes the HPCJob; the operator removes its HTCondor job. Called on the class by RJC."""
        try:
            backend().stop(backend_job_id)
        except ApiException as e:
            log.error("could not stop HPCJob %s: %s", backend_job_id, e.reason)
            raise ComputingBackendSubmissionError(e.reason) from None

    @classmethod
    def get_logs(cls, backend_job_id, **kwargs):
        """stdout and stderr of the step's last attempt, read from the workspace.

        :param kwargs: ``workspace`` (the workflow workspace, as RJC passes it) and optionally
            ``hpcjob`` (the HPCJob object, as the monitor passes it).
        """
        return backend().logs(backend_job_id, workspace=kwargs.get("workspace"), hpcjob=kwargs.get("hpcjob"))
