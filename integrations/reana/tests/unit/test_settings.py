"""Deployment settings from the environment."""

import pytest

from reana_hpc.errors import InvalidRequest
from reana_hpc.settings import Settings


def test_defaults():
    s = Settings.from_env({})
    assert (s.namespace, s.staging, s.container_runtime, s.shell) == (
        "default",
        "chirp",
        "auto",
        "bash",
    )
    assert s.virtual_cluster is None and s.partitions == {} and s.workspace_map is None
    assert s.ttl_seconds_after_finished == 86400 and s.retry_limit is None


def test_everything_from_the_environment():
    s = Settings.from_env(
        {
            "REANA_RUNTIME_KUBERNETES_NAMESPACE": "reana-runtime",
            "REANA_HPC_STAGING": "shared-fs",
            "REANA_HPC_CONTAINER_RUNTIME": "apptainer",
            "REANA_HPC_VIRTUAL_CLUSTER": "campus",
            "REANA_HPC_PARTITIONS": '{"gpu": "bridges-gpu"}',
            "REANA_HPC_WORKSPACE_MAP": "/var/reana/=/reana",
            "REANA_HPC_SHELL": "sh",
            "REANA_HPC_TTL_SECONDS_AFTER_FINISHED": "0",
            "REANA_HPC_RETRY_LIMIT": "2",
            "REANA_HPC_DEFAULT_WALLTIME": "1h30m",
            "REANA_USER_ID": "u-1",
        }
    )
    assert s == Settings(
        namespace="reana-runtime",
        staging="shared-fs",
        container_runtime="apptainer",
        virtual_cluster="campus",
        partitions={"gpu": "bridges-gpu"},
        workspace_map=("/var/reana", "/reana"),
        shell="sh",
        ttl_seconds_after_finished=0,
        retry_limit=2,
        default_walltime="1h30m",
        user_uuid="u-1",
    )
    assert Settings.from_env({"REANA_HPC_NAMESPACE": "mine", "REANA_RUNTIME_KUBERNETES_NAMESPACE": "x"}).namespace == "mine"


@pytest.mark.parametrize(
    "env,match",
    [
        ({"REANA_HPC_NAMESPACE": "Bad_NS"}, "REANA_HPC_NAMESPACE"),
        ({"REANA_HPC_STAGING": "ftp"}, "REANA_HPC_STAGING"),
        ({"REANA_HPC_CONTAINER_RUNTIME": "lxc"}, "REANA_HPC_CONTAINER_RUNTIME"),
        ({"REANA_HPC_SHELL": "zsh"}, "REANA_HPC_SHELL"),
        ({"REANA_HPC_VIRTUAL_CLUSTER": "Not A Name"}, "VirtualCluster name"),
        ({"REANA_HPC_PARTITIONS": "gpu=x"}, "not JSON"),
        ({"REANA_HPC_PARTITIONS": '["gpu"]'}, "JSON object"),
        ({"REANA_HPC_PARTITIONS": '{"gpu": "Bad Name"}'}, "VirtualCluster name"),
        ({"REANA_HPC_WORKSPACE_MAP": "/var/reana"}, "REANA_HPC_WORKSPACE_MAP"),
        ({"REANA_HPC_WORKSPACE_MAP": "var=/reana"}, "REANA_HPC_WORKSPACE_MAP"),
        ({"REANA_HPC_TTL_SECONDS_AFTER_FINISHED": "-1"}, "TTL"),
        ({"REANA_HPC_RETRY_LIMIT": "three"}, "RETRY_LIMIT"),
        ({"REANA_HPC_DEFAULT_WALLTIME": "2 hours"}, "DEFAULT_WALLTIME"),
    ],
)
def test_bad_settings_fail_at_start(env, match):
    with pytest.raises(InvalidRequest, match=match):
        Settings.from_env(env)
