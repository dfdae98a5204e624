"""REANA job request -> HPCJob manifest, including hostile values."""

import json
import re

import pytest
from reana_commons.job_utils import serialise_job_command

from reana_hpc import quantities
from reana_hpc.errors import InvalidRequest, UnsupportedOption
from reana_hpc.manifest import build_hpcjob, image_reference, job_request_from_payload
from reana_hpc.settings import Settings

WS = "/var/reana/users/00000000-0000-0000-0000-000000000001/workflows/4b3c8a0e-0c1a-4c8e-9d1f-2f1f8f0b5e7a"
WF = "4b3c8a0e-0c1a-4c8e-9d1f-2f1f8f0b5e7a"


def request(**over):
    r = {
        "docker_img": "docker.io/reanahub/reana-env-root6:6.18.04",
        "cmd": f"cd {WS} && root -b -q fit.C",
        "prettified_cmd": "root -b -q fit.C",
        "env_vars": {},
        "workflow_uuid": WF,
        "workflow_workspace": WS,
        "job_name": "fit",
        "cvmfs_mounts": "false",
        "shared_file_system": True,
        "kubernetes_job_timeout": 604800,
    }
    r.update(over)
    return r


def build(settings=None, **over):
    return build_hpcjob(request(**over), settings or Settings(namespace="reana"), name="reana-fit-0123456789")


def test_a_typical_step():
    got = build(
        htcondor_request_cpus="4",
        htcondor_request_memory="4 GB",
        htcondor_request_disk="10 GB",
        htcondor_max_runtime="workday",
        htcondor_accounting_group="group_u_reana.alice",
        htcondor_requirements='(OpSysMajorVer >= 9) && (Arch == "X86_64")',
        env_vars={"REANA_WORKSPACE": WS, "N": 7},
    )
    assert got == {
        "apiVersion": "hpc.scailfin.io/v1alpha1",
        "kind": "HPCJob",
        "metadata": {
            "name": "reana-fit-0123456789",
            "namespace": "reana",
            "labels": {
                "app.kubernetes.io/managed-by": "reana-hpc",
                "reana.hpc.scailfin.io/workflow-uuid": WF,
                "reana.hpc.scailfin.io/job-name": "fit",
            },
            "annotations": {
                "reana.hpc.scailfin.io/job-name": "fit",
                "reana.hpc.scailfin.io/workflow-workspace": WS,
                "reana.hpc.scailfin.io/prettified-cmd": "root -b -q fit.C",
            },
            "finalizers": ["hpc.scailfin.io/condor-cleanup"],
        },
        "spec": {
            "image": "docker://docker.io/reanahub/reana-env-root6:6.18.04",
            "command": ["bash", "-c", f"cd {WS} && root -b -q fit.C"],
            "workspace": {"path": WS, "staging": "chirp"},
            "containerRuntime": "auto",
            "env": [{"name": "REANA_WORKSPACE", "value": WS}, {"name": "N", "value": "7"}],
            "resources": {"cpus": 4, "memory": "4096Mi", "disk": "10485760Ki", "walltime": "28800s"},
            "requirements": '(OpSysMajorVer >= 9) && (Arch == "X86_64")',
            "accountingGroup": "group_u_reana.alice",
            "ttlSecondsAfterFinished": 86400,
        },
    }


def test_a_fresh_name_per_step():
    a = build_hpcjob(request(), Settings())["metadata"]["name"]
    b = build_hpcjob(request(), Settings())["metadata"]["name"]
    assert a != b and a.startswith("reana-fit-") and len(a) <= 63


HOSTILE = [
    "echo 'single' \"double\" `id` $(id) ${HOME} $((1+1)) \\ ; rm -rf / # not a comment",
    "line1\nline2\r\n\ttabbed",
    "printf '%s\\n' \"$(cat /etc/passwd)\" | tee out.txt >&2 & wait",
    "echo ünïcödé ✓ 日本",
    "-c",
    "'; exit 0; '",
]


@pytest.mark.parametrize("cmd", HOSTILE)
def test_hostile_commands_are_one_argv_word(cmd):
    spec = build(cmd=cmd)["spec"]
    assert spec["command"] == ["bash", "-c", cmd]
    assert "script" not in spec


@pytest.mark.parametrize("cmd", HOSTILE)
def test_hostile_commands_as_sh_script(cmd):
    spec = build(Settings(shell="sh"), cmd=cmd)["spec"]
    assert spec["script"] == cmd
    assert "command" not in spec


