"""Kubernetes names, labels and annotations for REANA's values.

REANA's job names come from users (``fit (run 2)``, unicode, 300 characters); labels and object names have
strict syntax. Sanitising must never turn two different values into the same label silently, so a
value that had to change gets a short hash of the original appended.
"""

from __future__ import annotations

import hashlib
import re
import uuid

GROUP = "reana.hpc.scailfin.io"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY = "reana-hpc"
LABEL_WORKFLOW_UUID = f"{GROUP}/workflow-uuid"
LABEL_JOB_NAME = f"{GROUP}/job-name"
LABEL_USER_UUID = f"{GROUP}/user-uuid"
ANNOTATION_JOB_NAME = f"{GROUP}/job-name"
ANNOTATION_WORKSPACE = f"{GROUP}/workflow-workspace"
ANNOTATION_PRETTIFIED_CMD = f"{GROUP}/prettified-cmd"

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
MAX_LABEL = 63


def _hash(value: str, n: int = 8) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def label_value(value: object) -> str:
    """A valid label value for ``value``: unchanged when already valid, else sanitised plus a hash."""
    text = "" if value is None else str(value)
    if len(text) <= MAX_LABEL and _LABEL_VALUE.match(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
    cleaned = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", cleaned)
    suffix = _hash(text)
    head = cleaned[: MAX_LABEL - len(suffix) - 1].rstrip("-_.")
    return f"{head}-{suffix}" if head else suffix


def dns_label(value: object, max_len: int) -> str:
    """Lower-case letters, digits and dashes only, at most ``max_len``, no dash at either end."""
    text = re.sub(r"[^a-z0-9]+", "-", str(value or "").lower()).strip("-")
    return text[:max_len].rstrip("-")


def hpcjob_name(job_name: object) -> str:
    """A unique HPCJob name such as ``reana-fit-3f2a9c1d7b``.

    A DNS label (at most 63 characters) so that it is also valid as a label value and as a directory name
    (the wrapper writes logs to ``.hpc/<name>/``); random so that a step run twice never collides.
    """
    part = dns_label(job_name, 40) or "job"
    return f"reana-{part}-{uuid.uuid4().hex[:10]}"


def workflow_selector(workflow_uuid: object = None) -> str:
    """The label selector of the HPCJobs this backend created (for one workflow, if given)."""
    selector = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
    if workflow_uuid:
        selector += f",{LABEL_WORKFLOW_UUID}={label_value(workflow_uuid)}"
    return selector
