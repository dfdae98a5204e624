"""REANA compute backend that runs each workflow step as an HPCJob.

The package has two layers:

* a REANA-independent core (this package's top-level modules): turning REANA's job request into an
  HPCJob manifest, mapping HPCJob phases to REANA job statuses, reading logs, and a restart-safe
  watch over HPCJobs. It needs only the ``kubernetes`` client and ``reana-commons``.
* ``reana_hpc.rjc``: the thin classes that plug the core into reana-job-controller (a ``JobManager``
  subclass and a job monitor). They import reana-job-controller and so only load inside it.
"""

__version__ = "0.1.0"
