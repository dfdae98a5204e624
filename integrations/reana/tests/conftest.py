"""Test set-up shared by unit and e2e tests.

reana-job-controller is not on PyPI; when it is not installed, its stand-in (tests/rjc_standin, see its
docstring) is put on the path so the adapter classes can be exercised against RJC's contract.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "rjc_standin")

RJC_IS_STANDIN = importlib.util.find_spec("reana_job_controller") is None
if RJC_IS_STANDIN:
    sys.path.insert(0, STANDIN)
