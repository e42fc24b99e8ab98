"""Ensembles (gh.ensemble): member k of an ensemble run is a single run; stacking, layers, errors."""
import math

import pytest
import torch

import gan_helpers as gh
from gan_helpers import ensemble, losses, models, training

E, N, LAT, W = 3, 16, 2, 8


def _singles(seed: int = 0):
    torch.manual_seed(seed)
    Gs = [models.MLPGenerator(LAT, 2, W, 2) for _ in range(E)]
    Ds = [models.MLPDiscriminator(2, W, 2) for _ in range(E)]
    return Gs, Ds


def _stacked(Gs, Ds):
    G, D = models.MLPGenerator(LAT, 2, W, 2, ensemble=E), models.MLPDiscriminator(2, W, 2, ensemble=E)
    for k in range(E):
        ensemble.load_member(G, k, Gs[k])
        ensemble.load_member(D, k, Ds[k])
    return G, D


def _replay(trainer, reals, zs):
    """Feed the trainer fixed batches: reals[i] and zs[i] on its i-th draw (same order for every run)."""
    it_x, it_z = iter(reals), iter(zs)
    trainer.real_batch = lambda n: next(it_x)
    trainer.noise = lambda n: next(it_z)


@pytest.mark.parametrize("cfg", [
    training.TrainConfig.dcgan(batch_size=N, lr_g=1e-2, lr_d=1e-2),
    training.TrainConfig.wgan_gp(batch_size=N, n_critic=2, lr_g=1e-2, lr_d=1e-2),
    training.TrainConfig.wgan(batch_size=N, n_critic=2, lr_g=1e-2, lr_d=1e-2),
    training.TrainConfig.dcgan(batch_size=N, lr_g=1e-2, lr_d=1e-2, unroll_steps=2, unroll_lr=0.1),
], ids=["gan", "wgan-gp", "wgan", "unrolled"])
def test_member_k_equals_a_single_model_trained_alone(cfg, monkeypatch):
    if cfg.objective == "wgan-gp":  # the penalty's interpolation weights: the same 0.5 for every run
        real_rand = torch.rand
        monkeypatch.setattr(torch, "rand", lambda shape, **kw: real_rand(shape).fill_(0.5))
    steps = 12
    draws = steps * (cfg.n_critic + 1 + cfg.unroll_steps)
    g = torch.Generator().manual_seed(1)
    reals = [torch.randn(E, N, 2, generator=g) for _ in range(draws)]
    zs = [torch.randn(E, N, LAT, generator=g) for _ in range(draws)]
    Gs, Ds = _singles()
    G, D = _stacked(Gs, Ds)
    ens = training.Trainer(G, D, lambda n: None, cfg)
    _replay(ens, reals, zs)
    ens.run(steps, progress=False)
    for k in range(E):
        one = training.Trainer(Gs[k], Ds[k], lambda n: None, cfg)
        _replay(one, [x[k] for x in reals], [z[k] for z in zs])
        one.run(steps, progress=False)
        for ens_net, single, blank in ((G, Gs[k], models.MLPGenerator(LAT, 2, W, 2)),
                                       (D, Ds[k], models.MLPDiscriminator(2, W, 2))):
            back = ensemble.extract_member(ens_net, k, blank)
            for p_e, p_1 in zip(back.parameters(), single.parameters()):
                torch.testing.assert_close(p_e, p_1, rtol=1e-4, atol=2e-5)
        assert not torch.allclose(Gs[k].net[0].weight, _singles()[0][k].net[0].weight)  # it trained


