"""Registers the backend in reana-job-controller: ``python -m reana_hpc.rjc.register [--name hpc]``.

RJC has no plugin mechanism: its backends are the ``COMPUTE_BACKENDS`` and ``JOB_MONITORS`` dicts in
``reana_job_controller/config.py``, and ``SUPPORTED_COMPUTE_BACKENDS`` comes from the ``COMPUTE_BACKENDS``
environment variable. This appends two entries to that file (once; running it again changes nothing),
at image build time, so that both RJC's Flask config and the modules that read ``config`` directly see
them, and a call to ``registration.check_at_startup`` so that the job-controller refuses to start when
its configuration names the backend differently. One name per image: registering a second name is
refused. It finds the file without importing RJC (whose import needs a database configuration).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from typing import List, Optional

MARK = "# reana-hpc: HPCJob compute backend"


def snippet(name: str) -> str:
    return (
        f"\n\n{MARK} {name!r}\n"
        f'COMPUTE_BACKENDS["{name}"] = lambda: import_string("reana_hpc.rjc.job_manager.HPCJobManager")\n'
        f'JOB_MONITORS["{name}"] = lambda: import_string("reana_hpc.rjc.job_monitor.JobMonitorHPC")\n'
        "from reana_hpc.rjc.registration import check_at_startup as _reana_hpc_check  # noqa: E402\n"
        f'_reana_hpc_check("{name}", SUPPORTED_COMPUTE_BACKENDS)\n'
    )


def registered_name(text: str) -> Optional[str]:
    """The name a config.py already registers the backend under, if any."""
    found = re.search(re.escape(MARK) + r" '([^']*)'\n", text)
    return found.group(1) if found else None


def config_path() -> str:
    """Path of reana_job_controller/config.py in this Python environment."""
    spec = importlib.util.find_spec("reana_job_controller")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("reana_job_controller is not installed in this Python environment")
    return f"{list(spec.submodule_search_locations)[0]}/config.py"


def patch(path: str, name: str = "hpc") -> bool:
    """Adds the entries for ``name`` to the config file at ``path``; False if they are already there."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,29}", name):
        raise ValueError(f"backend name {name!r}: lower-case letters, digits, _ and -, at most 30")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    already = registered_name(text)
    if already == name:
        return False
    if already is not None:
        raise ValueError(
            f"{path} already registers the HPCJob backend as {already!r}; one name per image "
            f"(the monitor and the startup check rely on it), not also {name!r}"
        )
    for needed in ("COMPUTE_BACKENDS = {", "JOB_MONITORS = {", "SUPPORTED_COMPUTE_BACKENDS", "import_string"):
        if needed not in text:
            raise ValueError(f"{path} does not look like reana-job-controller's config.py (no {needed!r})")
    with open(path, "a", encoding="utf-8") as f:
        f.write(snippet(name))
    return True


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="hpc", help="compute_backend name users write in reana.yaml (default hpc)")
    parser.add_argument("--config", help="path of reana_job_controller/config.py (default: the installed one)")
    args = parser.parse_args(argv)
    path = args.config or config_path()
    changed = patch(path, args.name)
    print(f"{'registered' if changed else 'already registered'} compute backend {args.name!r} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
