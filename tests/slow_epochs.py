"""Settings for worker processes of the training fault tests: every epoch but the last lasts at least
HYDRA_TEST_EPOCH_SECONDS more, after its checkpoint is saved and its progress reported.

That gives a test time to kill the worker between two epochs (``DJANGO_SETTINGS_MODULE=tests.slow_epochs``).
"""

import os
import time

from ml import training
from tests.settings import *  # noqa: F403

_SECONDS = float(os.environ.get("HYDRA_TEST_EPOCH_SECONDS", "0"))
_report_progress = training._progress_callback


def _slowed(report, epochs, history=None):
    def report_then_wait(progress):
        report(progress)
        if progress.epoch < progress.epochs:
            time.sleep(_SECONDS)

    return _report_progress(report_then_wait, epochs, history)


training._progress_callback = _slowed
