"""A REANA serial workflow on the local stack, driven through the backend exactly as reana-job-controller
drives it: reana-commons' JobControllerAPIClient -> the job-controller's POST /jobs (the real one when
REANA_JOB_CONTROLLER_SRC points at a checkout, else its stand-in; see tests/rjc_harness.py) -> HPCJobManager(**job_request).execute() -> an HPCJob
in the real kube-apiserver -> the operator (a real process) -> HTCondor on the local pool -> the job
wrapper stages the REANA workspace with condor_chirp and runs the step in Charliecloud (image
dir:///images/debian13) -> the HPCJob's phase -> JobMonitorHPC -> REANA statuses in JOB_DB and reana-db (SQLite here).

The workspace is where REANA keeps it for RJC (here: <stack>/shared/reana/users/<u>/workflows/<w>), which
the pool sees as /reana/...; REANA_HPC_WORKSPACE_MAP-style translation connects the two, as it would a
REANA deployment whose shared volume the HPC submit side mounts under another path.
"""

import json
import os
import subprocess
from dataclasses import replace
from types import SimpleNamespace

import pytest
from reana_commons.job_utils import serialise_job_command
from reana_commons.k8s.secrets import UserSecrets, UserSecretsStore

import rjc_harness
import stack
from rjc_harness import db_row
from reana_hpc.backend import HPCBackend
from reana_hpc.kube import HPCJobsApi
from reana_hpc.live import Credentials, OperatorLogs
from reana_hpc.rjc.job_rows import local_naive
from reana_hpc.settings import Settings

pytestmark = pytest.mark.e2e
NAME = rjc_harness.BACKEND_NAME

HERE = os.path.dirname(os.path.abspath(__file__))
STEP_TIMEOUT = 600  # generous: the pool may be busy with other tests' jobs
HOSTILE = "it's \"quoted\" $(touch /tmp/pwned) `id` ; rm -rf / & \\ back\\slash\t* ? ${HOME} 'x'=y"


@pytest.fixture(scope="module")
def workflow():
    files = {}
    for name in ("gendata.py", "fit.py", "plot.py"):
        with open(os.path.join(HERE, "analysis", name)) as f:
            files[f"code/{name}"] = f.read()
    ws = stack.make_workspace(files)
    ws["uuid"] = os.path.basename(ws["host"])
    return ws


@pytest.fixture(scope="module")
def rjc(rjc_app, operator, namespace):
    """The job-controller (real or stand-in, see tests/rjc_harness.py) with the backend registered as
    htcondorcern, pointed at the real API and the test's namespace. Its monitor is a process-wide singleton
    that follows one workflow: run these tests in a pytest process of their own (the Makefile does)."""
    from reana_job_controller import config
    from werkzeug.utils import import_string

    from reana_hpc.rjc import job_manager
    from reana_hpc.rjc.job_monitor import JobMonitorHPC

    config.COMPUTE_BACKENDS[NAME] = lambda: import_string("reana_hpc.rjc.job_manager.HPCJobManager")
    config.JOB_MONITORS[NAME] = lambda: import_string("reana_hpc.rjc.job_monitor.JobMonitorHPC")
    settings = Settings(
        namespace=namespace,
        container_runtime="charliecloud",
        staging="chirp",
        workspace_map=(os.path.join(stack.STACK, "shared", "reana"), "/reana"),
        ttl_seconds_after_finished=3600,
    )
    backend = HPCBackend(settings, HPCJobsApi(namespace))
    job_manager.set_backend(backend)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(UserSecretsStore, "fetch", staticmethod(lambda _user: UserSecrets("u", "s", [])))
        yield SimpleNamespace(backend=backend, app=rjc_app, http=rjc_app.test_client(), client=rjc_harness.api_client(rjc_app))
    JobMonitorHPC().shutdown()
    job_manager.set_backend(None)


def submit(rjc, workflow, job_name, command, env_vars=None, **extra):
    """POST /jobs through reana-commons' JobControllerAPIClient, as REANA's engines send a serial step.

    That client always sends ``env_vars: {}``; a step with environment values is posted with the same
    body plus ``env_vars``, as any other caller of the job-controller's API may."""
    cmd = f"cd {workflow['host']} && {command}"
    fields = dict(workflow_uuid=workflow["uuid"], image="dir:///images/debian13", cmd=cmd, prettified_cmd=command,
                  workflow_workspace=workflow["host"], job_name=job_name, compute_backend=NAME, **extra)
    if not env_vars:
        return rjc.client.submit(**fields)["job_id"]
    body = {"docker_img": fields.pop("image"), "cmd": serialise_job_command(fields.pop("cmd")), "env_vars": env_vars,
            "cvmfs_mounts": "false", **fields}
    got = rjc.http.post("/jobs", json=body)
    assert got.status_code == 201, got.get_json()
    return got.get_json()["job_id"]


