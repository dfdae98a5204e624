"""Stand-in of reana_job_controller.job_db: the in-memory JOB_DB, mirrored to reana-db as RJC does."""

import logging

from reana_db.database import Session
from reana_db.models import Job, JobStatus

JOB_DB = {}
"""REANA job id -> job dict (status, backend_job_id, compute_backend, deleted, obj, ...)."""


def retrieve_job(job_id):
    job = JOB_DB[job_id]
    return {
        "cmd": job["cmd"] if job.get("cmd") else "",
        "cvmfs_mounts": job["cvmfs_mounts"] if job.get("cvmfs_mounts") else "",
        "docker_img": job["docker_img"],
        "job_id": job["job_id"],
        "max_restart_count": job["max_restart_count"],
        "restart_count": job["restart_count"],
        "status": job["status"],
    }


def retrieve_backend_job_id(job_id):
    return JOB_DB[job_id]["backend_job_id"]


def job_exists(job_id):
    return job_id in JOB_DB


def retrieve_job_logs(job_id):
    return JOB_DB[job_id].get("log")


def store_job_logs(job_id, logs):
    JOB_DB[job_id]["log"] = logs
    try:
        Session.query(Job).filter_by(id_=job_id).update(dict(logs=logs))
        Session.commit()
    except Exception as e:
        logging.exception(f"Exception while saving logs: {e}")


def update_job_status(job_id, status):
    JOB_DB[job_id]["status"] = status
    try:
        job_in_db = Session.query(Job).filter_by(id_=job_id).one()
        job_in_db.status = JobStatus[status]  # reana-db's listener sets started_at on "running"
        Session.commit()
    except Exception as e:
        logging.exception(f"Exception while updating status: {e}")
