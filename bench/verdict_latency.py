"""Benchmark ingest → verdict stored → event on the websocket, with an idle in-process worker.

Sets up a temporary portal (SQLite, in-memory channel layer, in-process Dramatiq worker), gives
a plot type an active compact model (default input shape, untrained: latency does not depend
on the weights), connects a websocket client to /ws/events/?topics=verdicts through the ASGI
application, then ingests one demo plot at a time and times until its ``verdicts.new`` event
arrives. The worker is idle between plots; the first plot (model load and warm-up) is
reported apart.

    python bench/verdict_latency.py [--plots 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(var: Path):
    for key in [k for k in os.environ if k.startswith("HYDRA_")]:
        del os.environ[key]
    os.environ.update(HYDRA_VAR_DIR=str(var), HYDRA_DEBUG="true", HYDRA_LOG_LEVEL="WARNING", TF_CPP_MIN_LOG_LEVEL="2")
    os.environ["DJANGO_SETTINGS_MODULE"] = "hydra_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plots", type=int, default=30)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="hydra-bench-latency-"))
    try:
        setup(var)
        run(args.plots)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def run(count: int) -> None:
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from apps.experiments.models import Experiment
    from apps.labels.defaults import ensure_default_classes
    from apps.monitoring.models import ActiveModel, Classification, ClassifierModel
    from apps.plots.ingest import Ingestor, Source
    from apps.plots.layout import PlotRef
    from apps.plots.models import PlotType
    from hydra_portal.asgi import application
    from ml import architectures, model_files
    from ml.synthetic import DEMO_PLOT_TYPES, choose_failure, demo_plot

    exp = Experiment.objects.create(name="Bench")
    classes = {c.name: c for c in ensure_default_classes(exp)}
    demo = DEMO_PLOT_TYPES[0]
    plot_type = PlotType.objects.create(experiment=exp, name=demo.name)
    names = ["Bad", "Good", "NoData"]
    shape = architectures.get("compact").input_shape
    model = ClassifierModel.objects.create(
        plot_type=plot_type,
        version=1,
        status="ready",
        label_map=names,
        class_ids=[classes[n].pk for n in names],
        input_shape=list(shape),
        thresholds={n: {"value": 0.5, "set_by": "initial"} for n in names},
        path="models/bench.keras",
    )
    network = architectures.build_model("compact", shape, 3, references=len(DEMO_PLOT_TYPES))  # as trained by default
    model_files.save(
        network, Path(settings.MEDIA_ROOT) / model.path, model_files.ModelInfo(names, list(shape), "compact")
    )
    ActiveModel.objects.create(plot_type=plot_type, model=model)
    images = [demo_plot(demo, 90000 + i, 7, choose_failure(demo, 90000 + i, 7))[0] for i in range(count + 1)]

    def ingest(i: int) -> None:
        ref = PlotRef(plot_type=demo.name, run=90000 + i, run_period="RunPeriod-2021-08", chunk=0, campaign="online")
        with Ingestor(exp, workers=1) as ingestor:
            ingestor.ingest([Source(name=f"{i}.png", ref=ref, data=images[i])])

    async def measure():
        socket = WebsocketCommunicator(
            application, "/ws/events/?topics=verdicts", headers=[(b"origin", b"http://localhost")]
        )
        connected, _ = await socket.connect()
        assert connected, "websocket refused"
        await socket.receive_json_from()
        times, stored = [], []
        for i in range(count + 1):
            await sync_to_async(time.sleep)(0.3)  # the worker is idle when the plot arrives
            started = time.perf_counter()
            await sync_to_async(ingest)(i)
            event = await socket.receive_json_from(timeout=60)
            elapsed = time.perf_counter() - started
            assert event["type"] == "verdicts.new" and event["payload"]["run"] == 90000 + i
            row = await sync_to_async(Classification.objects.get)(pk=event["payload"]["classification"])
            plot_time = await sync_to_async(lambda r=row: r.plot.ingested_at)()
            stored.append((row.created_at - plot_time).total_seconds())
            times.append(elapsed)
        await socket.disconnect()
        return times, stored

    times, stored = async_to_sync(measure)()
    first, rest = times[0], times[1:]
    rest_stored = stored[1:]
    print(f"first plot (loads and warms up the model): {first * 1000:.0f} ms")
    print(
        f"ingest → event on the websocket, {len(rest)} plots: median {statistics.median(rest) * 1000:.0f} ms, "
        f"p90 {sorted(rest)[int(0.9 * (len(rest) - 1))] * 1000:.0f} ms, max {max(rest) * 1000:.0f} ms"
    )
    print(f"plot row written → verdict row written: median {statistics.median(rest_stored) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
