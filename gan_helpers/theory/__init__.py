"""GAN theory in numbers: the non-invertible generator, 1-D divergences, D*, WGAN Example 1, costs, GDA.

Pure numpy/scipy, in three modules: preimages (unions of intervals, Toronto's G(z)), divergences
(1-D densities, KL, JSD, TV, W1, D*, V(G, D), discrete divergences, Example 1) and games (generator
costs against a fixed D, gradient descent-ascent). Every public name is re-exported here: gh.theory.X.
"""
from __future__ import annotations

from .divergences import (
    LOG2,
    LOG4,
    Density,
    OptimalDiscriminator,
    example1_distances,
    example1_samples,
    gan_value,
    gaussian_pdf,
    js_divergence,
    js_divergence_discrete,
    kl_divergence,
    kl_divergence_discrete,
    mixture_pdf,
    optimal_discriminator,
    shifted_pair,
    total_variation,
    uniform_pdf,
    wasserstein1,
)
from .games import (
    GENERATOR_COSTS,
    gda_step,
    gda_trajectory,
    generator_cost,
    generator_grad_logit,
    non_saturating_grad,
)
from .preimages import (
    Interval,
    format_intervals,
    gaussian_interval_mass,
    intersect_intervals,
    lognormal_pdf,
    normalize_intervals,
    square_neg_preimage,
    toronto_cdf,
    toronto_generator,
    toronto_preimage,
)

__all__ = [
    "GENERATOR_COSTS", "LOG2", "LOG4", "Density", "Interval", "OptimalDiscriminator", "example1_distances",
    "example1_samples", "format_intervals", "gan_value", "gaussian_interval_mass", "gaussian_pdf", "gda_step",
    "gda_trajectory", "generator_cost", "generator_grad_logit", "intersect_intervals", "js_divergence",
    "js_divergence_discrete", "kl_divergence", "kl_divergence_discrete", "lognormal_pdf", "mixture_pdf",
    "non_saturating_grad", "normalize_intervals", "optimal_discriminator", "shifted_pair", "square_neg_preimage",
    "total_variation", "toronto_cdf", "toronto_generator", "toronto_preimage", "uniform_pdf", "wasserstein1",
]
