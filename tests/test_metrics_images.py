"""Tests for the image half of gh.metrics: the MNIST classifier, its cache, and the Frechet distance."""
import numpy as np
import pytest
import torch

import gan_helpers as gh

M = gh.metrics.images  # the module itself: the tests patch its _train_classifier and scipy.linalg


@pytest.fixture(scope="session")
def classifier(mnist):
    """The course classifier on the CPU (trains once, about 15 s, when data/cache has no valid copy)."""
    return M.get_classifier(device="cpu", verbose=False)


@pytest.fixture(scope="session")
def held_out(mnist):
    """Real digits the classifier never trained on: (images (N, 1, 28, 28), labels (N,))."""
    if mnist.split == "test":
        return mnist.images[8000:], mnist.labels[8000:]
    test = gh.data.load_mnist(split="test", download=False, verbose=False)
    return test.images, test.labels


def _noisy(images: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """Add Gaussian pixel noise and clamp back to [-1, 1]: (B, 1, 28, 28)."""
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(seed))
    return (images + sigma * noise).clamp(-1, 1)


# ------------------------------------------------------------------ classifier and its cache


def test_classifier_accuracy_on_held_out_digits(classifier, held_out):
    x, y = held_out
    with torch.no_grad():
        acc = float((classifier(x).argmax(1) == y).float().mean())
    assert acc >= 0.97
    assert abs(acc - classifier.heldout_accuracy) < 1e-6  # the stored number is the one measured here
    assert not classifier.training and not any(p.requires_grad for p in classifier.parameters())


