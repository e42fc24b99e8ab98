import matplotlib.pyplot as plt
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