def follow(rjc, job_id, until=("finished", "failed", "stopped")):
    """Polls GET /jobs/<id> as REANA's engines do; returns the statuses seen, repeats collapsed."""
    seen = []

    def look():
        status = rjc.http.get(f"/jobs/{job_id}").get_json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        return status in until and db_row(job_id).status.name == status

    stack.wait_for(f"job {job_id} to reach {until}", look, timeout=STEP_TIMEOUT, interval=0.2)
    return seen


def logs_of(job_id):
    return db_row(job_id).logs or ""


def read(ws, rel):
    with open(os.path.join(ws["host"], rel), encoding="utf-8") as f:
        return f.read()


def test_three_step_analysis_through_rjc(rjc, workflow):
    # 1. generate data (with a hostile environment value that must arrive byte for byte)
    # (a multi-line command, as REANA serial steps may have)
    gen = submit(
        rjc,
        workflow,
        "gendata",
        "sleep 6\npython3 code/gendata.py 200 data/points.csv\nprintf '%s' \"$GREETING\" > data/greeting.txt",
        env_vars={"GREETING": HOSTILE},
    )
    assert follow(rjc, gen) == ["running", "finished"], logs_of(gen)  # never back to queued
    assert "generated 200 points into data/points.csv" in logs_of(gen)
    assert read(workflow, "data/greeting.txt") == HOSTILE
    assert len(read(workflow, "data/points.csv").splitlines()) == 201

    # 2. fit: reads step 1's output from the workspace
    fit = submit(rjc, workflow, "fit", "sleep 6 && python3 code/fit.py data/points.csv results/fit.json",
                 htcondor_request_memory="512 MB", htcondor_max_runtime="espresso")
    assert follow(rjc, fit) == ["running", "finished"], logs_of(fit)
    result = json.loads(read(workflow, "results/fit.json"))
    assert result["n"] == 200
    assert abs(result["slope"] - 2.5) < 0.1 and abs(result["intercept"] - 1.0) < 0.3
    assert f"slope={result['slope']:.3f}" in logs_of(fit)

    # 3. plot: reads both previous outputs; the final artefact lands in the workspace
    plot = submit(rjc, workflow, "plot", "sleep 6 && python3 code/plot.py data/points.csv results/fit.json results/plot.svg")
    assert follow(rjc, plot) == ["running", "finished"], logs_of(plot)
    svg = read(workflow, "results/plot.svg")
    assert svg.startswith("<svg") and svg.count("<circle") == 200 and f"slope {result['slope']:.3f}" in svg
    assert "wrote results/plot.svg with 200 points" in logs_of(plot)

    # Each step ran as its own HPCJob, in Charliecloud, with the requests it asked for.
    from reana_job_controller.job_db import JOB_DB

    for job_id in (gen, fit, plot):
        hpcjob = rjc.backend.get(JOB_DB[job_id]["backend_job_id"])
        assert hpcjob["status"]["phase"] == "Succeeded"
        row = db_row(job_id)  # REANA's record: counted as HTCondor, started when the step really started
        assert row.compute_backend == "HTCondor" and row.started_at == local_naive(hpcjob["status"]["startTime"])
        assert hpcjob["status"]["attempts"][-1]["runtime"] == "charliecloud"
        assert hpcjob["spec"]["workspace"]["path"] == workflow["hpc"]
    fit_spec = rjc.backend.get(JOB_DB[fit]["backend_job_id"])["spec"]
    assert fit_spec["resources"] == {"cpus": 1, "memory": "512Mi", "walltime": "1200s"}  # cpus: the CRD default


def test_failing_step_is_failed_with_its_stderr_through_rjc(rjc, workflow):
    job_id = submit(rjc, workflow, "broken fit", "echo 'fit did not converge' >&2; exit 3")
    assert follow(rjc, job_id)[-1] == "failed"
    assert "fit did not converge" in logs_of(job_id)


