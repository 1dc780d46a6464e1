"""Engine fixtures: the real pipeline, loaded once per test session."""

import pytest

from plates.pipeline import get_pipeline


@pytest.fixture(scope="session")
def pipeline():
    return get_pipeline()
