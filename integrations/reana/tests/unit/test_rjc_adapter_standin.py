"""The reana-job-controller adapters, driven as RJC drives a backend, against RJC's stand-in.

reana-job-controller is not on PyPI: these tests use tests/rjc_standin (see its docstring), which
reproduces the contract (constructor, execution_hook, class-level stop/get_logs, JOB_DB, monitors).
The Kubernetes API is faked here; the e2e tests use the real one.
"""

import json
import os
import subprocess
import sys
import time

import pytest
from kubernetes.client.rest import ApiException
from reana_commons.job_utils import serialise_job_command

from fakes import FakeHPCJobsApi
from reana_hpc.backend import HPCBackend
from reana_hpc.settings import Settings

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(os.path.dirname(HERE))
STANDIN = os.path.join(PKG_ROOT, "tests", "rjc_standin")


def wait_for(what, check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def rjc(monkeypatch, tmp_path):
    """RJC's stand-in with the hpc backend registered, a fake API and a clean JOB_DB."""
    from reana_job_controller import config, job_db, utils
    from werkzeug.utils import import_string

    from reana_hpc.rjc import job_manager

    monkeypatch.setitem(config.COMPUTE_BACKENDS, "hpc", lambda: import_string("reana_hpc.rjc.job_manager.HPCJobManager"))
    monkeypatch.setitem(config.JOB_MONITORS, "hpc", lambda: import_string("reana_hpc.rjc.job_monitor.JobMonitorHPC"))
    monkeypatch.setattr(config, "SUPPORTED_COMPUTE_BACKENDS", ["kubernetes", "hpc"])
    api = FakeHPCJobsApi("reana")
    job_manager.set_backend(HPCBackend(Settings(namespace="reana"), api=api, retry_wait=0))
    job_db.reset()
    utils.INSTANCES.clear()
    yield api
    for monitor in list(utils.INSTANCES.values()):
        monitor.shutdown()
    utils.INSTANCES.clear()
    job_manager.set_backend(None)


def payload(ws, cmd="python3 fit.py", **over):
    p = {
        "docker_img": "python:3.12",
        "cmd": serialise_job_command(f"cd {ws} && {cmd}"),
        "prettified_cmd": cmd,
        "env_vars": {},
        "workflow_workspace": ws,
        "job_name": "fit",
        "cvmfs_mounts": "false",
        "workflow_uuid": "wf-1",
        "compute_backend": "hpc",
    }
    p.update(over)
    return p


class Secrets:
    """What RJC passes as ``secrets``: must never reach an HPCJob."""

    value = "s3cr3t-token-value"

    def get_env_secrets_as_k8s_spec(self):
        return [{"name": "TOKEN", "value": self.value}]


def test_core_imports_without_reana_job_controller_and_the_adapters_say_why_not():
    code = (
        "import sys, importlib\n"
        "import reana_hpc, reana_hpc.manifest, reana_hpc.status, reana_hpc.watch, reana_hpc.sync, reana_hpc.backend\n"
        "import reana_hpc.rjc, reana_hpc.rjc.register\n"
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


def test_post_jobs_creates_one_hpcjob_and_rjc_records_its_name(rjc, tmp_path):
    from reana_job_controller import job_db, rest

    ws = str(tmp_path)
    job_id = rest.create_job(payload(ws, env_vars={"MODE": "fast"}), secrets=Secrets())
    assert len(rjc.created) == 1
    hpcjob = rjc.created[0]
    name = hpcjob["metadata"]["name"]
    assert job_db.JOB_DB[job_id]["backend_job_id"] == name
    assert job_db.DB_ROWS[job_id]["compute_backend"] == "HPC"
    assert hpcjob["spec"]["command"] == ["bash", "-c", f"cd {ws} && python3 fit.py"]
    env = {e["name"]: e["value"] for e in hpcjob["spec"]["env"]}
    assert env["MODE"] == "fast" and env["REANA_WORKSPACE"] == ws and env["REANA_WORKFLOW_UUID"] == "wf-1"
    assert Secrets.value not in json.dumps(hpcjob)


def test_a_refused_option_reaches_the_user_as_rjc_submission_message(rjc, tmp_path):
    from reana_job_controller import job_db, rest

    with pytest.raises(rest.SubmissionFailed, match=r"Job submission failed. \ncvmfs_mounts is not supported"):
        rest.create_job(payload(str(tmp_path), cvmfs_mounts="['atlas.cern.ch']"))
    assert rjc.created == [] and job_db.JOB_DB == {}


def test_transient_api_errors_are_retried_and_a_lost_answer_is_not_a_duplicate(rjc, tmp_path):
    from reana_job_controller import job_db, rest

    rjc.fail_create = [ApiException(status=503, reason="unavailable")]
    job_id = rest.create_job(payload(str(tmp_path)))
    assert len(rjc.created) == 1 and job_db.JOB_DB[job_id]["backend_job_id"] == rjc.created[0]["metadata"]["name"]

    # The create went through but its answer was lost: the retry's 409 is our own object.
    real_create = rjc.create

    def create_then_lose_answer(body):
        real_create(body)
        raise ConnectionError("connection reset")

    rjc.create = create_then_lose_answer
    job_id = rest.create_job(payload(str(tmp_path)))
    assert len(rjc.created) == 2
    assert job_db.JOB_DB[job_id]["backend_job_id"] == rjc.created[1]["metadata"]["name"]


def test_an_api_refusal_is_not_retried(rjc, tmp_path):
    from reana_job_controller import rest

    rjc.fail_create = [ApiException(status=422, reason="Invalid")]
    with pytest.raises(rest.SubmissionFailed, match="the Kubernetes API refused HPCJob"):
        rest.create_job(payload(str(tmp_path)))
    assert rjc.fail_create == [] and rjc.created == []


def test_stop_and_get_logs_are_class_level_calls(rjc, tmp_path):
    from reana_job_controller import config, rest

    ws = str(tmp_path)
    job_id = rest.create_job(payload(ws))
    name = rjc.created[0]["metadata"]["name"]
    os.makedirs(f"{ws}/.hpc/{name}/1")
    with open(f"{ws}/.hpc/{name}/1/stdout", "w") as f:
        f.write("chi2/ndf = 1.02\n")
    cls = config.COMPUTE_BACKENDS["hpc"]()
    assert cls.get_logs(name, workspace=ws) == "chi2/ndf = 1.02\n"
    rest.delete_job(job_id, compute_backend="hpc")
    assert rjc.deleted == [name]
    cls.stop(name)  # idempotent: already gone
    assert rjc.deleted == [name]


def test_stop_failure_is_rjc_backend_error(rjc, monkeypatch):
    from reana_job_controller import rest
    from reana_job_controller.errors import ComputingBackendSubmissionError

    from reana_hpc.rjc.job_manager import HPCJobManager

    def boom(name):
        raise ApiException(status=403, reason="Forbidden")

    monkeypatch.setattr(rjc, "delete", boom)
    with pytest.raises(ComputingBackendSubmissionError, match="Forbidden"):
        HPCJobManager.stop("reana-x")


def test_monitor_reports_queued_running_finished_and_stores_logs_first(rjc, tmp_path):
    from reana_job_controller import job_db, rest

    ws = str(tmp_path)
    job_id = rest.create_job(payload(ws))
    name = rjc.created[0]["metadata"]["name"]
    wait_for("queued", lambda: job_db.JOB_DB[job_id]["status"] == "queued")
    rjc.set_phase(name, "Running", attempt=1)
    wait_for("running", lambda: job_db.JOB_DB[job_id]["status"] == "running")
    os.makedirs(f"{ws}/.hpc/{name}/1")
    with open(f"{ws}/.hpc/{name}/1/stdout", "w") as f:
        f.write("done\n")
    rjc.set_phase(name, "Succeeded", attempt=1)
    wait_for("finished", lambda: job_db.JOB_DB[job_id]["status"] == "finished")
    assert job_db.DB_ROWS[job_id]["logs"] == "done\n"
    assert job_db.JOB_DB[job_id]["deleted"] is True
    statuses = [s for j, s, _ in job_db.HISTORY if j == job_id]
    assert statuses == ["running", "queued", "running", "finished"]  # the first is RJC's own


def test_monitor_reports_stopped_after_delete(rjc, tmp_path):
    from reana_job_controller import job_db, rest, utils

    job_id = rest.create_job(payload(str(tmp_path)))
    name = rjc.created[0]["metadata"]["name"]
    wait_for("queued", lambda: job_db.JOB_DB[job_id]["status"] == "queued")
    rjc.set_phase(name, "Running", attempt=1)
    wait_for("running", lambda: job_db.JOB_DB[job_id]["status"] == "running")
    (monitor,) = utils.INSTANCES.values()
    assert monitor.watcher.lists == 1 and monitor.watcher.errors == 0
    rest.delete_job(job_id, compute_backend="hpc")
    wait_for("stopped", lambda: job_db.JOB_DB[job_id]["status"] == "stopped")
    assert "No logs of HPCJob" in job_db.DB_ROWS[job_id]["logs"]


def test_register_patches_rjc_config_once(tmp_path):
    from reana_hpc.rjc import register

    config_py = tmp_path / "config.py"
    with open(os.path.join(STANDIN, "reana_job_controller", "config.py")) as f:
        config_py.write_text(f.read())
    assert register.patch(str(config_py), "hpc") is True
    assert register.patch(str(config_py), "hpc") is False
    assert config_py.read_text().count("reana_hpc.rjc.job_manager.HPCJobManager") == 1
    namespace = {}
    exec(compile(config_py.read_text(), str(config_py), "exec"), namespace)
    from reana_hpc.rjc.job_manager import HPCJobManager
    from reana_hpc.rjc.job_monitor import JobMonitorHPC

    assert namespace["COMPUTE_BACKENDS"]["hpc"]() is HPCJobManager
    assert namespace["JOB_MONITORS"]["hpc"]() is JobMonitorHPC
    with pytest.raises(ValueError, match="backend name"):
        register.patch(str(config_py), "Bad Name")
    other = tmp_path / "other.py"
    other.write_text("X = 1\n")
    with pytest.raises(ValueError, match="does not look like"):
        register.patch(str(other), "hpc")
