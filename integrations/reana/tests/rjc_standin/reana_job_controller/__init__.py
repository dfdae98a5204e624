"""A minimal stand-in for reana-job-controller (RJC), for tests only.

reana-job-controller is not published on PyPI, so the tests cannot install it. This package reproduces,
in a few lines written for these tests, the parts of RJC's contract that a compute backend meets
(reanahub/reana-job-controller master ec85ea4, 0.95.0-alpha.5):

* ``config``: the ``COMPUTE_BACKENDS`` / ``JOB_MONITORS`` registries of lazy class factories.
* ``job_manager.JobManager``: the constructor a backend passes its request to, ``execution_hook``
  (before-hook, submit, then "create the job in the DB", which sets ``job_id``), the classmethod
  ``get_logs`` and the environment RJC adds (``REANA_WORKSPACE``, ``REANA_WORKFLOW_UUID``,
  ``DASK_SCHEDULER_URI``).
* ``job_db``: the in-memory ``JOB_DB`` and ``update_job_status`` / ``store_job_logs``; the database
  writes are replaced by a history that tests can assert on.
* ``job_monitor.JobMonitor`` and ``utils.singleton``: a monitor is a per-process singleton whose
  thread runs ``watch_jobs(JOB_DB, app)``.
* ``rest``: what ``POST /jobs``, ``DELETE /jobs/<id>`` and ``GET /shutdown`` do with a backend,
  in the same order, without Flask.

It is not RJC's code; where RJC talks to PostgreSQL this keeps records in memory.
"""
