"""Probability that a BG/NBD customer buys within a coming window.

Given alive at T, the posterior purchase rate is Gamma(r + x, alpha + T) (the alive branch
of the BG/NBD likelihood is proportional to lambda^x e^(-lambda T)). Drop-out happens
only right after a purchase, so an alive customer's first purchase in (T, T + w] cannot be
preceded by drop-out: P(at least one purchase in the window | alive, lambda) =
1 - exp(-lambda w). Averaging over the posterior rate::

    P(buy within w | x, t_x, T) = P(alive) * [1 - ((alpha+T)/(alpha+T+w))^(r+x)]

Unlike P(alive), which is 1 for every customer without a repeat purchase, this sees their
silence: the longer T without a purchase, the lower the posterior rate.
"""

from __future__ import annotations

import numpy as np

from clvkit.models._kernels.bgnbd import probability_alive

__all__ = ["probability_purchase_within"]


def probability_purchase_within(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: float
) -> np.ndarray:
    """P(at least one purchase in (T, T + w] | x, t_x, T), shape (n,)."""
    r, alpha = float(params[0]), float(params[1])
    log_none_if_alive = (r + x) * (np.log(alpha + T) - np.log(alpha + T + w))
    return np.asarray(probability_alive(params, x, t_x, T) * -np.expm1(log_none_if_alive))
