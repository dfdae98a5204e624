"""Stand-in of reana_job_controller.job_monitor.JobMonitor: starts watch_jobs(JOB_DB, app) in a daemon thread."""

import threading

from reana_job_controller.job_db import JOB_DB


class JobMonitor:
    def __init__(self, thread_name, app=None):
        self.job_event_reader_thread = threading.Thread(name=thread_name, target=self.watch_jobs, args=(JOB_DB, app))
        self.job_event_reader_thread.daemon = True
        self.job_event_reader_thread.start()
        self.job_db = JOB_DB

    def watch_jobs(self, job_db, app):
        raise NotImplementedError
