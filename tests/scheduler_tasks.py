"""A probe task for the scheduler process tests: each run appends "<pid> <time>" to HYDRA_TEST_SCHEDULER_LOG."""

import os
import time

from apps.jobs import scheduler

PERIOD = float(os.environ.get("HYDRA_TEST_SCHEDULER_PERIOD", "1.0"))


@scheduler.register("probe", every_seconds=PERIOD)
def probe():
    with open(os.environ["HYDRA_TEST_SCHEDULER_LOG"], "a") as out:
        out.write(f"{os.getpid()} {time.time():.3f}\n")
    return {"pid": os.getpid()}
