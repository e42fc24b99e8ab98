"""Every exercise's checker rejects a solution that hands the work to gan_helpers (issue 12, item 1),
and still accepts the notebook's own solution, written without the package's reference."""
import functools
import math

import nbformat
import numpy as np
import pytest
import scipy.stats as stats
import torch
import torch.nn.functional as F
from scipy.special import xlogy

import gan_helpers as gh
from gan_helpers.checks import Result, run_check
from gan_helpers.checks.delegation import find_delegation, public_name
from gan_helpers.course import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08
from gan_helpers.homework import defined_names, solution_regions
from gan_helpers.utils import repo_root

# exercise: (checker, the notebook that has it, its function there, an expression that delegates on *a)
EXERCISES = {
    "gaussian_log_density": (nb01.check_gaussian_log_density, "01", "gaussian_log_density",
                             "gh.course.nb01._ref_gaussian_log_density(*a)"),
    "class_posterior": (nb01.check_class_posterior, "01", "class_posterior", "gh.course.nb01._ref_class_posterior(*a)"),
    "sample_generative": (nb01.check_sample_generative, "01", "sample_generative", None),
    "logistic_from_gaussians": (nb01.check_logistic_from_gaussians, "01", "logistic_from_gaussians",
                                "gh.course.nb01._ref_logistic_from_gaussians(*a)"),
    "square_neg_preimage": (nb02.check_square_neg_preimage, "02", "square_neg_preimage",
                            "gh.theory.square_neg_preimage(*a)"),
    "lognormal_pdf": (nb02.check_lognormal_pdf, "02", "lognormal_pdf", "gh.theory.lognormal_pdf(*a)"),
    "gaussian_interval_mass": (nb02.check_gaussian_interval_mass, "02", "gaussian_interval_mass",
                               "gh.theory.gaussian_interval_mass(*a)"),
    "exponential_generator": (nb02.check_exponential_generator, "02", "exponential_generator",
                              "gh.course.nb02._ref_exponential_generator(*a)"),
    "optimal_d_with_prior": (nb03.check_optimal_d_with_prior, "03", "optimal_d_with_prior",
                             "gh.course.nb03._ref_optimal_d_with_prior(*a)"),
    "d_loss (03)": (nb03.check_d_loss, "03", "d_loss", "gh.losses.d_loss_bce(*a)"),
    "best_value": (nb03.check_best_value, "03", "best_value", "gh.course.nb03._ref_best_value(*a)"),
    "lsgan_optimal_d": (nb03.check_lsgan_optimal_d, "03", "lsgan_optimal_d",
                        "gh.course.nb03._ref_lsgan_optimal_d(*a)"),
    "js_from_kl": (nb04.check_js_from_kl, "04", "js_from_kl", "gh.theory.js_divergence_discrete(*a)"),
    "gda_step": (nb04.check_gda_step, "04", "gda_step", "gh.theory.gda_step(*a)"),
    "extragradient_step": (nb04.check_extragradient_step, "04", "extragradient_step",
                           "gh.course.nb04._ref_extragradient_step(*a)"),
    "best_response": (nb04.check_best_response, "04", "best_response", "gh.course.nb04._ref_best_response(*a)"),
    "train_step": (nb05.check_train_step, "05", "train_step", "gh.course.nb05._ref_train_step(*a)"),
    "g_loss_non_saturating": (nb05.check_g_loss_non_saturating, "05", "g_loss_non_saturating",
                              "gh.losses.g_loss_non_saturating(*a)"),
    "slerp": (nb05.check_slerp, "05", "slerp", "gh.training.slerp(*a)"),
    "d_loss_smoothed": (nb05.check_d_loss_smoothed, "05", "d_loss_smoothed",
                        "gh.course.nb05._ref_d_loss_smoothed(*a)"),
    "critic_loss": (nb06.check_critic_loss, "06", "critic_loss", "gh.losses.critic_loss_wasserstein(*a)"),
    "gradient_penalty": (nb06.check_gradient_penalty, "06", "gradient_penalty", "gh.losses.gradient_penalty(*a)"),
    "clipped_critic_step": (nb06.check_clipped_critic_step, "06", "clipped_critic_step",
                            "gh.course.nb06._ref_clipped_critic_step(*a)"),
    "clipped_lipschitz_bound": (nb06.check_clipped_lipschitz_bound, "06", "clipped_lipschitz_bound",
                                "gh.course.nb06._ref_clipped_lipschitz_bound(*a)"),
    "mode_coverage": (nb07.check_mode_coverage, "07", "mode_coverage",
                      "(gh.metrics.modes_covered(*a), gh.metrics.high_quality_percent(*a))"),
    "reverse_kl": (nb07.check_reverse_kl, "07", "reverse_kl_uniform", "gh.metrics.reverse_kl(*a)"),
    "pack_samples": (nb07.check_pack_samples, "07", "pack", "gh.models.pack_samples(*a)"),
    "minibatch_stddev": (nb07.check_minibatch_stddev, "07", "minibatch_stddev", "gh.models.MinibatchStd()(*a)"),
    "power_iteration": (nb08.check_power_iteration, "08", "power_iteration",
                        "gh.course.nb08._ref_power_iteration(*a)"),
    "hinge_losses": (nb08.check_hinge_losses, "08", "hinge_losses", "gh.course.nb08._ref_hinge_losses(*a)"),
    "projection_logit": (nb08.check_projection_logit, "08", "projection_logit",
                         "gh.course.nb08._ref_projection_logit(*a)"),
}


