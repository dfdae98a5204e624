"""What a deployment of the job-controller decides, checked on the job-controller itself (real or stand-in):
the backend's registration and the startup check, and RJC's own request gates the stand-in reproduces
(job timeout limits without defaults, vetted images). Each runs in a fresh process, because RJC reads
its configuration once, when ``reana_job_controller.config`` is imported.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from reana_hpc.rjc import register

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
PKG_ROOT = os.path.dirname(TESTS)


def rjc_config_copy(tmp_path):
    """A copy of the job-controller's config.py (the one these tests run against), as its own package."""
    import reana_job_controller.config

    pkg = tmp_path / "rjc" / "reana_job_controller"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    shutil.copy(reana_job_controller.config.__file__, pkg / "config.py")
    return pkg / "config.py"


def start_config(config_py, **env):
    """Imports the patched config as the job-controller does when it starts; returns the process."""
    code = "import reana_job_controller.config as c; print(sorted(c.COMPUTE_BACKENDS))"
    child = {k: v for k, v in os.environ.items() if k not in ("REANA_HPC_BACKEND_NAME", "PYTHONPATH")}
    child.update(env, PYTHONPATH=f"{config_py.parent.parent}{os.pathsep}{PKG_ROOT}")
    return subprocess.run([sys.executable, "-c", code], env=child, capture_output=True, text=True)


def test_register_appends_the_entries_once_and_one_name_per_image(tmp_path):
    config_py = rjc_config_copy(tmp_path)
    assert register.patch(str(config_py), "htcondorcern") is True
    assert register.patch(str(config_py), "htcondorcern") is False
    assert config_py.read_text().count("reana_hpc.rjc.job_manager.HPCJobManager") == 1
    with pytest.raises(ValueError, match="already registers the HPCJob backend as 'htcondorcern'; one name per image"):
        register.patch(str(config_py), "hpc")
    with pytest.raises(ValueError, match="backend name"):
        register.patch(str(config_py), "Bad Name")
    other = tmp_path / "other.py"
    other.write_text("X = 1\n")
    with pytest.raises(ValueError, match="does not look like"):
        register.patch(str(other), "hpc")


@pytest.mark.parametrize(
    "env",
    [{}, {"REANA_HPC_BACKEND_NAME": "htcondorcern", "COMPUTE_BACKENDS": "kubernetes,htcondorcern"}],
)
def test_the_job_controller_starts_when_configuration_agrees_with_the_registration(tmp_path, env):
    config_py = rjc_config_copy(tmp_path)
    register.patch(str(config_py), "htcondorcern")
    got = start_config(config_py, **env)
    assert got.returncode == 0, got.stderr
    assert "'htcondorcern'" in got.stdout


@pytest.mark.parametrize(
    "env,line",
    [
        (
            {"REANA_HPC_BACKEND_NAME": "hpc", "COMPUTE_BACKENDS": "kubernetes,hpc"},
            "reana-hpc: REANA_HPC_BACKEND_NAME='hpc' but this image registers the HPCJob backend as 'htcondorcern' "
            "(python -m reana_hpc.rjc.register --name htcondorcern); set REANA_HPC_BACKEND_NAME=htcondorcern or "
            "leave it unset. Refusing to start.",
        ),
        (
            {"REANA_HPC_BACKEND_NAME": "htcondorcern", "COMPUTE_BACKENDS": "kubernetes"},
            "reana-hpc: REANA_HPC_BACKEND_NAME='htcondorcern' but COMPUTE_BACKENDS='kubernetes' does not enable it, "
            "so every step sent to it would fail; add htcondorcern to COMPUTE_BACKENDS. Refusing to start.",
        ),
    ],
)
def test_the_job_controller_refuses_to_start_when_they_disagree(tmp_path, env, line):
    config_py = rjc_config_copy(tmp_path)
    register.patch(str(config_py), "htcondorcern")
    got = start_config(config_py, **env)
    assert got.returncode == 1 and got.stdout == ""
    assert line in got.stderr.splitlines()


POST_JOB = """
import json, os, sys
sys.path.insert(0, {tests!r})
import rjc_harness
rjc_harness.put_rjc_on_path()
db = rjc_harness.prepare_environment()
for name in {omit!r}:
    os.environ.pop(name, None)
rjc_harness.create_job_table(db)
from reana_job_controller.factory import create_app
got = create_app().test_client().post("/jobs", json={body!r})
print(json.dumps([got.status_code, got.get_json()]))
"""


def post_in_a_fresh_job_controller(body, omit=(), **env):
    child = {k: v for k, v in os.environ.items() if k != "REANA_SQLALCHEMY_DATABASE_URI"}
    child.update(env)
    code = POST_JOB.format(tests=TESTS, omit=list(omit), body=body)
    got = subprocess.run([sys.executable, "-c", code], env=child, capture_output=True, text=True, cwd=PKG_ROOT)
    assert got.returncode == 0, got.stderr
    return json.loads(got.stdout.strip().splitlines()[-1])


BODY = {"job_name": "fit", "workflow_workspace": "/var/reana/w", "workflow_uuid": "w", "docker_img": "python:3.12",
        "cmd": "", "compute_backend": "kubernetes"}


def test_without_a_job_timeout_limit_every_job_request_is_a_400():
    status, answer = post_in_a_fresh_job_controller(BODY, omit=["REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT"])
    assert status == 400
    assert answer["message"]["_schema"] == [
        "Default value of kubernetes_job_timeout is not an integer. Provided value is 'None'. "
        "Please contact the administrator."
    ]


def test_an_image_outside_the_vetted_list_is_a_403():
    vetted = json.dumps({"enabled": True, "allowlist": ["docker.io/library/python:3.12"]})
    status, answer = post_in_a_fresh_job_controller(BODY, REANA_VETTED_CONTAINER_IMAGES=vetted)
    assert (status, answer) == (403, {"message": "Image not allowed: python:3.12"})
