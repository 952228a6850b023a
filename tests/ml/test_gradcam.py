"""GradCAM and the architecture registry."""

import numpy as np
import pytest

from ml import architectures, data
from ml.gradcam import gradcam, heatmap_png, last_conv_layer
from tests.ml import tiny


def test_gradcam_is_a_map_the_size_of_the_image_that_looks_at_the_bright_block(tiny_trained, tmp_path):
    result, _ = tiny_trained
    path = tiny.png(tmp_path / "bad.png", True, 12345)
    image = data.load_images([path], tiny.SHAPE)
    heat = gradcam(result.model, image, [result.classes.index("Bad")], layer_name="block2_conv")
    assert heat.shape == (1, 32, 32)
    assert 0.0 <= heat.min() and heat.max() <= 1.0
    assert heat.max() > 0 and heat.std() > 0.01  # not a flat map


def test_the_heat_map_png_has_the_plot_size(tiny_trained):
    from io import BytesIO

    from PIL import Image

    heat = np.linspace(0, 1, 32 * 32).reshape(32, 32)
    image = Image.open(BytesIO(heatmap_png(heat, (480, 360))))
    assert image.size == (480, 360) and image.mode == "RGBA"


@pytest.mark.parametrize(
    "name,shape",
    [("compact", (32, 48, 3)), ("vit", (32, 32, 3)), ("vgg16", (32, 32, 3)), ("inception_v3", (75, 75, 3))],
)
def test_every_registered_architecture_builds_a_softmax_classifier(name, shape):
    options = {"patch": 8} if name == "vit" else {}
    model = architectures.build_model(name, shape, 3, **options)
    assert model.output_shape == (None, 3)
    out = model.predict(np.zeros((1, *shape), "float32"), verbose=0)
    assert np.isclose(out.sum(), 1.0, atol=1e-4)
    assert last_conv_layer(model, architectures.get(name).gradcam_layer)


def test_an_unknown_architecture_names_the_known_ones():
    with pytest.raises(ValueError, match="compact"):
        architectures.get("alexnet")
