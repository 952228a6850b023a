"""Augmentation keeps the physics: white stays white, nothing flips, every epoch draws anew."""

import numpy as np
import pytest

from ml.augment import Augmentation, augment_image, from_setting


def _image(height=40, width=60):
    image = np.ones((height, width, 3), dtype="float32")
    image[10:14, 8:12] = 0.2  # a dark blob near the top-left corner
    return image


def test_white_stays_white_and_values_stay_in_range():
    import tensorflow as tf

    tf.random.set_seed(3)
    white = tf.ones((40, 60, 3))
    for _ in range(5):
        out = augment_image(white, Augmentation(ink_scale=0.3, noise=0.1, max_shift=3)).numpy()
        assert out.shape == (40, 60, 3)
        assert np.all(out == 1.0)
    out = augment_image(tf.constant(_image()), Augmentation(ink_scale=0.3, noise=0.2)).numpy()
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_a_feature_moves_at_most_the_shift_and_never_to_the_other_side():
    import tensorflow as tf

    tf.random.set_seed(5)
    for _ in range(10):
        out = augment_image(tf.constant(_image()), Augmentation(ink_scale=0.0, noise=0.0, max_shift=2)).numpy()
        rows, cols = np.nonzero(out[..., 0] < 0.5)
        assert rows.size == 16  # the whole blob is still there, unchanged in size
        assert 8 <= rows.min() <= 12 and 6 <= cols.min() <= 10


def test_ink_is_scaled_and_grained_differently_each_time():
    import tensorflow as tf

    tf.random.set_seed(7)
    image = tf.constant(_image())
    a, b = (augment_image(image, Augmentation(max_shift=0)).numpy() for _ in range(2))
    assert not np.array_equal(a, b)
    blob = a[10:14, 8:12]
    assert np.all(np.abs(blob - 0.2) < 0.35) and not np.allclose(blob, 0.2)
    assert np.all(a[20:, 30:] == 1.0)  # the background got no noise


def test_the_setting_is_true_false_or_strengths():
    assert from_setting(True) == Augmentation()
    assert from_setting(False) is None and from_setting(None) is None
    assert from_setting({"max_shift": 4}) == Augmentation(max_shift=4)
    with pytest.raises(ValueError, match="ink_scale, noise and max_shift"):
        from_setting({"flip": True})
    with pytest.raises(ValueError, match="max_shift"):
        from_setting({"max_shift": 100})
    with pytest.raises(ValueError, match="true, false or a dict"):
        from_setting("yes")


def test_augmenting_is_a_choice_of_the_hyper_parameters_and_a_bad_setting_is_refused():
    from ml.training import HyperParameters

    assert HyperParameters().augment is False
    assert HyperParameters.from_dict({}).as_dict()["augment"] is False
    assert HyperParameters.from_dict({"augment": True}).augment is True
    assert HyperParameters.from_dict({"augment": {"noise": 0}}).as_dict()["augment"] == {"noise": 0}
    with pytest.raises(ValueError, match="ink_scale, noise and max_shift"):
        HyperParameters.from_dict({"augment": {"rotate": 10}})


def test_only_the_training_images_are_augmented(tmp_path):
    from PIL import Image

    from ml import data

    path = tmp_path / "plot.png"
    Image.fromarray((_image() * 255).astype("uint8")).save(path)
    plain = data.load_images([str(path)], (40, 60, 3))
    again = data.load_images([str(path)], (40, 60, 3))
    np.testing.assert_array_equal(plain, again)
    changed = next(iter(data.image_dataset([str(path)], (40, 60, 3), augmentation=Augmentation(max_shift=0)))).numpy()
    assert changed.shape == plain.shape and not np.array_equal(changed, plain)
