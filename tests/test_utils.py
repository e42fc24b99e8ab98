import subprocess
import sys

import numpy as np
import pytest
import torch

import gan_helpers as gh


def test_get_device_auto_returns_available_device():
    dev = gh.utils.get_device("auto")
    assert dev.type in ("cpu", "cuda", "mps")
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif not gh.utils._mps_available():
        assert dev.type == "cpu"


def test_get_device_cpu_and_errors():
    assert gh.utils.get_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="one of"):
        gh.utils.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            gh.utils.get_device("cuda")
    if not gh.utils._mps_available():
        with pytest.raises(ValueError, match="mps"):
            gh.utils.get_device("mps")


def test_seed_everything_repeats_all_generators():
    def draw():
        gen = gh.utils.seed_everything(123)
        return (np.random.rand(3), torch.randn(3), __import__("random").random(), torch.rand(2, generator=gen))

    a, b = draw(), draw()
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1]) and a[2] == b[2] and torch.equal(a[3], b[3])
    gh.utils.seed_everything(124)
    assert not torch.equal(torch.randn(3), a[1])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        gh.utils.seed_everything(bad)


def test_budget_and_smoke_mode(monkeypatch):
    monkeypatch.delenv(gh.utils.SMOKE_ENV, raising=False)
    assert not gh.utils.smoke_mode() and gh.utils.budget(500) == 500
    monkeypatch.setenv(gh.utils.SMOKE_ENV, "1")
    assert gh.utils.smoke_mode() and gh.utils.budget(500) == 2 and gh.utils.budget(1) == 1
    monkeypatch.setenv(gh.utils.SMOKE_ENV, "0")
    assert not gh.utils.smoke_mode()
    with pytest.raises(ValueError):
        gh.utils.budget(-1)


def test_short_path_has_no_home_folder():
    p = gh.utils.short_path(gh.utils.repo_root() / "data" / "x")
    assert p == "data/x"


