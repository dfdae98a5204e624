"""Access to the running local stack for the e2e tests: environment, operator process, workspaces, condor.

The stack is the repository's (``make stack-up``): ``$HPC_STACK`` if set, else ``<repo>/.stack``. Nothing
here starts or stops the stack; the operator is started as a process of its own, in its own namespace
and with its own operator id, so that it sees only this test's HPCJobs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from typing import Callable, Dict, Optional, TypeVar

PKG_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
STACK = os.environ.get("HPC_STACK") or os.path.join(REPO, ".stack")
SUBMITTER_UID = 2001
T = TypeVar("T")


def load_env() -> Dict[str, str]:
    """``<stack>/env`` (``export K="V"`` lines) applied to os.environ; fails clearly without a stack."""
    path = os.path.join(STACK, "env")
    if not os.path.exists(path):
        raise RuntimeError(f"the local stack is not up ({path} is missing): run make stack-up (or set HPC_STACK)")
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^export ([A-Z_][A-Z0-9_]*)="?(.*?)"?$', line.strip())
            if m:
                env[m.group(1)] = m.group(2).replace("$PATH", os.environ.get("PATH", ""))
    os.environ.update(env)
    return env


def wait_for(what: str, check: Callable[[], Optional[T]], timeout: float = 120.0, interval: float = 0.25) -> T:
    """Polls ``check`` until it returns something truthy; fails after ``timeout`` with the last error."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # noqa: BLE001
            last_error = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (f": {last_error}" if last_error else ""))
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_cert(directory: str) -> str:
    """A CA and a serving certificate for 127.0.0.1 (tls.crt, tls.key) made with openssl; returns the CA file."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    at = lambda name: os.path.join(directory, name)  # noqa: E731
    openssl("req", "-x509", *ec, "-days", "1", "-subj", "/CN=reana-e2e-ca", "-keyout", at("ca.key"), "-out", at("ca.crt"))
    with open(at("ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", *ec, "-subj", "/CN=hpc-operator", "-keyout", at("tls.key"), "-out", at("tls.csr"))
    openssl("x509", "-req", "-in", at("tls.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key"), "-CAcreateserial",
            "-days", "1", "-extfile", at("ext"), "-out", at("tls.crt"))
    return at("ca.crt")


class Operator:
    """The operator as a real process (node + tsx, as the TypeScript e2e tests run it), serving HTTPS (live
    logs) with a certificate made for the test: ``serving_url``, trusted through ``ca_file``."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.log_dir = tempfile.mkdtemp(prefix="reana-e2e-oplogs-")
        self.log_file = os.path.join(tempfile.mkdtemp(prefix="reana-e2e-op-"), "operator.log")
        self.cert_dir = tempfile.mkdtemp(prefix="reana-e2e-serving-")
        self.ca_file = serving_cert(self.cert_dir)
        self.proc: Optional[subprocess.Popen] = None
        self.health_port = 0
        self.serving_port = 0

    @property
    def serving_url(self) -> str:
        return f"https://127.0.0.1:{self.serving_port}"

    def start(self) -> None:
        env = load_env()
        self.health_port = free_port()
        self.serving_port = free_port()
        args = [
            shutil.which("node") or "node",
            os.path.join(REPO, "node_modules/tsx/dist/cli.mjs"),
            os.path.join(REPO, "src/main.ts"),
            f"--namespace={self.namespace}",
            f"--operator-id={self.namespace}",
            f"--schedd-name={env['HPC_SCHEDD_NAME']}",
            f"--collector={env['HPC_COLLECTOR']}",
            f"--condor-bin-dir={os.path.join(STACK, 'bin')}",
            f"--log-dir={self.log_dir}",
            f"--metrics-bind-address=127.0.0.1:{free_port()}",
            f"--health-probe-bind-address=127.0.0.1:{self.health_port}",
            f"--serving-bind-address=127.0.0.1:{self.serving_port}",
            f"--serving-cert-dir={self.cert_dir}",
            "--leader-elect=false",
        ]
        out = open(self.log_file, "ab")
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO)
        out.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the operator exited with {self.proc.returncode}; log: {self.log_file}")
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2) as r:
                return r.status == 200

        wait_for(f"the operator to be ready (log: {self.log_file})", ready, timeout=90)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def make_workspace(files: Dict[str, str]) -> Dict[str, str]:
    """A REANA-layout workspace on the submit side, owned by the pool's submitter account.

    Returns ``{"host": <path here>, "hpc": <path as the pool sees it>, "user": <user uuid dir here>}``.
    """
    shared = os.path.join(STACK, "shared", "reana")
    users = os.path.join(shared, "users")
    created_users = not os.path.isdir(users)
    rel = f"users/{uuid.uuid4()}/workflows/{uuid.uuid4()}"
    host = os.path.join(shared, rel)
    os.makedirs(host)
    for name, content in files.items():
        path = os.path.join(host, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
    user_dir = os.path.join(shared, *rel.split("/")[:2])
    subprocess.run(["chown", "-R", f"{SUBMITTER_UID}:{SUBMITTER_UID}", user_dir], check=True)
    if created_users:
        os.chown(users, SUBMITTER_UID, SUBMITTER_UID)
    return {"host": host, "hpc": f"/reana/{rel}", "user": user_dir}


def condor(tool: str, *args: str) -> str:
    """Runs an HTCondor tool of the stack against its schedd; returns stdout."""
    env = load_env()
    cmd = [os.path.join(STACK, "bin", tool), "-name", env["HPC_SCHEDD_NAME"], "-pool", env["HPC_COLLECTOR"], *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout
