"""Sample-quality metrics: an MNIST classifier with Frechet distance (images) and mode metrics (2-D)."""
from __future__ import annotations

# --- image metrics (MNIST classifier, class histogram, confidence, Frechet distance) ---------

# --- 2-D mixture metrics (nearest mode, high quality, modes covered, reverse KL) -------------
