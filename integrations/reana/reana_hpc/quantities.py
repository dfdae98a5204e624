"""REANA's resource and time values -> the HPCJob's.

REANA users write HTCondor quantities (``htcondor_request_memory: "4 GB"``), HTCondor runtimes
(``htcondor_max_runtime: "3600"`` or a CERN job flavour such as ``"workday"``) and SLURM time limits
(``slurm_time: "2-00:00:00"``). The HPCJob wants Kubernetes quantities (``4096Mi``) and durations (``7200s``).
The conversions round up, like reana-job-controller's: a request is never silently made smaller.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import InvalidRequest

# HTCondor's submit language: a positive integer and an optional K|KB|M|MB|G|GB|T|TB suffix, always
# binary multiples (HTCondor has no decimal kilobyte); case-insensitive; blanks allowed before the unit.
_QUANTITY = re.compile(r"^\s*([1-9][0-9]{0,15})\s*(K|KB|M|MB|G|GB|T|TB)?\s*$", re.IGNORECASE)
_UNIT_BYTES = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}

# CERN's HTCondor job flavours (also in reana_commons.config.HTCONDOR_JOB_FLAVOURS); repeated here so
# that a reana-commons without them still works.
JOB_FLAVOURS = {
    "espresso": 1200,
    "microcentury": 3600,
    "longlunch": 7200,
    "workday": 28800,
    "tomorrow": 86400,
    "testmatch": 259200,
    "nextweek": 604800,
}

MAX_WALLTIME_SECONDS = 366 * 86400


def htcondor_quantity_bytes(value: str, default_unit: str, field: str) -> int:
    """Bytes of an HTCondor quantity; ``default_unit`` (``M`` for memory, ``K`` for disk) when unitless."""
    m = _QUANTITY.match(str(value))
    if not m:
        raise InvalidRequest(
            f"{field} {value!r} is not an HTCondor quantity: use a positive integer with an optional "
            "K, KB, M, MB, G, GB, T or TB suffix, e.g. \"4 GB\""
        )
    unit = (m.group(2) or default_unit).upper()[0]
    return int(m.group(1)) * _UNIT_BYTES[unit]


def memory_quantity(value: str, field: str = "htcondor_request_memory") -> str:
    """``"4 GB"`` -> ``"4096Mi"``; a unitless number is MiB (HTCondor's RequestMemory unit)."""
    mib = -(-htcondor_quantity_bytes(value, "M", field) // 1024**2)
    return f"{mib}Mi"


def disk_quantity(value: str, field: str = "htcondor_request_disk") -> str:
    """``"10 GB"`` -> ``"10485760Ki"``; a unitless number is KiB (HTCondor's RequestDisk unit)."""
    kib = -(-htcondor_quantity_bytes(value, "K", field) // 1024)
    return f"{kib}Ki"


def cpus(value: object, field: str = "htcondor_request_cpus") -> int:
    """A positive CPU count from ``"4"`` or ``4``."""
    text = str(value).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,3}", text) or int(text) > 1024:
        raise InvalidRequest(f"{field} {value!r} must be a whole number of CPUs from 1 to 1024")
    return int(text)


def htcondor_runtime_seconds(value: str, field: str = "htcondor_max_runtime") -> int:
    """Seconds from ``htcondor_max_runtime``: a number of seconds or a job flavour name."""
    text = str(value).strip()
    if text in JOB_FLAVOURS:
        return JOB_FLAVOURS[text]
    if re.fullmatch(r"[0-9]{1,9}", text) and int(text) > 0:
        return _bounded(int(text), field, value)
    raise InvalidRequest(
        f"{field} {value!r} must be a number of seconds or one of {', '.join(JOB_FLAVOURS)}"
    )


_SLURM_TIME = re.compile(
    r"^(?:(?P<days>[0-9]{1,3})-(?P<dh>[0-9]{1,2})(?::(?P<dm>[0-9]{1,2})(?::(?P<ds>[0-9]{1,2}))?)?"
    r"|(?P<h>[0-9]{1,4}):(?P<m>[0-9]{1,2}):(?P<s>[0-9]{1,2})"
    r"|(?P<mm>[0-9]{1,7}):(?P<ss>[0-9]{1,2})"
    r"|(?P<minutes>[0-9]{1,7}))$"
)


def slurm_time_seconds(value: str, field: str = "slurm_time") -> int:
    """Seconds from a SLURM ``--time``: minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S."""
    text = str(value).strip()
    m = _SLURM_TIME.match(text)
    if not m:
        raise InvalidRequest(
            f"{field} {value!r} is not a SLURM time limit (minutes, minutes:seconds, hours:minutes:seconds, "
            "days-hours, days-hours:minutes or days-hours:minutes:seconds)"
        )
    g = {k: int(v) for k, v in m.groupdict().items() if v is not None}
    if "days" in g:
        seconds = g["days"] * 86400 + g["dh"] * 3600 + g.get("dm", 0) * 60 + g.get("ds", 0)
    elif "h" in g:
        seconds = g["h"] * 3600 + g["m"] * 60 + g["s"]
    elif "mm" in g:
        seconds = g["mm"] * 60 + g["ss"]
    else:
        seconds = g["minutes"] * 60
    if seconds == 0:
        raise InvalidRequest(f"{field} {value!r}: an unlimited time limit (0) cannot be requested on HPC")
    return _bounded(seconds, field, value)


def _bounded(seconds: int, field: str, value: object) -> int:
    if seconds > MAX_WALLTIME_SECONDS:
        raise InvalidRequest(f"{field} {value!r} is longer than a year")
    return seconds


def duration(seconds: int) -> str:
    """Seconds as an HPCJob duration (``"7200s"``): exact, and matches the CRD's duration pattern."""
    return f"{int(seconds)}s"


def walltime(
    htcondor_max_runtime: Optional[str], slurm_time: Optional[str], default: Optional[str] = None
) -> Optional[str]:
    """The step's walltime: ``htcondor_max_runtime`` wins, then ``slurm_time``, then the deployment default."""
    if htcondor_max_runtime:
        return duration(htcondor_runtime_seconds(htcondor_max_runtime))
    if slurm_time:
        return duration(slurm_time_seconds(slurm_time))
    return default
