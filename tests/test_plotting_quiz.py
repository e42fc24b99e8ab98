import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import gan_helpers as gh


def test_grade_choice_single_and_multiple():
    expl = ["a", "b", "c"]
    assert gh.widgets.grade_choice({1}, {1}, expl).startswith("Correct!")
    assert gh.widgets.grade_choice({0}, {1}, expl).startswith("Not quite.")
    assert gh.widgets.grade_choice({0, 1}, {1, 2}, expl).startswith("Partly right.")
    assert gh.widgets.grade_choice(set(), {1}, expl) == "Pick an answer first."
    with pytest.raises(ValueError):
        gh.widgets.grade_choice({5}, {1}, expl)


def test_multiple_choice_widget_click_shows_feedback():
    quiz = gh.widgets.multiple_choice("Q?", ["x", "y"], {1}, ["no", "yes"])
    picker, button, out = quiz.children[1], quiz.children[2], quiz.children[3]
    picker.value = "y"
    button.click()
    assert "Correct!" in out.value
    with pytest.raises(ValueError):
        gh.widgets.multiple_choice("Q?", ["x", "y"], {2}, ["no", "yes"])
    with pytest.raises(ValueError):
        gh.widgets.multiple_choice("Q?", ["x", "y"], {1}, ["only one"])


def test_multiple_choice_checkboxes_for_several_answers():
    quiz = gh.widgets.multiple_choice("Q?", ["x", "y", "z"], {0, 2}, ["1", "2", "3"])
    boxes = quiz.children[1].children
    boxes[0].value = boxes[2].value = True
    quiz.children[2].click()
    assert "Correct!" in quiz.children[3].value


def test_plot_helpers_draw_on_given_axes():
    fig, axes = plt.subplots(1, 4)
    gh.plotting.show_images(torch.rand(6, 1, 28, 28) * 2 - 1, nrow=3, ax=axes[0], title="grid")
    mix = gh.data.bimodal_1d()
    gh.plotting.plot_density_1d(mix.sample(100), pdf=mix.pdf, ax=axes[1])
    ring = gh.data.ring8()
    gh.plotting.plot_samples_2d(ring.sample(50), centers=ring.centers, real=ring.sample(50), ax=axes[2])
    gh.plotting.plot_curves({"a": [1, 2, 3, 4]}, ax=axes[3], smooth=2)
    assert axes[0].get_title() == "grid" and len(axes[1].lines) == 1 and len(axes[3].lines) == 1
    with pytest.raises(ValueError):
        gh.plotting.show_images(torch.rand(28, 28))
    plt.close(fig)


def test_plot_preimage_shades_each_interval():
    ax = gh.plotting.plot_preimage([(-math.inf, -1.0), (1.0, 2.0)])
    assert len(ax.collections) == 2 and ax.get_xlabel() == "z"
    ax = gh.plotting.plot_preimage([(10.0, 11.0)])  # outside the view: nothing shaded
    assert len(ax.collections) == 0
    plt.close("all")


def test_plot_discriminator_1d_draws_curves():
    p, q = gh.theory.gaussian_pdf(0, 1), gh.theory.gaussian_pdf(2, 1)
    d_star = gh.theory.optimal_discriminator(p, q)
    ax = gh.plotting.plot_discriminator_1d(p, q, {"D*": d_star, "half": lambda x: 0.5 + 0 * x},
                                           xlim=(-3, 5), title="t")
    twin = [a for a in ax.figure.axes if a is not ax][0]
    xs = np.linspace(-3, 5, 801)
    assert np.allclose(twin.get_lines()[0].get_ydata(), 1 / (1 + np.exp(2 * xs - 2)))  # D* = sigmoid(2 - 2x)
    assert ax.get_title() == "t" and len(ax.get_legend().get_texts()) == 4
    plt.close("all")


def test_answer_key_is_hidden_and_validated():
    key = gh.widgets.Answer({1}, ["no: x is wrong", "yes: y is right"])
    assert repr(key) == "Answer(<hidden: 2 options>)" and "yes" not in str(key)
    quiz = gh.widgets.multiple_choice("Q?", ["x", "y"], answer=key)
    picker, button, out = quiz.children[1], quiz.children[2], quiz.children[3]
    picker.value = "x"
    button.click()
    assert "Not quite." in out.value and "no: x is wrong" in out.value
    with pytest.raises(ValueError, match="indices"):
        gh.widgets.Answer({2}, ["a", "b"])
    with pytest.raises(ValueError, match="non-empty string"):
        gh.widgets.Answer({0}, ["a", ""])
    with pytest.raises(ValueError, match="one explanation per option"):
        gh.widgets.multiple_choice("Q?", ["x", "y", "z"], answer=key)
    with pytest.raises(ValueError, match="not both"):
        gh.widgets.multiple_choice("Q?", ["x", "y"], {1}, answer=key)
    with pytest.raises(TypeError, match="Answer"):
        gh.widgets.multiple_choice("Q?", ["x", "y"], answer=({1}, ["a", "b"]))
    with pytest.raises(ValueError, match="needs its key"):
        gh.widgets.multiple_choice("Q?", ["x", "y"])
