"""What RJC's REST endpoints do with a compute backend, in the same order, without Flask/PostgreSQL."""

import copy

from reana_commons.job_utils import deserialise_job_command

from reana_job_controller import config
from reana_job_controller.errors import ComputingBackendSubmissionError
from reana_job_controller.job_db import JOB_DB, retrieve_backend_job_id, store_job_logs, update_job_status


class SubmissionFailed(Exception):
    """RJC's 500 answer ``{"message": "Job submission failed. ..."}``."""


def load_job_request(payload):
    """RJC's JobRequest schema, for the fields a backend sees: cmd decoded, defaults filled in."""
    request = dict(payload)
    request["cmd"] = deserialise_job_command(request.get("cmd", ""))
    request.setdefault("prettified_cmd", "")
    request.setdefault("cvmfs_mounts", "")
    request.setdefault("env_vars", {})
    request.setdefault("shared_file_system", True)
    request.setdefault("kubernetes_job_timeout", int(config.REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT))
    return request


def create_job(payload, app=None, secrets=None):
    """POST /jobs: returns the REANA job id, or raises SubmissionFailed with RJC's message."""
    job_request = load_job_request(payload)
    compute_backend = job_request.pop("compute_backend", config.DEFAULT_COMPUTE_BACKEND)
    if compute_backend not in config.SUPPORTED_COMPUTE_BACKENDS:
        raise SubmissionFailed(f"Job submission failed. Backend {compute_backend} is not supported.")
    job_manager_cls = config.COMPUTE_BACKENDS[compute_backend]()
    job_obj = job_manager_cls(**job_request, secrets=secrets)
    try:
        backend_job_id = job_obj.execute()
    except Exception as e:
        raise SubmissionFailed(f"Job submission failed. \n{e}") from e
    job = copy.deepcopy(job_request)
    job["status"] = "started"
    job["restart_count"] = 0
    job["max_restart_count"] = 3
    job["deleted"] = False
    job["obj"] = job_obj
    job["job_id"] = job_obj.job_id
    job["backend_job_id"] = backend_job_id
    job["compute_backend"] = compute_backend
    JOB_DB[str(job["job_id"])] = job
    # RJC's FIXME: it marks every job running at submission, queued or not.
    update_job_status(job_obj.job_id, "running")
    config.JOB_MONITORS[compute_backend]()(app=app, workflow_uuid=job_request["workflow_uuid"])
    return job_obj.job_id


def delete_job(job_id, compute_backend=None):
    """DELETE /jobs/<id>?compute_backend=...: calls stop on the class; the status is left to the monitor."""
    backend_job_id = retrieve_backend_job_id(job_id)
    job_manager_cls = config.COMPUTE_BACKENDS[compute_backend or config.DEFAULT_COMPUTE_BACKEND]()
    try:
        job_manager_cls.stop(backend_job_id)
    except ComputingBackendSubmissionError as e:
        raise SubmissionFailed(f"Connection to compute backend failed:\n{e}") from e


def shutdown():
    """GET /shutdown: logs, stop, stopped and deleted for every unfinished job; returns the failures."""
    failed = []
    for job_id, job in list(JOB_DB.items()):
        if job["status"] in ("finished", "failed", "stopped"):
            continue
        job_manager_cls = config.COMPUTE_BACKENDS[job["compute_backend"]]()
        try:
            store_job_logs(job_id, job_manager_cls.get_logs(job["backend_job_id"], workspace=job["obj"].workflow_workspace))
            job_manager_cls.stop(job["backend_job_id"])
            update_job_status(job_id, "stopped")
            JOB_DB[job_id]["deleted"] = True
        except Exception:
            failed.append(job_id)
    return failed
