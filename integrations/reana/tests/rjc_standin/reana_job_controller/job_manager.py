"""Stand-in of reana_job_controller.job_manager.JobManager (the base of every compute backend)."""

import json

from reana_db.database import Session
from reana_db.models import Job as JobTable
from reana_db.models import JobStatus

from reana_job_controller.config import DASK_SCHEDULER_URI


class JobManager:
    """Same constructor, hook, class-level methods and database row as RJC's JobManager."""

    def __init__(
        self,
        docker_img="",
        cmd=[],
        prettified_cmd="",
        env_vars={},
        workflow_uuid=None,
        workflow_workspace=None,
        job_name=None,
    ):
        self.docker_img = docker_img or ""
        self.cmd = cmd
        self.prettified_cmd = prettified_cmd
        self.workflow_uuid = workflow_uuid
        self.workflow_workspace = workflow_workspace
        self.job_name = job_name
        self.env_vars = self._extend_env_vars(env_vars)

    def execution_hook(fn):
        """Before-hook, the backend's submission, then the DB row that gives the job its id."""

        def wrapper(inst, *args, **kwargs):
            inst.before_execution()
            backend_job_id = fn(inst, *args, **kwargs)
            inst.create_job_in_db(backend_job_id)
            return backend_job_id

        return wrapper

    def before_execution(self):
        pass

    @execution_hook
    def execute(self):
        raise NotImplementedError

    @classmethod
    def get_logs(cls, backend_job_id, **kwargs):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def create_job_in_db(self, backend_job_id):
        """RJC inserts a row (reading compute_backend, cvmfs_mounts, ... from the instance) and takes its id."""
        row = JobTable(
            backend_job_id=backend_job_id,
            workflow_uuid=self.workflow_uuid,
            status=JobStatus.created,
            compute_backend=self.compute_backend,
            cvmfs_mounts=self.cvmfs_mounts or "",
            shared_file_system=self.shared_file_system or False,
            docker_img=self.docker_img,
            cmd=json.dumps(self.cmd),
            env_vars=json.dumps(self.env_vars),
            deleted=False,
            job_name=self.job_name,
            prettified_cmd=self.prettified_cmd,
        )
        Session.add(row)
        Session.commit()
        self.job_id = str(row.id_)

    def _extend_env_vars(self, env_vars):
        env_vars["REANA_WORKSPACE"] = self.workflow_workspace
        env_vars["REANA_WORKFLOW_UUID"] = str(self.workflow_uuid)
        env_vars["DASK_SCHEDULER_URI"] = DASK_SCHEDULER_URI
        return env_vars
