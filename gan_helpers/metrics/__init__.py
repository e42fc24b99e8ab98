"""Sample-quality metrics: images (MNIST classifier, its cache, Frechet distance) in images.py, point
clouds (exact W1, 2-D mode metrics) in points.py. Every public name is re-exported: gh.metrics.X."""
from .images import (
    CLASSIFIER_EPOCHS,
    CLASSIFIER_FILE,
    CLASSIFIER_SEED,
    CLASSIFIER_VERSION,
    MnistClassifier,
    class_histogram,
    classifier_features,
    confident_fraction,
    feature_statistics,
    frechet_classifier_distance,
    frechet_distance,
    get_classifier,
)
from .points import (
    HQ_N_STD,
    high_quality_mask,
    high_quality_percent,
    mode_histogram,
    mode_metrics,
    modes_covered,
    nearest_mode,
    reverse_kl,
    wasserstein1_points,
)

__all__ = ["CLASSIFIER_EPOCHS", "CLASSIFIER_FILE", "CLASSIFIER_SEED", "CLASSIFIER_VERSION", "HQ_N_STD",
           "MnistClassifier", "class_histogram", "classifier_features", "confident_fraction", "feature_statistics",
           "frechet_classifier_distance", "frechet_distance", "get_classifier", "high_quality_mask",
           "high_quality_percent", "mode_histogram", "mode_metrics", "modes_covered", "nearest_mode",
           "reverse_kl", "wasserstein1_points"]
