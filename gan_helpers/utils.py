"""Devices, seeding, threads, the CPU allocator, paths, small checks and the smoke-test switch."""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
SMOKE_ENV = "GAN_COURSE_SMOKE"
SEED_ENV = "GAN_COURSE_SEED"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(choice: str = "auto") -> torch.device:
    """Return a torch.device: "auto" picks cuda, then mps, then cpu; explicit choices are checked."""
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {choice!r}")
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but torch.cuda.is_available() is False; "
                         "use 'auto' or 'cpu'")
    if choice == "mps" and not _mps_available():
        raise ValueError("device 'mps' was requested but this machine has no usable MPS backend; "
                         "use 'auto' or 'cpu'")
    return torch.device(choice)


def seed_offset() -> int:
    """The course's seed offset: $GAN_COURSE_SEED (default 0), added to every seed a notebook uses."""
    raw = os.environ.get(SEED_ENV, "").strip()
    if raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be a non-negative integer (e.g. 0, 1, 7), got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{SEED_ENV} must be a non-negative integer (e.g. 0, 1, 7), got {raw!r}")
    return value


def course_seed(seed: int) -> int:
    """seed + seed_offset(): the seed a notebook actually uses (offset 0 gives the stored outputs)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed) + seed_offset()


def make_generator(seed: int, device: torch.device | str | None = None) -> torch.Generator:
    """A torch.Generator seeded with course_seed(seed), on device (default cpu), for a notebook's own noise."""
    return torch.Generator(device=device or "cpu").manual_seed(course_seed(seed))


def manual_seed(seed: int) -> int:
    """torch.manual_seed(course_seed(seed)) (e.g. before building a network); return the seed used."""
    used = course_seed(seed)
    torch.manual_seed(used)
    return used


@contextlib.contextmanager
def seeded(seed: int, devices: Sequence[int] = ()) -> Iterator[None]:
    """Inside the block torch's global RNG is seeded with seed (e.g. to build a network's initial
    weights); afterwards it is back where it was, so the caller's random stream does not move.

    devices: the CUDA devices whose RNG is forked too (default none: the CPU RNG only). The seed is
    used as given (no course offset): wrap it in course_seed() for a notebook's own seeds.
    """
    with torch.random.fork_rng(devices=list(devices)):
        torch.manual_seed(seed)
        yield


def numpy_rng(seed: int) -> np.random.Generator:
    """np.random.default_rng(course_seed(seed))."""
    return np.random.default_rng(course_seed(seed))


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch (all devices) with course_seed(seed); return a torch.Generator seeded so."""
    used = course_seed(seed)
    random.seed(used)
    np.random.seed(used % 2**32)
    torch.manual_seed(used)
    return torch.Generator().manual_seed(used)


def repo_root() -> Path:
    """Return the course repository root (the folder that holds gan_helpers/)."""
    return Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Return data/cache/ in the repository (or $GAN_CACHE_DIR), creating it if needed."""
    path = Path(os.environ.get("GAN_CACHE_DIR") or repo_root() / "data" / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def short_path(path: str | os.PathLike) -> str:
    """Return path relative to the repository root when possible, so outputs hold no home folders."""
    path = Path(path).resolve()
    try:
        return os.path.relpath(path, repo_root())
    except ValueError:  # another drive on Windows
        return path.name


def smoke_mode() -> bool:
    """True when $GAN_COURSE_SMOKE is set: notebooks run tiny budgets (for testing student builds)."""
    return os.environ.get(SMOKE_ENV, "").strip() not in ("", "0", "false", "False")


def budget(steps: int, smoke_steps: int = 2) -> int:
    """Return steps, or a tiny smoke_steps when smoke_mode() is on (results are then meaningless)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    return min(steps, smoke_steps) if smoke_mode() else steps


def count_parameters(module: torch.nn.Module) -> int:
    """Return the number of trainable parameters of a module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def usable_cpus() -> int:
    """The number of CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cpu_threads(device: torch.device, n: int = 1) -> int:
    """On the CPU use n torch threads, at most one per usable core (the course's small models run as
    fast on one, and far faster when other programs share the cores); on a GPU leave torch alone.
    Return the thread count."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if torch.device(device).type == "cpu":
        torch.set_num_threads(min(n, usable_cpus()))
    return torch.get_num_threads()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_MMAP_MAX = 32 << 20  # glibc's largest mmap threshold on 64-bit machines (32 MiB)
_kept_mb: int | None = None


def keep_freed_memory(mb: int = 64) -> bool:
    """Ask glibc's malloc to keep up to mb MiB of freed memory for reuse instead of handing it back.

    A CPU training step frees and re-allocates the same tens of MiB of activations. By default glibc
    returns much of it to the OS after every step and touches fresh pages the next, one page fault per
    4 KiB (about 7,000 per step of notebook 05's recipe, about 15 % of its time). This sets
    M_MMAP_THRESHOLD to 32 MiB (blocks below it come from the reusable heap) and M_TRIM_THRESHOLD to
    mb MiB. Process-wide and harmless to repeat. Return True where applied (Linux with glibc), False
    elsewhere (macOS, Windows, musl), where nothing changes.
    """
    global _kept_mb
    if not isinstance(mb, int) or isinstance(mb, bool) or mb < 1:
        raise ValueError(f"mb must be an int >= 1 (MiB), got {mb!r}")
    if _kept_mb is not None and _kept_mb >= mb:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt  # glibc (and uclibc) only
    except (OSError, AttributeError):
        return False
    # Order matters: fixing the trim threshold alone also freezes the (dynamic) mmap threshold at 128 KiB.
    if mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX) != 1 or mallopt(_M_TRIM_THRESHOLD, mb << 20) != 1:
        return False
    _kept_mb = mb
    return True


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[int]:
    """Run torch on n threads inside the block (None: leave the count alone), then restore the old count.

    The course's tiny networks run as fast on one thread, and far faster when other programs share
    the cores. Yields the thread count in use inside the block.
    """
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"n must be None or an int >= 1, got {n!r}")
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(old)


def check_probabilities(p, name: str = "weights", size: int | None = None, tol: float = 1e-6) -> np.ndarray:
    """Validate a probability vector (k,): finite, non-negative, summing to 1 within tol -> float64 array.

    size, when given, is the required length k. Raises ValueError naming `name` otherwise.
    """
    arr = np.asarray(p.detach().cpu() if isinstance(p, torch.Tensor) else p, dtype=np.float64)
    k = size if size is not None else (arr.shape[0] if arr.ndim == 1 else "k")
    if (arr.ndim != 1 or (size is not None and arr.shape != (size,)) or not np.isfinite(arr).all()
            or (arr < 0).any() or abs(float(arr.sum()) - 1.0) > tol):
        raise ValueError(f"{name} must be {k} non-negative numbers that sum to 1 (a probability vector), "
                         f"got {p!r}")
    return arr


def moving_average(values, width: int) -> np.ndarray:
    """Moving average of a 1-D sequence (n,) -> (n - width + 1,); the raw values when n < width."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    v = np.asarray(values, dtype=float)
    return np.convolve(v, np.ones(width) / width, mode="valid") if len(v) >= width else v
