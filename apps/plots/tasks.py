"""Background ingest of a directory tree, reporting into a job record."""

import dramatiq

from apps.experiments.models import Experiment
from apps.jobs.runner import running
from apps.plots.ingest import Ingestor, crawl
from apps.plots.layout import compile_layout


@dramatiq.actor(queue_name="ingest", max_retries=0, time_limit=6 * 3600 * 1000)
def ingest_directory(job_id: int, path: str, experiment: int, campaign: str = "online", pattern: str | None = None):
    with running(job_id) as job:
        items = list(crawl(path, compile_layout(pattern)))
        total = len(items) or 1
        exp = Experiment.objects.get(pk=experiment)
        counts = {"new": 0, "duplicate": 0, "rejected": 0}
        rejected = []
        with Ingestor(exp, campaign=campaign) as ingestor:
            step = ingestor.batch_size
            for start in range(0, len(items), step):
                report = ingestor.ingest(items[start : start + step])
                for status in counts:
                    counts[status] += report.count(status)
                rejected += [f"{o.name}: {o.reason}" for o in report.rejected]
                done = min(start + step, len(items))
                job.report(done / total, f"{done}/{len(items)} files", **counts)
        if rejected:
            job.append_log("rejected:\n" + "\n".join(rejected[:1000]))
        job.finish(
            f"ingested {counts['new']} new, {counts['duplicate']} duplicate, {counts['rejected']} rejected", **counts
        )
