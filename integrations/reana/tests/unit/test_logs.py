"""Logs from the workspace's .hpc/<name>/<attempt>/ files, with the HPCJob as fallback."""

import os

from reana_hpc import logs


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def test_stdout_then_stderr_of_the_attempt_in_the_status(tmp_path):
    ws = str(tmp_path)
    write(f"{ws}/.hpc/job/1/stdout", "first try\n")
    write(f"{ws}/.hpc/job/2/stdout", "fit done\n")
    write(f"{ws}/.hpc/job/2/stderr", "warning: slow\n")
    obj = {"status": {"phase": "Succeeded", "attempt": 2}}
    assert logs.step_logs(ws, "job", obj) == "fit done\nwarning: slow\n"


def test_newest_attempt_without_the_hpcjob(tmp_path):
    ws = str(tmp_path)
    write(f"{ws}/.hpc/job/2/stdout", "two")
    write(f"{ws}/.hpc/job/10/stdout", "ten")
    assert logs.step_logs(ws, "job", None) == "ten"


def test_failed_step_gets_the_operator_message(tmp_path):
    ws = str(tmp_path)
    write(f"{ws}/.hpc/job/1/stderr", "Traceback: boom\n")
    obj = {"status": {"phase": "Failed", "attempt": 1, "message": "exited 3: Traceback: boom"}}
    assert logs.step_logs(ws, "job", obj) == "Traceback: boom\n[hpc] exited 3: Traceback: boom\n"


def test_no_files_falls_back_to_the_message(tmp_path):
    obj = {"status": {"phase": "Failed", "attempt": 1, "message": "stage-in failed: no such workspace"}}
    got = logs.step_logs(str(tmp_path), "job", obj)
    assert got == "No logs of HPCJob job in the workspace (phase Failed). stage-in failed: no such workspace"
    assert logs.step_logs(None, "job", None) == "No logs of HPCJob job in the workspace (phase unknown)."


def test_huge_and_binary_logs_are_cut_and_decoded(tmp_path):
    ws = str(tmp_path)
    path = f"{ws}/.hpc/job/1/stdout"
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + b"x" * (logs.MAX_LOG_BYTES + 10))
    got = logs.step_logs(ws, "job", None)
    assert got.startswith("[... 12 bytes cut ...]\n")
    assert len(got) == len("[... 12 bytes cut ...]\n") + logs.MAX_LOG_BYTES