def test_every_checker_is_listed():
    names = {f"{m.__name__[-4:]}.{n}" for m in (nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08)
             for n in dir(m) if n.startswith("check_") and getattr(m, n).__module__ == m.__name__}
    listed = {f"{c.__module__[-4:]}.{c.__name__}" for c, *_ in EXERCISES.values()}
    assert names == listed


def _namespace() -> dict:
    return {"gh": gh, "torch": torch, "np": np, "math": math, "stats": stats, "F": F, "xlogy": xlogy,
            "MVN": torch.distributions.MultivariateNormal, "__name__": "student_notebook"}


@functools.cache
def _solution_cell(number: str, fn_name: str) -> str:
    path = next((repo_root() / "notebooks").glob(f"{number}_*.ipynb"))
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and solution_regions(cell.source) and fn_name in defined_names(cell.source):
            return "\n".join(line for line in cell.source.split("\n") if "gh.course." not in line)
    raise LookupError(fn_name)


def _student(code: str, name: str):
    ns = _namespace()
    exec(compile(code, f"<student {name}>", "exec"), ns)
    return ns[name]


def _delegating_answers(call: str) -> dict:
    """The shapes a delegating answer takes: a wrapper, an alias, a helper, a lambda, a local import."""
    target = call.split("(")[-2].split(" ")[-1] if call.startswith("(") else call.split("(")[0]
    module, attr = target.rsplit(".", 1)
    dotted = "gan_helpers" + module[2:]
    return {
        "wrapper": f"def f(*a, **k):\n    return {call}",
        "alias": f"from {dotted} import {attr} as ref\ndef f(*a):\n    return {call.replace(target, 'ref')}",
        "helper": f"def helper(*a):\n    return {call}\ndef f(*a):\n    return helper(*a)",
        "lambda": f"f = lambda *a: {call}",
        "local import": f"def f(*a):\n    from {dotted} import {attr}\n    return {call.replace(target, attr)}",
        "getattr": f"import importlib\ndef f(*a):\n    m = importlib.import_module('{dotted}')\n"
                   f"    return {call.replace(target, f'getattr(m, {attr!r})')}",
        "default argument": f"def f(*a, _r={target}):\n    return {call.replace(target, '_r')}",
    }


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_notebook_solution_is_correct(exercise):
    check, number, fn_name, _ = EXERCISES[exercise]
    assert check(_student(_solution_cell(number, fn_name), fn_name)) is Result.CORRECT


