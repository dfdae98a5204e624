"""Errors raised while turning a REANA job request into an HPCJob.

They derive from ``ValueError`` so that callers that only know "bad input" can still catch them.
reana-job-controller turns any exception from ``execute()`` into a ``500 Job submission failed. <message>``
that the workflow engine shows to the user, so every message here says what to change.
"""


class HPCBackendError(Exception):
    """Base class of this package's errors."""


class InvalidRequest(HPCBackendError, ValueError):
    """A field of the job request has a value that cannot be turned into an HPCJob."""


class UnsupportedOption(HPCBackendError, ValueError):
    """The job request asks for something the HPC backend cannot provide (e.g. CVMFS, Kerberos)."""
