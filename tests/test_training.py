"""TrainConfig validation, exact repeatability, logging and a short 1-D run of gh.training."""
import math

import pytest
import torch
from scipy.stats import wasserstein_distance

from gan_helpers import data, losses, models, training
from gan_helpers.training import TrainConfig, Trainer


@pytest.mark.parametrize("bad", [
    dict(lr_g=-1e-4), dict(lr_d=0.0), dict(n_critic=0), dict(g_loss="nonsaturating"),
    dict(objective="least-squares"), dict(optimizer="adamw"), dict(batch_size=0), dict(log_every=0),
    dict(objective="wgan"),  # WGAN without a clip value
    dict(clip=-0.01), dict(gp_lambda=-1.0), dict(betas=(0.5, 1.0)),
])
def test_bad_configs_raise(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_presets_match_the_papers():
    d, w, gp = TrainConfig.dcgan(), TrainConfig.wgan(), TrainConfig.wgan_gp()
    assert (d.objective, d.optimizer, d.lr_g, d.lr_d, d.betas) == ("gan", "adam", 2e-4, 2e-4, (0.5, 0.999))
    assert (w.objective, w.optimizer, w.lr_d, w.clip, w.n_critic, w.batch_size) == (
        "wgan", "rmsprop", 5e-5, 0.01, 5, 64)
    assert (gp.objective, gp.gp_lambda, gp.n_critic, gp.lr_d, gp.betas) == (
        "wgan-gp", 10.0, 5, 1e-4, (0.0, 0.9))
    assert TrainConfig.dcgan(steps=7).steps == 7


def _toy(seed=0, **cfg):
    torch.manual_seed(seed)
    G = models.MLPGenerator(latent_dim=1, out_dim=1, hidden=16, depth=2)
    D = models.MLPDiscriminator(in_dim=1, hidden=16, depth=2)
    config = TrainConfig(**{"batch_size": 64, "lr_g": 1e-3, "lr_d": 1e-3, "log_every": 7, **cfg})
    return G, D, data.bimodal_1d(), config


@pytest.mark.parametrize("cfg", [dict(objective="gan", n_critic=2), dict(objective="wgan-gp", n_critic=2),
                                 dict(objective="wgan", clip=0.05, optimizer="rmsprop")])
def test_seeded_runs_repeat_exactly(cfg):
    runs = []
    for _ in range(2):
        G, D, target, config = _toy(**cfg)
        gen = torch.Generator().manual_seed(123)
        hist = training.train_gan(G, D, target.sample, TrainConfig(**{**config.__dict__, "steps": 20}),
                                  progress=False, generator=gen)
        runs.append((hist.as_dict(), [p.detach().clone() for p in G.parameters()]))
    (h1, p1), (h2, p2) = runs
    for key in h1:
        if key != "wall_time":
            assert h1[key] == pytest.approx(h2[key], nan_ok=True), key
    for a, b in zip(p1, p2):
        assert torch.equal(a, b)


def test_history_and_callback():
    G, D, target, config = _toy()
    calls = []
    trainer = Trainer(G, D, target.sample, config, generator=torch.Generator().manual_seed(0))
    hist = trainer.run(25, callback=lambda step, tr: calls.append((step, len(tr.history))),
                       callback_every=10, progress=False)
    assert hist.step == list(range(1, 26))
    assert all(len(v) == 25 for v in hist.as_dict().values())
    assert calls == [(10, 10), (20, 20)]  # the history is flushed before each callback
    assert all(0 < v < 1 for v in hist.d_real + hist.d_fake)
    assert all(math.isnan(v) for v in hist.w_estimate)
    assert all(v == 0 for v in hist.gp)
    assert hist.wall_time == sorted(hist.wall_time)
    trainer.step()  # steppable: one more generator iteration, flushed by hand
    trainer.flush()
    assert len(trainer.history) == 26


def test_wgan_objectives_log_what_applies():
    G, D, target, config = _toy(objective="wgan", clip=0.02, optimizer="rmsprop", n_critic=3)
    hist = training.train_gan(G, D, target.sample, TrainConfig(**{**config.__dict__, "steps": 5}),
                              progress=False)
    assert all(p.abs().max() <= 0.02 + 1e-7 for p in D.parameters())
    assert all(math.isnan(v) for v in hist.d_real) and not any(math.isnan(v) for v in hist.w_estimate)
    G, D, target, config = _toy(objective="wgan-gp", n_critic=2)
    hist = training.train_gan(G, D, target.sample, TrainConfig(**{**config.__dict__, "steps": 5}),
                              progress=False)
    assert all(v > 0 for v in hist.gp)
    # d_loss = critic loss + gp, and w_estimate = -(critic loss)
    for dl, w, gp in zip(hist.d_loss, hist.w_estimate, hist.gp):
        assert dl == pytest.approx(-w + gp, rel=1e-4, abs=1e-5)


def test_short_1d_run_moves_generator_toward_data():
    G, D, target, config = _toy(seed=1)
    gen = torch.Generator().manual_seed(0)
    real = target.sample(4000, generator=gen).ravel().numpy()

    def w1():
        return wasserstein_distance(training.sample(G, 4000, generator=gen).ravel().numpy(), real)

    before = w1()
    training.train_gan(G, D, target.sample, TrainConfig(**{**config.__dict__, "steps": 400}),
                       progress=False, generator=gen)
    after = w1()
    assert before > 0.5 and after < 0.5 * before, (before, after)


def test_latent_and_sample_helpers():
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    z = training.latent(6, 4, g1)
    assert z.shape == (6, 4) and torch.equal(z, training.latent(6, 4, g2))
    G = models.DCGANGenerator(latent_dim=4, ngf=4)
    G.train()
    x = training.sample(G, 3, generator=g1)
    assert x.shape == (3, 1, 28, 28) and x.device.type == "cpu" and G.training
    torch.testing.assert_close(training.sample(G, 2, z=z[:2]), training.sample(G, 2, z=z[:2]))
    with pytest.raises(ValueError):
        training.latent(0, 4)


def test_dcgan_step_runs_on_images():
    torch.manual_seed(0)
    G, D = models.DCGANGenerator(latent_dim=8, ngf=4), models.DCGANDiscriminator(ndf=4)
    images = torch.rand(40, 1, 28, 28) * 2 - 1
    batcher = data.TensorBatcher(images, torch.Generator().manual_seed(0))
    hist = training.train_gan(G, D, batcher, TrainConfig.dcgan(steps=3, batch_size=8), progress=False)
    assert len(hist) == 3 and all(math.isfinite(v) for v in hist.d_loss + hist.g_grad_norm)
    C = models.DCGANDiscriminator(ndf=4, critic=True)
    hist = training.train_gan(G, C, batcher, TrainConfig.wgan_gp(steps=2, batch_size=8), progress=False)
    assert len(hist) == 2 and all(v > 0 for v in hist.gp)


# --------------------------------------------------------------------------- the Trainer owns its state


def _ring_trainer(config):
    torch.manual_seed(0)
    G, D = models.MLPGenerator(2, 2, 16, 2), models.MLPDiscriminator(2, 16, 2)
    return Trainer(G, D, data.ring8().sample, config, generator=torch.Generator().manual_seed(0))


def test_set_config_switches_the_loss_keeping_networks_history_and_adam_state():
    tr = _ring_trainer(TrainConfig.dcgan(batch_size=16, log_every=2))
    tr.run(3, progress=False)
    G, p = tr.G, next(tr.G.parameters())
    tr.set_config(TrainConfig.dcgan(g_loss="minimax", batch_size=16, log_every=2, lr_g=5e-4))
    assert tr.G is G and tr.steps_done == 3 and len(tr.history) == 3
    assert tr.g_loss_fn is losses.g_loss_minimax
    assert int(tr.opt_g.state[p]["step"]) == 3 and tr.opt_g.param_groups[0]["lr"] == 5e-4  # same betas: kept
    tr.run(1, progress=False)
    assert tr.history.step == [1, 2, 3, 4]
    tr.set_config(TrainConfig.wgan_gp(batch_size=16))
    assert tr.use_gp and tr.opt_g.state == {} and tr.opt_d.param_groups[0]["betas"] == (0.0, 0.9)  # other betas
    with pytest.raises(TypeError):
        tr.set_config({"objective": "gan"})


def test_set_learning_rates_validates_and_keeps_state():
    tr = _ring_trainer(TrainConfig.dcgan(batch_size=16))
    tr.step()
    tr.set_learning_rates(lr_d=3e-3)
    assert (tr.config.lr_g, tr.config.lr_d) == (2e-4, 3e-3) and tr.opt_d.param_groups[0]["lr"] == 3e-3
    assert int(tr.opt_d.state[next(tr.D.parameters())]["step"]) == 1
    with pytest.raises(ValueError, match="learning rates must be > 0"):
        tr.set_learning_rates(lr_g=0.0)
    assert tr.config.lr_g == 2e-4


def test_logged_fields_are_the_history_fields():
    assert set(training.LOGGED_FIELDS) | {"step", "wall_time"} == set(training.History().as_dict())


def test_as_sampler_passes_the_generator_only_to_samplers_that_take_it():
    sample = data.ring8().sample
    assert training.as_sampler(sample) is sample
    plain = training.as_sampler(lambda n: torch.zeros(n, 2))
    assert plain(3, generator=torch.Generator()).shape == (3, 2)
    batcher = data.TensorBatcher(torch.arange(10.0)[:, None], torch.Generator().manual_seed(0))
    assert training.as_sampler(batcher) is batcher and batcher(4, generator=None).shape == (4, 1)


def test_critic_step_is_the_discriminator_half_of_the_trainer():
    """fit_critic and critic_step by hand give the same losses (one shared update)."""
    cfg = TrainConfig.wgan_gp(batch_size=32, lr_d=1e-3)
    torch.manual_seed(1)
    D1 = models.MLPDiscriminator(2, 16, 2)
    D2 = models.MLPDiscriminator(2, 16, 2)
    D2.load_state_dict(D1.state_dict())
    p, q = data.ring8().sample, data.grid25().sample
    got = training.fit_critic(D1, p, q, cfg, steps=4, generator=torch.Generator().manual_seed(2))
    g = torch.Generator().manual_seed(2)
    opt = training.OPTIMIZERS[cfg.optimizer](D2.parameters(), cfg.lr_d, cfg.betas)
    want = []
    for _ in range(4):
        real, fake = p(32, generator=g), q(32, generator=g)
        step = training.critic_step(D2, opt, losses.critic_loss_wasserstein, real, fake,
                                    gp_lambda=cfg.gp_lambda, generator=g)
        want.append(float((step.loss + step.gp).detach()))
    assert got == want
