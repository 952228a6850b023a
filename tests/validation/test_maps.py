"""Embedding maps: clearly different plots land away from good ones; new points land among their kind."""

import numpy as np

from ml import maps, outliers
from ml.embeddings import PixelEncoder, from_blob, load_images, to_blob
from tests.validation import synthetic


def fixture_set():
    """16 good FCAL plots, 8 with a hot block, 8 empty: three kinds a person tells apart at a glance."""
    good = [synthetic.png(synthetic.FCAL, run) for run in range(100, 116)]
    hot = [synthetic.png(synthetic.FCAL, run, "hot_channels") for run in range(200, 208)]
    empty = [synthetic.png(synthetic.FCAL, run, "empty") for run in range(300, 308)]
    truth = np.array(["good"] * len(good) + ["hot"] * len(hot) + ["empty"] * len(empty))
    return load_images(good + hot + empty, (32, 32)), truth


def test_the_map_places_clearly_different_synthetic_failures_away_from_good_plots():
    images, truth = fixture_set()
    vectors = PixelEncoder.fit(images, dim=16).encode(images)
    coords = maps.tsne_map(vectors, seed=0).coords
    clusters = maps.kmeans_clusters(coords, seed=0)  # k chosen by silhouette, as the map job does
    assert maps.cluster_purity(clusters, truth) >= 0.9
    centre = {kind: coords[truth == kind].mean(axis=0) for kind in ("good", "hot", "empty")}
    spread = np.linalg.norm(coords[truth == "good"] - centre["good"], axis=1).mean()
    assert np.linalg.norm(centre["hot"] - centre["good"]) > 2 * spread
    assert np.linalg.norm(centre["empty"] - centre["good"]) > 2 * spread


def test_outlier_scores_rank_the_odd_plots_first():
    images, truth = fixture_set()
    keep = np.r_[0:16, 16:18]  # 16 good plots and 2 hot ones: the hot ones are the outliers
    vectors = PixelEncoder.fit(images[keep], dim=16).encode(images[keep])
    scores = outliers.outlier_scores(vectors, np.zeros(len(keep), dtype=int), k=5)
    assert set(outliers.top(scores, 2)) == {16, 17}


def test_a_plot_labeled_against_its_neighbours_is_likely_mislabeled():
    images, truth = fixture_set()
    vectors = PixelEncoder.fit(images, dim=16).encode(images)
    labels = ["Good" if t == "good" else "Bad" for t in truth]
    labels[3] = "Bad"  # a good plot with the wrong label
    scores, suggested = outliers.mislabel_scores(vectors, labels, k=5)
    assert outliers.top(scores, 1)[0] == 3
    assert suggested[3] == "Good"
    assert scores[5] < 0.5  # a good plot next to the mislabeled one is still mostly among its own


def test_new_points_are_placed_among_their_nearest_neighbours_without_moving_the_map():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.1, (50, 8)), rng.normal(5, 0.1, (50, 8))]).astype(np.float32)
    coords = np.vstack([np.zeros((50, 2)), np.full((50, 2), 10.0)]).astype(np.float32)
    before = coords.copy()
    placed = maps.place(np.array([[5.0] * 8, [0.0] * 8], dtype=np.float32), X, coords, k=5)
    assert np.allclose(placed[0], [10, 10], atol=0.01) and np.allclose(placed[1], [0, 0], atol=0.01)
    assert np.array_equal(coords, before)


def test_downsampling_keeps_the_budget_the_shape_and_the_points_asked_for():
    rng = np.random.default_rng(1)
    dense = rng.normal(0, 1, (20000, 2))
    lonely = np.array([[50.0, 50.0], [-40.0, 30.0]])
    coords = np.vstack([dense, lonely]).astype(np.float32)
    keep = maps.downsample(coords, 2000, keep=np.array([5]))
    assert len(keep) <= 2001
    assert {20000, 20001, 5} <= set(keep.tolist())  # sparse cells survive whole; asked-for points stay
    assert np.all(np.diff(keep) > 0)


def test_vectors_round_trip_through_float32_blobs():
    v = np.array([1.5, -2.25, 3.0], dtype=np.float32)
    blob = to_blob(v)
    assert len(blob) == 12 and np.array_equal(from_blob(blob), v)


def test_large_maps_fall_back_to_a_fitted_subsample_and_knn_placement():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 0.3, (300, 16)) for c in (0, 4)]).astype(np.float32)
    result = maps.tsne_map(X, engine="subsample", subsample=200, seed=0)
    assert result.engine == "subsample" and result.info["fitted"] == 200
    a, b = result.coords[:300].mean(axis=0), result.coords[300:].mean(axis=0)
    assert np.linalg.norm(a - b) > 3 * result.coords[:300].std(axis=0).mean()


def test_hdbscan_finds_two_blobs_and_calls_a_lone_point_noise():
    rng = np.random.default_rng(4)
    coords = np.vstack([rng.normal(0, 0.3, (40, 2)), rng.normal(8, 0.3, (40, 2)), [[30.0, -30.0]]])
    labels = maps.hdbscan_clusters(coords, min_cluster_size=10)
    assert len(set(labels[:80]) - {-1}) == 2 and labels[80] == -1
    assert maps.cluster_purity(labels[:80], np.repeat([0, 1], 40)) == 1.0
