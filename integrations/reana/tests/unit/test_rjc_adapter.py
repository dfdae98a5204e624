"""The reana-job-controller adapters, driven through the job-controller's own surface.

The job-controller is the real one when ``REANA_JOB_CONTROLLER_SRC`` points at a checkout, else its
stand-in (see tests/rjc_harness.py); these tests use only what both have in common: the REST endpoints,
reached through reana-commons' ``JobControllerAPIClient``, ``config``'s registries, ``JOB_DB`` and
reana-db's ``job`` table. The Kubernetes API is faked here; the e2e tests use the real one.
"""

import json
import os
import subprocess
import sys

import pytest
from kubernetes.client.rest import ApiException
from reana_commons.config import REANA_COMPUTE_BACKENDS
from reana_commons.errors import REANAJobControllerSubmissionError

from rjc_fixture import NAME, SECRET_VALUE, Deployment, db_row, install_secrets, wait_for
from reana_hpc.rjc.job_rows import local_naive

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="session")
def rjc(rjc_app):
    with pytest.MonkeyPatch.context() as mp:
        install_secrets(mp)
        deployment = Deployment(rjc_app)
        yield deployment
        deployment.close()


def write_stdout(ws, name, text):
    os.makedirs(f"{ws}/.hpc/{name}/1", exist_ok=True)
    with open(f"{ws}/.hpc/{name}/1/stdout", "w") as f:
        f.write(text)


