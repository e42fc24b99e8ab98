"""The checker machinery shared by every notebook's exercises (the checkers live in gh.course.nbNN).

A checker prints one line, "correct", "wrong" (with a hint that does not give the answer away) or
"not attempted yet", and returns a Result; it never raises. `expect` states a claim that a notebook
checks about a training run. Both are in core.py; notebook NN's checkers are gh.course.nbNN.check_*.
"""
from .core import CLAIMS_ENV, Result, expect, run_check

__all__ = ["CLAIMS_ENV", "Result", "expect", "run_check"]
