"""The logs of a step as REANA shows them.

The job wrapper writes each attempt's stdout and stderr into the workspace, at
``<workspace>/.hpc/<hpcjob name>/<attempt>/{stdout,stderr}``, and REANA's job-controller mounts the
workspace, so it reads them there: no log ever has to travel through the Kubernetes API. When the files
are missing (the step never started, staging failed), the HPCJob's ``status.message`` says why.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

MAX_LOG_BYTES = 4 * 1024 * 1024


def attempt_dir(workspace: str, name: str, attempt: Optional[int] = None) -> Optional[str]:
    """The directory of ``attempt`` (the newest one when not given), or ``None`` if there is none."""
    base = os.path.join(workspace, ".hpc", name)
    if attempt:
        path = os.path.join(base, str(int(attempt)))
        return path if os.path.isdir(path) else None
    try:
        numbers = [int(d) for d in os.listdir(base) if d.isdigit()]
    except OSError:
        return None
    return os.path.join(base, str(max(numbers))) if numbers else None


def _read(path: str) -> Optional[str]:
    """The last MAX_LOG_BYTES of a file, decoded leniently (steps print arbitrary bytes)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - MAX_LOG_BYTES))
            data = f.read()
    except OSError:
        return None
    text = data.decode("utf-8", "replace")
    if size > MAX_LOG_BYTES:
        text = f"[... {size - MAX_LOG_BYTES} bytes cut ...]\n" + text
    return text


def step_logs(workspace: Optional[str], name: str, hpcjob: Optional[Mapping[str, Any]] = None) -> str:
    """stdout then stderr of the last attempt, or the HPCJob's message when there are no files.

    :param workspace: the workspace as *this* process sees it (REANA's path).
    :param name: the HPCJob name.
    :param hpcjob: the HPCJob, if it still exists (gives the attempt number and the message).
    """
    status = (hpcjob or {}).get("status") or {}
    message = status.get("message") or ""
    directory = attempt_dir(workspace, name, status.get("attempt")) if workspace else None
    if directory is None and workspace:
        directory = attempt_dir(workspace, name)
    out = _read(os.path.join(directory, "stdout")) if directory else None
    err = _read(os.path.join(directory, "stderr")) if directory else None
    if out is None and err is None:
        phase = status.get("phase") or "unknown"
        return f"No logs of HPCJob {name} in the workspace (phase {phase}). {message}".rstrip()
    text = out or ""
    if err:
        if text and not text.endswith("\n"):
            text += "\n"
        text += err
    if status.get("phase") in ("Failed", "Lost") and message and message not in text:
        if text and not text.endswith("\n"):
            text += "\n"
        text += f"[hpc] {message}\n"
    return text
