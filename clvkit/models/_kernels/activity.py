"""Probability that a BG/NBD customer buys within a coming window.

Two cases: a customer with a history (x, t_x, T), and a new customer over an age window.

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

from clvkit.models._kernels.bgnbd import probability_alive, probability_alive_new
from clvkit.models._kernels.hyp2f1 import hyp2f1

__all__ = ["probability_purchase_new", "probability_purchase_within"]


def probability_purchase_within(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: float,
    p_alive: np.ndarray | None = None,
) -> np.ndarray:
    """P(at least one purchase in (T, T + w] | x, t_x, T), shape (n,).

    ``p_alive`` may pass P(alive) when the caller has it already.
    """
    r, alpha = float(params[0]), float(params[1])
    log_none_if_alive = (r + x) * (np.log(alpha + T) - np.log(alpha + T + w))
    if p_alive is None:
        p_alive = probability_alive(params, x, t_x, T)
    return np.asarray(p_alive * -np.expm1(log_none_if_alive))


def probability_purchase_new(params: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """P(a customer acquired at 0 makes at least one repeat purchase in (t1, t2]).

    From the BG/NBD story (Fader, Hardie & Lee 2005, section 2): given a rate ``lambda``
    and a drop-out probability ``p``, the customer is alive at ``t1`` with probability
    ``exp(-lambda p t1)`` (drop-out only follows one of the Poisson(lambda t1) purchases),
    and an alive customer stays silent over the next ``t2 - t1`` with probability
    ``exp(-lambda (t2 - t1))``; a dead one is always silent. So::

        P(buy in (t1, t2] | lambda, p) = exp(-lambda p t1) - exp(-lambda (t2 - t1 + p t1))

    Averaging over lambda ~ Gamma(r, alpha) gives ``(alpha/(alpha+s))^r`` for
    ``E[exp(-lambda s)]``, then over p ~ Beta(a, b) Euler's integral and Pfaff's
    transformation give::

        P = A(t1) - (alpha/(alpha+t2))^r 2F1(r, b; a+b; t1/(alpha+t2)),
        A(t) = (alpha/(alpha+t))^r 2F1(r, b; a+b; t/(alpha+t))   (P(alive at t)),

    which is 0 when ``t2 = t1`` and ``1 - (alpha/(alpha+t2))^r`` when ``t1 = 0``.
    ``0 <= t1 <= t2`` in the model's time unit, any broadcastable shapes.
    """
    r, alpha, a, b = (float(v) for v in params)
    t1 = np.asarray(t1, dtype=np.float64)
    t2 = np.asarray(t2, dtype=np.float64)
    silent_after = np.exp(r * (np.log(alpha) - np.log(alpha + t2))) * hyp2f1(
        r, b, a + b, t1 / (alpha + t2)
    )
    return np.clip(probability_alive_new(params, t1) - silent_after, 0.0, 1.0)
