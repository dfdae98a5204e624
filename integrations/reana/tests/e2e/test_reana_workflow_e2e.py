"""A REANA serial workflow on the local stack, driven through the backend exactly as reana-job-controller
drives it, against RJC's stand-in (reana-job-controller is not on PyPI; see tests/rjc_standin).

Path of every step: the stand-in's POST /jobs -> HPCJobManager(**job_request).execute() -> an HPCJob
in the real kube-apiserver -> the operator (a real process) -> HTCondor on the local pool -> the job
wrapper stages the REANA workspace with condor_chirp and runs the step in Charliecloud (image
dir:///images/debian13) -> the HPCJob's phase -> JobMonitorHPC -> REANA statuses in JOB_DB.

The workspace is where REANA keeps it for RJC (here: <stack>/shared/reana/users/<u>/workflows/<w>), which
the pool sees as /reana/...; REANA_HPC_WORKSPACE_MAP-style translation connects the two, as it would a
REANA deployment whose shared volume the HPC submit side mounts under another path.
"""

import json
import os
import threading

import pytest
from reana_commons.job_utils import serialise_job_command

import stack
from reana_hpc.backend import HPCBackend
from reana_hpc.kube import HPCJobsApi
from reana_hpc.settings import Settings

pytestmark = pytest.mark.e2e

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
def rjc(operator, namespace):
    """RJC's stand-in with the hpc backend registered, pointed at the real API and the test's namespace."""
    from reana_job_controller import config, job_db, utils
    from werkzeug.utils import import_string

    from reana_hpc.rjc import job_manager

    config.COMPUTE_BACKENDS["hpc"] = lambda: import_string("reana_hpc.rjc.job_manager.HPCJobManager")
    config.JOB_MONITORS["hpc"] = lambda: import_string("reana_hpc.rjc.job_monitor.JobMonitorHPC")
    config.SUPPORTED_COMPUTE_BACKENDS = ["kubernetes", "hpc"]
    settings = Settings(
        namespace=namespace,
        container_runtime="charliecloud",
        staging="chirp",
        workspace_map=(os.path.join(stack.STACK, "shared", "reana"), "/reana"),
        ttl_seconds_after_finished=3600,
    )
    backend = HPCBackend(settings, HPCJobsApi(namespace))
    job_manager.set_backend(backend)
    job_db.reset()
    utils.INSTANCES.clear()
    yield backend
    for monitor in list(utils.INSTANCES.values()):
        monitor.shutdown()
    utils.INSTANCES.clear()
    job_manager.set_backend(None)


def submit(workflow, job_name, command, env_vars=None, **extra):
    """POST /jobs with the body reana-commons' RJC client sends for a serial step."""
    from reana_job_controller import rest

    body = {
        "docker_img": "dir:///images/debian13",
        "cmd": serialise_job_command(f"cd {workflow['host']} && {command}"),
        "prettified_cmd": command,
        "env_vars": env_vars or {},
        "workflow_workspace": workflow["host"],
        "job_name": job_name,
        "cvmfs_mounts": "false",
        "workflow_uuid": workflow["uuid"],
        "compute_backend": "hpc",
        **extra,
    }
    return rest.create_job(body)


def final_status(job_id):
    from reana_job_controller.job_db import JOB_DB

    return stack.wait_for(
        f"job {job_id} to finish",
        lambda: JOB_DB[job_id]["status"] if JOB_DB[job_id]["status"] in ("finished", "failed", "stopped") else None,
        timeout=STEP_TIMEOUT,
        interval=0.2,
    )


def monitor_statuses(job_id):
    """The statuses the monitor reported (not RJC's own 'running' at submission), repeats collapsed."""
    from reana_job_controller.job_db import HISTORY

    main = threading.main_thread().name
    out = []
    for j, status, thread in list(HISTORY):
        if j == job_id and thread != main and (not out or out[-1] != status):
            out.append(status)
    return out


def logs_of(job_id):
    from reana_job_controller.job_db import DB_ROWS

    return DB_ROWS[job_id].get("logs", "")


def read(ws, rel):
    with open(os.path.join(ws["host"], rel), encoding="utf-8") as f:
        return f.read()


