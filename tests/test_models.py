"""Shapes, output ranges and the DCGAN initialisation of gh.models."""
import pytest
import torch
from torch import nn

from gan_helpers import models


def test_mlp_shapes_and_latent_dim():
    G = models.MLPGenerator(latent_dim=3, out_dim=2, hidden=16, depth=2)
    D = models.MLPDiscriminator(in_dim=2, hidden=16, depth=3)
    assert G.latent_dim == 3
    x = G(torch.randn(5, 3))
    assert x.shape == (5, 2)
    assert D(x).shape == (5, 1)
    # no sigmoid: logits can leave [0, 1]
    assert not any(isinstance(m, nn.Sigmoid) for m in list(G.modules()) + list(D.modules()))
    assert sum(isinstance(m, nn.Linear) for m in D.modules()) == 4  # depth hidden + output


def test_mlp_bad_input():
    with pytest.raises(ValueError):
        models.MLPGenerator(latent_dim=0)
    with pytest.raises(ValueError, match=r"\(B, 1\)"):
        models.MLPGenerator(latent_dim=1)(torch.randn(4, 2))
    with pytest.raises(ValueError):
        models.MLPDiscriminator(in_dim=2)(torch.randn(4, 1))


def test_dcgan_shapes_and_ranges():
    torch.manual_seed(0)
    G = models.DCGANGenerator(latent_dim=16, ngf=8)
    D = models.DCGANDiscriminator(ndf=8)
    C = models.DCGANDiscriminator(ndf=8, critic=True)
    x = G(torch.randn(4, 16))
    assert G.latent_dim == 16 and x.shape == (4, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (4, 1) and C(x).shape == (4, 1)
    with pytest.raises(ValueError):
        D(torch.randn(4, 28, 28))


def test_dcgan_guidelines():
    G, D = models.DCGANGenerator(ngf=8), models.DCGANDiscriminator(ndf=8)
    C = models.DCGANDiscriminator(ndf=8, critic=True)
    for m in (G, D, C):
        assert not any(isinstance(x, (nn.MaxPool2d, nn.AvgPool2d, nn.Sigmoid)) for x in m.modules())
    g_layers, d_layers = list(G.net), list(D.net)
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)
    assert not isinstance(d_layers[1], nn.BatchNorm2d)  # no norm on D's input layer
    assert any(isinstance(x, nn.BatchNorm2d) for x in G.modules())
    assert any(isinstance(x, nn.BatchNorm2d) for x in D.modules())
    assert not any(isinstance(x, nn.BatchNorm2d) for x in C.modules())  # critic: no batch norm
    slopes = [x.negative_slope for x in D.modules() if isinstance(x, nn.LeakyReLU)]
    assert slopes and all(s == 0.2 for s in slopes)
    assert any(isinstance(x, nn.ReLU) for x in G.modules())


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    G = models.DCGANGenerator(latent_dim=64, ngf=32)
    w = G.net[0].weight
    assert abs(w.mean().item()) < 0.002 and abs(w.std().item() - 0.02) < 0.001
    bn = G.net[1].weight
    assert abs(bn.mean().item() - 1) < 0.01 and 0.01 < bn.std().item() < 0.03
    lin = nn.Linear(500, 500)
    models.init_dcgan_weights(lin)
    assert abs(lin.weight.std().item() - 0.02) < 0.001 and lin.bias.abs().max() == 0


def test_critic_score_is_per_sample():
    """With layer norm (not batch norm) a sample's score does not depend on the rest of the batch."""
    torch.manual_seed(0)
    C = models.DCGANDiscriminator(ndf=8, critic=True)
    x = torch.randn(6, 1, 28, 28)
    torch.testing.assert_close(C(x)[:2], C(x[:2]))
