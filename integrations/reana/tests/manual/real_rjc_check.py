"""Manual check: the REAL reana-job-controller driving reana-hpc on the local stack (not run by pytest/CI).

reana-job-controller is not on PyPI, so CI uses tests/rjc_standin. With a source checkout of
reanahub/reana-job-controller this runs its real Flask app (POST /jobs, GET /jobs/<id>, DELETE, /shutdown),
its JobManager, JOB_DB and monitor machinery, and `python -m reana_hpc.rjc.register` on its real config.py.
Only PostgreSQL is missing: create_job_in_db is replaced (the job id is a fresh uuid) and RJC's own
update_job_status/store_job_logs log their failed DB writes and carry on; user secrets are not fetched.

  python3 -m venv /tmp/rjc && /tmp/rjc/bin/pip install 'reana-commons[kubernetes]==0.95.0a22' 'reana-db==0.95.0a13' \
      'flask>=3,<4' 'marshmallow>=3.5,<4' retrying 'apispec[yaml]>=3.0' apispec-webframeworks fs werkzeug paramiko
  /tmp/rjc/bin/pip install --no-deps <reana-job-controller checkout> && /tmp/rjc/bin/pip install --no-deps -e integrations/reana
  HPC_STACK=<repo>/.stack /tmp/rjc/bin/python integrations/reana/tests/manual/real_rjc_check.py 2>/dev/null
"""
import json, os, subprocess, sys, time, uuid, secrets as pysecrets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import stack
os.environ.update(stack.load_env())
ns = f"reana-e2e-real-{pysecrets.token_hex(3)}"
os.environ.update({
    "COMPUTE_BACKENDS": "kubernetes,hpc", "REANA_HPC_NAMESPACE": ns, "REANA_HPC_CONTAINER_RUNTIME": "charliecloud",
    "REANA_HPC_WORKSPACE_MAP": os.path.join(stack.STACK, "shared/reana") + "=/reana", "REANA_USER_ID": str(uuid.uuid4()),
    "REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT": "604800", "REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT": "1209600",
})
print(subprocess.run([sys.executable, "-m", "reana_hpc.rjc.register", "--name", "hpc"], capture_output=True, text=True).stdout.strip())
from reana_commons.job_utils import serialise_job_command
from reana_job_controller.job_manager import JobManager
def fake_db(self, backend_job_id):  # no PostgreSQL here: only the DB row is skipped
    self.job_id = str(uuid.uuid4())
JobManager.create_job_in_db = fake_db
from reana_job_controller.factory import create_app
from reana_job_controller import rest
rest.get_cached_user_secrets = lambda: None  # no REANA user secrets store here
app = create_app(); c = app.test_client()
subprocess.run(["kubectl", "create", "namespace", ns], check=True, capture_output=True)
op = stack.Operator(ns); op.start()
try:
    ws = stack.make_workspace({"in.txt": "hello from REANA\n"}); wf = os.path.basename(ws["host"])
    def post(name, command):
        body = {"docker_img": "dir:///images/debian13", "cmd": serialise_job_command(f"cd {ws['host']} && {command}"),
                "prettified_cmd": command, "env_vars": {}, "workflow_workspace": ws["host"], "job_name": name,
                "cvmfs_mounts": "false", "workflow_uuid": wf, "compute_backend": "hpc"}
        r = c.post("/jobs", json=body); assert r.status_code == 201, (r.status_code, r.get_json()); return r.get_json()["job_id"]
    def follow(job_id, until, timeout=300):
        seen = []; t = time.time()
        while time.time() - t < timeout:
            s = c.get(f"/jobs/{job_id}").get_json()["status"]
            if not seen or seen[-1] != s: seen.append(s)
            if s in until: return seen
            time.sleep(0.2)
        raise SystemExit(f"timeout; seen {seen}")
    j1 = post("copy", "sleep 5; tr a-z A-Z < in.txt > out.txt; cat out.txt")
    seen = follow(j1, ("finished", "failed", "stopped")); print("step 1 statuses via GET /jobs/<id>:", seen)
    print("out.txt:", open(os.path.join(ws["host"], "out.txt")).read().strip())
    print("GET /jobs/<id>/logs:", repr(c.get(f"/jobs/{j1}/logs").get_data(as_text=True)))
    j2 = post("long", "sleep 600")
    print("step 2 until running:", follow(j2, ("running",)) )
    from reana_job_controller.job_db import JOB_DB
    while True:  # wait until the monitor (not RJC's submit-time FIXME) says running: the HPCJob is Running
        o = subprocess.run(["kubectl", "get", "hpcjob", "-n", ns, JOB_DB[j2]["backend_job_id"], "-o", "json"], capture_output=True, text=True).stdout
        st = json.loads(o).get("status", {})
        if st.get("phase") == "Running": break
        time.sleep(0.5)
    cid = st["jobId"]
    r = c.delete(f"/jobs/{j2}/?compute_backend=hpc"); print("DELETE:", r.status_code)
    print("step 2 after DELETE:", follow(j2, ("stopped", "failed", "finished")))
    print("condor_q", cid, repr(stack.condor("condor_q", cid, "-af", "ClusterId").strip()), "history JobStatus", stack.condor("condor_history", cid, "-af", "JobStatus", "-limit", "1").strip())
    r = c.get("/shutdown"); print("GET /shutdown:", r.status_code, r.get_json())
finally:
    subprocess.run(["kubectl", "delete", "hpcjobs", "--all", "-n", ns, "--wait=true", "--timeout=120s"], capture_output=True)
    op.stop()
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false"], capture_output=True)
