import math

import numpy as np
import pytest
import torch

import gan_helpers as gh


def test_bimodal_1d_matches_definition():
    d = gh.data.bimodal_1d()
    assert d.centers.flatten().tolist() == [-1.0, 1.0] and d.std == 0.2
    x = d.sample(40_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (40_000, 1) and x.dtype == torch.float32
    left, right = x[x < 0], x[x >= 0]
    assert abs(len(left) / len(x) - 0.5) < 0.01
    assert abs(left.mean().item() + 1) < 0.01 and abs(right.mean().item() - 1) < 0.01
    assert abs(left.std().item() - 0.2) < 0.01 and abs(right.std().item() - 0.2) < 0.01


def test_ring8_has_eight_distinct_modes_on_unit_circle():
    ring = gh.data.ring8()
    c = ring.centers.double()
    assert c.shape == (8, 2) and ring.std == 0.01
    assert torch.allclose(c.norm(dim=1), torch.ones(8, dtype=torch.float64), atol=1e-6)
    assert torch.cdist(c, c).add(torch.eye(8) * 10).min() > 0.7  # 8 distinct angles
    angles = torch.remainder(torch.atan2(c[:, 1], c[:, 0]) + 1e-6, 2 * math.pi) - 1e-6
    want = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    assert torch.allclose(angles.sort().values, want, atol=1e-6)


def test_grid25_means_and_std():
    grid = gh.data.grid25()
    assert grid.std == 0.05
    got = sorted(map(tuple, grid.centers.tolist()))
    want = sorted((float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4))
    assert got == want


@pytest.mark.parametrize("make", [gh.data.ring8, gh.data.grid25])
def test_mixture_samples_cluster_around_modes(make):
    mix = make()
    x = mix.sample(25_000, generator=torch.Generator().manual_seed(1))
    assert x.shape == (25_000, 2) and x.dtype == torch.float32
    nearest = torch.cdist(x, mix.centers).argmin(1)
    counts = torch.bincount(nearest, minlength=len(mix.centers)).float()
    assert (counts / len(x) - 1 / len(mix.centers)).abs().max() < 0.02
    resid = x - mix.centers[nearest]
    assert abs(resid.std().item() - mix.std) / mix.std < 0.03
    assert resid.mean(0).abs().max() < 0.01 * mix.std * 10


def test_pdf_integrates_to_one():
    d = gh.data.bimodal_1d()
    xs = np.linspace(-4, 4, 20_001)
    assert abs(np.trapezoid(d.pdf(xs), xs) - 1) < 1e-6


def test_mixture_rejects_bad_input():
    with pytest.raises(ValueError, match="std"):
        gh.data.GaussianMixture([[0.0]], std=0)
    with pytest.raises(ValueError, match="shape"):
        gh.data.GaussianMixture([0.0, 1.0], std=1)
    with pytest.raises(ValueError, match="weights"):
        gh.data.GaussianMixture([[0.0], [1.0]], std=1, weights=[0.9, 0.2])
    with pytest.raises(ValueError):
        gh.data.ring8().sample(0)


def test_two_moons_shape():
    x = gh.data.two_moons(500, generator=torch.Generator().manual_seed(0))
    assert x.shape == (500, 2) and x.abs().max() < 2


def test_same_seed_same_samples():
    a = gh.data.grid25().sample(10, generator=torch.Generator().manual_seed(7))
    b = gh.data.grid25().sample(10, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_mnist_shared_test_split(mnist):
    assert mnist.images.shape[1:] == (1, 28, 28) and mnist.images.dtype == torch.float32
    assert mnist.images.min() == -1 and mnist.images.max() == 1
    assert set(mnist.labels.unique().tolist()) == set(range(10))
    if mnist.split == "test":
        assert len(mnist.images) == 10_000 and len(mnist.labels) == 10_000
        # the first test digits of the official split
        assert mnist.labels[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    assert not mnist.source.startswith("/")


def test_mnist_load_reports_split(mnist, capsys):
    gh.data.load_mnist(download=False)
    out = capsys.readouterr().out
    assert f"{mnist.split} split" in out and "10,000" in out or "60,000" in out


def test_mnist_missing_gives_clear_error(no_data_env):
    with pytest.raises(FileNotFoundError, match="MNIST/raw"):
        gh.data.load_mnist(download=False)


def test_mnist_offline_download_gives_clear_error(no_data_env, monkeypatch):
    import torchvision.datasets

    class Offline:
        def __init__(self, *a, **k):
            raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.datasets, "MNIST", Offline)
    with pytest.raises(RuntimeError, match="Could not download MNIST"):
        gh.data.load_mnist(download=True)


def test_mnist_bad_split():
    with pytest.raises(ValueError, match="split"):
        gh.data.load_mnist(split="validation")


def test_tensor_batcher_covers_epoch():
    data = torch.arange(10).float().unsqueeze(1)
    b = gh.data.TensorBatcher(data, torch.Generator().manual_seed(0))
    seen = torch.cat([b(5), b(5)]).flatten().sort().values
    assert torch.equal(seen, torch.arange(10).float())
    with pytest.raises(ValueError):
        b(11)