def test_commands_that_no_process_could_receive_are_refused():
    with pytest.raises(InvalidRequest, match="NUL"):
        build(cmd="echo a\x00b")
    with pytest.raises(InvalidRequest, match="cmd is empty"):
        build(cmd="  \n")
    with pytest.raises(InvalidRequest, match="65536"):
        build(cmd="x" * 65537)
    assert build(Settings(shell="sh"), cmd="x" * 65537)["spec"]["script"] == "x" * 65537


ONE_LINE_HOSTILE = [v for v in HOSTILE if "\n" not in v] + ["a\rb", "tab\there"]


@pytest.mark.parametrize("value", ONE_LINE_HOSTILE + ["", "=", "A=B", "x" * 32768])
def test_hostile_env_values_pass_as_data(value):
    env = build(env_vars={"V": value})["spec"]["env"]
    assert env == [{"name": "V", "value": value}]


@pytest.mark.parametrize("name", ["A B", "1A", "A-B", "A=B", "$(id)", "A;B", "", "Ä", "A\nB", "x" * 257])
def test_env_names_that_are_not_identifiers_are_refused(name):
    with pytest.raises(InvalidRequest, match="environment variable name"):
        build(env_vars={name: "v"})


@pytest.mark.parametrize("value", ["line1\nline2", "x\nLD_PRELOAD=/tmp/evil.so", "\n"])
def test_newlines_in_env_values_are_passed_as_data(value):
    # The wrapper keeps each NAME=VALUE pair encoded until it exports it: a newline is part of the value.
    assert build(env_vars={"V": value})["spec"]["env"] == [{"name": "V", "value": value}]


def test_env_limits():
    with pytest.raises(InvalidRequest, match="NUL"):
        build(env_vars={"A": "a\x00"})
    with pytest.raises(InvalidRequest, match="32768"):
        build(env_vars={"A": "x" * 32769})
    with pytest.raises(InvalidRequest, match="limit is 256"):
        build(env_vars={f"V{i}": "" for i in range(257)})
    assert build(env_vars={"A": None, "B": 1.5, "C": True})["spec"]["env"] == [
        {"name": "A", "value": ""},
        {"name": "B", "value": "1.5"},
        {"name": "C", "value": "True"},
    ]


@pytest.mark.parametrize(
    "img,expected",
    [
        ("python:3.12", "docker://python:3.12"),
        ("docker.io/library/python:3.12-slim", "docker://docker.io/library/python:3.12-slim"),
        ("ghcr.io/org/img@sha256:" + "a" * 64, "docker://ghcr.io/org/img@sha256:" + "a" * 64),
        ("  python:3.12\n", "docker://python:3.12"),
        ("docker://python:3.12", "docker://python:3.12"),
        ("dir:///images/debian13", "dir:///images/debian13"),
        ("/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/centos:7", "/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/centos:7"),
        ("/images/analysis.sif", "/images/analysis.sif"),
        ("oras://ghcr.io/org/img:1", "oras://ghcr.io/org/img:1"),
    ],
)
def test_image_references(img, expected):
    assert image_reference(img) == expected


@pytest.mark.parametrize("img", ["", "   ", "python:3.12 --privileged", "a\nb", "http://example.org/x", "ftp://x"])
def test_bad_image_references(img):
    with pytest.raises(InvalidRequest, match="docker_img"):
        image_reference(img)


@pytest.mark.parametrize("cvmfs", ["['atlas.cern.ch']", "['atlas.cern.ch', 'sft.cern.ch']", ["cms.cern.ch"], "not a literal"])
def test_cvmfs_is_refused_with_a_reason(cvmfs):
    with pytest.raises(UnsupportedOption, match="cvmfs_mounts is not supported.*binds only the workspace"):
        build(cvmfs_mounts=cvmfs)


@pytest.mark.parametrize("cvmfs", ["false", "False", "", None, "[]", []])
def test_no_cvmfs_is_fine(cvmfs):
    assert build(cvmfs_mounts=cvmfs)["spec"]["image"].startswith("docker://")


@pytest.mark.parametrize("flag", ["kerberos", "voms_proxy", "rucio"])
def test_credential_options_are_refused(flag):
    with pytest.raises(UnsupportedOption, match=f"{flag} is not supported.*credentials"):
        build(**{flag: True})
    build(**{flag: False})


