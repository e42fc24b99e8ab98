"""Widget callbacks and drawing functions of notebooks 02 and 04, called without a browser."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gan_helpers import plotting, widgets  # noqa: E402


def test_preimage_view_prints_the_exact_answer(capsys):
    widgets.preimage_view(-1.0, math.e**2, 2.0)
    out = capsys.readouterr().out
    assert "[-2, -1] ∪ [1, 2]" in out and "0.271810" in out
    widgets.preimage_view(0.5, 1.0, 2.0)          # the slides' a > 0 case: [0, 2], not empty
    assert "[0, 2]" in capsys.readouterr().out
    widgets.preimage_view(-1.0, -1.0, 2.0)
    assert "∅" in capsys.readouterr().out
    plt.close("all")


def test_plot_preimage_shades_each_interval():
    ax = plotting.plot_preimage([(-math.inf, -1.0), (1.0, 2.0)])
    assert len(ax.collections) == 2 and ax.get_xlabel() == "z"
    ax = plotting.plot_preimage([(10.0, 11.0)])  # outside the view: nothing shaded
    assert len(ax.collections) == 0
    plt.close("all")


def test_divergence_view(capsys):
    widgets.divergence_view("uniform", 3.0, 1.0)
    out = capsys.readouterr().out
    assert "JSD = 0.6931" in out and "KL(p||q) = inf" in out and "W1 = 3.00" in out
    widgets.divergence_view("gaussian", 1.0, 1.0)
    assert "KL(p||q) = 0.5000" in capsys.readouterr().out
    ax = plotting.plot_densities_1d({"a": lambda x: 0 * x + 0.1, "b": lambda x: 0 * x + 0.2}, xlim=(0, 1))
    assert len(ax.get_lines()) == 2
    plt.close("all")
