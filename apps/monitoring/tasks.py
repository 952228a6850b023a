"""Dramatiq actors: train, classify and evaluate, each reporting into its job record.

The actors are thin: the work is in ``apps.monitoring.training`` and ``apps.monitoring.classify``,
which import TensorFlow when they run, never when this module is imported.
"""

import dramatiq

from apps.jobs.runner import running


@dramatiq.actor(queue_name="training", max_retries=0, time_limit=24 * 3600 * 1000)
def train_model(job_id: int, model_id: int, activate: bool | None = None, classify: bool = False):
    from apps.monitoring.training import run_training

    with running(job_id) as job:
        run_training(model_id, job, activate=activate, classify=classify)


@dramatiq.actor(queue_name="classify", max_retries=0, time_limit=3600 * 1000)
def classify_plots(job_id: int, plot_ids: list[int], model_id: int | None = None):
    from apps.monitoring.classify import classify

    with running(job_id) as job:
        counts = classify(plot_ids, job=job, model_id=model_id)
        job.finish(
            f"classified {counts['classified']} plots ({counts['bad']} Bad, {counts['unconfirmed']} unconfirmed)",
            **counts,
        )


@dramatiq.actor(queue_name="training", max_retries=0, time_limit=6 * 3600 * 1000)
def evaluate_model(job_id: int, model_id: int):
    from apps.monitoring.training import run_evaluation

    with running(job_id) as job:
        run_evaluation(model_id, job)
