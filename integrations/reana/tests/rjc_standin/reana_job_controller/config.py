"""Stand-in of reana_job_controller.config: the backend registries and what selects among them."""

import os

from werkzeug.utils import import_string  # noqa: F401 - the registration snippet uses it, as in RJC

COMPUTE_BACKENDS = {}
"""Backend name -> a callable returning the job manager class (RJC uses import_string lambdas)."""

JOB_MONITORS = {}
"""Backend name -> a callable returning the monitor (singleton factory)."""

DEFAULT_COMPUTE_BACKEND = "kubernetes"
SUPPORTED_COMPUTE_BACKENDS = os.getenv("COMPUTE_BACKENDS", DEFAULT_COMPUTE_BACKEND).split(",")
DASK_SCHEDULER_URI = os.getenv("DASK_SCHEDULER_URI", "tcp://127.0.0.1:8080")
REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT = os.getenv("REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT", "604800")
