"""Shared pytest fixtures and markers for the gan_helpers unit tests."""
from __future__ import annotations

import matplotlib
import pytest

from gan_helpers.utils import torch_threads

matplotlib.use("Agg")  # this process only; nbval kernels keep their inline backend


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "student: builds and executes the student notebooks (slow)")


@pytest.fixture(scope="session")
def mnist():
    """The MNIST data the course finds (skips only when none is available at all)."""
    import gan_helpers as gh

    if not gh.data.find_mnist():
        pytest.skip("no MNIST files under the data root; set GAN_DATA_DIR (CI points it at ../shared/data)")
    return gh.data.load_mnist(download=False, verbose=False)


@pytest.fixture
def no_data_env(tmp_path, monkeypatch):
    """An empty data root: GAN_DATA_DIR points at a fresh folder."""
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    return tmp_path



@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run each test on one torch thread (the course's small models are fastest so), then restore."""
    with torch_threads(1):
        yield
