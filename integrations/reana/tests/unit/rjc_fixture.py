"""The job-controller with the HPCJob backend registered, for the adapter tests (real RJC or stand-in).

One per test session, as a job-controller serves one workflow for its whole life: its monitor is a
process-wide singleton that watches that workflow's HPCJobs, here in a fake Kubernetes API.
"""

import uuid

from reana_commons.k8s.secrets import Secret, UserSecrets, UserSecretsStore

import rjc_harness
from rjc_harness import db_row, wait_for  # noqa: F401 - the adapter tests use them from here
from fakes import FakeHPCJobsApi
from reana_hpc.backend import HPCBackend
from reana_hpc.settings import Settings

NAME = rjc_harness.BACKEND_NAME
WORKFLOW_UUID = str(uuid.UUID(int=0xA11CE))
SECRET_VALUE = "s3cr3t-token-value"


def user_secrets(_user_id=None):
    """What RJC passes every backend as ``secrets``: must never reach an HPCJob."""
    return UserSecrets(user_id="u", k8s_secret_name="s", secrets=[Secret(name="TOKEN", type_="env", value=SECRET_VALUE)])


class Deployment:
    """The registered backend, its fake API, reana-commons' client and the Flask test client."""

    def __init__(self, app):
        from reana_job_controller import config
        from werkzeug.utils import import_string

        from reana_hpc.rjc import job_manager

        # What `python -m reana_hpc.rjc.register --name htcondorcern` appends to config.py.
        config.COMPUTE_BACKENDS[NAME] = lambda: import_string("reana_hpc.rjc.job_manager.HPCJobManager")
        config.JOB_MONITORS[NAME] = lambda: import_string("reana_hpc.rjc.job_monitor.JobMonitorHPC")
        self.api = FakeHPCJobsApi("reana")
        job_manager.set_backend(HPCBackend(Settings(namespace="reana", partitions={"gpu": "bridges-gpu"}), api=self.api, retry_wait=0))
        self.app = app
        self.http = app.test_client()
        self.client = rjc_harness.api_client(app)

    def submit(self, ws, cmd="python3 fit.py", **fields):
        """POST /jobs through reana-commons' client, as REANA's workflow engines do; returns the job id."""
        fields.setdefault("image", "python:3.12")
        fields.setdefault("compute_backend", NAME)
        got = self.client.submit(
            workflow_uuid=WORKFLOW_UUID, cmd=f"cd {ws} && {cmd}", prettified_cmd=cmd, workflow_workspace=ws,
            job_name=fields.pop("job_name", "fit"), **fields,
        )
        return got["job_id"]

    def hpcjob_of(self, job_id):
        from reana_job_controller.job_db import JOB_DB

        return self.api.objects.get(JOB_DB[job_id]["backend_job_id"]) or next(
            o for o in self.api.created if o["metadata"]["name"] == JOB_DB[job_id]["backend_job_id"]
        )

    def status(self, job_id):
        """GET /jobs/<id>: the status REANA's engines poll."""
        return self.http.get(f"/jobs/{job_id}").get_json()["status"]

    def close(self):
        from reana_hpc.rjc import job_manager
        from reana_hpc.rjc.job_monitor import JobMonitorHPC

        JobMonitorHPC().shutdown()
        job_manager.set_backend(None)


def install_secrets(monkeypatch_session):
    monkeypatch_session.setattr(UserSecretsStore, "fetch", staticmethod(user_secrets))
