"""One label-selected list+watch over HPCJobs that survives expiry, errors and restarts.

It keeps no state of its own beyond the resourceVersion to resume from: after every (re)list it hands
the handler the complete current set of HPCJobs (``replace``), then each change (``apply``). A handler
that derives everything from those objects is therefore restart-safe: a new process, a relist after a
410 or after an error all start from what the API server says, never from memory.

* resumes each watch from the last resourceVersion it saw (events and bookmarks);
* relists at once when the API server answers 410 Gone (the resourceVersion was compacted away);
* relists after any other error (API server restart, network, a handler bug), with capped backoff;
* relists every ``resync_seconds`` anyway, so a missed event can never leave a status stale for long.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Protocol, Tuple

from .kube import is_gone

log = logging.getLogger(__name__)


class WatchApi(Protocol):
    """What the watcher needs from Kubernetes (``kube.HPCJobsApi`` has it; tests pass fakes)."""

    def list(self, label_selector: str) -> Tuple[List[Dict[str, Any]], str]: ...

    def watch(
        self, label_selector: str, resource_version: str, timeout_seconds: int
    ) -> Iterable[Dict[str, Any]]: ...


class WatchHandler(Protocol):
    """Receives the state: the full set after each list, then each change."""

    def replace(self, objects: List[Dict[str, Any]]) -> None: ...

    def apply(self, event_type: str, obj: Dict[str, Any]) -> None: ...


class Gone(Exception):
    """The watch's resourceVersion is too old (HTTP 410); only a relist recovers."""


class HPCJobWatcher:
    """Runs list+watch in a loop until ``stop()``; see the module docstring for the guarantees."""

    def __init__(
        self,
        api: WatchApi,
        label_selector: str,
        handler: WatchHandler,
        *,
        watch_timeout_seconds: int = 300,
        resync_seconds: float = 600,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.api = api
        self.label_selector = label_selector
        self.handler = handler
        self.watch_timeout_seconds = watch_timeout_seconds
        self.resync_seconds = resync_seconds
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._clock = clock
        self._stop = threading.Event()
        self.resource_version: Optional[str] = None
        # Counters for logs, tests and debugging.
        self.lists = 0
        self.watches = 0
        self.errors = 0
        self.gone = 0

    def stop(self) -> None:
        """Ends ``run()`` after the current event or watch timeout."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """The loop. Never raises: every failure becomes a relist (after a backoff unless it was a 410)."""
        backoff = self.backoff_initial
        need_list = True
        last_list = 0.0
        while not self._stop.is_set():
            try:
                if need_list or self._clock() - last_list >= self.resync_seconds:
                    items, self.resource_version = self.api.list(self.label_selector)
                    self.lists += 1
                    last_list = self._clock()
                    need_list = False
                    self.handler.replace(items)
                    if self._stop.is_set():
                        break
                self.watches += 1
                for event in self._events():
                    self.handler.apply(event["type"], event["object"])
                    if self._stop.is_set() or self._clock() - last_list >= self.resync_seconds:
                        break
                backoff = self.backoff_initial
            except Exception as e:  # noqa: BLE001 - the loop must survive anything
                need_list = True
                if isinstance(e, Gone) or is_gone(e):
                    self.gone += 1
                    log.info("HPCJob watch expired (410 Gone); relisting")
                    continue
                self.errors += 1
                log.warning("HPCJob watch failed (%s: %s); relisting in %.1fs", type(e).__name__, e, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)

    def _events(self) -> Iterator[Dict[str, Any]]:
        """Watch events from the last resourceVersion, tracking it; bookmarks and errors handled here."""
        assert self.resource_version is not None
        for event in self.api.watch(self.label_selector, self.resource_version, self.watch_timeout_seconds):
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                code = obj.get("code") if isinstance(obj, dict) else None
                if code == 410:
                    raise Gone(obj.get("message", "resourceVersion too old"))
                raise RuntimeError(f"watch error event: {obj}")
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv:
                self.resource_version = rv
            if kind == "BOOKMARK":
                continue
            if kind in ("ADDED", "MODIFIED", "DELETED"):
                yield event
            if self._stop.is_set():
                return

    def start_thread(self, name: str = "hpcjob-watch") -> threading.Thread:
        """Runs the loop in a daemon thread (as reana-job-controller's monitors do)."""
        t = threading.Thread(target=self.run, name=name, daemon=True)
        t.start()
        return t
