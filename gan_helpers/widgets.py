"""Interactive pieces: self-check quizzes (and, later, live training widgets).

Every callback is a plain function (e.g. grade_choice) that unit tests call without a browser.
"""
from __future__ import annotations

from typing import Sequence

import ipywidgets as W


def grade_choice(selected: set[int] | Sequence[int], correct: set[int] | Sequence[int],
                 explanations: Sequence[str]) -> str:
    """Return feedback text for selected option indices against the set of correct ones."""
    selected, correct = set(selected), set(correct)
    if not selected:
        return "Pick an answer first."
    bad = [i for i in selected | correct if not 0 <= i < len(explanations)]
    if bad:
        raise ValueError(f"option indices {bad} out of range for {len(explanations)} options")
    verdict = "Correct!" if selected == correct else (
        "Partly right." if selected & correct else "Not quite.")
    lines = [verdict]
    for i in sorted(selected | correct):
        mark = "✓" if i in correct else "✗"
        lines.append(f"{mark} option {i + 1}: {explanations[i]}")
    return "\n".join(lines)


def multiple_choice(question: str, options: Sequence[str], correct: set[int] | Sequence[int],
                    explanations: Sequence[str]) -> W.VBox:
    """A quiz widget: radio buttons (one right answer) or checkboxes (several), then feedback."""
    correct = set(correct)
    if len(options) != len(explanations):
        raise ValueError(f"need one explanation per option: {len(options)} options, "
                         f"{len(explanations)} explanations")
    if not correct or not correct <= set(range(len(options))):
        raise ValueError(f"correct must be a non-empty set of indices in [0, {len(options)})")
    if len(correct) == 1:
        picker = W.RadioButtons(options=list(options), value=None, layout=W.Layout(width="max-content"))
        selected = lambda: set() if picker.value is None else {list(options).index(picker.value)}  # noqa: E731
        body = picker
    else:
        boxes = [W.Checkbox(description=o, value=False, indent=False,
                            layout=W.Layout(width="max-content")) for o in options]
        selected = lambda: {i for i, b in enumerate(boxes) if b.value}  # noqa: E731
        body = W.VBox(boxes)
    button = W.Button(description="Check answer", button_style="info")
    out = W.HTML()

    def on_click(_: W.Button) -> None:
        text = grade_choice(selected(), correct, explanations)
        out.value = "<pre style='white-space: pre-wrap'>" + text + "</pre>"

    button.on_click(on_click)
    hint = " (select all that apply)" if len(correct) > 1 else ""
    return W.VBox([W.HTML(f"<b>{question}</b>{hint}"), body, button, out])


def preimage_view(x1: float, x2: float, x3: float) -> None:
    """Notebook 02 widget callback: print Z(x) and CDF(x) of G(z) = [-z^2, exp(-z), z]; shade Z(x) on z."""
    import matplotlib.pyplot as plt

    from . import plotting, theory

    summary = theory.preimage_summary(x1, x2, x3)
    print(summary)
    plotting.plot_preimage(theory.toronto_preimage([x1, x2, x3]), ax=plt.subplots(figsize=(7, 3))[1],
                           title=summary.split("   ", 1)[1])
    plt.show()


def divergence_view(family: str, shift: float, sigma: float = 1.0) -> None:
    """Notebook 04 widget callback: p = base density, q = p shifted; print KL, JSD, TV, W1 and draw p, q."""
    import matplotlib.pyplot as plt

    from . import plotting, theory

    table = theory.divergence_table(family, shift, sigma)
    print("   ".join(f"{k} = {v:.4f}" for k, v in table.items()) + f"   (log 2 = {theory.LOG2:.4f})")
    p, q = theory.shifted_pair(family, shift, sigma)
    lo, hi = min(0.0, shift) - 4 * sigma, max(0.0, shift) + 4 * sigma
    plotting.plot_densities_1d({f"p = {p.name}": p, f"q = {q.name}": q}, xlim=(lo, hi),
                               ax=plt.subplots(figsize=(7, 3))[1],
                               title=f"JSD = {table['JSD']:.3f} (max log 2),  W1 = {table['W1']:.3f}")
    plt.show()


def _data_density_03(data: str):
    """Notebook 03's data densities: 'gaussian' = N(0, 1), 'bimodal' = modes at -1 and +1, std 0.2."""
    from . import theory

    if data == "gaussian":
        return theory.gaussian_pdf(0.0, 1.0)
    if data == "bimodal":
        return theory.mixture_pdf([-1.0, 1.0], 0.2, name="bimodal")
    raise ValueError(f"data must be 'gaussian' or 'bimodal', got {data!r}")


def optimal_discriminator_summary(mu_g: float, sigma_g: float, data: str = "gaussian") -> dict[str, float]:
    """Notebook 03: p_g = N(mu_g, sigma_g^2) against p_data ('gaussian' or 'bimodal'): JSD, V(G, D*), TV."""
    from . import theory

    if not sigma_g > 0:
        raise ValueError(f"sigma_g must be positive, got {sigma_g}")
    p_data, p_g = _data_density_03(data), theory.gaussian_pdf(mu_g, sigma_g)
    lo, hi = min(-8.0, mu_g - 12 * sigma_g), max(8.0, mu_g + 12 * sigma_g)
    d_star = theory.optimal_discriminator(p_data, p_g)
    return {"JSD": max(0.0, theory.js_divergence(p_data, p_g, lo, hi)),   # >= 0; no "-0.0000" from rounding
            "V(G, D*)": theory.gan_value(p_data, p_g, d_star, lo, hi),
            "TV": max(0.0, theory.total_variation(p_data, p_g, lo, hi))}


def optimal_discriminator_view(mu_g: float, sigma_g: float, data: str = "gaussian") -> None:
    """Notebook 03 widget callback: draw p_data, p_g = N(mu_g, sigma_g^2) and D*; print JSD, V(G, D*), TV."""
    import matplotlib.pyplot as plt

    from . import plotting, theory

    p_data, p_g = _data_density_03(data), theory.gaussian_pdf(mu_g, sigma_g)
    numbers = optimal_discriminator_summary(mu_g, sigma_g, data)
    print("   ".join(f"{k} = {v:.4f}" for k, v in numbers.items())
          + f"   (D* = 1/2 everywhere iff JSD = 0; V(G, D*) >= -log 4 = {-theory.LOG4:.4f})")
    plotting.plot_discriminator_1d(p_data, p_g, {"$D^*(x)$": theory.optimal_discriminator(p_data, p_g)},
                                   xlim=(-5.0, 5.0), ax=plt.subplots(figsize=(7, 3.2))[1],
                                   title=f"p_g = N({mu_g:.2f}, {sigma_g:.2f}^2) against the {data} data")
    plt.show()


# The live 2-D trainer lives in gan_helpers/lab.py; it is part of the widgets' public face.
from .lab import LAB_LOSSES, LAB_TARGETS, GANLab, LabCanvas, gan_lab, lab_status  # noqa: E402,F401
