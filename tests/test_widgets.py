"""The live GAN trainer (GANLab state + gan_lab widget), driven headless; quiz grading."""
from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import gan_helpers as gh
from gan_helpers.lab import Frame, GANLab, LabCanvas, LabWidget, draw_frame, is_critic
from gan_helpers.widgets import gan_lab, grade_choice

SMALL = dict(hidden=32, n_show=64, n_metric=256, grid_size=16, batch_size=64)  # fast settings


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --------------------------------------------------------------------------- GANLab state


def test_bad_names_raise():
    with pytest.raises(ValueError, match="loss must be one of"):
        GANLab(loss="hinge")
    with pytest.raises(ValueError, match="target must be one of"):
        GANLab(target="spiral")
    lab = GANLab(**SMALL)
    with pytest.raises(ValueError, match="loss must be one of"):
        lab.set_loss("wgan")
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        lab.step(0)
    with pytest.raises(ValueError, match="learning rates must be > 0"):
        lab.set_lr(lr_g=0.0)
    with pytest.raises(ValueError, match="n_critic"):
        lab.set_n_critic(0)


def test_construction_leaves_global_rng_and_threads_alone():
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    lab = GANLab(**SMALL)
    lab.step(2)
    lab.frame()
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


def test_step_moves_samples_and_reset_restores():
    lab = GANLab("ring", **SMALL)
    f0 = lab.frame()
    assert f0["step"] == 0 and f0["fake"].shape == (64, 2) and f0["values"].shape == (16, 16)
    assert lab.step(3) == 3 and lab.steps == 3
    f1 = lab.frame()
    assert f1["step"] == 3 and len(lab.trainer.history) == 3
    assert np.abs(f1["fake"] - f0["fake"]).max() > 1e-4  # the generator moved its points
    np.testing.assert_array_equal(f1["real"], f0["real"])  # the real points stay
    lab.reset()
    f2 = lab.frame()
    assert f2["step"] == 0 and len(lab.trainer.history) == 0
    np.testing.assert_array_equal(f2["fake"], f0["fake"])
    np.testing.assert_array_equal(f2["values"], f0["values"])


def test_n_critic_d_steps_per_g_step():
    lab = GANLab("two moons", n_critic=3, **SMALL)
    lab.step(2)
    d_param = next(lab.trainer.D.parameters())
    g_param = next(lab.trainer.G.parameters())
    assert int(lab.trainer.opt_d.state[d_param]["step"]) == 6
    assert int(lab.trainer.opt_g.state[g_param]["step"]) == 2


def test_set_loss_keeps_networks_step_count_and_adam_state():
    lab = GANLab("ring", "non-saturating", **SMALL)
    lab.step(4)
    before = lab.frame()
    G = lab.trainer.G
    lab.set_loss("minimax")
    assert lab.loss == "minimax" and lab.trainer.g_loss_fn is gh.losses.g_loss_minimax
    assert lab.trainer.G is G and lab.steps == 4 and len(lab.trainer.history) == 4
    p = next(G.parameters())
    assert int(lab.trainer.opt_g.state[p]["step"]) == 4  # same betas: Adam moments carried over
    after = lab.frame()
    np.testing.assert_array_equal(after["fake"], before["fake"])  # switching alone moves nothing
    lab.step(1)
    lab.trainer.flush()
    assert lab.steps == 5 and lab.trainer.history.step[-1] == 5

    lab.set_loss("wgan-gp")
    assert lab.trainer.config.objective == "wgan-gp" and lab.trainer.config.betas == (0.0, 0.9)
    assert lab.trainer.g_loss_fn is gh.losses.g_loss_wasserstein
    assert lab.trainer.opt_g.state == {}  # other betas: a fresh Adam
    f = lab.frame()
    assert f["value_label"] == "critic f(x)" and f["loss"] == "wgan-gp"


