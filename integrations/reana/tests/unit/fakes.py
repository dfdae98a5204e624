"""In-memory stand-ins for the Kubernetes API, for unit tests of the watch and the backend."""

import copy
import itertools
import threading

from kubernetes.client.rest import ApiException


class FakeHPCJobsApi:
    """HPCJobs in a dict, with resourceVersions, a change log for watches and injectable failures."""

    def __init__(self, namespace="ns"):
        self.namespace = namespace
        self.objects = {}
        self.changes = []  # (rv, type, object)
        self._rv = itertools.count(100)
        self.created = []
        self.deleted = []
        self.fail_create = []  # exceptions raised by the next create() calls, in order

    def _bump(self, kind, obj):
        rv = str(next(self._rv))
        obj["metadata"]["resourceVersion"] = rv
        self.changes.append((int(rv), kind, copy.deepcopy(obj)))
        return obj

    def create(self, body):
        if self.fail_create:
            raise self.fail_create.pop(0)
        name = body["metadata"]["name"]
        if name in self.objects:
            raise ApiException(status=409, reason="AlreadyExists")
        obj = copy.deepcopy(body)
        self.objects[name] = self._bump("ADDED", obj)
        self.created.append(copy.deepcopy(obj))
        return copy.deepcopy(obj)

    def set_phase(self, name, phase, **status):
        obj = self.objects[name]
        obj["status"] = {"phase": phase, **status}
        self._bump("MODIFIED", obj)

    def get(self, name):
        obj = self.objects.get(name)
        return copy.deepcopy(obj) if obj else None

    def delete(self, name):
        obj = self.objects.pop(name, None)
        if obj is None:
            return False
        self._bump("DELETED", obj)
        self.deleted.append(name)
        return True

    def list(self, label_selector):
        rv = str(self.changes[-1][0]) if self.changes else "1"
        return [copy.deepcopy(o) for o in self.objects.values()], rv

    def watch(self, label_selector, resource_version, timeout_seconds):
        new = [c for c in list(self.changes) if c[0] > int(resource_version)]
        if not new:
            # Like a real watch that has nothing to say: wait a little instead of returning at once.
            threading.Event().wait(0.02)
        for rv, kind, obj in new:
            yield {"type": kind, "object": copy.deepcopy(obj)}