def test_stop_cancels_a_running_step_through_rjc(rjc, workflow):
    from reana_job_controller.job_db import JOB_DB

    job_id = submit(rjc, workflow, "long", "echo started; sleep 600")
    name = JOB_DB[job_id]["backend_job_id"]
    stack.wait_for("the step to run", lambda: db_row(job_id).started_at, timeout=STEP_TIMEOUT)
    condor_id = rjc.backend.get(name)["status"]["jobId"]
    assert stack.condor("condor_q", condor_id, "-af", "JobStatus").strip() == "2"

    # DELETE /jobs/<id>/: HPCJobManager.stop on the class
    assert rjc.http.delete(f"/jobs/{job_id}/?compute_backend={NAME}").status_code == 204

    assert follow(rjc, job_id) == ["running", "stopped"]
    assert rjc.backend.get(name) is None  # the finalizer let go only after the HTCondor job left the queue
    assert stack.condor("condor_q", condor_id, "-af", "ClusterId").strip() == ""
    assert stack.condor("condor_history", condor_id, "-af", "JobStatus", "-limit", "1").strip() == "3"


def test_env_value_with_newline_arrives_as_data_through_rjc(rjc, workflow):
    """A newline in an env value is part of the value: the step sees it byte for byte, and the line after
    it does not become a second variable."""
    value = "a\nLD_PRELOAD=/tmp/x.so\nlast line"
    job = submit(rjc, workflow, "newline env", "printf '%s|%s' \"$X\" \"${LD_PRELOAD:-unset}\" > newline.txt",
                 env_vars={"X": value})
    assert follow(rjc, job)[-1] == "finished", logs_of(job)
    assert read(workflow, "newline.txt") == value + "|unset"

def service_account_token(namespace, name, may_read_logs):
    """A token of a ServiceAccount, as the job-controller has in the cluster, allowed get on hpcjobs/log or not."""

    def kubectl(*args):
        return subprocess.run(["kubectl", *args, "-n", namespace], check=True, capture_output=True, text=True).stdout

    kubectl("create", "serviceaccount", name)
    if may_read_logs:
        kubectl("create", "role", name, "--verb=get", "--resource=hpcjobs.hpc.scailfin.io/log")
        kubectl("create", "rolebinding", name, f"--role={name}", f"--serviceaccount={namespace}:{name}")
    return kubectl("create", "token", name).strip()


def test_logs_of_a_running_step_come_from_the_operator(rjc, workflow, operator, namespace):
    """get_logs of a step that still runs: what it printed so far, read on the worker by the operator."""
    from reana_job_controller.job_db import JOB_DB

    job_id = submit(rjc, workflow, "progress", 'for i in $(seq 1 120); do echo "progress $i"; sleep 1; done')
    name = JOB_DB[job_id]["backend_job_id"]
    stack.wait_for("the step to run", lambda: db_row(job_id).started_at, timeout=STEP_TIMEOUT)
    settings = replace(rjc.backend.settings, operator_url=operator.serving_url, operator_ca=operator.ca_file)

    def backend_with(token):
        live = OperatorLogs(operator.serving_url, operator.ca_file, lambda: Credentials(authorization=f"Bearer {token}"))
        return HPCBackend(settings, rjc.backend.api, live=live)

    # In the cluster: the job-controller's ServiceAccount token, with get on hpcjobs/log.
    reader = backend_with(service_account_token(namespace, "rjc-logs", may_read_logs=True))
    so_far = stack.wait_for("two lines", lambda: "progress 2\n" in reader.logs(name) and reader.logs(name), timeout=60)
    assert so_far.startswith("progress 1\nprogress 2\n")
    assert rjc.backend.get(name)["status"]["phase"] == "Running"
    # Built from the settings alone: this process's kubeconfig credentials (here the admin's client certificate).
    assert HPCBackend(settings, rjc.backend.api).logs(name).startswith("progress 1\n")
    # Without hpcjobs/log the operator refuses: only what the workspace has (nothing while the step runs).
    denied = backend_with(service_account_token(namespace, "no-logs", may_read_logs=False))
    assert denied.logs(name).startswith(f"No logs of HPCJob {name} in the workspace (phase Running).")

    assert rjc.http.delete(f"/jobs/{job_id}/?compute_backend={NAME}").status_code == 204
    assert follow(rjc, job_id)[-1] == "stopped"
