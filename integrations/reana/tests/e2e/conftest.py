"""Fixtures of the e2e tests: the stack, a namespace and the operator (the job-controller: tests/rjc_harness.py)."""

import os
import secrets
import subprocess

import pytest

import stack


@pytest.fixture(scope="session")
def stack_env():
    env = stack.load_env()
    crd = subprocess.run(["kubectl", "get", "crd", "hpcjobs.hpc.scailfin.io"], capture_output=True)
    if crd.returncode != 0:
        subprocess.run(
            ["kubectl", "apply", "--server-side", "-f", os.path.join(stack.REPO, "config/crd/bases")], check=True
        )
        subprocess.run(
            ["kubectl", "wait", "--for=condition=Established", "crd/hpcjobs.hpc.scailfin.io", "--timeout=60s"],
            check=True,
        )
    return env


@pytest.fixture(scope="module")
def namespace(stack_env):
    ns = f"reana-e2e-{secrets.token_hex(3)}"
    subprocess.run(["kubectl", "create", "namespace", ns], check=True, capture_output=True)
    yield ns
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false"], capture_output=True)


@pytest.fixture(scope="module")
def operator(namespace):
    op = stack.Operator(namespace)
    op.start()
    yield op
    # Delete the HPCJobs while the operator runs: its finalizer removes their HTCondor jobs.
    try:
        subprocess.run(
            ["kubectl", "delete", "hpcjobs", "--all", "-n", namespace, "--wait=true", "--timeout=120s"],
            capture_output=True,
        )
        left = subprocess.run(
            ["kubectl", "get", "hpcjobs", "-n", namespace, "-o", "name"], capture_output=True, text=True
        ).stdout.split()
        assert not left, f"HPCJobs not finalized by the operator (log: {op.log_file}): {left}"
    finally:
        op.stop()
