"""Stand-in of reana_job_controller.utils.singleton: RJC's monitors are per-process singletons."""


def singleton(cls):
    instances = {}

    def getinstance(**kwargs):
        if cls not in instances:
            instances[cls] = cls(**kwargs)
        return instances[cls]

    return getinstance