def test_package_import_is_lazy_and_side_effect_free():
    import subprocess
    import sys

    code = ("import sys, gan_helpers as gh; import torch; s = torch.initial_seed();"
            "print('gan_helpers.training' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_torchvision_imports_and_make_grid_works():
    import torchvision
    from torchvision.utils import make_grid

    grid = make_grid(torch.zeros(4, 1, 28, 28), nrow=2, padding=2)
    assert grid.shape == (3, 2 * 30 + 2, 2 * 30 + 2)
    assert torchvision.__version__


def test_cpu_threads_sets_and_validates():
    old = torch.get_num_threads()
    try:
        assert gh.utils.cpu_threads(torch.device("cpu"), 1) == 1
        with pytest.raises(ValueError):
            gh.utils.cpu_threads(torch.device("cpu"), 0)
        with pytest.raises(ValueError, match="int"):
            gh.utils.cpu_threads(torch.device("cpu"), 1.5)
        cores = gh.utils.usable_cpus()
        assert gh.utils.cpu_threads(torch.device("cpu"), cores + 3) == cores  # never more threads than cores
    finally:
        torch.set_num_threads(old)


def test_moving_average():
    np.testing.assert_allclose(gh.utils.moving_average([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    np.testing.assert_allclose(gh.utils.moving_average([1, 2], 5), [1, 2])
    with pytest.raises(ValueError):
        gh.utils.moving_average([1, 2], 0)


# --- the seed offset ($GAN_COURSE_SEED) -------------------------------------------------------


def _draws(seed: int = 5) -> dict:
    """One draw from every seeding helper (and from the global generators seed_everything sets)."""
    import random

    gen = gh.utils.seed_everything(seed)
    out = {"everything_gen": torch.rand(4, generator=gen), "torch_global": torch.rand(4),
           "numpy_global": np.random.rand(4), "python": random.random()}
    out["generator"] = torch.rand(4, generator=gh.utils.make_generator(seed))
    gh.utils.manual_seed(seed)
    out["manual_seed"] = torch.rand(4)
    out["numpy_rng"] = gh.utils.numpy_rng(seed).random(4)
    return out


def test_seed_offset_default_and_values(monkeypatch):
    monkeypatch.delenv(gh.utils.SEED_ENV, raising=False)
    assert gh.utils.SEED_ENV == "GAN_COURSE_SEED"
    assert gh.utils.seed_offset() == 0 and gh.utils.course_seed(5) == 5
    monkeypatch.setenv(gh.utils.SEED_ENV, "")
    assert gh.utils.seed_offset() == 0
    monkeypatch.setenv(gh.utils.SEED_ENV, " 7 ")
    assert gh.utils.seed_offset() == 7 and gh.utils.course_seed(5) == 12
    assert gh.utils.manual_seed(5) == 12


@pytest.mark.parametrize("bad", ["x", "-1", "1.5"])
def test_seed_offset_rejects_bad_values(monkeypatch, bad):
    monkeypatch.setenv(gh.utils.SEED_ENV, bad)
    for helper in (gh.utils.seed_offset, lambda: gh.utils.course_seed(0), lambda: gh.utils.make_generator(0),
                   lambda: gh.utils.manual_seed(0), lambda: gh.utils.numpy_rng(0),
                   lambda: gh.utils.seed_everything(0)):
        with pytest.raises(ValueError, match="GAN_COURSE_SEED") as info:
            helper()
        assert repr(bad) in str(info.value)


def test_offset_zero_is_the_old_behaviour(monkeypatch):
    import random

    monkeypatch.delenv(gh.utils.SEED_ENV, raising=False)
    new = _draws(5)
    monkeypatch.setenv(gh.utils.SEED_ENV, "0")
    assert all(np.array_equal(np.asarray(new[k]), np.asarray(v)) for k, v in _draws(5).items())
    old_gen = torch.Generator().manual_seed(5)  # what the notebooks called before the offset existed
    assert torch.equal(new["everything_gen"], torch.rand(4, generator=old_gen))
    assert torch.equal(new["generator"], torch.rand(4, generator=torch.Generator().manual_seed(5)))
    torch.manual_seed(5)
    assert torch.equal(new["manual_seed"], torch.rand(4)) and torch.equal(new["torch_global"], new["manual_seed"])
    np.testing.assert_array_equal(new["numpy_rng"], np.random.default_rng(5).random(4))
    np.random.seed(5)
    np.testing.assert_array_equal(new["numpy_global"], np.random.rand(4))
    random.seed(5)
    assert new["python"] == random.random()


def test_offset_shifts_every_helper(monkeypatch):
    monkeypatch.delenv(gh.utils.SEED_ENV, raising=False)
    base, base_8 = _draws(5), _draws(8)
    monkeypatch.setenv(gh.utils.SEED_ENV, "3")
    shifted = _draws(5)
    for key in base:  # every stream changes, and becomes the stream of seed 5 + 3 = 8
        assert not np.array_equal(np.asarray(shifted[key]), np.asarray(base[key])), key
        assert np.array_equal(np.asarray(shifted[key]), np.asarray(base_8[key])), key


def test_make_generator_device_and_bad_seed(monkeypatch):
    monkeypatch.delenv(gh.utils.SEED_ENV, raising=False)
    g = gh.utils.make_generator(0, device="cpu")
    assert g.device.type == "cpu" and g.initial_seed() == 0
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="seed"):
            gh.utils.make_generator(bad)


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with gh.utils.torch_threads(1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with gh.utils.torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n must be None or an int >= 1"):
        with gh.utils.torch_threads(0):
            pass


def test_seeded_builds_the_same_weights_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    with gh.utils.seeded(3):
        a = torch.nn.Linear(2, 2).weight.detach().clone()
    with gh.utils.seeded(3):
        b = torch.nn.Linear(2, 2).weight.detach().clone()
    assert torch.equal(a, b) and torch.equal(torch.get_rng_state(), state)


def test_check_probabilities():
    np.testing.assert_array_equal(gh.utils.check_probabilities([0.25, 0.75]), [0.25, 0.75])
    assert gh.utils.check_probabilities(torch.tensor([1.0, 0.0]), size=2).dtype == np.float64
    for bad in ([0.5, 0.6], [1.5, -0.5], [[0.5, 0.5]], [float("nan"), 1.0]):
        with pytest.raises(ValueError, match="weights must be .* sum to 1"):
            gh.utils.check_probabilities(bad)
    with pytest.raises(ValueError, match="p must be 3 non-negative"):
        gh.utils.check_probabilities([0.5, 0.5], "p", size=3)


_FAULTS_CHILD = r"""
import resource, sys, torch
import gan_helpers as gh
torch.set_num_threads(1)
def faults():  # minor page faults while 20 rounds allocate 8 blocks of 6 MiB (each through a temporary), free them
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        blocks = [torch.randn(1_600_000) * 2 for _ in range(8)]
        del blocks
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults()
default = faults()
applied = gh.utils.keep_freed_memory()
faults()
print(default, faults(), applied)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux only")
def test_keep_freed_memory_stops_page_faults_on_reallocation():
    out = subprocess.run([sys.executable, "-c", _FAULTS_CHILD], capture_output=True, text=True, check=True)
    default, kept, applied = out.stdout.split()
    if applied != "True":
        pytest.skip("not glibc: keep_freed_memory is a no-op here")
    # 20 rounds x 100 MiB: by default much of it comes back as fresh pages (tens of thousands of faults)
    assert int(default) > 2000 and int(kept) < int(default) / 10, (default, kept)


def test_keep_freed_memory_validates():
    for bad in (0, -5, 1.5, True, "64"):
        with pytest.raises(ValueError, match="mb must be an int >= 1"):
            gh.utils.keep_freed_memory(bad)