@pytest.fixture
def fake_training(tmp_path, monkeypatch):
    """Cache in a temp folder and replace the (slow) training by a counted stand-in."""
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path))
    calls = []

    def fake(config, data, device):
        calls.append(config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(123)
            return M.MnistClassifier().to(device), 0.5

    monkeypatch.setattr(M, "_train_classifier", fake)
    return tmp_path / M.CLASSIFIER_FILE, calls


def test_cache_is_written_then_reused(mnist, fake_training):
    path, calls = fake_training
    first = M.get_classifier(device="cpu", verbose=False)
    assert len(calls) == 1 and path.is_file()
    blob = torch.load(path, weights_only=True)
    assert blob["config"]["version"] == M.CLASSIFIER_VERSION and blob["accuracy"] == 0.5
    second = M.get_classifier(device="cpu", verbose=False)
    assert len(calls) == 1  # loaded, not retrained
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    M.get_classifier(device="cpu", retrain=True, verbose=False)
    assert len(calls) == 2


def test_corrupt_cache_is_retrained(mnist, fake_training):
    path, calls = fake_training
    path.write_bytes(b"this is not a torch file")
    model = M.get_classifier(device="cpu", verbose=False)
    assert len(calls) == 1 and model.heldout_accuracy == 0.5
    torch.load(path, weights_only=True)  # replaced by a valid file
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    M.get_classifier(device="cpu", verbose=False)
    assert len(calls) == 2


@pytest.mark.parametrize("key, value", [("version", -1), ("seed", 99), ("split", "other"),
                                        ("labels_sha1", "0" * 12)])
def test_cache_for_another_config_is_retrained(mnist, fake_training, key, value):
    path, calls = fake_training
    M.get_classifier(device="cpu", verbose=False)
    blob = torch.load(path, weights_only=True)
    blob["config"][key] = value
    torch.save(blob, path)
    M.get_classifier(device="cpu", verbose=False)
    assert len(calls) == 2


def test_loading_does_not_move_the_global_rng(classifier):
    torch.manual_seed(7)
    want = torch.rand(3)
    torch.manual_seed(7)
    M.get_classifier(device="cpu", verbose=False)
    assert torch.equal(torch.rand(3), want)


# ------------------------------------------------------------------ histogram, confidence, features


def test_class_histogram_matches_true_labels(classifier, held_out):
    x, y = held_out
    hist = M.class_histogram(x, classifier)
    assert hist.shape == (10,) and hist.dtype == torch.int64 and int(hist.sum()) == len(x)
    errors = int((classifier(x).argmax(1) != y).sum())
    # each misclassified digit moves one count from its true class to another class
    assert int((hist - torch.bincount(y, minlength=10)).abs().sum()) <= 2 * errors
    threes = x[y == 3][:50]
    assert int(M.class_histogram(threes, classifier).argmax()) == 3


def test_confident_fraction_real_vs_noise(classifier, held_out):
    x, _ = held_out
    real = M.confident_fraction(x, classifier)
    noise = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert real > 0.9
    assert M.confident_fraction(noise, classifier) < real - 0.3
    assert M.confident_fraction(x, classifier, threshold=0.99) <= real  # stricter threshold, fewer
    with pytest.raises(ValueError, match="threshold"):
        M.confident_fraction(x, classifier, threshold=1.5)


def test_features_shape(classifier, held_out):
    f = M.classifier_features(held_out[0][:7], classifier)
    assert f.shape == (7, M.MnistClassifier.feature_dim) and not f.requires_grad


@pytest.mark.parametrize("bad", [torch.zeros(4, 28, 28), torch.zeros(4, 3, 28, 28), torch.zeros(0, 1, 28, 28),
                                 torch.full((4, 1, 28, 28), 255.0), np.zeros((4, 1, 28, 28))])
def test_bad_images_raise(classifier, bad):
    with pytest.raises(ValueError, match="images"):
        M.class_histogram(bad, classifier)


# ------------------------------------------------------------------ Frechet distance


def test_frechet_diagonal_matches_hand_formula():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    want = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = M.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert abs(got - want) < 1e-9
    assert abs(M.frechet_distance(mu2, np.diag(s2), mu1, np.diag(s1)) - want) < 1e-9  # symmetric


def test_frechet_known_cases():
    # 1-D: W2^2 between N(m1, a^2) and N(m2, b^2) is (m1 - m2)^2 + (a - b)^2
    assert abs(M.frechet_distance([1.0], [[4.0]], [-2.0], [[0.25]]) - (9.0 + 1.5**2)) < 1e-9
    # equal full covariances: only the means count; equal Gaussians: zero
    a = np.array([[2.0, 0.8], [0.8, 1.0]])
    assert abs(M.frechet_distance([0, 0], a, [3, 4], a) - 25.0) < 1e-8
    assert abs(M.frechet_distance([1, 2], a, [1, 2], a)) < 1e-8
    # same eigenvectors (rotated diagonals): the hand formula on the eigenvalues
    r = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    l1, l2 = np.array([3.0, 0.5]), np.array([1.0, 2.0])
    want = np.sum(l1 + l2 - 2 * np.sqrt(l1 * l2))
    got = M.frechet_distance([0, 0], r @ np.diag(l1) @ r.T, [0, 0], r @ np.diag(l2) @ r.T)
    assert abs(got - want) < 1e-8


def test_frechet_singular_product():
    # sigma1 sigma2 = 0: the hand formula gives 1 + 1 - 0 = 2 (plus the mean term 1) ...
    s1, s2 = np.diag([1.0, 0.0]), np.diag([0.0, 1.0])
    assert abs(M.frechet_distance([0, 0], s1, [1, 0], s2) - 3.0) < 1e-2
    # ... computed, as in pytorch-fid, with eps * I added inside the square root only
    eps = 1e-2
    want = 1 + 2 - 2 * 2 * np.sqrt(eps * (1 + eps))
    assert abs(M.frechet_distance([0, 0], s1, [1, 0], s2, eps=eps) - want) < 1e-9


def test_frechet_adds_eps_when_sqrtm_is_not_finite(monkeypatch):
    real_sqrtm, seen = M.linalg.sqrtm, []

    def flaky(a):
        seen.append(a.copy())
        return np.full_like(a, np.nan) if len(seen) == 1 else real_sqrtm(a)

    monkeypatch.setattr(M.linalg, "sqrtm", flaky)
    eps = 1e-2
    got = M.frechet_distance([0.0], [[1.0]], [0.0], [[4.0]], eps=eps)
    assert len(seen) == 2 and np.allclose(seen[1], (1 + eps) * (4 + eps))
    assert abs(got - (5 - 2 * np.sqrt((1 + eps) * (4 + eps)))) < 1e-12


def test_frechet_rejects_complex_root_and_bad_shapes():
    with pytest.raises(ValueError, match="imaginary"):
        M.frechet_distance([0, 0], -np.eye(2), [0, 0], np.eye(2))  # not a covariance
    with pytest.raises(ValueError, match="means"):
        M.frechet_distance([0, 0], np.eye(2), [0, 0, 0], np.eye(2))
    with pytest.raises(ValueError, match="covariances"):
        M.frechet_distance([0, 0], np.eye(3), [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="finite"):
        M.frechet_distance([0, np.nan], np.eye(2), [0, 0], np.eye(2))


def test_frechet_of_sample_moments_approaches_truth():
    # Monte Carlo: moments of 200k samples from two known Gaussians give the closed-form value
    rng = np.random.default_rng(1)
    a = rng.normal([0, 1, 2], [1.0, 0.5, 2.0], size=(200_000, 3))
    b = rng.normal([1, 1, 0], [2.0, 0.5, 1.0], size=(200_000, 3))
    mu_a, s_a = M.feature_statistics(torch.from_numpy(a))
    mu_b, s_b = M.feature_statistics(torch.from_numpy(b))
    want = 1 + 4 + (1 - 2) ** 2 + 0 + (2 - 1) ** 2  # mean part 5, std part 2
    # standard error about 4 * sqrt(5 / 200k) = 0.02 (the mean term dominates): allow 5 of them
    assert abs(M.frechet_distance(mu_a, s_a, mu_b, s_b) - want) < 0.1


def test_feature_statistics_rejects_one_sample():
    with pytest.raises(ValueError, match="B >= 2"):
        M.feature_statistics(torch.zeros(1, 4))


# ------------------------------------------------------------------ classifier Frechet distance


def test_fcd_same_set_is_small_and_grows_with_noise(classifier, held_out):
    x = held_out[0][:2000]
    a, b = x[:1000], x[1000:]
    same = M.frechet_classifier_distance(a, b, classifier)
    by_noise = [M.frechet_classifier_distance(a, _noisy(b, s), classifier) for s in (0.25, 0.5, 1.0)]
    assert same >= -1e-6
    assert same < 0.1 * by_noise[-1]
    assert same < by_noise[0] < by_noise[1] < by_noise[2]
    assert M.frechet_classifier_distance(a, a, classifier) < 1e-6 * by_noise[-1]


def test_fcd_bad_inputs(classifier, held_out):
    x = held_out[0][:10]
    with pytest.raises(ValueError, match="B >= 2"):
        M.frechet_classifier_distance(x[:1], x, classifier)
    with pytest.raises(ValueError, match="images"):
        M.frechet_classifier_distance(x.squeeze(1), x, classifier)