def test_options_of_other_backends_are_ignored():
    spec = build(
        kubernetes_memory_limit="8Gi",
        kubernetes_cpu_request="2",
        kubernetes_uid=1000,
        c4p_cpu_cores="8",
    )["spec"]
    assert "resources" not in spec


CVMFS_PYTHON = "/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/python:3.12"


@pytest.mark.parametrize(
    "img,expected",
    [(CVMFS_PYTHON, "dir://" + CVMFS_PYTHON), ("dir://" + CVMFS_PYTHON, "dir://" + CVMFS_PYTHON)],
)
def test_unpacked_img_runs_the_unpacked_directory_as_htcondorcern_does(img, expected):
    # htcondorcern hands docker_img unchanged to `singularity exec` when unpacked_img is set: a directory.
    assert build(docker_img=img, unpacked_img=True)["spec"]["image"] == expected
    assert build(docker_img=img, unpacked_img=False)["spec"]["image"] == img


@pytest.mark.parametrize("img", ["python:3.12", "docker://python:3.12", "oras://ghcr.io/org/img:1"])
def test_unpacked_img_with_an_image_reference_is_refused_naming_the_field(img):
    with pytest.raises(InvalidRequest, match=r"unpacked_img is set but the environment .* is not a directory.*/cvmfs/unpacked.cern.ch/.*or drop unpacked_img"):
        build(docker_img=img, unpacked_img=True)


@pytest.mark.parametrize(
    "value,mib",
    [("4 GB", 4096), ("4gb", 4096), ("4G", 4096), ("4096", 4096), ("4096 MB", 4096), ("1536 KB", 2), ("1 KB", 1), ("1 TB", 1048576)],
)
def test_memory_quantities(value, mib):
    assert build(htcondor_request_memory=value)["spec"]["resources"]["memory"] == f"{mib}Mi"


@pytest.mark.parametrize("value,kib", [("10 GB", 10485760), ("10000", 10000), ("1 MB", 1024), ("1536", 1536)])
def test_disk_quantities(value, kib):
    assert build(htcondor_request_disk=value)["spec"]["resources"]["disk"] == f"{kib}Ki"


@pytest.mark.parametrize("value", ["4.5 GB", "-1", "0", "4 XB", "GB", "4 GiB", "1e3", "4 GB; rm -rf /"])
def test_bad_quantities(value):
    with pytest.raises(InvalidRequest, match="htcondor_request_memory"):
        build(htcondor_request_memory=value)


@pytest.mark.parametrize("value", ["0", "-2", "1.5", "two", "4096"])
def test_bad_cpus(value):
    with pytest.raises(InvalidRequest, match="htcondor_request_cpus"):
        build(htcondor_request_cpus=value)


@pytest.mark.parametrize(
    "runtime,slurm,expected",
    [
        ("3600", None, "3600s"),
        ("espresso", None, "1200s"),
        ("nextweek", "10", "604800s"),
        (None, "90", "5400s"),
        (None, "90:30", "5430s"),
        (None, "2:00:00", "7200s"),
        (None, "1-12", "129600s"),
        (None, "1-0:30", "88200s"),
        (None, "2-00:00:10", "172810s"),
        ("", "", None),
    ],
)
def test_walltime(runtime, slurm, expected):
    resources = build(htcondor_max_runtime=runtime, slurm_time=slurm)["spec"].get("resources", {})
    assert resources.get("walltime") == expected


def test_default_walltime_from_settings():
    assert build(Settings(default_walltime="2h"))["spec"]["resources"] == {"walltime": "2h"}
    assert build(Settings(default_walltime="2h"), slurm_time="5")["spec"]["resources"] == {"walltime": "300s"}


@pytest.mark.parametrize("runtime", ["1h", "-5", "0", "long", "99999999999"])
def test_bad_runtime(runtime):
    with pytest.raises(InvalidRequest, match="htcondor_max_runtime"):
        build(htcondor_max_runtime=runtime)


@pytest.mark.parametrize("slurm", ["0", "1-", "1:2:3:4", "abc", "00:00:00", "400-00:00:00"])
def test_bad_slurm_time(slurm):
    with pytest.raises(InvalidRequest, match="slurm_time"):
        build(slurm_time=slurm)


def test_walltimes_match_the_crd_duration_pattern():
    for s in (1, 59, 3600, 86400 * 7):
        assert re.fullmatch(r"([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+", quantities.duration(s))


