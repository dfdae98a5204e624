"""The log of a step that is still running, from the operator's live-logs endpoint.

While a step runs its stdout and stderr are only on the worker: the operator reads what is there so far with
one ``condor_tail`` poll and serves it at ``GET /logs/v1/namespaces/<ns>/hpcjobs/<name>?stream=...``. The
backend calls it with its own Kubernetes credentials (in the cluster: its ServiceAccount token; else the
kubeconfig's token or client certificate); the operator checks them with the API server and asks whether
they may ``get`` ``hpcjobs/log`` in the namespace (the ``view``/``edit`` roles have it).
"""

from __future__ import annotations

import logging
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Tuple

log = logging.getLogger(__name__)

#: How long one request may take (s): one condor_tail poll on the operator's side, bounded there too.
TIMEOUT_SECONDS = 40


def is_running(hpcjob: Optional[Mapping[str, Any]]) -> bool:
    """Whether the HPCJob's current attempt has started and not ended (its logs are not fetched yet)."""
    status = (hpcjob or {}).get("status") or {}
    n = status.get("attempt") or 0
    if not n or status.get("phase") != "Running":
        return False
    current = [a for a in status.get("attempts") or [] if a.get("attempt") == n]
    return bool(current) and current[0].get("outcome") == "Running"


@dataclass(frozen=True)
class Credentials:
    """What goes with a request: an Authorization header, or a client certificate and key (files)."""

    authorization: Optional[str] = None
    cert_file: Optional[str] = None
    key_file: Optional[str] = None


def credentials_of(configuration: Any) -> Credentials:
    """The credentials of a ``kubernetes.client.Configuration`` (its token, refreshed; else its certificate)."""
    value = None
    try:
        value = configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
    except TypeError:  # kubernetes < 36: one argument, the token under 'authorization'
        value = configuration.get_api_key_with_prefix("authorization")
    if value:
        if not value.lower().startswith("bearer "):
            value = f"Bearer {value}"
        return Credentials(authorization=value)
    return Credentials(cert_file=getattr(configuration, "cert_file", None), key_file=getattr(configuration, "key_file", None))


class OperatorLogs:
    """The operator's live-logs endpoint at ``url`` (https), trusting the CA in ``ca_file``.

    ``credentials`` is asked on every request: a ServiceAccount token is rotated while the backend runs.
    """

    def __init__(self, url: str, ca_file: Optional[str], credentials: Callable[[], Credentials]):
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.context = ssl.create_default_context(cafile=ca_file)
        first = credentials()
        if first.cert_file and first.key_file:
            self.context.load_cert_chain(first.cert_file, first.key_file)

    def fetch(self, namespace: str, name: str, stream: str, max_bytes: int) -> Tuple[Optional[bytes], str]:
        """The last ``max_bytes`` of what ``stream`` holds so far, or ``None`` and why not."""
        path = "/logs/v1/namespaces/{}/hpcjobs/{}".format(
            urllib.parse.quote(namespace, safe=""), urllib.parse.quote(name, safe="")
        )
        query = urllib.parse.urlencode({"stream": stream, "follow": "false"})
        req = urllib.request.Request(f"{self.url}{path}?{query}", method="GET")
        authorization = self.credentials().authorization
        if authorization:
            req.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS, context=self.context) as res:
                data = res.read()
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace").strip()
            return None, f"the operator answered {e.code}: {body}"
        except (urllib.error.URLError, OSError) as e:
            return None, f"the operator at {self.url} cannot be reached: {getattr(e, 'reason', e)}"
        return data[-max_bytes:], ""

    def so_far(self, namespace: str, name: str, max_bytes: int) -> Optional[str]:
        """stdout then stderr of the running attempt, as ``logs.step_logs`` puts a finished one; ``None`` if unavailable."""
        parts = []
        for stream in ("stdout", "stderr"):
            data, why = self.fetch(namespace, name, stream, max_bytes)
            if data is None:
                log.warning("no live %s of HPCJob %s/%s: %s", stream, namespace, name, why)
                return None
            parts.append(data.decode("utf-8", "replace"))
        out, err = parts
        if out and err and not out.endswith("\n"):
            out += "\n"
        return out + err
