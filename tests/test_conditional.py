import pytest
import torch
import torch.nn.functional as F

import gan_helpers as gh
from gan_helpers import conditional as C


def test_generator_uses_the_label():
    torch.manual_seed(0)
    G = C.ConditionalDCGANGenerator(latent_dim=8, ngf=4).eval()
    z = torch.randn(3, 8)
    a, b = G(z, torch.tensor([0, 0, 0])), G(z, torch.tensor([1, 1, 1]))
    assert a.shape == (3, 1, 28, 28) and a.abs().max() <= 1
    assert not torch.allclose(a, b)  # same z, another label: another image
    with pytest.raises(ValueError, match="int64 tensor of shape"):
        G(z, torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        G(z, torch.tensor([0, 1, 10]))
    with pytest.raises(ValueError, match="z must have shape"):
        G(torch.randn(3, 9), torch.tensor([0, 1, 2]))


@pytest.mark.parametrize("sn", [False, True])
def test_projection_logit_is_psi_plus_class_inner_product(sn):
    torch.manual_seed(1)
    D = C.ProjectionDiscriminator(ndf=4, spectral_norm=sn).eval()
    x, y = torch.randn(5, 1, 28, 28), torch.tensor([0, 3, 3, 9, 1])
    h = D.features(x)
    want = h @ D.psi.weight[0] + D.psi.bias + (D.embed.weight[y] * h).sum(1)
    torch.testing.assert_close(D(x, y)[:, 0], want)
    assert h.shape == (5, 8)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        D(torch.randn(5, 28, 28), y)


def test_spectral_norm_bound_holds_and_brute_force_operator_norm():
    torch.manual_seed(2)
    D = C.ProjectionDiscriminator(ndf=4, spectral_norm=True)
    conv = D.phi[0]
    w = conv.weight.detach()
    columns = [F.conv2d(e.reshape(1, 1, 28, 28), w, None, 2, 1).flatten() for e in torch.eye(784)]
    exact = torch.linalg.matrix_norm(torch.stack(columns, 1), 2).item()
    estimate = C.conv_operator_norm(conv, (1, 28, 28), 200, torch.Generator().manual_seed(0))
    assert estimate == pytest.approx(exact, rel=1e-3)
    bound = D.lipschitz_bound(iters=100)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    slopes = C.input_gradient_norms(D, x, y)
    assert slopes.shape == (64,) and 0 < slopes.max().item() <= bound
    with pytest.raises(ValueError, match="spectral_norm=True"):
        C.ProjectionDiscriminator(ndf=4).lipschitz_bound()


def test_hinge_losses():
    real, fake = torch.tensor([[2.0], [0.5], [-1.0]]), torch.tensor([[-3.0], [0.0]])
    assert gh.losses.d_loss_hinge(real, fake).item() == pytest.approx((0 + 0.5 + 2) / 3 + (0 + 1) / 2)
    assert gh.losses.get_generator_loss("hinge")(fake).item() == pytest.approx(1.5)
    assert gh.training.TrainConfig(objective="hinge").objective == "hinge"


def test_labelled_batcher_and_trainer_train_a_conditional_pair():
    g = torch.Generator().manual_seed(3)
    images, labels = torch.rand(40, 1, 28, 28, generator=g) * 2 - 1, torch.arange(40) % 10
    batches = C.LabelledBatcher(images, labels, g)
    x, y = batches(8)
    assert x.shape == (8, 1, 28, 28) and y.dtype == torch.long
    torch.testing.assert_close(x, images[[int(i) for i in batches._indices._perm[:8]]])
    with pytest.raises(ValueError, match="as many labels as images"):
        C.LabelledBatcher(images, labels[:5])
    torch.manual_seed(4)
    G, D = C.ConditionalDCGANGenerator(latent_dim=8, ngf=4), C.ProjectionDiscriminator(ndf=4, spectral_norm=True)
    before = [p.detach().clone() for p in G.parameters()]
    cfg = gh.training.TrainConfig.dcgan(objective="hinge", steps=3, batch_size=8, log_every=1)
    hist = gh.training.Trainer(G, D, batches, cfg, "cpu", g).run(progress=False)
    assert len(hist) == 3 and all(torch.isfinite(torch.tensor(hist.d_loss)))
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
    out = gh.training.sample(G, 4, labels=torch.tensor([0, 1, 2, 3]), generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, 1, 28, 28)
    assert C.class_grid_labels(3, 2).tolist() == [0, 0, 1, 1, 2, 2]
