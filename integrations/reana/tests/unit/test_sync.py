"""StatusSync: JOB_DB entries follow their HPCJobs, restart-safe, in REANA's order."""

import pytest

from reana_hpc.sync import StatusSync


def hpcjob(name, phase=None, **status):
    o = {"metadata": {"name": name}, "spec": {"workspace": {"path": "/ws"}}}
    if phase:
        o["status"] = {"phase": phase, **status}
    return o


class Mine:
    """Stands for this backend's job manager instance (``job["obj"]``), whatever the entry's name."""

    def __init__(self, path):
        self.workflow_workspace = path


class Theirs(Mine):
    pass


class Harness:
    def __init__(self, api_objects=None, clock=None):
        self.job_db = {}
        self.reports = []
        self.api_objects = dict(api_objects or {})
        self.gets = []
        self.starts = []
        kw = {"clock": clock} if clock else {}
        self.sync = StatusSync(
            self.job_db,
            lambda job: type(job.get("obj")) is Mine,
            self.update,
            self.store,
            self.logs,
            self.get,
            record_start=lambda job_id, obj: self.starts.append((job_id, obj["status"].get("startTime"))),
            **kw,
        )

    def add_job(self, job_id, name, status="running", backend="htcondorcern", manager=Mine):
        self.job_db[job_id] = {
            "status": status,
            "backend_job_id": name,
            "compute_backend": backend,
            "deleted": False,
            "obj": manager("/var/reana/ws"),
        }

    def update(self, job_id, status):
        self.job_db[job_id]["status"] = status
        self.reports.append(("status", job_id, status))

    def store(self, job_id, logs):
        self.reports.append(("logs", job_id, logs))

    def logs(self, name, workspace, obj):
        phase = (obj or {}).get("status", {}).get("phase")
        return f"logs of {name} in {workspace} at {phase}"

    def get(self, name):
        self.gets.append(name)
        return self.api_objects.get(name)


