"""Training resumes after its last completed epoch from a checkpoint directory (ml only, no Django)."""

import json

import numpy as np
import pytest

from tests.ml import tiny


class Interrupted(Exception):
    pass


def stop_after(epoch: int, reports: list):
    def progress(p):
        reports.append(p)
        if p.epoch == epoch:
            raise Interrupted(f"stopped after epoch {epoch}")

    return progress


def test_a_run_interrupted_after_epoch_2_resumes_at_epoch_3_with_its_weights_and_curves(tiny_examples, tmp_path):
    import keras

    from ml.training import train

    hp = tiny.hyper_parameters(epochs=5)
    folder = tmp_path / "checkpoint"
    first = []
    with pytest.raises(Interrupted):
        train(tiny_examples, hp, progress=stop_after(2, first), checkpoint_dir=folder)
    state = json.loads((folder / "state.json").read_text())
    assert state["epoch"] == 2 and not state.get("finished")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["state.json", "epoch-0002.weights.h5", state["best_weights"]]
    )  # older epochs' files are gone

    second = []
    result = train(tiny_examples, hp, progress=second.append, checkpoint_dir=folder)
    assert result.resumed_from == 2
    assert [p.epoch for p in second] == [3, 4, 5]  # no epoch trained twice
    assert len(result.history["loss"]) == 5
    assert result.history["loss"][:2] == state["history"]["loss"]
    assert second[-1].history["loss"][:2] == state["history"]["loss"]
    assert any("resumed after epoch 2" in note for note in result.notes)
    assert int(keras.ops.convert_to_numpy(result.model.optimizer.iterations)) > 0
    assert json.loads((folder / "state.json").read_text())["finished"] is True


def test_the_checkpoint_restores_the_weights_and_optimizer_of_the_last_epoch(tiny_examples, tmp_path):
    import keras

    from ml.training import train

    hp = tiny.hyper_parameters(epochs=3)
    folder = tmp_path / "checkpoint"

    def progress(p):
        if p.epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(tiny_examples, hp, progress=progress, checkpoint_dir=folder)
    state = json.loads((folder / "state.json").read_text())
    # Resume with no epoch left to train (as if killed while saving): the model is the epoch-2 state.
    finished = {**state, "finished": True}
    (folder / "state.json").write_text(json.dumps(finished))
    result = train(tiny_examples, hp, checkpoint_dir=folder)
    assert result.resumed_from == 2 and len(result.history["loss"]) == 2
    restored = result.model
    # The optimizer's step count came back with the weights.
    assert int(keras.ops.convert_to_numpy(restored.optimizer.iterations)) > 0
    if state["best_weights"]:
        with np.load(folder / state["best_weights"]) as arrays:
            best = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
        for got, want in zip(restored.get_weights(), best, strict=True):
            np.testing.assert_allclose(got, want)


def test_a_checkpoint_of_other_settings_or_data_is_ignored(tiny_examples, tmp_path):
    from ml.training import train

    folder = tmp_path / "checkpoint"
    with pytest.raises(Interrupted):
        train(tiny_examples, tiny.hyper_parameters(epochs=3), progress=stop_after(1, []), checkpoint_dir=folder)
    reports = []
    other = tiny.hyper_parameters(epochs=3, seed=7)
    result = train(tiny_examples, other, progress=reports.append, checkpoint_dir=folder)
    assert result.resumed_from == 0
    assert [p.epoch for p in reports] == [1, 2, 3]
    result = train(tiny_examples[:-4], other, checkpoint_dir=folder)
    assert result.resumed_from == 0


def test_an_unreadable_checkpoint_is_ignored_and_training_starts_from_the_first_epoch(tiny_examples, tmp_path):
    from ml.training import train

    folder = tmp_path / "checkpoint"
    hp = tiny.hyper_parameters(epochs=2)
    with pytest.raises(Interrupted):
        train(tiny_examples, hp, progress=stop_after(1, []), checkpoint_dir=folder)
    (folder / "epoch-0001.weights.h5").write_bytes(b"half a file")
    reports = []
    result = train(tiny_examples, hp, progress=reports.append, checkpoint_dir=folder)
    assert result.resumed_from == 0 and [p.epoch for p in reports] == [1, 2]
    assert any(note.startswith("checkpoint not used") for note in result.notes)
