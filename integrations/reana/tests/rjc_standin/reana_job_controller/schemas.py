"""Stand-in of reana_job_controller.schemas.JobRequest: the fields RJC accepts; anything else is a 400."""

from marshmallow import Schema, ValidationError, fields, pre_load
from reana_commons.job_utils import deserialise_job_command

from reana_job_controller.config import (
    REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT,
    REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT,
)


class JobRequest(Schema):
    """RJC's request schema (without its HTCondor quantity and ClassAd validators)."""

    job_name = fields.Str(required=True)
    workflow_workspace = fields.Str(required=True)
    workflow_uuid = fields.Str(required=True)
    cmd = fields.Function(serialize=lambda obj: "", deserialize=deserialise_job_command, load_default="")
    prettified_cmd = fields.Str(load_default="")
    docker_img = fields.Str(required=True)
    cvmfs_mounts = fields.String(load_default="")
    env_vars = fields.Dict(load_default={})
    shared_file_system = fields.Bool(load_default=True)
    compute_backend = fields.Str(required=False)
    kerberos = fields.Bool(required=False)
    voms_proxy = fields.Bool(required=False)
    rucio = fields.Bool(required=False)
    kubernetes_uid = fields.Int(required=False)
    kubernetes_cpu_request = fields.Str(required=False)
    kubernetes_cpu_limit = fields.Str(required=False)
    kubernetes_memory_request = fields.Str(required=False)
    kubernetes_memory_limit = fields.Str(required=False)
    kubernetes_job_timeout = fields.Int(required=False)
    unpacked_img = fields.Bool(required=False)
    htcondor_max_runtime = fields.Str(required=False)
    htcondor_accounting_group = fields.Str(required=False)
    htcondor_request_cpus = fields.Str(required=False)
    htcondor_request_memory = fields.Str(required=False)
    htcondor_request_disk = fields.Str(required=False)
    htcondor_requirements = fields.Str(required=False)
    slurm_partition = fields.Str(required=False)
    slurm_time = fields.Str(required=False)
    c4p_cpu_cores = fields.Str(required=False)
    c4p_memory_limit = fields.Str(required=False)
    c4p_additional_requirements = fields.Str(required=False)

    @pre_load
    def set_kubernetes_job_timeout(self, in_data, **kwargs):
        """As RJC: the default comes from the environment, and there is no default for the default."""
        if "kubernetes_job_timeout" not in in_data:
            try:
                in_data["kubernetes_job_timeout"] = int(REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT)
            except (ValueError, TypeError):
                raise ValidationError(
                    "Default value of kubernetes_job_timeout is not an integer. "
                    f"Provided value is '{REANA_KUBERNETES_JOBS_TIMEOUT_LIMIT}'. Please contact the administrator."
                )
        try:
            max_value = int(REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT)
        except (ValueError, TypeError):
            raise ValidationError(
                "Max value for kubernetes_job_timeout is not an integer. "
                f"Provided value is '{REANA_KUBERNETES_JOBS_MAX_USER_TIMEOUT_LIMIT}'. Please contact the administrator."
            )
        if int(in_data["kubernetes_job_timeout"]) > max_value:
            raise ValidationError(f"kubernetes_job_timeout exceeds maximum allowed value of {max_value} seconds.")
        return in_data
