"""Ensembles: E independent small networks trained at once as one batched network.

Every weight gets a leading member dimension and a linear layer becomes one batched matrix product
(torch.baddbmm). Members never mix: member k's output depends only on member k's weights and
inputs. Adam and RMSProp update each number separately, so one optimizer over the stacked weights
is exactly one optimizer per member; the Trainer scales each loss by E, so every member gets the
gradient of its own mean loss. Inputs and outputs carry the member dimension first: (E, B, d).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn


class EnsembleLinear(nn.Module):
    """E independent linear layers: x (E, B, d_in) -> (E, B, d_out), as y_k = x_k W_k + b_k."""

    def __init__(self, members: int, d_in: int, d_out: int) -> None:
        super().__init__()
        for name, value in (("members", members), ("d_in", d_in), ("d_out", d_out)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.members, self.d_in, self.d_out = members, d_in, d_out
        self.weight = nn.Parameter(torch.empty(members, d_in, d_out))
        self.bias = nn.Parameter(torch.empty(members, 1, d_out))
        bound = 1 / math.sqrt(d_in)  # nn.Linear's default init, drawn for each member
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (E, B, d_in) -> (E, B, d_out)."""
        if x.ndim != 3 or x.shape[0] != self.members or x.shape[2] != self.d_in:
            raise ValueError(f"x must have shape ({self.members}, B, {self.d_in}) (members first), "
                             f"got {tuple(x.shape)}")
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        return f"members={self.members}, d_in={self.d_in}, d_out={self.d_out}"


def ensemble_size(module: nn.Module) -> int | None:
    """E for an ensemble network (attribute ensemble_size), None for a single network."""
    return getattr(module, "ensemble_size", None)


def _linear_pairs(ensemble: nn.Module, single: nn.Module) -> list[tuple[EnsembleLinear, nn.Linear]]:
    ens = [m for m in ensemble.modules() if isinstance(m, EnsembleLinear)]
    one = [m for m in single.modules() if isinstance(m, nn.Linear)]
    if len(ens) != len(one) or any((e.d_in, e.d_out) != (s.in_features, s.out_features)
                                   for e, s in zip(ens, one)):
        raise ValueError("the single network must have the ensemble's layers: the same linear layer "
                         "sizes in the same order (build both with the same arguments)")
    if any(not isinstance(m, (nn.Linear, nn.Sequential, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Identity))
           and type(m).__module__.startswith("torch.nn") for m in single.modules()):
        raise ValueError("only networks made of linear layers and elementwise activations can be stacked")
    return list(zip(ens, one))


def _check_member(ensemble: nn.Module, k: int) -> None:
    size = ensemble_size(ensemble)
    if size is None or not 0 <= k < size:
        raise ValueError(f"k must index a member of an ensemble (0..E-1), got k={k} for E={size}")


@torch.no_grad()
def load_member(ensemble: nn.Module, k: int, single: nn.Module) -> nn.Module:
    """Copy the weights of a single network into member k of an ensemble built the same way; return it."""
    _check_member(ensemble, k)
    for e, s in _linear_pairs(ensemble, single):
        e.weight[k].copy_(s.weight.T)
        e.bias[k, 0].copy_(s.bias)
    return ensemble


@torch.no_grad()
def extract_member(ensemble: nn.Module, k: int, single: nn.Module) -> nn.Module:
    """Copy member k of an ensemble into a single network built the same way (e.g. to save it); return it."""
    _check_member(ensemble, k)
    for e, s in _linear_pairs(ensemble, single):
        s.weight.copy_(e.weight[k].T)
        s.bias.copy_(e.bias[k, 0])
    return single


def per_member(sample: Callable[..., torch.Tensor] | Sequence[Callable[..., torch.Tensor]],
               members: int) -> Callable[..., torch.Tensor]:
    """Turn a sampler sample(n, generator=None) -> (n, d) into one that returns (members, n, d).

    Member k gets rows k*n .. (k+1)*n - 1 of one draw of members * n samples, so every member
    trains on its own independent batches. A list of `members` samplers gives member k its own
    data set (e.g. 5 members on the ring, 5 on the grid); runs of the same sampler are drawn at once.
    """
    if not isinstance(members, int) or isinstance(members, bool) or members < 1:
        raise ValueError(f"members must be a positive int, got {members!r}")
    samplers = list(sample) if isinstance(sample, (list, tuple)) else [sample] * members
    if len(samplers) != members or not all(callable(s) for s in samplers):
        raise ValueError(f"sample must be one sampler or a list of {members} samplers, got {sample!r}")
    groups: list[tuple[Callable[..., torch.Tensor], int]] = []
    for s in samplers:
        if groups and groups[-1][0] == s:
            groups[-1] = (s, groups[-1][1] + 1)
        else:
            groups.append((s, 1))

    def sample_members(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        x = torch.cat([s(count * n, generator=generator) for s, count in groups])
        return x.reshape(members, n, *x.shape[1:])

    return sample_members
