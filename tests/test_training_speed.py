"""The speed choices of gh.training.Trainer: fused optimizers, channels_last on the CPU, reuse_fakes, the allocator."""
import subprocess
import sys

import pytest
import torch
from scipy.stats import wasserstein_distance

from gan_helpers import data, models, training
from gan_helpers.training import TrainConfig, Trainer


def _dcgan_trainer(seed=0, **cfg):
    torch.manual_seed(seed)
    G, D = models.DCGANGenerator(latent_dim=8, ngf=4), models.DCGANDiscriminator(ndf=4)
    images = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    gen = torch.Generator().manual_seed(seed)
    batcher = data.TensorBatcher(images, torch.Generator().manual_seed(seed))
    return Trainer(G, D, batcher, TrainConfig.dcgan(batch_size=8, **cfg), generator=gen)


@pytest.mark.skipif(not training._FUSED_CPU, reason="fused CPU optimizers need torch >= 2.4")
def test_cpu_trainer_uses_fused_adam_and_keeps_rmsprop():
    assert _dcgan_trainer().opt_g.param_groups[0]["fused"] is True
    G, D = models.MLPGenerator(), models.MLPDiscriminator()
    t = Trainer(G, D, data.bimodal_1d().sample, TrainConfig.wgan())
    assert isinstance(t.opt_d, torch.optim.RMSprop) and not t.opt_d.param_groups[0].get("fused")


def test_fused_adam_gives_the_same_updates_as_plain_adam():
    """Same seeds, 5 steps: fused and for-loop Adam end with the same weights (to float rounding)."""
    fast, plain = _dcgan_trainer(), _dcgan_trainer()
    cfg = plain.config
    plain.opt_g = torch.optim.Adam(plain.G.parameters(), lr=cfg.lr_g, betas=cfg.betas, foreach=False)
    plain.opt_d = torch.optim.Adam(plain.D.parameters(), lr=cfg.lr_d, betas=cfg.betas, foreach=False)
    for _ in range(5):
        fast.step()
        plain.step()
    for a, b in zip(list(fast.G.parameters()) + list(fast.D.parameters()),
                    list(plain.G.parameters()) + list(plain.D.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert not all(torch.equal(a, b) for a, b in zip(fast.G.parameters(), _dcgan_trainer().G.parameters()))


def test_cpu_trainer_puts_conv_weights_in_channels_last_without_changing_outputs():
    torch.manual_seed(0)
    G = models.DCGANGenerator(latent_dim=8, ngf=4)
    ref = models.DCGANGenerator(latent_dim=8, ngf=4)
    ref.load_state_dict(G.state_dict())
    Trainer(G, models.DCGANDiscriminator(ndf=4), lambda n: torch.zeros(n, 1, 28, 28))
    convs = [m.weight for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    assert not all(w.is_contiguous() for w in convs)  # really NHWC, not a no-op
    z = torch.randn(5, 8)
    out = training.sample(G, 5, z=z)
    torch.testing.assert_close(out, training.sample(ref, 5, z=z), rtol=1e-5, atol=1e-6)
    assert out.is_contiguous()  # one channel: NHWC and NCHW coincide, so callers may .view() freely
    mlp = models.MLPGenerator(2, 2, 16, 2)
    Trainer(mlp, models.MLPDiscriminator(2, 16, 2), data.ring8().sample)
    assert all(p.is_contiguous() for p in mlp.parameters())


def _count_forwards(trainer, steps):
    calls = []
    handle = trainer.G.register_forward_hook(lambda *args: calls.append(1))
    for _ in range(steps):
        trainer.step()
    handle.remove()
    return len(calls)


@pytest.mark.parametrize("n_critic, plain, reused", [(1, 2, 1), (3, 4, 3)])
def test_reuse_fakes_saves_one_generator_forward_per_iteration(n_critic, plain, reused):
    assert _count_forwards(_dcgan_trainer(n_critic=n_critic), 3) == 3 * plain
    assert _count_forwards(_dcgan_trainer(n_critic=n_critic, reuse_fakes=True), 3) == 3 * reused


def test_reuse_fakes_must_be_a_bool():
    with pytest.raises(ValueError):
        TrainConfig(reuse_fakes=1)


def test_reuse_fakes_runs_repeat_and_learn_the_1d_target():
    target = data.bimodal_1d()
    gen0 = torch.Generator().manual_seed(0)
    real = target.sample(4000, generator=gen0).ravel().numpy()
    finals = []
    for _ in range(2):
        torch.manual_seed(1)
        G, D = models.MLPGenerator(1, 1, 16, 2), models.MLPDiscriminator(1, 16, 2)
        gen = torch.Generator().manual_seed(0)
        z = training.latent(4000, 1, torch.Generator().manual_seed(2))
        before = wasserstein_distance(training.sample(G, 4000, z=z).ravel().numpy(), real)
        config = TrainConfig(batch_size=64, lr_g=1e-3, lr_d=1e-3, steps=400, reuse_fakes=True)
        training.train_gan(G, D, target.sample, config, progress=False, generator=gen)
        after = wasserstein_distance(training.sample(G, 4000, z=z).ravel().numpy(), real)
        assert before > 0.5 and after < 0.5 * before, (before, after)
        finals.append([p.detach().clone() for p in G.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*finals))


_SAME_NUMBERS_CHILD = r"""
import sys, torch
import gan_helpers as gh
import gan_helpers.training.trainer as trainer_module
if sys.argv[1] == "off":  # the same Trainer without the allocator setting
    trainer_module.keep_freed_memory = lambda *args, **kwargs: False
torch.set_num_threads(1)
gen = gh.utils.make_generator(0); torch.manual_seed(0)
images = torch.rand(512, 1, 28, 28, generator=gen) * 2 - 1
G, D = gh.models.dcgan_mnist()
trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), gh.training.TrainConfig.dcgan_mnist(),
                              generator=gen)
for _ in range(6):
    trainer.step()
torch.save([p.detach().clone() for p in list(G.parameters()) + list(D.parameters())], sys.argv[2])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux only")
def test_keep_freed_memory_changes_no_trained_number(tmp_path):
    """The allocator setting only changes where memory comes from: weights after 6 steps are bit-identical."""
    paths = {mode: tmp_path / f"{mode}.pt" for mode in ("on", "off")}
    for mode, path in paths.items():
        subprocess.run([sys.executable, "-c", _SAME_NUMBERS_CHILD, mode, str(path)], check=True)
    on, off = (torch.load(p) for p in paths.values())
    assert len(on) == len(off) > 0
    assert all(torch.equal(a, b) for a, b in zip(on, off))
