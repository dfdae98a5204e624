"""Deployment settings of the backend, read from the environment of reana-job-controller.

Everything an administrator chooses once per REANA deployment lives here; everything a user chooses per
step comes from the job request (see ``manifest.py``). Settings are plain data so that tests and the
job manager can build them without touching ``os.environ``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

from .errors import InvalidRequest

STAGING_MODES = ("chirp", "cctools", "condor-transfer", "shared-fs", "parrot")
CONTAINER_RUNTIMES = (
    "auto",
    "apptainer",
    "singularity",
    "shifter",
    "charliecloud",
    "podman",
    "docker",
    "none",
)
SHELLS = ("bash", "sh")
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class Settings:
    """What the backend needs to know about its deployment.

    Environment variables (all optional):

    ``REANA_HPC_NAMESPACE``
        Namespace of the HPCJobs; default ``REANA_RUNTIME_KUBERNETES_NAMESPACE``, else ``default``.
    ``REANA_HPC_STAGING``
        How the workspace reaches the worker: chirp (default), cctools, condor-transfer, shared-fs, parrot.
    ``REANA_HPC_CONTAINER_RUNTIME``
        auto (default) or a runtime to force (e.g. charliecloud); ``none`` runs natively.
    ``REANA_HPC_VIRTUAL_CLUSTER``
        VirtualCluster (same namespace) for every job; unset uses the operator's default pool.
    ``REANA_HPC_PARTITIONS``
        JSON object mapping a step's ``slurm_partition`` to a VirtualCluster name, e.g.
        ``{"gpu": "bridges-gpu", "short": "campus"}``; this is how a user picks a VirtualCluster per step.
    ``REANA_HPC_WORKSPACE_MAP``
        ``<reana prefix>=<hpc prefix>`` when the HPC side sees REANA's shared volume under another path
        (e.g. ``/var/reana=/reana``); paths in the workspace, the command and the environment are rewritten.
    ``REANA_HPC_SHELL``
        ``bash`` (default: the command runs as ``bash -c <cmd>``, as REANA's Kubernetes backend does)
        or ``sh`` (the command becomes the HPCJob's ``script``, run with ``/bin/sh -c``).
    ``REANA_HPC_TTL_SECONDS_AFTER_FINISHED``
        How long a finished HPCJob stays for inspection before the operator deletes it; default 86400.
    ``REANA_HPC_RETRY_LIMIT``
        ``retryPolicy.limit`` of every HPCJob; unset keeps the operator's default.
    ``REANA_HPC_DEFAULT_WALLTIME``
        Walltime (e.g. ``2h``) for steps that give neither ``htcondor_max_runtime`` nor ``slurm_time``.
    ``REANA_HPC_OPERATOR_URL``
        https address of the operator's live-logs endpoint (e.g.
        ``https://hpc-operator-webhook.hpc-operator-system.svc``): the logs of a running step come from there.
        Unset: a running step's logs are what the workspace has (nothing until it ends).
    ``REANA_HPC_OPERATOR_CA``
        File of the CA that signed the operator's serving certificate (default: the system's roots).
    """

    namespace: str = "default"
    staging: str = "chirp"
    container_runtime: str = "auto"
    virtual_cluster: Optional[str] = None
    partitions: Dict[str, str] = field(default_factory=dict)
    workspace_map: Optional[Tuple[str, str]] = None
    shell: str = "bash"
    ttl_seconds_after_finished: Optional[int] = 86400
    retry_limit: Optional[int] = None
    default_walltime: Optional[str] = None
    user_uuid: Optional[str] = None
    operator_url: Optional[str] = None
    operator_ca: Optional[str] = None

    def __post_init__(self) -> None:
        """Reject a bad deployment setting at start-up rather than on every job."""
        if not _DNS_NAME.match(self.namespace) or len(self.namespace) > 63:
            raise InvalidRequest(f"REANA_HPC_NAMESPACE {self.namespace!r} is not a namespace name")
        if self.staging not in STAGING_MODES:
            raise InvalidRequest(f"REANA_HPC_STAGING must be one of {', '.join(STAGING_MODES)}")
        if self.container_runtime not in CONTAINER_RUNTIMES:
            raise InvalidRequest(
                f"REANA_HPC_CONTAINER_RUNTIME must be one of {', '.join(CONTAINER_RUNTIMES)}"
            )
        if self.shell not in SHELLS:
            raise InvalidRequest(f"REANA_HPC_SHELL must be one of {', '.join(SHELLS)}")
        for name in [self.virtual_cluster, *self.partitions.values()]:
            if name is not None and (not _DNS_SUBDOMAIN.match(name) or len(name) > 253):
                raise InvalidRequest(f"VirtualCluster name {name!r} is not a Kubernetes object name")
        if self.default_walltime is not None and not _DURATION.match(self.default_walltime):
            raise InvalidRequest("REANA_HPC_DEFAULT_WALLTIME must be a duration such as 90m, 2h or 1h30m")
        if self.operator_url is not None and not self.operator_url.startswith("https://"):
            raise InvalidRequest("REANA_HPC_OPERATOR_URL must be an https:// address (the request carries a token)")
        if self.workspace_map:
            src, dst = self.workspace_map
            if not (src.startswith("/") and dst.startswith("/")):
                raise InvalidRequest("REANA_HPC_WORKSPACE_MAP must be <absolute path>=<absolute path>")

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        """Settings from environment variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ

        def opt(name: str) -> Optional[str]:
            value = env.get(name, "").strip()
            return value or None

        def opt_int(name: str) -> Optional[int]:
            value = opt(name)
            if value is None:
                return None
            if not value.isdigit():
                raise InvalidRequest(f"{name} must be a non-negative integer, got {value!r}")
            return int(value)

        partitions: Dict[str, str] = {}
        raw = opt("REANA_HPC_PARTITIONS")
        if raw:
            try:
                partitions = json.loads(raw)
            except ValueError as e:
                raise InvalidRequest(f"REANA_HPC_PARTITIONS is not JSON: {e}") from None
            if not isinstance(partitions, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in partitions.items()
            ):
                raise InvalidRequest("REANA_HPC_PARTITIONS must be a JSON object of strings")

        workspace_map = None
        raw = opt("REANA_HPC_WORKSPACE_MAP")
        if raw:
            src, sep, dst = raw.partition("=")
            if not sep:
                raise InvalidRequest("REANA_HPC_WORKSPACE_MAP must be <reana prefix>=<hpc prefix>")
            workspace_map = (src.rstrip("/") or "/", dst.rstrip("/") or "/")

        ttl = opt_int("REANA_HPC_TTL_SECONDS_AFTER_FINISHED")
        return cls(
            namespace=opt("REANA_HPC_NAMESPACE")
            or opt("REANA_RUNTIME_KUBERNETES_NAMESPACE")
            or "default",
            staging=opt("REANA_HPC_STAGING") or "chirp",
            container_runtime=opt("REANA_HPC_CONTAINER_RUNTIME") or "auto",
            virtual_cluster=opt("REANA_HPC_VIRTUAL_CLUSTER"),
            partitions=partitions,
            workspace_map=workspace_map,
            shell=opt("REANA_HPC_SHELL") or "bash",
            ttl_seconds_after_finished=86400 if ttl is None else ttl,
            retry_limit=opt_int("REANA_HPC_RETRY_LIMIT"),
            default_walltime=opt("REANA_HPC_DEFAULT_WALLTIME"),
            user_uuid=opt("REANA_USER_ID"),
            operator_url=opt("REANA_HPC_OPERATOR_URL"),
            operator_ca=opt("REANA_HPC_OPERATOR_CA"),
        )

    # Path translation between REANA's view of the shared volume and the HPC side's.

    def to_hpc_path(self, path: str) -> str:
        """REANA's path of something in the shared volume -> the same thing as the HPC side sees it."""
        return _swap_prefix(path, self.workspace_map)

    def to_reana_path(self, path: str) -> str:
        """The HPC side's path -> REANA's path (for reading logs the wrapper wrote)."""
        if not self.workspace_map:
            return path
        src, dst = self.workspace_map
        return _swap_prefix(path, (dst, src))

    def rewrite_text(self, text: str) -> str:
        """Rewrite REANA's shared-volume prefix in free text (a command, an env value).

        Only done when a workspace map is configured: REANA's engines put absolute workspace paths into
        commands (``cd <workspace> && ...``), and those must name the path the step will see.
        """
        if not self.workspace_map:
            return text
        src, dst = self.workspace_map
        return re.sub(re.escape(src) + r"(?=/|$|[^A-Za-z0-9._-])", lambda _m: dst, text)


def _swap_prefix(path: str, mapping: Optional[Tuple[str, str]]) -> str:
    if not mapping:
        return path
    src, dst = mapping
    if path == src:
        return dst
    if path.startswith(src.rstrip("/") + "/"):
        return dst.rstrip("/") + path[len(src.rstrip("/")) :]
    return path
