"""Stand-in of reana_job_controller.rest: the endpoints a compute backend is driven through.

Same order of operations, answers and messages as RJC's; RJC's shutdown lock (no job created during or
after ``/shutdown``) is kept, its OpenAPI docstrings and job cache are not.
"""

import copy
import logging
import threading

import marshmallow
from flask import Blueprint, current_app, jsonify, request
from reana_commons.k8s.secrets import UserSecretsStore

from reana_job_controller import config
from reana_job_controller.errors import ComputingBackendSubmissionError
from reana_job_controller.job_db import (
    JOB_DB,
    job_exists,
    retrieve_backend_job_id,
    retrieve_job,
    retrieve_job_logs,
    store_job_logs,
    update_job_status,
)
from reana_job_controller.schemas import JobRequest

blueprint = Blueprint("jobs", __name__)
job_request_schema = JobRequest()
_SECRETS_CACHE = None
_creation = {"permitted": True, "ongoing": 0, "lock": threading.Condition()}


def get_cached_user_secrets():
    global _SECRETS_CACHE
    if _SECRETS_CACHE is None:
        _SECRETS_CACHE = UserSecretsStore.fetch(config.REANA_USER_ID)
    return _SECRETS_CACHE


def _start_creation():
    with _creation["lock"]:
        if not _creation["permitted"]:
            return False
        _creation["ongoing"] += 1
        return True


def _stop_creation():
    with _creation["lock"]:
        _creation["ongoing"] -= 1
        _creation["lock"].notify_all()


@blueprint.route("/jobs", methods=["POST"])
def create_job():
    json_data = request.get_json()
    if not json_data:
        return jsonify({"message": "Empty request"}), 400
    try:
        job_request = job_request_schema.load(json_data)
    except marshmallow.ValidationError as e:
        return jsonify({"message": e.messages}), 400
    vetted = current_app.config["REANA_VETTED_CONTAINER_IMAGES"]
    if vetted["enabled"] and job_request["docker_img"] not in vetted["allowlist"]:
        return jsonify({"message": f"Image not allowed: {job_request['docker_img']}"}), 403
    compute_backend = job_request.pop("compute_backend", current_app.config["DEFAULT_COMPUTE_BACKEND"])
    if compute_backend not in current_app.config["SUPPORTED_COMPUTE_BACKENDS"]:
        msg = f"Job submission failed. Backend {compute_backend} is not supported."
        logging.error(msg)
        return jsonify({"job": msg}), 500
    job_manager_cls = current_app.config["COMPUTE_BACKENDS"][compute_backend]()
    job_obj = job_manager_cls(**job_request, secrets=get_cached_user_secrets())
    if not _start_creation():
        return jsonify({"message": "Cannot create new jobs, shutting down"}), 400
    try:
        backend_job_id = job_obj.execute()
    except Exception as e:
        msg = f"Job submission failed. \n{e}"
        logging.error(msg)
        return jsonify({"message": msg}), 500
    finally:
        _stop_creation()
    job = copy.deepcopy(job_request)
    job.update(status="started", restart_count=0, max_restart_count=3, deleted=False, obj=job_obj)
    job.update(job_id=job_obj.job_id, backend_job_id=backend_job_id, compute_backend=compute_backend)
    JOB_DB[str(job["job_id"])] = job
    # RJC's FIXME: every job is marked running at submission, queued or not.
    update_job_status(job_obj.job_id, "running")
    monitor = current_app.config["JOB_MONITORS"][compute_backend]()
    monitor(app=current_app._get_current_object(), workflow_uuid=job_request["workflow_uuid"])
    return jsonify({"job_id": job["job_id"]}), 201


@blueprint.route("/jobs/<job_id>", methods=["GET"])
def get_job(job_id):
    if job_exists(job_id):
        return jsonify(retrieve_job(job_id)), 200
    return jsonify({"message": f"The job {job_id} doesn't exist"}), 400


@blueprint.route("/jobs/<job_id>/logs", methods=["GET"])
def get_logs(job_id):
    if job_exists(job_id):
        return retrieve_job_logs(job_id)
    return jsonify({"message": f"The job {job_id} doesn't exist"}), 404


@blueprint.route("/jobs/<job_id>/", methods=["DELETE"])
def delete_job(job_id):
    """Calls stop on the class; the status is left to the monitor."""
    if not job_exists(job_id):
        return jsonify({"message": f"The job {job_id} doesn't exist"}), 404
    compute_backend = request.args.get("compute_backend", current_app.config["DEFAULT_COMPUTE_BACKEND"])
    try:
        current_app.config["COMPUTE_BACKENDS"][compute_backend]().stop(retrieve_backend_job_id(job_id))
        return jsonify(), 204
    except ComputingBackendSubmissionError as e:
        return jsonify({"message": f"Connection to compute backend failed:\n{e}"}), 502


@blueprint.route("/shutdown", methods=["GET"])
def shutdown():
    """No more jobs; then logs, stop, stopped and deleted for every unfinished job."""
    with _creation["lock"]:
        while _creation["ongoing"]:
            _creation["lock"].wait()
        _creation["permitted"] = False
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
            logging.exception(f"Could not stop job {job_id}")
            failed.append(job_id)
    if failed:
        return jsonify({"message": "Could not stop jobs " + ", ".join(failed)}), 500
    return jsonify({"message": "All jobs stopped."}), 200