def test_three_step_analysis_through_rjc_standin(rjc, workflow):
    # 1. generate data (with a hostile environment value that must arrive byte for byte)
    # (a multi-line command, as REANA serial steps may have)
    gen = submit(
        workflow,
        "gendata",
        "sleep 6\npython3 code/gendata.py 200 data/points.csv\nprintf '%s' \"$GREETING\" > data/greeting.txt",
        env_vars={"GREETING": HOSTILE},
    )
    assert final_status(gen) == "finished", logs_of(gen)
    assert monitor_statuses(gen) == ["queued", "running", "finished"]
    assert "generated 200 points into data/points.csv" in logs_of(gen)
    assert read(workflow, "data/greeting.txt") == HOSTILE
    assert len(read(workflow, "data/points.csv").splitlines()) == 201

    # 2. fit: reads step 1's output from the workspace
    fit = submit(workflow, "fit", "sleep 6 && python3 code/fit.py data/points.csv results/fit.json",
                 htcondor_request_memory="512 MB", htcondor_max_runtime="espresso")
    assert final_status(fit) == "finished", logs_of(fit)
    assert monitor_statuses(fit) == ["queued", "running", "finished"]
    result = json.loads(read(workflow, "results/fit.json"))
    assert result["n"] == 200
    assert abs(result["slope"] - 2.5) < 0.1 and abs(result["intercept"] - 1.0) < 0.3
    assert f"slope={result['slope']:.3f}" in logs_of(fit)

    # 3. plot: reads both previous outputs; the final artefact lands in the workspace
    plot = submit(workflow, "plot", "sleep 6 && python3 code/plot.py data/points.csv results/fit.json results/plot.svg")
    assert final_status(plot) == "finished", logs_of(plot)
    assert monitor_statuses(plot) == ["queued", "running", "finished"]
    svg = read(workflow, "results/plot.svg")
    assert svg.startswith("<svg") and svg.count("<circle") == 200 and f"slope {result['slope']:.3f}" in svg
    assert "wrote results/plot.svg with 200 points" in logs_of(plot)

    # Each step ran as its own HPCJob, in Charliecloud, with the requests it asked for.
    from reana_job_controller.job_db import JOB_DB

    for job_id in (gen, fit, plot):
        hpcjob = rjc.get(JOB_DB[job_id]["backend_job_id"])
        assert hpcjob["status"]["phase"] == "Succeeded"
        assert hpcjob["status"]["attempts"][-1]["runtime"] == "charliecloud"
        assert hpcjob["spec"]["workspace"]["path"] == workflow["hpc"]
    fit_spec = rjc.get(JOB_DB[fit]["backend_job_id"])["spec"]
    assert fit_spec["resources"] == {"cpus": 1, "memory": "512Mi", "walltime": "1200s"}  # cpus: the CRD default


def test_failing_step_is_failed_with_its_stderr_through_rjc_standin(rjc, workflow):
    job_id = submit(workflow, "broken fit", "echo 'fit did not converge' >&2; exit 3")
    assert final_status(job_id) == "failed"
    assert monitor_statuses(job_id)[-1] == "failed"
    assert "fit did not converge" in logs_of(job_id)


def test_stop_cancels_a_running_step_through_rjc_standin(rjc, workflow):
    from reana_job_controller import rest
    from reana_job_controller.job_db import HISTORY, JOB_DB

    job_id = submit(workflow, "long", "echo started; sleep 600")
    main = threading.main_thread().name
    stack.wait_for(
        "the monitor to report running",
        lambda: any(j == job_id and s == "running" and t != main for j, s, t in list(HISTORY)),
        timeout=STEP_TIMEOUT,
    )
    name = JOB_DB[job_id]["backend_job_id"]
    condor_id = rjc.get(name)["status"]["jobId"]
    assert stack.condor("condor_q", condor_id, "-af", "JobStatus").strip() == "2"

    rest.delete_job(job_id, compute_backend="hpc")  # DELETE /jobs/<id>: HPCJobManager.stop on the class

    assert final_status(job_id) == "stopped"
    assert monitor_statuses(job_id) == ["queued", "running", "stopped"]
    assert rjc.get(name) is None  # the finalizer let go only after the HTCondor job left the queue
    assert stack.condor("condor_q", condor_id, "-af", "ClusterId").strip() == ""
    assert stack.condor("condor_history", condor_id, "-af", "JobStatus", "-limit", "1").strip() == "3"


def test_env_value_with_newline_arrives_as_data_through_rjc_standin(rjc, workflow):
    """A newline in an env value is part of the value: the step sees it byte for byte, and the line after
    it does not become a second variable."""
    value = "a\nLD_PRELOAD=/tmp/x.so\nlast line"
    job = submit(workflow, "newline env", "printf '%s|%s' \"$X\" \"${LD_PRELOAD:-unset}\" > newline.txt",
                 env_vars={"X": value})
    assert final_status(job) == "finished", logs_of(job)
    assert read(workflow, "newline.txt") == value + "|unset"