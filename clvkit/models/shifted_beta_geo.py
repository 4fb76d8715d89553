"""The shifted-beta-geometric (sBG) model of contract duration (Fader & Hardie 2007)."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from clvkit.models._kernels import sbg
from clvkit.models.contractual import ContractualModel

__all__ = ["ShiftedBetaGeo"]


class ShiftedBetaGeo(ContractualModel):
    """sBG: each customer renews with their own probability, Beta-distributed across them.

    Fader & Hardie (2007), "How to project customer retention": at the end of every period
    an active customer leaves with probability ``theta``, constant for that customer, and
    ``theta`` is Beta(gamma, delta) across customers. The model explains why retention
    rates rise with tenure (the heterogeneity sorts itself out) and projects a cohort's
    survival from a few observed periods. Fader & Hardie (2010) give the discounted
    expected residual lifetime (:meth:`derl`) on which subscriber value rests.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on ``(gamma, delta)`` added to the mean negative log-likelihood.
    initial_params : mapping, optional
        Starting values ``{"gamma": ..., "delta": ...}``; by default from the first two
        observed retention rates.
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Attributes
    ----------
    params_ : Series
        ``gamma``, ``delta``: the Beta distribution of the churn probability (mean
        ``gamma / (gamma + delta)``, the first period's churn rate).
    log_likelihood_ : float
    n_customers_ : float
        Customers fitted on (the cohort sizes summed, or the weights).
    time_unit_ : str or None
        The period: ``"M"`` for monthly renewals, ``"Y"`` for yearly, ...
    diagnostics_ : FitDiagnostics

    Examples
    --------
    Fader & Hardie's "regular" and "high end" cohorts, survivors out of 1,000 at the start
    of years 0 to 7:

    >>> import clvkit as ck
    >>> regular = ck.ShiftedBetaGeo().fit_survival(
    ...     [1000, 631, 468, 382, 326, 289, 262, 241], time_unit="Y")
    >>> regular.params_.round(3).tolist(), round(regular.log_likelihood_, 1)
    ([0.704, 1.182], -1680.3)
    >>> high_end = ck.ShiftedBetaGeo().fit_survival(
    ...     [1000, 869, 743, 653, 593, 551, 517, 491], time_unit="Y")
    >>> high_end.params_.round(3).tolist(), round(high_end.log_likelihood_, 1)
    ([0.668, 3.806], -1611.2)
    >>> round(high_end.retention_rate(8), 3)
    0.942
    """

    param_names = ("gamma", "delta")
    kernel: ClassVar[ModuleType] = sbg
    display_name: ClassVar[str] = "sBG"
