"""The startup check that the registration lines in reana-job-controller's ``config.py`` run.

The backend's name has one source: ``python -m reana_hpc.rjc.register --name <name>`` (see
``register``). The monitor does not need it (it follows the jobs of its own job manager class, whatever
their name), but a deployment can still contradict it: ``REANA_HPC_BACKEND_NAME`` (the name an
administrator believes the backend has) set to another name, or that name left out of the
``COMPUTE_BACKENDS`` environment variable, so every step fails with "Backend ... is not supported".
Either way the job-controller refuses to start, with one log line that says what to change.

This module imports nothing from reana-job-controller: it runs while RJC's ``config`` is being imported.
"""

from __future__ import annotations

import logging
import os
from typing import Iterable, List, Optional

log = logging.getLogger("reana_hpc")

ENV_NAME = "REANA_HPC_BACKEND_NAME"


class RegistrationMismatch(SystemExit):
    """Raised at job-controller start when registration and configuration disagree (exit status 1)."""

    def __init__(self, message: str):
        super().__init__(1)
        self.message = message


def mismatch(registered: str, supported: Iterable[str], configured: Optional[str]) -> Optional[str]:
    """Why the configuration contradicts the registered name, or None if it does not."""
    if configured is None or configured == "":
        return None
    if configured != registered:
        return (
            f"reana-hpc: {ENV_NAME}={configured!r} but this image registers the HPCJob backend as "
            f"{registered!r} (python -m reana_hpc.rjc.register --name {registered}); set {ENV_NAME}={registered} "
            f"or leave it unset. Refusing to start."
        )
    enabled: List[str] = list(supported)
    if configured not in enabled:
        return (
            f"reana-hpc: {ENV_NAME}={configured!r} but COMPUTE_BACKENDS={','.join(enabled)!r} does not enable it, "
            f"so every step sent to it would fail; add {configured} to COMPUTE_BACKENDS. Refusing to start."
        )
    return None


def check_at_startup(registered: str, supported: Iterable[str]) -> None:
    """Logs one critical line and exits when ``REANA_HPC_BACKEND_NAME`` contradicts the registration."""
    problem = mismatch(registered, supported, os.environ.get(ENV_NAME))
    if problem:
        log.critical(problem)
        raise RegistrationMismatch(problem)