def test_gradient_penalty_of_an_ensemble_is_the_mean_of_the_members_penalties():
    Gs, Ds = _singles(3)
    _, D = _stacked(Gs, Ds)
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(E, N, 2, generator=g), torch.randn(E, N, 2, generator=g)
    gp_ens = losses.gradient_penalty(D, real, fake, 10.0, torch.Generator().manual_seed(4), batch_dims=2)
    eps = torch.rand(E, N, 1, generator=torch.Generator().manual_seed(4))
    per = []
    for k in range(E):
        x = (eps[k] * real[k] + (1 - eps[k]) * fake[k]).requires_grad_(True)
        (grad,) = torch.autograd.grad(Ds[k](x).sum(), x)
        per.append(10.0 * ((grad.norm(dim=1) - 1) ** 2).mean())
    torch.testing.assert_close(gp_ens, torch.stack(per).mean(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch_dims"):
        losses.gradient_penalty(D, real, fake, 10.0, batch_dims=3)


def test_stacked_forward_equals_each_member():
    Gs, Ds = _singles(2)
    G, D = _stacked(Gs, Ds)
    z = torch.randn(E, N, LAT)
    out = G(z)
    assert out.shape == (E, N, 2) and D(out).shape == (E, N, 1)
    for k in range(E):
        torch.testing.assert_close(out[k], Gs[k](z[k]), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(D(out)[k], Ds[k](out[k]), rtol=1e-5, atol=1e-6)


def test_packed_and_minibatch_std_ensembles_keep_members_apart():
    torch.manual_seed(0)
    inner = models.MLPDiscriminator(4, W, 2, ensemble=E, minibatch_std=True)
    D = models.PackedDiscriminator(inner, pack=2)
    x = torch.randn(E, 2 * N, 2)
    out = D(x)
    assert out.shape == (E, N, 1)
    x2 = x.clone()
    x2[1] += 5.0  # changing member 1's inputs leaves the other members' scores alone
    out2 = D(x2)
    torch.testing.assert_close(out2[[0, 2]], out[[0, 2]])
    assert not torch.allclose(out2[1], out[1])
    mbs = models.MinibatchStd()
    y = mbs(torch.tensor([[0.0, 0.0], [2.0, 4.0]]))
    assert y.shape == (2, 3) and torch.allclose(y[:, 2], torch.full((2,), 1.5), atol=1e-4)  # stds 1 and 2
    with pytest.raises(ValueError, match="B >= 2"):
        mbs(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="minibatch_std"):
        models.MLPDiscriminator(2, W, 0, minibatch_std=True)


def test_ensemble_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"\(3, B, 2\)"):
        models.MLPGenerator(2, 2, W, 2, ensemble=3)(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="ensemble"):
        models.MLPGenerator(2, 2, W, 2, ensemble=0)
    with pytest.raises(ValueError, match="same size"):
        training.Trainer(models.MLPGenerator(2, 2, W, 2, ensemble=3), models.MLPDiscriminator(2, W, 2),
                         lambda n: torch.zeros(n, 2))
    with pytest.raises(ValueError, match="same linear layer"):
        ensemble.load_member(models.MLPGenerator(2, 2, W, 2, ensemble=3), 0, models.MLPGenerator(2, 2, W, 3))
    with pytest.raises(ValueError, match="members first"):
        ensemble.EnsembleLinear(3, 2, 4)(torch.zeros(2, 5, 2))
    with pytest.raises(ValueError, match="k must index"):
        ensemble.extract_member(models.MLPGenerator(2, 2, W, 2, ensemble=3), 3, models.MLPGenerator(2, 2, W, 2))


def test_per_member_sampler_and_latent_shapes():
    ring = gh.data.ring8()
    sample = ensemble.per_member(ring.sample, 4)
    x = sample(10, generator=torch.Generator().manual_seed(0))
    flat = ring.sample(40, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4, 10, 2) and torch.equal(x.reshape(40, 2), flat)
    z = training.latent(5, 3, torch.Generator().manual_seed(0), members=2)
    assert z.shape == (2, 5, 3)
    G = models.MLPGenerator(3, 2, W, 2, ensemble=2)
    assert training.sample(G, 7).shape == (2, 7, 2)


def test_ema_scale_learning_rates_and_skipped_grad_norms():
    torch.manual_seed(0)
    G, D = models.MLPGenerator(2, 2, W, 2), models.MLPDiscriminator(2, W, 2)
    cfg = training.TrainConfig.dcgan(batch_size=8, ema_decay=0.5, log_grad_norms=False, log_every=1)
    tr = training.Trainer(G, D, gh.data.ring8().sample, cfg, generator=torch.Generator().manual_seed(0))
    before = [p.clone() for p in tr.G_ema.parameters()]
    tr.step()
    for p_ema, p0, p in zip(tr.G_ema.parameters(), before, G.parameters()):
        torch.testing.assert_close(p_ema, 0.5 * p0 + 0.5 * p)  # one step of the average
    assert all(not p.requires_grad for p in tr.G_ema.parameters())
    assert math.isnan(tr.history.g_grad_norm[-1]) and math.isnan(tr.history.d_grad_norm[-1])
    tr.scale_learning_rates(0.1)
    assert all(math.isclose(g["lr"], 2e-5) for opt in (tr.opt_g, tr.opt_d) for g in opt.param_groups)
    with pytest.raises(ValueError, match="factor"):
        tr.scale_learning_rates(0)
    for bad in ({"ema_decay": 1.0}, {"unroll_steps": -1}, {"unroll_lr": 0.0},
                {"objective": "wgan-gp", "unroll_steps": 2}, {"log_grad_norms": "no"}):
        with pytest.raises(ValueError):
            training.TrainConfig(**bad)


def test_unrolled_step_leaves_d_alone_and_changes_g_differently():
    """The unrolled G step must not touch D's weights, and its gradient must differ from the plain one."""
    def g_after(unroll: int) -> torch.Tensor:
        torch.manual_seed(0)
        G, D = models.MLPGenerator(2, 2, W, 2), models.MLPDiscriminator(2, W, 2)
        cfg = training.TrainConfig.dcgan(batch_size=16, lr_g=1e-2, lr_d=1e-2, unroll_steps=unroll, unroll_lr=1.0)
        tr = training.Trainer(G, D, gh.data.ring8().sample, cfg, generator=torch.Generator().manual_seed(0))
        tr.G.requires_grad_(True)
        d_before = [p.clone() for p in D.parameters()]
        tr.step()
        return torch.cat([p.flatten() for p in G.parameters()]), d_before, D

    g0, _, _ = g_after(0)
    g3, _, _ = g_after(3)
    assert not torch.allclose(g0, g3)


def test_config_repr_shows_the_new_options_only_when_set():
    plain = repr(training.TrainConfig.dcgan())
    assert "unroll" not in plain and "ema_decay" not in plain and "log_grad_norms" not in plain
    custom = repr(training.TrainConfig.dcgan(unroll_steps=3, ema_decay=0.99, log_grad_norms=False))
    assert "unroll_steps=3" in custom and "ema_decay=0.99" in custom and "log_grad_norms=False" in custom
