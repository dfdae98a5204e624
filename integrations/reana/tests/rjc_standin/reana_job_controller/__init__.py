"""A stand-in for reana-job-controller (RJC), for tests only; not RJC's code.

reana-job-controller is not published on PyPI. When ``REANA_JOB_CONTROLLER_SRC`` does not point at a
checkout of it, the tests run against this package, which reproduces what a compute backend meets in
RJC (reanahub/reana-job-controller master ec85ea4, 0.95.0-alpha.5), module by module:

* ``config``: the ``COMPUTE_BACKENDS`` / ``JOB_MONITORS`` registries; ``COMPUTE_BACKENDS`` from the
  environment; ``REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT`` *without* a default (unset, every job request is
  a 400); ``REANA_VETTED_CONTAINER_IMAGES``.
* ``schemas.JobRequest``: the request schema (marshmallow, unknown fields rejected: a 400).
* ``rest``: the Flask endpoints ``POST /jobs`` (schema, vetted images, backend check, secrets from
  ``UserSecretsStore.fetch``, ``execute``, JOB_DB entry, ``running``, monitor), ``GET /jobs/<id>``,
  ``GET /jobs/<id>/logs``, ``DELETE /jobs/<id>/``, ``GET /shutdown``, with RJC's codes and messages.
* ``job_manager.JobManager``, ``job_db``: the base class and the in-memory JOB_DB, writing to reana-db
  (the real package from PyPI) as RJC does, so reana-db's status listener runs too.
* ``job_monitor.JobMonitor``, ``utils.singleton``: per-process singleton monitors running
  ``watch_jobs(JOB_DB, app)`` in a daemon thread.
* ``factory.create_app``: the Flask app.

Left out: the upstream backends (kubernetes, htcondorcern, slurmcern, compute4punch need their clusters),
job caching, OpenAPI and the Kubernetes resource checks of the kubernetes backend.
"""
