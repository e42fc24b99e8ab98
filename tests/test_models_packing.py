"""PacGAN packing: pack_samples and PackedDiscriminator of gh.models."""
import pytest
import torch

from gan_helpers import models


def test_pack_samples_groups_consecutive_rows():
    x = torch.arange(12.0).reshape(6, 2)  # rows (0,1), (2,3), ..., (10,11)
    p = models.pack_samples(x, 2)
    assert p.shape == (3, 4)
    assert p.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    p3 = models.pack_samples(x, 3)
    assert p3.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    assert torch.equal(models.pack_samples(x, 1), x)


def test_pack_samples_equals_concatenation_for_images():
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    p = models.pack_samples(x, 3)
    assert p.shape == (2, 3, 4, 4)
    want = torch.stack([torch.cat([x[3 * i + j] for j in range(3)], dim=0) for i in range(2)])
    assert torch.equal(p, want)


@pytest.mark.parametrize("n, pack", [(5, 2), (0, 2), (4, 0), (4, 1.5), (4, True)])
def test_pack_samples_bad_input(n, pack):
    with pytest.raises(ValueError):
        models.pack_samples(torch.zeros(n, 2), pack)


def test_pack_samples_rejects_1d():
    with pytest.raises(ValueError):
        models.pack_samples(torch.zeros(4), 2)


def test_packed_discriminator_scores_packs():
    torch.manual_seed(0)
    inner = models.MLPDiscriminator(in_dim=4, hidden=8, depth=1)
    D = models.PackedDiscriminator(inner, pack=2)
    x = torch.randn(10, 2)
    out = D(x)
    assert out.shape == (5, 1)
    torch.testing.assert_close(out, inner(x.reshape(5, 4)))
    # the score of pack i depends only on samples 2i and 2i+1
    y = x.clone()
    y[0] += 1.0
    changed = (D(y) - out).abs().flatten() > 0
    assert changed.tolist() == [True, False, False, False, False]
    assert set(dict(D.named_parameters())) == {f"inner.{k}" for k, _ in inner.named_parameters()}
    with pytest.raises(ValueError):
        D(torch.randn(9, 2))
    with pytest.raises(ValueError):
        models.PackedDiscriminator(inner, pack=0)
    with pytest.raises(ValueError):
        models.PackedDiscriminator("not a module", pack=2)


def test_packed_discriminator_trains_with_the_engine():
    from gan_helpers import data, training

    torch.manual_seed(0)
    G = models.MLPGenerator(latent_dim=2, out_dim=2, hidden=8, depth=1)
    D = models.PackedDiscriminator(models.MLPDiscriminator(in_dim=4, hidden=8, depth=1), pack=2)
    hist = training.train_gan(G, D, data.ring8().sample, training.TrainConfig(steps=3, batch_size=8),
                              progress=False, generator=torch.Generator().manual_seed(0))
    assert len(hist) == 3 and all(map(lambda v: v == v, hist.d_loss))  # finite, no NaN