def test_statuses_follow_the_phases_in_order_with_logs_before_the_final_status():
    h = Harness(api_objects={"job-a": hpcjob("job-a")})
    h.add_job("j1", "job-a", status="started")
    h.sync.replace([])
    h.sync.apply("ADDED", hpcjob("job-a"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Submitted"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Queued"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Running"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Succeeded"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Succeeded"))
    assert h.reports == [
        ("status", "j1", "queued"),
        ("status", "j1", "running"),
        ("logs", "j1", "logs of job-a in /var/reana/ws at Succeeded"),
        ("status", "j1", "finished"),
    ]
    assert h.job_db["j1"]["deleted"] is True


@pytest.mark.parametrize("phase,status", [("Failed", "failed"), ("Lost", "failed")])
def test_failures(phase, status):
    h = Harness()
    h.add_job("j1", "job-a")
    h.sync.replace([hpcjob("job-a", phase)])
    assert h.reports[-1] == ("status", "j1", status)
    assert h.reports[-2][0] == "logs"


def test_held_after_running_does_not_move_the_status_back():
    h = Harness()
    h.add_job("j1", "job-a", status="queued")
    h.sync.replace([hpcjob("job-a", "Running")])
    h.sync.apply("MODIFIED", hpcjob("job-a", "Held"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Running"))
    assert h.reports == [("status", "j1", "running")]


def test_queued_is_never_written_after_rjc_marked_the_job_running():
    """RJC marks a job running right after submission while the HPCJob is still queued: it stays running."""
    h = Harness()
    h.sync.replace([])
    h.sync.apply("ADDED", hpcjob("job-a", "Queued"))  # the event arrives before RJC has the entry
    h.add_job("j1", "job-a", status="running")
    h.sync.reconcile()  # the ticker
    h.sync.apply("MODIFIED", hpcjob("job-a", "Running", startTime="2026-12-02T23:00:00Z"))
    assert h.reports == []
    assert h.starts == [("j1", "2026-12-02T23:00:00Z")]
    h.sync.apply("MODIFIED", hpcjob("job-a", "Held"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Running", startTime="2026-12-02T23:00:00Z"))
    h.sync.apply("MODIFIED", hpcjob("job-a", "Succeeded", startTime="2026-12-02T23:00:00Z"))
    assert [r[2] for r in h.reports if r[0] == "status"] == ["finished"]
    assert h.starts == [("j1", "2026-12-02T23:00:00Z")]  # once


def test_the_start_is_recorded_for_a_step_that_finished_between_two_looks_but_not_for_one_that_never_ran():
    h = Harness()
    h.add_job("j1", "job-a")
    h.add_job("j2", "job-b")
    h.sync.replace([hpcjob("job-a", "Succeeded", startTime="2026-12-02T23:00:00Z"), hpcjob("job-b", "Failed")])
    assert h.starts == [("j1", "2026-12-02T23:00:00Z")]


def test_deleted_before_it_finished_is_stopped():
    h = Harness()
    h.add_job("j1", "job-a")
    h.sync.replace([hpcjob("job-a", "Running")])
    h.sync.apply("DELETED", hpcjob("job-a", "Running"))
    assert h.reports == [("logs", "j1", "logs of job-a in /var/reana/ws at Running"), ("status", "j1", "stopped")]
    assert h.job_db["j1"]["deleted"] is True


def test_deleted_after_it_finished_keeps_the_outcome():
    h = Harness()
    h.add_job("j1", "job-a")
    h.sync.replace([hpcjob("job-a", "Running")])
    h.sync.apply("DELETED", hpcjob("job-a", "Succeeded"))
    assert h.reports[-1] == ("status", "j1", "finished")


def test_final_statuses_are_never_changed_and_other_backends_are_left_alone():
    h = Harness()
    h.add_job("j1", "job-a", status="stopped")
    h.add_job("j2", "job-b", backend="htcondorcern", manager=Theirs)
    h.add_job("j3", "job-c")
    h.job_db["j3"]["deleted"] = True
    h.sync.replace([hpcjob("job-a", "Succeeded"), hpcjob("job-b", "Failed"), hpcjob("job-c", "Failed")])
    assert h.reports == []
    assert h.gets == []


def test_restart_state_comes_from_the_hpcjobs_alone():
    """A new monitor (new process or thread) with the same JOB_DB reports from the listed HPCJobs."""
    h = Harness()
    h.add_job("j1", "job-a", status="created")
    h.add_job("j2", "job-b", status="running")
    h.add_job("j3", "job-c", status="queued")
    h.add_job("j4", "job-d", status="anything", backend="any-name-at-all")
    h.sync.replace([hpcjob("job-a", "Queued"), hpcjob("job-b", "Succeeded"), hpcjob("job-c", "Running"), hpcjob("job-d", "Failed")])
    assert sorted(r for r in h.reports if r[0] == "status") == [
        ("status", "j1", "queued"),
        ("status", "j2", "finished"),
        ("status", "j3", "running"),
        ("status", "j4", "failed"),
    ]


def test_a_job_deleted_while_nobody_watched_is_confirmed_then_stopped():
    h = Harness(api_objects={})
    h.add_job("j1", "job-gone")
    h.sync.replace([hpcjob("other")])
    assert h.gets == ["job-gone"]
    assert h.reports[-1] == ("status", "j1", "stopped")


def test_a_job_created_after_the_list_is_not_mistaken_for_a_deleted_one():
    h = Harness(api_objects={"job-new": hpcjob("job-new", "Submitted")})
    h.sync.replace([])  # listed before the job existed
    h.add_job("j1", "job-new", status="created")
    h.sync.reconcile()
    assert h.gets == ["job-new"]
    assert h.reports == [("status", "j1", "queued")]


def test_vanished_between_relists_is_stopped():
    h = Harness()
    h.add_job("j1", "job-a")
    h.sync.replace([hpcjob("job-a", "Running")])
    h.sync.replace([])  # relist after a watch outage: it is gone
    assert h.reports[-1] == ("status", "j1", "stopped")
    assert h.gets == []


def test_confirmation_reads_are_rate_limited_and_errors_retried():
    now = [0.0]
    h = Harness(clock=lambda: now[0])
    calls = []

    def flaky_get(name):
        calls.append(name)
        raise ConnectionError("apiserver down")

    h.sync.get_hpcjob = flaky_get
    h.add_job("j1", "job-x")
    h.sync.replace([])
    h.sync.reconcile()
    h.sync.reconcile()
    assert calls == ["job-x"] and h.reports == []
    now[0] += 11
    h.sync.get_hpcjob = lambda name: None
    h.sync.reconcile()
    assert h.reports[-1] == ("status", "j1", "stopped")


def test_nothing_is_reported_before_the_first_list():
    h = Harness()
    h.add_job("j1", "job-a")
    h.sync.reconcile()
    assert h.reports == [] and h.gets == []


def test_a_failing_report_does_not_block_the_others():
    h = Harness()
    h.add_job("j1", "job-a", status="created")
    h.add_job("j2", "job-b", status="created")

    def update(job_id, status):
        if job_id == "j1":
            raise RuntimeError("db down")
        h.reports.append(("status", job_id, status))

    h.sync.update_job_status = update
    h.sync.replace([hpcjob("job-a", "Queued"), hpcjob("job-b", "Queued")])
    assert h.reports == [("status", "j2", "queued")]
