"""Test set-up shared by unit and e2e tests: reana-job-controller (real or stand-in) and its database.

See ``rjc_harness``: this runs before any test module imports reana_job_controller or reana_db, because
both read their configuration from the environment when first imported.
"""

import pytest

import rjc_harness

RJC_SOURCE = rjc_harness.put_rjc_on_path()
RJC_IS_STANDIN = RJC_SOURCE == "standin"
DB_PATH = rjc_harness.prepare_environment()
rjc_harness.create_job_table(DB_PATH)


def pytest_report_header(config):
    return f"reana-job-controller: {RJC_SOURCE}"


def pytest_collection_modifyitems(config, items):
    """``GET /shutdown`` ends a job-controller's life (it refuses new jobs afterwards): those tests run last."""
    items.sort(key=lambda item: item.get_closest_marker("rjc_shutdown") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "rjc_shutdown: calls GET /shutdown; runs after every other test")


@pytest.fixture(scope="session")
def rjc_app():
    """The job-controller's Flask app, as ``create_app`` builds it."""
    from reana_job_controller.factory import create_app

    return create_app()
