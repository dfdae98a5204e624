"""REANA's job request -> an HPCJob manifest.

The request is what reana-job-controller hands a compute backend: the fields of its ``JobRequest``
schema, with ``cmd`` already deserialised (``job_request_from_payload`` does that step for a raw REST
payload, the way RJC's schema does). Every check that can fail here fails with a message naming the
field, before anything reaches Kubernetes, so the user sees why in the workflow logs.

What is not supported, and why (the options fail loudly rather than being dropped, because a step
that silently runs without its credentials or software mounts fails later in a way that is hard to
trace back):

* ``cvmfs_mounts``: the job wrapper binds only the workspace into the container. Sites that have
  CVMFS can be targeted with ``htcondor_requirements``, and images can bind it themselves.
* ``kerberos``, ``voms_proxy``, ``rucio``: these need user credentials on the HPC worker. The
  operator never puts secrets on an HPCJob or ships them to a site on a user's behalf (design rule 6).

Ignored on purpose (they are about other backends and RJC's schema fills some of them in itself):
``kubernetes_*`` (``kubernetes_job_timeout`` is always set by RJC), ``c4p_*``, ``shared_file_system``
(RJC's schema always sets it), and the user secrets RJC passes to every backend (design rule 6 again:
they never go into a CR). ``unpacked_img`` is mapped as htcondorcern reads it (see ``image_reference``).
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, Mapping, Optional

from . import labels, quantities
from .errors import InvalidRequest, UnsupportedOption
from .settings import Settings

API_VERSION = "hpc.scailfin.io/v1alpha1"
KIND = "HPCJob"
# The operator's finalizer (FINALIZER in src/controllers/hpcjob/transition.ts; test/unit/reana-finalizer.test.ts
# checks that the two agree). Set at create, it saves the operator one API write per step: it need not add
# it before submitting (docs/design.md, API writes per step).
FINALIZER = "hpc.scailfin.io/condor-cleanup"

# Limits and patterns of the HPCJob CRD (src/crds/hpcjob.ts), checked here for a clear message.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ABS_PATH = re.compile(r"^(/[A-Za-z0-9._+@%=:,~-]+)+/?$")
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")
_ACCOUNTING_GROUP = re.compile(r"^[A-Za-z0-9_.-]+$")
_IMAGE_SCHEMES = ("docker://", "dir://", "oras://", "shifter://", "library://")
MAX_ENV = 256
MAX_ENV_VALUE = 32768
MAX_ARG = 65536
MAX_SCRIPT = 262144
MAX_REQUIREMENTS = 4096
MAX_ANNOTATION = 2048


def job_request_from_payload(payload: Mapping[str, Any]) -> Dict[str, Any]:
    """A REST payload (``POST /jobs`` body) -> the keyword arguments RJC gives a job manager.

    RJC's ``JobRequest`` schema base64-decodes ``cmd`` with ``reana_commons.job_utils`` and drops
    ``compute_backend``; this does the same, so tests and tools can drive the backend exactly as RJC does.
    """
    from reana_commons.job_utils import deserialise_job_command

    request = dict(payload)
    request.pop("compute_backend", None)
    request["cmd"] = deserialise_job_command(request.get("cmd") or "")
    request.setdefault("prettified_cmd", "")
    request.setdefault("cvmfs_mounts", "")
    request.setdefault("env_vars", {})
    request.setdefault("shared_file_system", True)
    return request


def image_reference(docker_img: Optional[str], unpacked_img: Any = False) -> str:
    """REANA's ``docker_img`` (and ``unpacked_img``) -> the HPCJob image.

    ``python:3.12`` and ``docker.io/x/y:tag`` become ``docker://...`` (REANA images are OCI images);
    references that already name a scheme the wrapper knows, and absolute paths (a SIF file or an
    unpacked root, e.g. on CVMFS), pass through unchanged. With ``unpacked_img``, ``docker_img`` is the
    directory of an unpacked image, as reana-job-controller's htcondorcern backend reads it (it hands
    ``docker_img`` unchanged to ``singularity exec``): it becomes ``dir://<directory>``.
    """
    img = (docker_img or "").strip()
    if not img:
        raise InvalidRequest("docker_img is empty: every REANA step needs a container image")
    if len(img) > 1000 or re.search(r"[\s\x00-\x1f\x7f]", img):
        raise InvalidRequest(f"docker_img {img[:80]!r} contains blanks or control characters")
    if unpacked_img:
        return _unpacked_directory(img)
    if img.startswith("/") or img.startswith(_IMAGE_SCHEMES):
        return img
    if "://" in img:
        raise InvalidRequest(
            f"docker_img {img[:80]!r} has a scheme the HPC job wrapper does not know "
            f"(use one of {', '.join(_IMAGE_SCHEMES)} or an absolute path)"
        )
    return f"docker://{img}"


def _unpacked_directory(img: str) -> str:
    if img.startswith("dir:///"):
        return img
    if img.startswith("/"):
        return f"dir://{img}"
    raise InvalidRequest(
        f"unpacked_img is set but the environment {img[:80]!r} is not a directory: give the unpacked image's "
        "path, e.g. /cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/python:3.12 (as for htcondorcern), "
        "or drop unpacked_img to pull the image"
    )


def _cvmfs_requested(cvmfs_mounts: Any) -> bool:
    if cvmfs_mounts in (None, "", False):
        return False
    if isinstance(cvmfs_mounts, (list, tuple)):
        return bool(cvmfs_mounts)
    text = str(cvmfs_mounts).strip()
    if text.lower() in ("false", "none", "[]", ""):
        return False
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return True
    return bool(value)


def _check_supported(request: Mapping[str, Any]) -> None:
    if _cvmfs_requested(request.get("cvmfs_mounts")):
        raise UnsupportedOption(
            "cvmfs_mounts is not supported by the HPCJob compute backend: the job wrapper binds only the "
            "workspace into the container. Select CVMFS sites with htcondor_requirements instead."
        )
    for flag in ("kerberos", "voms_proxy", "rucio"):
        if request.get(flag):
            raise UnsupportedOption(
                f"{flag} is not supported by the HPCJob compute backend: user credentials are never shipped "
                "to HPC sites. Run this step on the kubernetes backend."
            )


def _check_text(field: str, value: str, limit: int) -> None:
    if "\x00" in value:
        raise InvalidRequest(f"{field} contains a NUL character, which no process can receive")
    if len(value) > limit:
        raise InvalidRequest(f"{field} is {len(value)} characters long; the limit is {limit}")


def env_list(env_vars: Optional[Mapping[str, Any]], settings: Settings) -> List[Dict[str, str]]:
    """REANA's ``env_vars`` dict -> the HPCJob's ``env`` list, names checked, values passed as data."""
    env: List[Dict[str, str]] = []
    for name, value in (env_vars or {}).items():
        name = str(name)
        if not _ENV_NAME.match(name) or len(name) > 256:
            raise InvalidRequest(
                f"environment variable name {name[:80]!r} is not a shell identifier ([A-Za-z_][A-Za-z0-9_]*)"
            )
        text = "" if value is None else str(value)
        _check_text(f"environment variable {name}", text, MAX_ENV_VALUE)
        env.append({"name": name, "value": settings.rewrite_text(text)})
    if len(env) > MAX_ENV:
        raise InvalidRequest(f"{len(env)} environment variables; the limit is {MAX_ENV}")
    return env


def _workspace_path(workflow_workspace: Optional[str], settings: Settings) -> str:
    if not workflow_workspace:
        raise InvalidRequest("workflow_workspace is empty")
    path = settings.to_hpc_path(str(workflow_workspace).rstrip("/") or "/")
    if len(path) > 1024 or not _ABS_PATH.match(path) or _DOT_SEGMENT.search(path):
        raise InvalidRequest(
            f"workflow_workspace {path[:120]!r} must be an absolute path of plain components "
            "(letters, digits and ._+@%=:,~-), without . or .."
        )
    return path


def _virtual_cluster(request: Mapping[str, Any], settings: Settings) -> Optional[str]:
    partition = request.get("slurm_partition")
    if partition:
        if partition not in settings.partitions:
            known = ", ".join(sorted(settings.partitions)) or "none are configured"
            raise InvalidRequest(
                f"slurm_partition {str(partition)[:80]!r} is not mapped to a VirtualCluster "
                f"(REANA_HPC_PARTITIONS; known partitions: {known})"
            )
        return settings.partitions[partition]
    return settings.virtual_cluster


def _resources(request: Mapping[str, Any], settings: Settings) -> Dict[str, Any]:
    resources: Dict[str, Any] = {}
    if request.get("htcondor_request_cpus"):
        resources["cpus"] = quantities.cpus(request["htcondor_request_cpus"])
    if request.get("htcondor_request_memory"):
        resources["memory"] = quantities.memory_quantity(request["htcondor_request_memory"])
    if request.get("htcondor_request_disk"):
        resources["disk"] = quantities.disk_quantity(request["htcondor_request_disk"])
    wall = quantities.walltime(
        request.get("htcondor_max_runtime"), request.get("slurm_time"), settings.default_walltime
    )
    if wall:
        resources["walltime"] = wall
    return resources


def _htcondor_fields(request: Mapping[str, Any]) -> Dict[str, str]:
    """``htcondor_requirements`` and ``htcondor_accounting_group``, checked for a clear message."""
    fields: Dict[str, str] = {}
    requirements = request.get("htcondor_requirements")
    if requirements:
        requirements = str(requirements)
        if re.search(r"[\x00-\x1f\x7f]", requirements) or len(requirements) > MAX_REQUIREMENTS:
            raise InvalidRequest(
                "htcondor_requirements must be one line of at most 4096 characters without control characters"
            )
        fields["requirements"] = requirements
    group = request.get("htcondor_accounting_group")
    if group:
        group = str(group)
        if not _ACCOUNTING_GROUP.match(group) or len(group) > 256:
            raise InvalidRequest(
                f"htcondor_accounting_group {group[:80]!r} may only contain letters, digits and ._-"
            )
        fields["accountingGroup"] = group
    return fields


def _command(cmd: Any, settings: Settings) -> Dict[str, Any]:
    text = settings.rewrite_text("" if cmd is None else str(cmd))
    if not text.strip():
        raise InvalidRequest("cmd is empty: the step has nothing to run")
    if settings.shell == "sh":
        _check_text("cmd", text, MAX_SCRIPT)
        return {"script": text}
    _check_text("cmd", text, MAX_ARG)
    # As REANA's Kubernetes backend runs it (bash -c <cmd>): the command is one argv word, never
    # re-parsed by any shell between here and the container.
    return {"command": ["bash", "-c", text]}


def _annotation(value: Any) -> str:
    """For people reading the CR: kept short and without NULs (annotations are informative only)."""
    return str(value).replace("\x00", "")[:MAX_ANNOTATION]


def build_hpcjob(request: Mapping[str, Any], settings: Settings, name: Optional[str] = None) -> Dict[str, Any]:
    """The HPCJob manifest for one REANA step.

    :param request: the job manager's keyword arguments (RJC's ``JobRequest`` fields, ``cmd`` decoded).
    :param settings: the deployment's settings.
    :param name: the HPCJob name; a fresh unique one by default.
    """
    _check_supported(request)
    workflow_uuid = request.get("workflow_uuid")
    if not workflow_uuid:
        raise InvalidRequest("workflow_uuid is empty")
    job_name = str(request.get("job_name") or "")
    workspace = _workspace_path(request.get("workflow_workspace"), settings)

    spec: Dict[str, Any] = {
        "image": image_reference(request.get("docker_img"), request.get("unpacked_img")),
        **_command(request.get("cmd"), settings),
        "workspace": {"path": workspace, "staging": settings.staging},
        "containerRuntime": settings.container_runtime,
    }
    env = env_list(request.get("env_vars"), settings)
    if env:
        spec["env"] = env
    resources = _resources(request, settings)
    if resources:
        spec["resources"] = resources
    spec.update(_htcondor_fields(request))
    vc = _virtual_cluster(request, settings)
    if vc:
        spec["virtualClusterRef"] = {"name": vc}
    if settings.retry_limit is not None:
        spec["retryPolicy"] = {"limit": settings.retry_limit}
    if settings.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = settings.ttl_seconds_after_finished

    metadata_labels = {
        labels.LABEL_MANAGED_BY: labels.MANAGED_BY,
        labels.LABEL_WORKFLOW_UUID: labels.label_value(workflow_uuid),
        labels.LABEL_JOB_NAME: labels.label_value(job_name),
    }
    if settings.user_uuid:
        metadata_labels[labels.LABEL_USER_UUID] = labels.label_value(settings.user_uuid)
    annotations = {
        labels.ANNOTATION_JOB_NAME: _annotation(job_name),
        labels.ANNOTATION_WORKSPACE: _annotation(request.get("workflow_workspace")),
    }
    pretty = request.get("prettified_cmd")
    if pretty:
        annotations[labels.ANNOTATION_PRETTIFIED_CMD] = _annotation(pretty)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name or labels.hpcjob_name(job_name),
            "namespace": settings.namespace,
            "labels": metadata_labels,
            "annotations": annotations,
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }
