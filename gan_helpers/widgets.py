"""Interactive pieces every notebook may use: self-check quizzes, and the live trainer's entry point.

Every callback is a plain function (e.g. grade_choice) that unit tests call without a browser. The
live 2-D trainer is gh.lab; gan_lab is re-exported here because notebooks open it as gh.widgets.gan_lab.
A widget callback that exists for one notebook lives in that notebook's module (gh.course.nbNN).
"""
from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W

__all__ = ["Answer", "gan_lab", "grade_choice", "multiple_choice"]


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


class Answer:
    """A quiz's answer key: the right option indices and one explanation per option.

    Notebooks keep their keys in their course module (gh.course.nbNN.QUIZ), so that a quiz cell's
    source, in the student build too, shows the question and options but not the answer. The repr
    hides the key, so that displaying QUIZ in a cell does not print it.
    """

    __slots__ = ("correct", "explanations")

    def __init__(self, correct: set[int] | Sequence[int], explanations: Sequence[str]) -> None:
        self.correct = frozenset(correct)
        self.explanations = tuple(explanations)
        if not self.correct or min(self.correct) < 0 or max(self.correct) >= len(self.explanations):
            raise ValueError(f"correct must be a non-empty set of indices in [0, {len(self.explanations)}), "
                             f"got {sorted(self.correct)}")
        if not all(isinstance(e, str) and e for e in self.explanations):
            raise ValueError("every explanation must be a non-empty string")

    def __repr__(self) -> str:
        return f"Answer(<hidden: {len(self.explanations)} options>)"


def multiple_choice(question: str, options: Sequence[str], correct: set[int] | Sequence[int] | None = None,
                    explanations: Sequence[str] | None = None, *, answer: Answer | None = None) -> W.VBox:
    """A quiz widget: radio buttons (one right answer) or checkboxes (several), then feedback.

    Give the key either as `answer` (an Answer kept outside the cell) or as `correct` + `explanations`.
    """
    if answer is not None:
        if correct is not None or explanations is not None:
            raise ValueError("give either answer= or correct= and explanations=, not both")
        if not isinstance(answer, Answer):
            raise TypeError(f"answer must be a gh.widgets.Answer, got {type(answer).__name__}")
        correct, explanations = answer.correct, answer.explanations
    if correct is None or explanations is None:
        raise ValueError("a quiz needs its key: answer=Answer(...), or correct= and explanations=")
    correct = set(correct)
    if len(options) != len(explanations):
        raise ValueError(f"need one explanation per option: {len(options)} options, "
                         f"{len(explanations)} explanations")
    if not correct or not correct <= set(range(len(options))):
        raise ValueError(f"correct must be a non-empty set of indices in [0, {len(options)})")
    if len(correct) == 1:
        picker = W.RadioButtons(options=list(options), value=None, layout=W.Layout(width="max-content"))
        def selected() -> set[int]:
            return set() if picker.value is None else {list(options).index(picker.value)}
        body = picker
    else:
        boxes = [W.Checkbox(description=o, value=False, indent=False,
                            layout=W.Layout(width="max-content")) for o in options]
        def selected() -> set[int]:
            return {i for i, b in enumerate(boxes) if b.value}
        body = W.VBox(boxes)
    button = W.Button(description="Check answer", button_style="info")
    out = W.HTML()

    def on_click(_: W.Button) -> None:
        text = grade_choice(selected(), correct, explanations)
        out.value = "<pre style='white-space: pre-wrap'>" + text + "</pre>"

    button.on_click(on_click)
    hint = " (select all that apply)" if len(correct) > 1 else ""
    return W.VBox([W.HTML(f"<b>{question}</b>{hint}"), body, button, out])


def gan_lab(target: str = "ring", loss: str = "non-saturating", steps_per_frame: int = 10, **lab_kwargs):
    """The live 2-D trainer widget (gh.lab.gan_lab): play, pause, step, reset, target, loss, learning
    rates and n_critic; display the returned gh.lab.LabWidget (e.g. as a cell's last line)."""
    from .lab import gan_lab as lab_widget  # deferred: the lab loads training, metrics and scipy

    return lab_widget(target, loss, steps_per_frame, **lab_kwargs)
