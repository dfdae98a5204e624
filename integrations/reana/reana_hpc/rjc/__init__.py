"""reana-job-controller adapters: ``job_manager.HPCJobManager`` and ``job_monitor.JobMonitorHPC``.

This package itself imports nothing from reana-job-controller; its two modules do, so they load only
inside a job-controller image (or next to a stand-in of it in tests). ``register`` adds the two
entries to reana-job-controller's ``config.py`` when the image is built.
"""

RJC_MISSING = (
    "reana_hpc.rjc needs reana-job-controller (the module reana_job_controller): install reana-hpc into "
    "the reana-job-controller image. The REANA-independent core is in reana_hpc (manifest, status, backend, ...)."
)
