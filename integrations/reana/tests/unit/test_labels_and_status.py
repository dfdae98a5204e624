"""Label sanitising, HPCJob names and the phase -> REANA status mapping."""

import re

import pytest

from reana_hpc import labels, status

LABEL_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@pytest.mark.parametrize("value", ["fit", "gen-data_1.2", "a" * 63, "4b3c8a0e-0c1a-4c8e-9d1f-2f1f8f0b5e7a"])
def test_valid_label_values_are_kept(value):
    assert labels.label_value(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "fit step #1",
        "-leading and trailing-",
        "x" * 64,
        "ünïcödé ✓",
        "a/b:c;rm -rf /",
        "$(touch /tmp/x)",
        "...",
        "",
        None,
        "a\nb",
    ],
)
def test_invalid_label_values_become_valid(value):
    got = labels.label_value(value)
    assert LABEL_RE.match(got), got
    assert len(got) <= 63


def test_sanitising_never_merges_distinct_values():
    values = ["fit step", "fit-step", "fit_step", "fit  step", "fit/step", "x" * 64, "x" * 65]
    got = [labels.label_value(v) for v in values]
    assert len(set(got)) == len(values)


def test_hpcjob_names_are_unique_dns_labels():
    names = {labels.hpcjob_name("Fit: step #1 (ünïcödé) " + "x" * 100) for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 63, name
        assert name.startswith("reana-fit-step-1-")
    assert re.fullmatch(r"reana-job-[0-9a-f]{10}", labels.hpcjob_name("###"))


def test_selector_names_the_workflow():
    assert labels.workflow_selector() == "app.kubernetes.io/managed-by=reana-hpc"
    assert labels.workflow_selector("w-1") == (
        "app.kubernetes.io/managed-by=reana-hpc,reana.hpc.scailfin.io/workflow-uuid=w-1"
    )


@pytest.mark.parametrize(
    "phase,expected",
    [
        (None, "queued"),
        ("Pending", "queued"),
        ("Submitted", "queued"),
        ("Queued", "queued"),
        ("Held", "queued"),
        ("Running", "running"),
        ("Succeeded", "finished"),
        ("Failed", "failed"),
        ("Lost", "failed"),
        ("SomethingNew", "queued"),
    ],
)
def test_phase_to_reana_status(phase, expected):
    assert status.reana_status(phase) == expected


@pytest.mark.parametrize(
    "phase,expected",
    [
        (None, "stopped"),
        ("Pending", "stopped"),
        ("Queued", "stopped"),
        ("Held", "stopped"),
        ("Running", "stopped"),
        # Deleted after it finished (ttlSecondsAfterFinished): the outcome stands.
        ("Succeeded", "finished"),
        ("Failed", "failed"),
        ("Lost", "failed"),
    ],
)
def test_deleted_hpcjob_is_stopped_unless_it_had_finished(phase, expected):
    assert status.reana_status(phase, deleted=True) == expected


def test_final_statuses():
    assert [s for s in ("queued", "running", "finished", "failed", "stopped", None) if status.is_final(s)] == [
        "finished",
        "failed",
        "stopped",
    ]
