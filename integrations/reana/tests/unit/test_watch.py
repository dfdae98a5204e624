"""The list+watch loop: resume, bookmarks, 410, errors, resync (with a fake API, deterministic)."""

import threading

from kubernetes.client.rest import ApiException

from reana_hpc.watch import HPCJobWatcher


def obj(name, rv, phase=None):
    o = {"metadata": {"name": name, "resourceVersion": str(rv)}}
    if phase:
        o["status"] = {"phase": phase}
    return o


class Recorder:
    """A handler that records calls; ``stop_after`` stops the watcher after that many calls."""

    def __init__(self, stop_after=None):
        self.calls = []
        self.watcher = None
        self.stop_after = stop_after
        self.fail_next_apply = False

    def _maybe_stop(self):
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            self.watcher.stop()

    def replace(self, objects):
        self.calls.append(("replace", [o["metadata"]["name"] for o in objects]))
        self._maybe_stop()

    def apply(self, event_type, o):
        if self.fail_next_apply:
            self.fail_next_apply = False
            raise RuntimeError("handler bug")
        self.calls.append((event_type, o["metadata"]["name"]))
        self._maybe_stop()


class ScriptedApi:
    """list() and watch() answer from scripts; each watch() call takes the next script entry."""

    def __init__(self, lists, watches):
        self.lists = list(lists)
        self.watches = list(watches)
        self.list_calls = 0
        self.watch_calls = []

    def list(self, label_selector):
        self.list_calls += 1
        result = self.lists.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def watch(self, label_selector, resource_version, timeout_seconds):
        self.watch_calls.append(resource_version)
        script = self.watches.pop(0) if self.watches else []
        for item in script:
            if isinstance(item, Exception):
                raise item
            yield item


def run(api, handler, **kw):
    kw = {"backoff_initial": 0.001, "backoff_max": 0.002, **kw}
    w = HPCJobWatcher(api, "app=x", handler, **kw)
    handler.watcher = w
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "the watcher did not stop"
    return w


def test_lists_then_applies_events_and_resumes_from_the_last_resource_version():
    api = ScriptedApi(
        lists=[([obj("a", 5)], "10")],
        watches=[
            [{"type": "ADDED", "object": obj("b", 11)}, {"type": "MODIFIED", "object": obj("a", 12, "Running")}],
            # the first watch timed out; the second must resume from 12
            [{"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "20"}}}],
            [{"type": "DELETED", "object": obj("b", 21)}],
        ],
    )
    h = Recorder(stop_after=4)
    w = run(api, h)
    assert h.calls == [("replace", ["a"]), ("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert api.watch_calls == ["10", "12", "20"]
    assert api.list_calls == 1 and w.lists == 1 and w.errors == 0


def test_410_relists_at_once_and_resumes_from_the_new_list():
    api = ScriptedApi(
        lists=[([obj("a", 5)], "10"), ([obj("a", 30), obj("c", 31)], "40")],
        watches=[
            [ApiException(status=410, reason="Gone")],
            [{"type": "MODIFIED", "object": obj("c", 41)}],
        ],
    )
    h = Recorder(stop_after=3)
    w = run(api, h, backoff_initial=60, backoff_max=60)  # a backoff would hang the test: 410 must not back off
    assert h.calls == [("replace", ["a"]), ("replace", ["a", "c"]), ("MODIFIED", "c")]
    assert api.watch_calls == ["10", "40"]
    assert (w.gone, w.errors) == (1, 0)


def test_error_event_410_also_relists():
    api = ScriptedApi(
        lists=[([], "10"), ([obj("a", 50)], "50")],
        watches=[[{"type": "ERROR", "object": {"code": 410, "message": "too old resource version"}}]],
    )
    h = Recorder(stop_after=2)
    w = run(api, h)
    assert h.calls == [("replace", []), ("replace", ["a"])]
    assert w.gone == 1


def test_errors_relist_after_a_backoff_and_the_loop_survives():
    api = ScriptedApi(
        lists=[ConnectionError("apiserver down"), ([], "10"), ([obj("a", 60)], "60")],
        watches=[[ApiException(status=500, reason="boom")], [{"type": "ADDED", "object": obj("b", 61)}]],
    )
    h = Recorder(stop_after=3)
    w = run(api, h)
    assert h.calls == [("replace", []), ("replace", ["a"]), ("ADDED", "b")]
    assert w.errors == 2 and api.watch_calls == ["10", "60"]


def test_a_handler_bug_is_survived_by_relisting():
    api = ScriptedApi(
        lists=[([], "10"), ([obj("a", 12)], "12")],
        watches=[[{"type": "ADDED", "object": obj("a", 11)}], [{"type": "MODIFIED", "object": obj("a", 13)}]],
    )
    h = Recorder(stop_after=3)
    h.fail_next_apply = True
    w = run(api, h)
    assert h.calls == [("replace", []), ("replace", ["a"]), ("MODIFIED", "a")]
    assert w.errors == 1


def test_resyncs_with_a_full_list_periodically():
    now = [0.0]

    class TickingApi(ScriptedApi):
        def watch(self, *a):
            now[0] += 100  # each watch round "takes" 100 s
            return super().watch(*a)

    api = TickingApi(lists=[([], "10"), ([obj("x", 70)], "70")], watches=[[], []])
    h = Recorder(stop_after=2)
    w = run(api, h, resync_seconds=150, clock=lambda: now[0])
    assert h.calls == [("replace", []), ("replace", ["x"])]
    assert api.watch_calls == ["10", "10"] and w.lists == 2
