"""Comparing with reference plots: one mean good image per plot type, the nearest one subtracted."""

import numpy as np
import pytest

from ml import data
from ml.data import Example
from tests.ml import tiny


def test_the_layer_subtracts_the_nearest_reference():
    import keras

    from ml.layers import ReferenceDifference

    layer = ReferenceDifference(2)
    layer.build((None, 4, 4, 1))
    dark, bright = np.zeros((4, 4, 1), "float32"), np.full((4, 4, 1), 0.8, "float32")
    layer.set_weights([np.stack([dark, bright])])
    images = np.stack([np.full((4, 4, 1), 0.1, "float32"), np.full((4, 4, 1), 0.7, "float32")])
    out = keras.ops.convert_to_numpy(layer(images))
    assert out.shape == (2, 4, 4, 2)
    np.testing.assert_allclose(out[..., 0], images[..., 0])
    np.testing.assert_allclose(out[0, ..., 1], 0.1, atol=1e-6)  # nearer the dark reference
    np.testing.assert_allclose(out[1, ..., 1], -0.1, atol=1e-6)  # nearer the bright one


def test_references_are_the_mean_of_each_groups_usual_class(tmp_path):
    from PIL import Image

    def image(name, value):
        path = tmp_path / f"{name}.png"
        Image.fromarray(np.full((8, 8), value, "uint8"), "L").save(path)
        return str(path)

    examples = [
        Example(image("a1", 50), "Good", 1, group="A"),
        Example(image("a2", 150), "Good", 2, group="A"),
        Example(image("a3", 255), "Bad", 3, group="A"),
        Example(image("b1", 200), "Good", 1, group="B"),
        Example(image("b2", 0), "Bad", 2, group="B"),
        Example(image("b3", 10), "Bad", 3, group="B"),
    ]
    groups, refs = data.reference_images(examples, (8, 8, 1))
    assert groups == ["A", "B"]
    assert refs.shape == (2, 8, 8, 1)
    np.testing.assert_allclose(refs[0], 100 / 255, atol=1e-3)  # mean of the two Good ones; Bad left out
    np.testing.assert_allclose(refs[1], 5 / 255, atol=1e-3)  # Bad is B's most common class


def test_training_fills_the_references_and_they_survive_saving(tiny_trained, tiny_examples, tmp_path):
    from ml import architectures, model_files

    result, _ = tiny_trained
    assert result.hyper_parameters.uses_references() and result.hyper_parameters.as_dict()["references"] is True
    assert any("reference" in note for note in result.notes)
    stored = result.model.get_layer(architectures.REFERENCE_LAYER).get_weights()[0]
    _, expected = data.reference_images(result.split.train, tiny.SHAPE)
    np.testing.assert_allclose(stored, expected, atol=1e-6)
    assert stored.std() > 0  # a real image, not the zeros the layer starts from

    path = tmp_path / "m.keras"
    tiny.save(result, path)
    loaded, _ = model_files.load(path)
    np.testing.assert_allclose(loaded.get_layer(architectures.REFERENCE_LAYER).get_weights()[0], stored)


def test_references_can_be_turned_off_and_other_architectures_refuse_them():
    from ml.training import HyperParameters

    assert HyperParameters(architecture="compact").uses_references()
    assert not HyperParameters(architecture="compact", references=False).uses_references()
    assert not HyperParameters(architecture="vgg16").uses_references()
    with pytest.raises(ValueError, match="cannot compare with references"):
        HyperParameters.from_dict({"architecture": "vgg16", "references": True})


def test_a_model_without_references_trains_without_the_layer(tiny_examples):
    from ml import architectures
    from ml.training import train

    result = train(tiny_examples, tiny.hyper_parameters(epochs=1, references=False))
    names = [layer.name for layer in result.model.layers]
    assert architectures.REFERENCE_LAYER not in names
