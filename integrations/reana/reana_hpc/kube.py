"""The few Kubernetes calls the backend makes, on HPCJobs only.

One small class so that the rest of the package (and its tests) depends on five methods, not on the
kubernetes client's generated API. RBAC needed: hpcjobs create, get, list, watch, delete.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, Iterator, List, Optional, Tuple

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

GROUP = "hpc.scailfin.io"
VERSION = "v1alpha1"
PLURAL = "hpcjobs"

_lock = threading.Lock()
_api_client: Optional[client.ApiClient] = None


def api_client() -> client.ApiClient:
    """A shared ApiClient: in-cluster credentials (the job-controller's ServiceAccount), else KUBECONFIG."""
    global _api_client
    with _lock:
        if _api_client is None:
            configuration = client.Configuration()
            try:
                config.load_incluster_config(client_configuration=configuration)
            except config.ConfigException:
                # KUBECONFIG read now, not when the kubernetes package was imported.
                config.load_kube_config(config_file=os.environ.get("KUBECONFIG"), client_configuration=configuration)
            _api_client = client.ApiClient(configuration)
        return _api_client


def is_not_found(e: BaseException) -> bool:
    """Whether an error is the API server's 404."""
    return isinstance(e, ApiException) and e.status == 404


def is_gone(e: BaseException) -> bool:
    """Whether an error is the API server's 410 (the watch's resourceVersion is too old)."""
    return isinstance(e, ApiException) and e.status == 410


class HPCJobsApi:
    """HPCJobs in one namespace."""

    def __init__(self, namespace: str, api: Optional[client.ApiClient] = None):
        self.namespace = namespace
        self._api = client.CustomObjectsApi(api or api_client())

    def create(self, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def get(self, name: str) -> Optional[Dict[str, Any]]:
        """The HPCJob, or ``None`` when it does not exist."""
        try:
            return self._api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def delete(self, name: str) -> bool:
        """Deletes the HPCJob (the operator's finalizer then removes its HTCondor job).

        Returns False when it was already gone, so stopping is idempotent.
        """
        try:
            self._api.delete_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name, propagation_policy="Background"
            )
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def list(self, label_selector: str) -> Tuple[List[Dict[str, Any]], str]:
        """Items and the list's resourceVersion (where a watch resumes)."""
        got = self._api.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, label_selector=label_selector
        )
        return got.get("items", []), got["metadata"]["resourceVersion"]

    def watch(
        self, label_selector: str, resource_version: str, timeout_seconds: int
    ) -> Iterator[Dict[str, Any]]:
        """Raw watch events (``{"type", "object"}``) from ``resource_version`` on, with bookmarks.

        Ends after ``timeout_seconds``; a 410 arrives as an ``ApiException`` with status 410 (the client
        does not retry on its own when a timeout is given).
        """
        w = watch.Watch()
        try:
            yield from w.stream(
                self._api.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                label_selector=label_selector,
                resource_version=resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=timeout_seconds,
                _request_timeout=timeout_seconds + 30,
            )
        finally:
            w.stop()
