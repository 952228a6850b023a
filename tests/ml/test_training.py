"""Training on tiny images: the loss falls, progress is reported, and the saved model comes back the same."""

import numpy as np
import pytest

from ml import data, model_files
from ml.model_files import ModelFileError
from tests.ml import tiny


def test_the_loss_falls_over_the_epochs(tiny_trained):
    result, _ = tiny_trained
    losses = result.history["loss"]
    assert len(losses) >= 2
    assert losses[-1] < losses[0]


def test_progress_is_reported_after_every_epoch_with_loss_and_accuracy(tiny_trained):
    result, reports = tiny_trained
    assert [r.epoch for r in reports] == list(range(1, len(result.history["loss"]) + 1))
    assert all(r.epochs == 4 for r in reports)
    assert reports[-1].history["loss"] == result.history["loss"]
    assert 0 <= reports[-1].accuracy <= 1 and reports[-1].val_loss is not None


def test_weight_zero_runs_are_kept_for_testing(tiny_trained, tiny_examples):
    result, _ = tiny_trained
    test_runs = {e.run for e in tiny_examples if e.weight == 0}
    assert result.split.runs("test") == test_runs
    assert not result.split.runs("train") & test_runs
    assert not result.split.runs("validation") & result.split.runs("train")


save = tiny.save


def test_a_saved_model_loads_back_with_identical_predictions(tiny_trained, tiny_examples, tmp_path):
    result, _ = tiny_trained
    path = tmp_path / "models" / "m.keras"
    info = save(result, path)
    assert model_files.sidecar_path(path).exists()
    assert info.frameworks["keras"] and info.sha256 and info.format_version == model_files.FORMAT_VERSION
    images = data.load_images([e.path for e in tiny_examples[:8]], tiny.SHAPE)
    loaded, loaded_info = model_files.load(path)
    assert loaded_info.label_map == result.classes == ["Bad", "Good"]
    assert loaded_info.fingerprint == result.fingerprint
    np.testing.assert_allclose(loaded.predict(images, verbose=0), result.model.predict(images, verbose=0), atol=1e-6)
    assert not list(path.parent.glob("*.tmp")) and not list(path.parent.glob(".*"))


def test_a_file_that_does_not_match_its_sidecar_is_refused(tiny_trained, tmp_path):
    result, _ = tiny_trained
    path = tmp_path / "m.keras"
    save(result, path)
    with open(path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelFileError, match="does not match its sidecar"):
        model_files.load(path)


def test_a_model_without_its_sidecar_is_refused(tiny_trained, tmp_path):
    result, _ = tiny_trained
    path = tmp_path / "m.keras"
    save(result, path)
    model_files.sidecar_path(path).unlink()
    with pytest.raises(ModelFileError, match="no sidecar"):
        model_files.load(path)


def test_fine_tuning_starts_from_the_parent_weights(tiny_trained, tiny_examples):
    from ml.training import train

    parent, _ = tiny_trained
    images = data.load_images([e.path for e in tiny_examples[:4]], tiny.SHAPE)
    before = parent.model.predict(images, verbose=0)
    tuned = train(
        tiny_examples,
        tiny.hyper_parameters(epochs=1, learning_rate=1e-6),
        parent=parent.model,
        parent_classes=parent.classes,
    )
    assert "fine-tuned from a parent model" in tuned.notes
    np.testing.assert_allclose(tuned.model.predict(images, verbose=0), before, atol=0.05)


def test_unknown_hyper_parameters_are_an_error():
    from ml.training import HyperParameters

    with pytest.raises(ValueError, match="unknown hyper-parameters: epoch"):
        HyperParameters.from_dict({"epoch": 3})
    with pytest.raises(ValueError, match="unknown architecture"):
        HyperParameters.from_dict({"architecture": "resnet9000"})


def test_a_cosine_schedule_lowers_the_learning_rate_as_training_goes(tiny_examples):
    import keras

    from ml.training import HyperParameters, train

    result = train(tiny_examples, tiny.hyper_parameters(epochs=2, lr_schedule="cosine", references=False))
    assert float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate)) < 0.01 * 0.9
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        HyperParameters.from_dict({"lr_schedule": "sawtooth"})
