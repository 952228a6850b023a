"""HEAD answers like GET without the body, for images and media files (download managers, caches)."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_head_on_a_plot_image_and_its_media_file_answers_200_with_the_size(client, experiment, media_root):
    data = factories.png_bytes(seed=4)
    plot = factories.plot_from_png(factories.plot_type(experiment, "CDC_occupancy"), data)
    for url in (f"/plots/{plot.pk}/image", f"/media/{plot.image}"):
        response = client.head(url)
        assert response.status_code == 200, url
        assert int(response["Content-Length"]) == len(data) and response["Content-Type"] == "image/png"
