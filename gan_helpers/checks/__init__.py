"""Exercise checkers: run a student's function on seeded inputs and compare it with the reference.

Each checker prints one line, "correct", "wrong" (with a hint that does not give the answer away) or
"not attempted yet", and returns a Result; it never raises. `expect` states a claim that a notebook
checks about a training run. The framework is in core.py; the checkers are grouped by notebook.
"""
from .core import Result, expect, run_check
from .generative import (  # noqa: F401
    check_gaussian_log_density,
    check_class_posterior,
    check_sample_generative,
    check_square_neg_preimage,
    check_lognormal_pdf,
    check_gaussian_interval_mass,
)
from .objectives import (  # noqa: F401
    check_optimal_d_with_prior,
    check_d_loss,
    check_best_value,
    check_js_from_kl,
    check_non_saturating_grad,
    check_gda_step,
)
from .training import (  # noqa: F401
    check_g_loss_non_saturating,
    check_slerp,
    check_gradient_penalty,
    check_critic_loss,
    check_mode_coverage,
    check_reverse_kl,
    check_pack_samples,
)

__all__ = ["Result", "expect", "run_check", "check_gaussian_log_density", "check_class_posterior", "check_sample_generative", "check_square_neg_preimage", "check_lognormal_pdf", "check_gaussian_interval_mass", "check_optimal_d_with_prior", "check_d_loss", "check_best_value", "check_js_from_kl", "check_non_saturating_grad", "check_gda_step", "check_g_loss_non_saturating", "check_slerp", "check_gradient_penalty", "check_critic_loss", "check_mode_coverage", "check_reverse_kl", "check_pack_samples"]
