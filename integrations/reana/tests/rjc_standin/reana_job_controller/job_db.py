"""Stand-in of reana_job_controller.job_db: JOB_DB and the two reporting functions monitors call."""

import threading

JOB_DB = {}
"""REANA job id -> job dict (status, backend_job_id, compute_backend, deleted, obj, ...)."""

DB_ROWS = {}
"""What RJC writes to the __reana.job table: job id -> {"status", "logs", ...}."""

HISTORY = []
"""Every status report as (job_id, status, thread name), in order: for assertions."""

_lock = threading.Lock()


def update_job_status(job_id, status):
    with _lock:
        JOB_DB[job_id]["status"] = status
        DB_ROWS.setdefault(job_id, {})["status"] = status
        HISTORY.append((job_id, status, threading.current_thread().name))


def store_job_logs(job_id, logs):
    with _lock:
        JOB_DB[job_id]["log"] = logs
        DB_ROWS.setdefault(job_id, {})["logs"] = logs


def retrieve_backend_job_id(job_id):
    return JOB_DB[job_id]["backend_job_id"]


def reset():
    """Forget everything (between tests)."""
    with _lock:
        JOB_DB.clear()
        DB_ROWS.clear()
        HISTORY.clear()
