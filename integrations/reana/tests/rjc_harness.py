"""What the tests need to run reana-job-controller in-process: the real one or its stand-in, the same way.

``REANA_JOB_CONTROLLER_SRC`` set: that checkout of reanahub/reana-job-controller is imported (it is never
copied into this repository). Unset: a ``reana_job_controller`` installed in the environment, else the
stand-in in ``tests/rjc_standin``. Either way the job-controller gets what a REANA deployment gives it,
through its environment only: ``COMPUTE_BACKENDS``, the job timeout limits REANA's Helm chart sets, and a
reana-db database (SQLite here; reana-db's tables live in the ``__reana`` schema, which SQLite gets as an
attached database). Only the ``job`` table is created: the job-controller writes no other.

Requests reach the job-controller through reana-commons' own ``JobControllerAPIClient``, whose HTTP
calls go to the Flask app's test client (``FlaskTransport``), so the payloads are exactly what REANA's
workflow engines send.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import tempfile
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "rjc_standin")
BACKEND_NAME = "htcondorcern"
"""The name the README tells administrators to register the backend under (reana.yaml accepts it)."""

DEPLOYMENT_ENV = {
    "COMPUTE_BACKENDS": f"kubernetes,{BACKEND_NAME}",
    "REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT": "604800",
    "REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT": "1209600",
    "REANA_USER_ID": "00000000-0000-0000-0000-000000000001",
}


def put_rjc_on_path() -> str:
    """Makes ``reana_job_controller`` importable; returns where it comes from ("standin" or a path)."""
    src = os.environ.get("REANA_JOB_CONTROLLER_SRC")
    if src:
        sys.path.insert(0, os.path.abspath(src))
        return os.path.abspath(src)
    if importlib.util.find_spec("reana_job_controller") is not None:
        return "installed"
    sys.path.insert(0, STANDIN)
    return "standin"


def prepare_environment(env=os.environ, db_dir=None) -> str:
    """The deployment's environment (existing values win) and a fresh SQLite file; returns its path."""
    for key, value in DEPLOYMENT_ENV.items():
        env.setdefault(key, value)
    db_dir = db_dir or tempfile.mkdtemp(prefix="reana-hpc-tests-")
    path = os.path.join(db_dir, "reana.db")
    env.setdefault("REANA_SQLALCHEMY_DATABASE_URI", f"sqlite:///{path}")
    return env["REANA_SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]


def create_job_table(db_path: str) -> None:
    """reana-db's ``__reana.job`` table in SQLite (call before anything opens a connection)."""
    from reana_db.database import engine
    from reana_db.models import Job
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def attach_reana_schema(dbapi_connection, _record):
        dbapi_connection.execute(f"ATTACH DATABASE '{db_path}.reana' AS __reana")
        # The monitor thread writes while a test reads: readers must not block it (as in PostgreSQL).
        dbapi_connection.execute("PRAGMA __reana.journal_mode=WAL")

    Job.__table__.create(bind=engine, checkfirst=True)


class FlaskTransport:
    """A ``requests`` transport adapter that hands requests to a Flask app's test client."""

    def __init__(self, app):
        self._client = app.test_client()

    def send(self, request, **kwargs):
        import requests
        from urllib.parse import urlsplit

        url = urlsplit(request.url)
        got = self._client.open(
            url.path + (f"?{url.query}" if url.query else ""),
            method=request.method,
            data=request.body,
            headers=dict(request.headers),
        )
        response = requests.Response()
        response.status_code = got.status_code
        response.headers = requests.structures.CaseInsensitiveDict(got.headers)
        response.raw = io.BytesIO(got.get_data())
        response.url = request.url
        response.request = request
        response.reason = got.status
        return response

    def close(self):
        pass


def api_client(app):
    """reana-commons' JobControllerAPIClient, talking to ``app``."""
    from bravado.requests_client import RequestsClient
    from reana_commons.api_client import JobControllerAPIClient

    http = RequestsClient()
    http.session.mount("http://", FlaskTransport(app))
    return JobControllerAPIClient("reana-job-controller", http_client=http)


def db_row(job_id):
    """The job's row in REANA's database (reana-db), as reana-server reads it, detached from any session."""
    from reana_db.database import Session
    from reana_db.models import Job

    try:
        row = Session.query(Job).filter(Job.id_ == job_id).one()
        return SimpleNamespace(**{c.name: getattr(row, c.name) for c in Job.__table__.columns})
    finally:
        Session.remove()  # no transaction left open between two looks: the monitor thread writes meanwhile


def wait_for(what, check, timeout=10.0):
    """Polls ``check`` until it is truthy (a bound for a background thread, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