@pytest.mark.parametrize("exercise", [e for e, v in EXERCISES.items() if v[3]])
def test_delegating_answers_are_wrong(exercise, capsys):
    check, _, _, call = EXERCISES[exercise]
    for shape, code in _delegating_answers(call).items():
        assert check(_student(code, "f")) is Result.WRONG, shape
        out = capsys.readouterr().out
        assert "write it yourself; calling gh." in out and "is not accepted" in out, (shape, out)
    target = call.split("(")[-2].split(" ")[-1] if call.startswith("(") else call.split("(")[0]
    module, attr = target.rsplit(".", 1)
    function = getattr(eval(module, {"gh": gh}), attr)
    assert check(function) is Result.WRONG  # the package's function itself, handed in
    assert f"calling {public_name(function)} is not accepted" in capsys.readouterr().out


def test_sampler_using_the_package_is_wrong(capsys):
    code = _solution_cell("01", "sample_generative").replace(
        "    y = torch.multinomial", "    gh.theory.gaussian_pdf(0.0, 1.0)\n    y = torch.multinomial")
    assert nb01.check_sample_generative(_student(code, "sample_generative")) is Result.WRONG
    assert "calling gh.theory.gaussian_pdf is not accepted" in capsys.readouterr().out


def test_message_names_the_reference(capsys):
    nb02.check_square_neg_preimage(_student(
        "def square_neg_preimage(*a, **k):\n    return gh.theory.square_neg_preimage(*a, **k)", "square_neg_preimage"))
    assert "write it yourself; calling gh.theory.square_neg_preimage is not accepted" in capsys.readouterr().out


def test_swallowed_tripwire_is_still_caught(capsys):
    code = ("import importlib\ndef f(r, x):\n    try:\n        return getattr(importlib.import_module("
            "'gan_helpers.losses'), 'd_loss_bce')(r, x)\n    except BaseException:\n"
            "        return F.softplus(-r).mean() + F.softplus(x).mean()")
    assert nb03.check_d_loss(_student(code, "f")) is Result.WRONG
    assert "calling gh.losses.d_loss_bce is not accepted" in capsys.readouterr().out


def test_wrapped_callables_are_looked_through():
    ref = gh.losses.d_loss_bce
    assert find_delegation(functools.partial(ref)) == "gh.losses.d_loss_bce"

    class Student:
        def __call__(self, r, f):
            return ref(r, f)

    assert find_delegation(Student()) == "gh.losses.d_loss_bce"
    assert find_delegation(Student().__call__) == "gh.losses.d_loss_bce"

    def outer():
        inner = ref
        return lambda r, f: inner(r, f)

    assert find_delegation(outer()) == "gh.losses.d_loss_bce"
    assert find_delegation(lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean()) is None


def test_allow_list_and_utils_are_accepted():
    def seeded_answer(x):
        with gh.utils.seeded(0):
            return (x ** 2).mean()

    def cases():
        return [(torch.arange(4.0),)]
    assert run_check("sq", seeded_answer, lambda x: (x ** 2).mean(), cases, "", verbose=False) is Result.CORRECT
    uses_kl = lambda p, q: gh.theory.kl_divergence_discrete(p, q)  # noqa: E731
    assert find_delegation(uses_kl) == "gh.theory.kl_divergence_discrete"
    assert find_delegation(uses_kl, allow=[gh.theory.kl_divergence_discrete]) is None
    assert find_delegation(lambda: gh) == "gh"


def test_delegation_leaves_the_package_intact():
    before = gh.losses.d_loss_bce
    nb03.check_d_loss(_student(_delegating_answers("gh.losses.d_loss_bce(*a)")["getattr"], "f"))
    assert gh.losses.d_loss_bce is before and gh.course.nb03.losses.d_loss_bce is before