def test_set_lr_and_n_critic_reach_the_trainer():
    lab = GANLab(**SMALL)
    lab.set_lr(lr_g=3e-4, lr_d=2e-3)
    assert lab.trainer.config.lr_g == 3e-4 and lab.trainer.config.lr_d == 2e-3
    assert lab.trainer.opt_g.param_groups[0]["lr"] == 3e-4
    assert lab.trainer.opt_d.param_groups[0]["lr"] == 2e-3
    lab.set_n_critic(4)
    assert lab.trainer.config.n_critic == 4 and lab.n_critic == 4
    lab.set_loss("minimax")  # settings survive a loss switch
    assert lab.trainer.config.n_critic == 4 and lab.trainer.opt_g.param_groups[0]["lr"] == 3e-4


def test_heat_map_orientation_and_values():
    for loss in ("non-saturating", "wgan-gp"):
        lab = GANLab("grid", loss, **SMALL)
        f = lab.frame()
        ax = f["axis"]
        assert ax[0] == -f["lim"] and ax[-1] == f["lim"]
        i, j = 3, 11  # values[i, j] is at (x1 = axis[j], x2 = axis[i])
        with torch.no_grad():
            out = lab.trainer.D(torch.tensor([[ax[j], ax[i]]], dtype=torch.float32)).item()
        want = 1 / (1 + np.exp(-out)) if loss != "wgan-gp" else out
        assert f["values"][i, j] == pytest.approx(want, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating", "wgan-gp"])
def test_arrows_are_minus_the_per_sample_gradient(loss):
    """Arrow i = -d loss_i / d x_i, from the closed forms in terms of grad_x of D's logit / score."""
    lab = GANLab("ring", loss, **SMALL)
    lab.step(2)
    f = lab.frame()
    D = lab.trainer.D
    for i in (0, 17, 63):
        x = torch.tensor(f["fake"][i:i + 1], requires_grad=True)
        out = D(x)
        (g_out,) = torch.autograd.grad(out.sum(), x)
        s = torch.sigmoid(out).item()
        # minimax: d/dx log(1 - sigmoid(l)) = -sigmoid(l) l';  non-saturating: d/dx softplus(-l) = -(1 - sigmoid(l)) l'
        factor = {"minimax": s, "non-saturating": 1 - s, "wgan-gp": 1.0}[loss]
        np.testing.assert_allclose(f["arrows"][i], factor * g_out[0].numpy(), rtol=1e-4, atol=1e-7)
    # Moving a point a little along its arrow lowers its own loss.
    x = torch.tensor(f["fake"][:8])
    per_sample = {"minimax": lambda l: -F.softplus(l), "non-saturating": lambda l: F.softplus(-l),
                  "wgan-gp": lambda l: -l}[loss]
    with torch.no_grad():
        a = torch.tensor(f["arrows"][:8])
        step = 1e-3 / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
        assert (per_sample(D(x + step * a)) < per_sample(D(x))).all()


def test_metrics_match_gh_metrics_and_are_logged():
    lab = GANLab("ring", **SMALL)
    lab.step(2)
    f = lab.frame()
    want = gh.metrics.mode_metrics(gh.training.sample(lab.trainer.G, 256, z=lab.z), gh.data.ring8())
    assert f["metrics"] == want and f["n_modes"] == 8
    lab.frame()  # same step: logged once
    lab.step(1)
    lab.frame()
    assert [s for s, _ in lab.metrics_log] == [2, 3]
    moons = GANLab("two moons", **SMALL).frame()
    assert moons["metrics"] is None and moons["n_modes"] is None


def test_training_pulls_the_samples_onto_the_ring():
    """Mean |radius - 1| of the generated points: 0.69 at the start, about 0.26 (0.22-0.32) at
    steps 100-250 with seed 0; GAN training oscillates, so average a few checkpoints."""
    lab = GANLab("ring", "non-saturating", seed=0)

    def radius_error() -> float:
        return float(np.abs(np.linalg.norm(lab.frame()["fake"], axis=1) - 1.0).mean())

    start = radius_error()
    later = []
    for _ in range(5):
        lab.step(50)
        later.append(radius_error())
    assert start > 0.5 and np.mean(later[1:]) < 0.6 * start, (start, later)


# --------------------------------------------------------------------------- drawing


def test_blitted_frames_match_a_full_redraw():
    lab = GANLab("ring", "wgan-gp", **SMALL)
    canvas = LabCanvas()
    first = canvas.render(lab.frame())
    assert first.startswith(b"\x89PNG")
    lab.step(3)
    f = lab.frame()
    updated = canvas.render(f)  # blitted: only the moving artists redrawn
    fresh = LabCanvas().render(f)  # everything drawn from scratch
    assert not np.array_equal(png_pixels(first), png_pixels(updated))
    np.testing.assert_array_equal(png_pixels(updated), png_pixels(fresh))


def test_draw_frame_on_a_given_axis():
    lab = GANLab("grid", "wgan-gp", **SMALL)
    lab.step(1)
    fig, ax = plt.subplots()
    art = draw_frame(lab.frame(), ax=ax)
    assert art.ax is ax
    shown = art.image.get_array()
    assert shown.min() == pytest.approx(-1.0) and shown.max() == pytest.approx(1.0)  # critic rescaled
    assert "step 1" in ax.get_title() and "modes" in art.text.get_text()
    plt.close(fig)


# --------------------------------------------------------------------------- the widget, headless


def test_widget_step_play_reset_and_controls():
    box = gan_lab("ring", "non-saturating", steps_per_frame=3, **SMALL)
    c, lab = box.controls, box.lab
    assert isinstance(box, LabWidget) and "application/vnd.jupyter.widget-view+json" in box._repr_mimebundle_()
    start_image = bytes(c["image"].value)
    assert start_image.startswith(b"\x89PNG") and "step 0" in c["status"].value

    c["step"].click()
    assert lab.steps == 3 and "step 3" in c["status"].value and bytes(c["image"].value) != start_image

    c["play"].value = 1  # what the Play widget sends on each tick
    c["play"].value = 2
    assert lab.steps == 9 and c["play"].interval >= 50
    c["play"].value = 0  # the stop button rewinds: no training
    assert lab.steps == 9

    c["steps_per_frame"].value = 1
    c["loss"].value = "wgan-gp"
    assert lab.loss == "wgan-gp" and c["n_critic"].value == 5 and lab.trainer.config.n_critic == 5
    c["n_critic"].value = 2
    assert lab.trainer.config.n_critic == 2
    c["lr_g"].value = 1e-4
    assert lab.trainer.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    c["step"].click()
    assert lab.steps == 10 and "wgan-gp" in lab.frame()["loss"]

    c["loss"].value = "non-saturating"
    c["play"].playing = True
    c["reset"].click()
    assert lab.steps == 0 and c["play"].playing is False
    assert np.array_equal(png_pixels(bytes(c["image"].value)), png_pixels(start_image))  # same seed, same picture

    c["target"].value = "two moons"
    assert lab.target == "two moons" and lab.steps == 0 and lab.frame()["metrics"] is None


def test_widget_reports_callback_errors_instead_of_raising(monkeypatch):
    box = gan_lab("ring", steps_per_frame=1, **SMALL)
    c = box.controls

    def broken(n: int = 1) -> int:
        raise RuntimeError("diverged")

    monkeypatch.setattr(box.lab, "step", broken)
    c["play"].playing = True
    c["step"].click()
    assert "RuntimeError: diverged" in c["status"].value and c["play"].playing is False


# --------------------------------------------------------------------------- quiz grading


def test_grade_choice_lists_each_relevant_option_once():
    expl = ["too small", "right", "also right", "unrelated"]
    text = grade_choice([2, 0], {1, 2}, expl)
    lines = text.split("\n")
    assert lines[0] == "Partly right."
    assert lines[1:] == ["✗ option 1: too small", "✓ option 2: right", "✓ option 3: also right"]
    assert grade_choice((1, 2), [2, 1], expl).startswith("Correct!")
    with pytest.raises(ValueError, match="out of range"):
        grade_choice({0}, {4}, expl)


def test_frame_is_a_typed_record():
    f = GANLab("ring", "wgan-gp", **SMALL).frame()
    assert isinstance(f, Frame) and f["fake"] is f.fake and f.critic and f.value_label == "critic f(x)"
    assert f.layout_key == ("ring", 64, True, id(f.real)) and is_critic("wgan-gp") and not is_critic("minimax")
