"""Stand-in of reana_job_controller.errors."""


class ComputingBackendSubmissionError(Exception):
    """A compute backend operation failed (RJC answers 502 to DELETE /jobs/<id>)."""
