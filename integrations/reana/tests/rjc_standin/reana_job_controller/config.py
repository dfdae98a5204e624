"""Stand-in of reana_job_controller.config: the backend registries and the settings a backend meets."""

import json
import os

from werkzeug.utils import import_string  # noqa: F401 - the registration snippet uses it, as in RJC

COMPUTE_BACKENDS = {}
"""Backend name -> a callable returning the job manager class (RJC's has the four upstream backends)."""

JOB_MONITORS = {}
"""Backend name -> a callable returning the monitor (singleton factory)."""

CACHE_ENABLED = False
DEFAULT_COMPUTE_BACKEND = "kubernetes"
SUPPORTED_COMPUTE_BACKENDS = os.getenv("COMPUTE_BACKENDS", DEFAULT_COMPUTE_BACKEND).split(",")
DASK_SCHEDULER_URI = os.getenv("DASK_SCHEDULER_URI", "tcp://127.0.0.1:8080")
REANA_VETTED_CONTAINER_IMAGES = json.loads(
    os.getenv("REANA_VETTED_CONTAINER_IMAGES", '{"enabled": false, "allowlist": []}')
)
# As in RJC: no defaults. REANA's Helm chart sets both; unset, the schema refuses every job request.
REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT = os.getenv("REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT")
REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT = os.getenv("REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT")
REANA_USER_ID = os.getenv("REANA_USER_ID")
