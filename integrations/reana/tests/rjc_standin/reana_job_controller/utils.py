"""Stand-in of reana_job_controller.utils.singleton (RJC's monitors are per-process singletons)."""

INSTANCES = {}


def singleton(cls):
    def getinstance(**kwargs):
        if cls not in INSTANCES:
            INSTANCES[cls] = cls(**kwargs)
        return INSTANCES[cls]

    return getinstance
