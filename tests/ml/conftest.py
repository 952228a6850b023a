import pytest

from tests.ml import tiny


@pytest.fixture(scope="session")
def tiny_examples(tmp_path_factory):
    return tiny.examples(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_trained(tiny_examples):
    """One tiny model trained once for the whole session, with its per-epoch progress reports."""
    from ml.training import train

    reports = []
    result = train(tiny_examples, tiny.hyper_parameters(), progress=reports.append)
    return result, reports
