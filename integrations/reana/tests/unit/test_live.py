"""The logs of a running step through the operator's live-logs endpoint.

A local HTTPS server (certificates made with openssl) stands in for the operator's endpoint; the real one
answers in test/e2e/logs.e2e.test.ts and tests/e2e (get_logs of a running step).
"""

import http.server
import os
import ssl
import subprocess
import threading

import pytest
from kubernetes.client import Configuration

from reana_hpc.backend import HPCBackend
from reana_hpc.live import Credentials, OperatorLogs, credentials_of, is_running
from reana_hpc.settings import Settings
from reana_hpc.errors import InvalidRequest

from fakes import FakeHPCJobsApi


def running(attempt=1, phase="Running", outcome="Running"):
    return {"status": {"phase": phase, "attempt": attempt, "attempts": [{"attempt": attempt, "outcome": outcome}]}}


def test_is_running_only_while_the_current_attempt_runs():
    assert is_running(running())
    assert not is_running(running(phase="Queued"))
    assert not is_running(running(phase="Succeeded", outcome="Succeeded"))
    assert not is_running({"status": {"phase": "Running"}})
    assert not is_running(None)


def test_credentials_are_the_client_configuration_token_else_its_certificate():
    c = Configuration()
    c.api_key["BearerToken"] = "Bearer abc"
    assert credentials_of(c) == Credentials(authorization="Bearer abc")
    c = Configuration()
    c.api_key["authorization"] = "abc"
    assert credentials_of(c) == Credentials(authorization="Bearer abc")
    c = Configuration()
    c.cert_file, c.key_file = "/c.crt", "/c.key"
    assert credentials_of(c) == Credentials(cert_file="/c.crt", key_file="/c.key")


def test_the_operator_url_must_be_https():
    with pytest.raises(InvalidRequest, match="REANA_HPC_OPERATOR_URL must be an https"):
        Settings.from_env({"REANA_HPC_OPERATOR_URL": "http://operator:9443"})
    s = Settings.from_env({"REANA_HPC_OPERATOR_URL": "https://op.svc", "REANA_HPC_OPERATOR_CA": "/ca.crt"})
    assert (s.operator_url, s.operator_ca) == ("https://op.svc", "/ca.crt")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """An HTTPS server for 127.0.0.1 answering like the operator: the log of a stream, or a refusal."""
    d = tmp_path_factory.mktemp("operator")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=operator", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(d / "tls.key"), "-out", str(d / "tls.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append((self.path, self.headers.get("Authorization")))
            if self.headers.get("Authorization") != "Bearer sa-token":
                body, code = b'hpcjobs.hpc.scailfin.io "fit" is forbidden\n', 403
            elif "stream=stderr" in self.path:
                body, code = b"warn 1\n", 200
            else:
                body, code = b"step 1\nstep 2", 200
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(d / "tls.crt"), str(d / "tls.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"https://127.0.0.1:{server.server_address[1]}", "ca": str(d / "tls.crt"), "seen": seen}
    server.shutdown()


def test_so_far_is_stdout_then_stderr_asked_with_the_token(endpoint):
    live = OperatorLogs(endpoint["url"], endpoint["ca"], lambda: Credentials(authorization="Bearer sa-token"))
    assert live.so_far("ns", "fit", 1 << 20) == "step 1\nstep 2\nwarn 1\n"
    assert endpoint["seen"][-2:] == [
        ("/logs/v1/namespaces/ns/hpcjobs/fit?stream=stdout&follow=false", "Bearer sa-token"),
        ("/logs/v1/namespaces/ns/hpcjobs/fit?stream=stderr&follow=false", "Bearer sa-token"),
    ]
    # Bounded: the last bytes of each stream.
    assert live.so_far("ns", "fit", 4) == "ep 2\nn 1\n"


def test_a_refusal_or_an_untrusted_certificate_gives_none(endpoint, caplog):
    denied = OperatorLogs(endpoint["url"], endpoint["ca"], lambda: Credentials(authorization="Bearer other"))
    assert denied.so_far("ns", "fit", 100) is None
    assert 'the operator answered 403: hpcjobs.hpc.scailfin.io "fit" is forbidden' in caplog.text
    untrusted = OperatorLogs(endpoint["url"], None, lambda: Credentials(authorization="Bearer sa-token"))
    assert untrusted.so_far("ns", "fit", 100) is None
    assert "cannot be reached" in caplog.text


def test_backend_logs_of_a_running_step_come_from_the_operator_else_from_the_workspace(endpoint, tmp_path):
    api = FakeHPCJobsApi("ns")
    live = OperatorLogs(endpoint["url"], endpoint["ca"], lambda: Credentials(authorization="Bearer sa-token"))
    backend = HPCBackend(Settings(namespace="ns"), api=api, live=live)
    ws = str(tmp_path)
    os.makedirs(f"{ws}/.hpc/fit/1")
    with open(f"{ws}/.hpc/fit/1/stdout", "w", encoding="utf-8") as f:
        f.write("final\n")
    assert backend.logs("fit", workspace=ws, hpcjob=running()) == "step 1\nstep 2\nwarn 1\n"
    done = running(phase="Succeeded", outcome="Succeeded")
    assert backend.logs("fit", workspace=ws, hpcjob=done) == "final\n"
    # Without an endpoint configured, a running step has what the workspace has.
    assert HPCBackend(Settings(namespace="ns"), api=api).logs("fit", workspace=ws, hpcjob=running()) == "final\n"