@pytest.mark.parametrize("group", ["group u", "a;b", "a\nb", "ü", "x" * 257])
def test_bad_accounting_group(group):
    with pytest.raises(InvalidRequest, match="htcondor_accounting_group"):
        build(htcondor_accounting_group=group)


@pytest.mark.parametrize("req", ["true\nqueue 100", "a\rb", "x" * 4097])
def test_requirements_must_be_one_line(req):
    with pytest.raises(InvalidRequest, match="htcondor_requirements"):
        build(htcondor_requirements=req)


@pytest.mark.parametrize(
    "ws",
    ["relative/path", "/var/reana/../etc", "/var/reana/./x", "/var/re ana/x", "/var/reana/x;rm", "", None, "/a//b"],
)
def test_bad_workspaces(ws):
    with pytest.raises(InvalidRequest, match="workflow_workspace"):
        build(workflow_workspace=ws)


def test_workspace_map_rewrites_path_command_and_environment():
    s = Settings(workspace_map=("/var/reana", "/reana"))
    got = build(
        s,
        env_vars={"REANA_WORKSPACE": WS, "OTHER": "/var/reanaX/keep", "LIST": f"{WS}/a:{WS}/b"},
        cmd=f"cd {WS} && ls /var/reana-old {WS}/data",
    )["spec"]
    hpc_ws = WS.replace("/var/reana", "/reana", 1)
    assert got["workspace"]["path"] == hpc_ws
    assert got["command"][2] == f"cd {hpc_ws} && ls /var/reana-old {hpc_ws}/data"
    assert got["env"] == [
        {"name": "REANA_WORKSPACE", "value": hpc_ws},
        {"name": "OTHER", "value": "/var/reanaX/keep"},
        {"name": "LIST", "value": f"{hpc_ws}/a:{hpc_ws}/b"},
    ]
    assert s.to_reana_path(hpc_ws + "/.hpc/x/1/stdout") == WS + "/.hpc/x/1/stdout"


def test_virtual_cluster_choice():
    s = Settings(virtual_cluster="campus", partitions={"gpu": "bridges-gpu"})
    assert build(s)["spec"]["virtualClusterRef"] == {"name": "campus"}
    assert build(s, slurm_partition="gpu")["spec"]["virtualClusterRef"] == {"name": "bridges-gpu"}
    assert "virtualClusterRef" not in build(Settings())["spec"]
    with pytest.raises(InvalidRequest, match="slurm_partition 'short' is not mapped.*known partitions: gpu"):
        build(s, slurm_partition="short")


def test_deployment_settings_in_the_spec():
    s = Settings(namespace="hpc", staging="shared-fs", container_runtime="charliecloud", retry_limit=0, ttl_seconds_after_finished=None, user_uuid="u-1")
    got = build(s)
    assert got["metadata"]["namespace"] == "hpc"
    assert got["metadata"]["labels"]["reana.hpc.scailfin.io/user-uuid"] == "u-1"
    assert got["spec"]["workspace"]["staging"] == "shared-fs"
    assert got["spec"]["containerRuntime"] == "charliecloud"
    assert got["spec"]["retryPolicy"] == {"limit": 0}
    assert "ttlSecondsAfterFinished" not in got["spec"]


def test_hostile_job_names_only_reach_labels_sanitised():
    got = build_hpcjob(request(job_name="fit; $(rm -rf /)\n" + "ü" * 80), Settings())
    label = got["metadata"]["labels"]["reana.hpc.scailfin.io/job-name"]
    assert re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", label) and len(label) <= 63
    assert got["metadata"]["annotations"]["reana.hpc.scailfin.io/job-name"].startswith("fit; $(rm -rf /)\n")
    assert re.fullmatch(r"reana-fit-rm-rf-[0-9a-f]{10}", got["metadata"]["name"])


def test_payload_is_decoded_like_rjc_does():
    cmd = HOSTILE[0] + "\n" + HOSTILE[1]
    payload = {**request(), "cmd": serialise_job_command(cmd), "compute_backend": "hpc"}
    got = job_request_from_payload(payload)
    assert got["cmd"] == cmd
    assert "compute_backend" not in got
    assert build_hpcjob(got, Settings())["spec"]["command"] == ["bash", "-c", cmd]


def test_manifest_is_plain_json():
    got = build(env_vars={"A": "ü"}, cmd="echo ✓")
    assert json.loads(json.dumps(got)) == got