def test_core_imports_without_reana_job_controller_and_the_adapters_say_why_not():
    code = (
        "import sys, importlib\n"
        "import reana_hpc, reana_hpc.manifest, reana_hpc.status, reana_hpc.watch, reana_hpc.sync, reana_hpc.backend\n"
        "import reana_hpc.rjc, reana_hpc.rjc.register, reana_hpc.rjc.registration\n"
        "assert 'reana_job_controller' not in sys.modules\n"
        "for m in ('reana_hpc.rjc.job_manager', 'reana_hpc.rjc.job_monitor'):\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except ImportError as e:\n"
        "        assert 'needs reana-job-controller' in str(e), e\n"
        "    else:\n"
        "        raise SystemExit(m + ' imported without reana_job_controller')\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = PKG_ROOT
    got = subprocess.run([sys.executable, "-c", code], cwd=PKG_ROOT, env=env, capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "ok"


def test_post_jobs_creates_one_hpcjob_recorded_as_htcondor(rjc, tmp_path):
    from reana_job_controller.job_db import JOB_DB

    ws = str(tmp_path)
    before = len(rjc.api.created)
    job_id = rjc.submit(ws, htcondor_request_cpus="2", slurm_partition="gpu")
    assert len(rjc.api.created) == before + 1
    hpcjob = rjc.api.created[-1]
    assert JOB_DB[job_id]["backend_job_id"] == hpcjob["metadata"]["name"]
    # The name reana-server's admin statistics count (reana-commons' REANA_COMPUTE_BACKENDS).
    assert db_row(job_id).compute_backend == REANA_COMPUTE_BACKENDS["htcondor"] == "HTCondor"
    spec = hpcjob["spec"]
    assert spec["command"] == ["bash", "-c", f"cd {ws} && python3 fit.py"]
    assert spec["resources"] == {"cpus": 2} and spec["virtualClusterRef"] == {"name": "bridges-gpu"}
    env = {e["name"]: e["value"] for e in spec["env"]}
    assert env["REANA_WORKSPACE"] == ws and env["REANA_WORKFLOW_UUID"] == JOB_DB[job_id]["workflow_uuid"]
    assert SECRET_VALUE not in json.dumps(hpcjob)


def test_unpacked_img_runs_the_unpacked_directory(rjc, tmp_path):
    img = "/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/python:3.12"
    job_id = rjc.submit(str(tmp_path), image=img, unpacked_img=True)
    assert rjc.hpcjob_of(job_id)["spec"]["image"] == "dir://" + img


def test_a_refused_option_reaches_the_user_as_the_submission_message(rjc, tmp_path):
    before = len(rjc.api.created)
    with pytest.raises(REANAJobControllerSubmissionError, match=r"Job submission failed. \ncvmfs_mounts is not supported"):
        rjc.submit(str(tmp_path), cvmfs_mounts="['atlas.cern.ch']")
    with pytest.raises(REANAJobControllerSubmissionError, match=r"unpacked_img is set but the environment 'python:3.12'"):
        rjc.submit(str(tmp_path), unpacked_img=True)
    assert len(rjc.api.created) == before


def test_a_field_the_request_schema_does_not_know_is_a_400_naming_it(rjc, tmp_path):
    body = {"job_name": "x", "workflow_workspace": str(tmp_path), "workflow_uuid": "w", "docker_img": "python:3.12",
            "compute_backend": NAME, "hpc_virtual_cluster": "nersc"}
    got = rjc.http.post("/jobs", json=body)
    assert got.status_code == 400
    assert got.get_json()["message"] == {"hpc_virtual_cluster": ["Unknown field."]}


def test_transient_api_errors_are_retried_and_a_lost_answer_is_not_a_duplicate(rjc, tmp_path, monkeypatch):
    from reana_job_controller.job_db import JOB_DB

    before = len(rjc.api.created)
    rjc.api.fail_create = [ApiException(status=503, reason="unavailable")]
    job_id = rjc.submit(str(tmp_path))
    assert len(rjc.api.created) == before + 1 and JOB_DB[job_id]["backend_job_id"] == rjc.api.created[-1]["metadata"]["name"]

    real_create = rjc.api.create

    def create_then_lose_answer(body):  # the create went through but its answer was lost
        real_create(body)
        raise ConnectionError("connection reset")

    monkeypatch.setattr(rjc.api, "create", create_then_lose_answer)
    job_id = rjc.submit(str(tmp_path))
    assert len(rjc.api.created) == before + 2
    assert JOB_DB[job_id]["backend_job_id"] == rjc.api.created[-1]["metadata"]["name"]


def test_an_api_refusal_is_not_retried(rjc, tmp_path):
    before = len(rjc.api.created)
    rjc.api.fail_create = [ApiException(status=422, reason="Invalid")]
    with pytest.raises(REANAJobControllerSubmissionError, match="the Kubernetes API refused HPCJob"):
        rjc.submit(str(tmp_path))
    assert rjc.api.fail_create == [] and len(rjc.api.created) == before


def test_delete_stops_the_hpcjob_and_get_logs_is_a_class_level_call(rjc, tmp_path):
    from reana_job_controller import config

    ws = str(tmp_path)
    job_id = rjc.submit(ws)
    name = rjc.hpcjob_of(job_id)["metadata"]["name"]
    write_stdout(ws, name, "chi2/ndf = 1.02\n")
    cls = config.COMPUTE_BACKENDS[NAME]()
    assert cls.get_logs(name, workspace=ws) == "chi2/ndf = 1.02\n"
    assert rjc.http.delete(f"/jobs/{job_id}/?compute_backend={NAME}").status_code == 204
    assert name in rjc.api.deleted
    cls.stop(name)  # idempotent: already gone
    assert rjc.api.deleted.count(name) == 1
    wait_for("stopped", lambda: db_row(job_id).status.name == "stopped")
    assert rjc.status(job_id) == "stopped"
    assert db_row(job_id).logs == "chi2/ndf = 1.02\n"  # stored before the final status


def test_a_failed_stop_is_rjc_502(rjc, tmp_path, monkeypatch):
    job_id = rjc.submit(str(tmp_path))

    def forbidden(name):
        raise ApiException(status=403, reason="Forbidden")

    monkeypatch.setattr(rjc.api, "delete", forbidden)
    got = rjc.http.delete(f"/jobs/{job_id}/?compute_backend={NAME}")
    assert got.status_code == 502 and "Connection to compute backend failed:\nForbidden" in got.get_json()["message"]


def test_status_only_moves_forward_and_started_at_is_the_real_start_written_once(rjc, tmp_path):
    from reana_job_controller.job_db import JOB_DB

    ws = str(tmp_path)
    job_id = rjc.submit(ws)
    name = rjc.hpcjob_of(job_id)["metadata"]["name"]
    rjc.api.set_phase(name, "Queued")
    # RJC marked the job running at submission; the monitor never writes it back to queued.
    assert rjc.status(job_id) == "running" and db_row(job_id).status.name == "running"
    assert db_row(job_id).started_at is None  # not the submission time: the step has not started
    start = "2026-12-02T22:00:00Z"
    rjc.api.set_phase(name, "Running", attempt=1, startTime=start)
    wait_for("started_at", lambda: db_row(job_id).started_at is not None)
    assert db_row(job_id).started_at == local_naive(start)
    rjc.api.set_phase(name, "Held", attempt=1, startTime=start)
    rjc.api.set_phase(name, "Running", attempt=1, startTime="2026-12-02T22:30:00Z")
    write_stdout(ws, name, "done\n")
    rjc.api.set_phase(name, "Succeeded", attempt=1, startTime=start)
    # RJC's update_job_status writes JOB_DB, then the database: wait for the database.
    wait_for("finished", lambda: db_row(job_id).status.name == "finished")
    row = db_row(job_id)
    assert (row.status.name, row.logs, row.started_at) == ("finished", "done\n", local_naive(start))
    assert row.finished_at is not None and JOB_DB[job_id]["deleted"] is True
    assert rjc.http.get(f"/jobs/{job_id}/logs").get_data(as_text=True) == "done\n"


def test_monitor_reports_failed_with_the_logs_stored(rjc, tmp_path):
    ws = str(tmp_path)
    job_id = rjc.submit(ws)
    name = rjc.hpcjob_of(job_id)["metadata"]["name"]
    write_stdout(ws, name, "Traceback: boom\n")
    rjc.api.set_phase(name, "Failed", attempt=1)
    wait_for("failed", lambda: db_row(job_id).status.name == "failed")
    assert db_row(job_id).logs == "Traceback: boom\n" and db_row(job_id).started_at is None


@pytest.mark.rjc_shutdown
def test_shutdown_stops_every_unfinished_step_and_refuses_new_ones(rjc, tmp_path):
    ws = str(tmp_path)
    job_id = rjc.submit(ws, job_name="long")
    name = rjc.hpcjob_of(job_id)["metadata"]["name"]
    rjc.api.set_phase(name, "Running", attempt=1)
    got = rjc.http.get("/shutdown")
    assert (got.status_code, got.get_json()) == (200, {"message": "All jobs stopped."})
    assert name in rjc.api.deleted and rjc.status(job_id) == "stopped" and db_row(job_id).status.name == "stopped"
    with pytest.raises(REANAJobControllerSubmissionError, match="Cannot create new jobs, shutting down"):
        rjc.submit(ws)
