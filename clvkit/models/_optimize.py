"""The fitting driver shared by every model: penalised maximum likelihood on log-parameters.

A model hands over a function returning the total log-likelihood with its analytic gradient
and Hessian in the natural parameters. The driver maximises on ``theta = log(params)`` so
positivity is automatic, with scipy's exact trust-region Newton method (quadratic
convergence from a reasonable start, robust where the surface is not concave), falls back
to BFGS if that fails, and reports diagnostics instead of printing.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from clvkit.errors import ConvergenceWarning

__all__ = ["FitDiagnostics", "FitResult", "LoglikFn", "complete_hessian", "maximize"]

#: ``f(params, order) -> (loglik, gradient, hessian)`` in the natural parameters; a kernel
#: without an analytic Hessian returns ``None`` for it (see :func:`complete_hessian`).
LoglikFn = Callable[[np.ndarray, int], tuple[float, np.ndarray, np.ndarray | None]]

_ACCEPT = 1e-7  # a gradient norm (mean objective, log scale) accepted as converged
_FD_STEP = 1e-5  # relative step of the gradient differences that stand in for a Hessian
_LOG_BOUND = 30.0  # |log parameter| beyond this is treated as divergence (e^30 ~ 1e13)
_RUNAWAY_LOG = 15.0  # a final |log parameter| above this (e^15 ~ 3e6) is a boundary solution


@dataclass(frozen=True)
class FitDiagnostics:
    """How a fit went.

    Attributes
    ----------
    converged : bool
        Whether the gradient norm met the tolerance.
    n_iter : int
        Optimiser iterations, over every method tried.
    grad_norm : float
        Max-norm of the gradient of the mean objective on the log-parameter scale.
    hessian_positive_definite : bool
        Whether the observed information matrix is positive definite (a strict local
        maximum; standard errors are meaningful).
    method : str
        The optimiser that produced the result.
    n_distinct_rows : int
        Rows left after compressing identical customers.

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> diagnostics = ck.BetaGeo().fit(rfm).diagnostics_
    >>> diagnostics.converged, diagnostics.method, diagnostics.hessian_positive_definite
    (True, 'newton', True)
    """

    converged: bool
    n_iter: int
    grad_norm: float
    hessian_positive_definite: bool
    method: str
    n_distinct_rows: int

    def to_dict(self) -> dict[str, Any]:
        """The diagnostics as a plain dict (as written to model files).

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
        >>> sorted(ck.BetaGeo().fit(rfm).diagnostics_.to_dict())
        ['converged', 'grad_norm', 'hessian_positive_definite', 'method', 'n_distinct_rows',
         'n_iter']
        """
        return asdict(self)


@dataclass(frozen=True)
class FitResult:
    """What the driver found and how it got there.

    Attributes
    ----------
    params : (k,) array
        The maximiser, natural scale.
    log_likelihood : float
        Total weighted log-likelihood at ``params`` (without the penalty).
    hessian : (k, k) array
        Hessian of the total penalised log-likelihood in the natural parameters.
    converged : bool
    n_iter : int
    grad_norm : float
        Max-norm of the gradient of the mean objective on the log scale at the end.
    method : str
        The scipy method that produced the result.
    message : str
    """

    params: np.ndarray
    log_likelihood: float
    hessian: np.ndarray
    converged: bool
    n_iter: int
    grad_norm: float
    method: str
    message: str


def complete_hessian(
    loglik: LoglikFn, params: np.ndarray, value: tuple[float, np.ndarray, np.ndarray | None]
) -> tuple[float, np.ndarray, np.ndarray]:
    """``value`` with its Hessian, differencing the analytic gradient where it is ``None``.

    Central differences of the gradient in ``log(params)``, a relative step of
    ``_FD_STEP``: the error is O(step^2) relative, about 1e-10, well inside what standard
    errors and Newton steps need. The result is symmetrised.
    """
    ll, grad, hess = value
    if hess is not None:
        return ll, grad, hess
    k = params.size
    jac = np.empty((k, k))
    for i in range(k):
        up, down = params.copy(), params.copy()
        up[i] *= math.exp(_FD_STEP)
        down[i] *= math.exp(-_FD_STEP)
        g_up = loglik(up, 1)[1]
        g_down = loglik(down, 1)[1]
        # d grad / d log p_i, divided by p_i for the natural scale
        jac[:, i] = (g_up - g_down) / (2.0 * _FD_STEP * params[i])
    return ll, grad, 0.5 * (jac + jac.T)


class _Objective:
    """Mean penalised negative log-likelihood on log-parameters, with one-point caching."""

    def __init__(self, loglik: LoglikFn, total_weight: float, penalizer: float) -> None:
        self.loglik = loglik
        self.scale = 1.0 / total_weight
        self.penalizer = penalizer
        self._key: bytes | None = None
        self._value: tuple[float, np.ndarray, np.ndarray] = (np.inf, np.zeros(0), np.zeros(0))
        #: unpenalised (loglik, hessian) in the natural parameters at the cached point
        self.raw: tuple[float, np.ndarray] | None = None
        self.n_evaluations = 0

    def evaluate(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        key = theta.tobytes()
        if key != self._key:
            self._key = key
            self.raw = None
            self._value = self._compute(theta)
        return self._value

    def _compute(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        k = theta.size
        if np.any(np.abs(theta) > _LOG_BOUND):
            return np.inf, np.zeros(k), np.eye(k)
        p = np.exp(theta)
        self.n_evaluations += 1
        with np.errstate(all="ignore"):
            ll, g, H = complete_hessian(self.loglik, p, self.loglik(p, 2))
        self.raw = (ll, H)
        if not (np.isfinite(ll) and np.all(np.isfinite(g)) and np.all(np.isfinite(H))):
            return np.inf, np.zeros(k), np.eye(k)
        pen = self.penalizer
        f = -ll * self.scale + pen * float(p @ p)
        grad = self._log_gradient(p, g)
        Hp = -H * self.scale + 2.0 * pen * np.eye(k)
        hess = Hp * np.outer(p, p) + np.diag(grad)
        return f, grad, hess

    def _log_gradient(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The objective's gradient in ``log p`` from the log-likelihood's gradient in ``p``."""
        return p * (-g * self.scale + 2.0 * self.penalizer * p)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient alone (a first-order pass, not cached): for the surrogate of
        :func:`_refine`, where the Hessian is not needed."""
        k = theta.size
        if np.any(np.abs(theta) > _LOG_BOUND):
            return np.full(k, np.nan)
        p = np.exp(theta)
        with np.errstate(all="ignore"):
            g = self.loglik(p, 1)[1]
        return self._log_gradient(p, g)

    def fun(self, theta: np.ndarray) -> float:
        return self.evaluate(theta)[0]

    def jac(self, theta: np.ndarray) -> np.ndarray:
        return self.evaluate(theta)[1]

    def hess(self, theta: np.ndarray) -> np.ndarray:
        return self.evaluate(theta)[2]


#: refine a Newton step with the surrogate while its predicted remainder could exceed this
_REFINE_ABOVE = 1e-12
_REFINE_ROUNDS = 3


def _refine(
    surrogate: _Objective,
    theta: np.ndarray,
    g: np.ndarray,
    solve: Callable[[np.ndarray], np.ndarray],
    step: np.ndarray,
) -> np.ndarray:
    """A Newton step corrected for the curvature change along it, read off a surrogate.

    Newton's step ``d`` solves ``g + H d = 0``, the first-order model of the gradient;
    the true gradient at ``theta + d`` differs by the remainder
    ``R(d) = grad(theta + d) - grad(theta) - H d``, which is second order in ``d``. A
    surrogate objective (the same model on a random subsample of the customers) has
    nearly the same remainder (its third derivatives estimate the full data's), so
    solving ``g + H d + R_s(d) = 0`` by fixed-point rounds lands where the full
    gradient is ``O(sampling error * |d|^2)`` instead of ``O(|d|^2)``. Each round costs a
    first-order pass over the subsample instead of a second-order pass over every row.
    The step is only proposed: the caller's line search on the full objective decides.
    """
    f_s, g_s, H_s = surrogate.evaluate(theta)
    if not np.isfinite(f_s):  # the subsample cannot be evaluated here: the plain step
        return step
    refined = step
    for _ in range(_REFINE_ROUNDS):
        remainder = surrogate.gradient(theta + refined) - g_s - H_s @ refined
        if not np.all(np.isfinite(remainder)):
            return step
        new = solve(g + remainder)
        change = float(np.max(np.abs(new - refined)))
        refined = new
        if change <= 1e-3 * float(np.max(np.abs(refined))):
            break
    return refined if float(g @ refined) < 0.0 else step


def _newton(
    objective: _Objective,
    theta: np.ndarray,
    tol: float,
    max_iter: int,
    surrogate: _Objective | None = None,
) -> tuple[np.ndarray, int, str]:
    """Damped Newton on the log-parameters with a modified-eigenvalue Hessian.

    Each step solves with the Hessian's eigenvalues replaced by their absolute values
    (floored), so it is a descent direction even where the surface is not convex; a
    backtracking line search (Armijo) keeps the objective from rising, and a step that only
    moves the objective at rounding level is still taken if it shrinks the gradient, which
    lets the iteration reach the tolerance on flat ridges (and a step to a point that meets
    the tolerance is taken if the objective moved by rounding only). With a ``surrogate``
    (the objective on a subsample), steps are corrected by :func:`_refine` while the
    gradient is large enough for the correction to matter, which saves one full pass.
    """
    f, g, H = objective.evaluate(theta)
    if not np.isfinite(f):
        return theta, 0, "non-finite objective at the start"
    for it in range(1, max_iter + 1):
        gnorm = float(np.max(np.abs(g)))
        if gnorm <= tol:
            return theta, it - 1, "gradient below tolerance"
        eigval, eigvec = np.linalg.eigh(H)
        floor = max(float(np.max(np.abs(eigval))) * 1e-10, 1e-12)
        scale = np.maximum(np.abs(eigval), floor)

        def solve(v: np.ndarray, eigvec: np.ndarray = eigvec, scale: np.ndarray = scale) -> Any:
            return -eigvec @ ((eigvec.T @ v) / scale)

        step = solve(g)
        # the remainder of the quadratic model is about |H^-1 g| * |g| at this point
        if (
            surrogate is not None
            and bool(np.all(eigval > 0))
            and gnorm * float(np.max(np.abs(step))) > _REFINE_ABOVE
        ):
            step = _refine(surrogate, theta, g, solve, step)
        longest = float(np.max(np.abs(step)))
        if longest > 3.0:  # at most a factor e^3 per parameter per iteration
            step *= 3.0 / longest
        slope = float(g @ step)
        t = 1.0
        for _ in range(40):
            cand = theta + t * step
            fc, gc, Hc = objective.evaluate(cand)
            if np.isfinite(fc) and (
                fc <= f + 1e-4 * t * slope
                or (abs(fc - f) <= 1e-14 * max(abs(f), 1.0) and float(np.max(np.abs(gc))) < gnorm)
                # a converged point whose objective differs from the last by rounding only
                # (sums of millions of terms round at ~1e-13 of the mean objective)
                or (abs(fc - f) <= 1e-12 * max(abs(f), 1.0) and float(np.max(np.abs(gc))) <= tol)
            ):
                break
            t *= 0.5
        else:
            return theta, it, "line search failed"
        theta, f, g, H = cand, fc, gc, Hc
    return theta, max_iter, "iteration limit reached"


def maximize(
    loglik: LoglikFn,
    start: np.ndarray,
    *,
    total_weight: float,
    penalizer: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 200,
    model_name: str = "model",
    warn: bool = True,
    param_names: tuple[str, ...] | None = None,
    surrogate: tuple[LoglikFn, float] | None = None,
) -> FitResult:
    """Maximise ``loglik - total_weight * penalizer * sum(params**2)`` over positive params.

    Parameters
    ----------
    loglik : LoglikFn
        Total log-likelihood with analytic gradient and Hessian (natural parameters).
    start : (k,) array
        Positive starting parameters.
    total_weight : float
        Sum of the weights; the objective is divided by it so ``tol`` is scale-free.
    penalizer : float
        L2 penalty coefficient on the natural parameters, per unit weight.
    tol : float
        Convergence tolerance on the max-norm of the gradient of the mean objective with
        respect to the log-parameters.
    max_iter : int
        Iteration budget of each method tried.
    model_name : str
        Used in the warning text.
    param_names : tuple of str, optional
        Used in the warning text.
    warn : bool
        Emit a :class:`ConvergenceWarning` when the fit does not converge (off for
        preliminary fits whose result only seeds another one).
    surrogate : (LoglikFn, float), optional
        The same log-likelihood on a random subsample and the subsample's total weight:
        Newton steps are corrected for their second-order remainder on it (see
        :func:`_refine`). Only the proposed steps change; acceptance, convergence and the
        result are judged on ``loglik``.

    Returns
    -------
    FitResult
    """
    objective = _Objective(loglik, total_weight, penalizer)
    theta0 = np.log(np.asarray(start, dtype=float))
    helper = None if surrogate is None else _Objective(surrogate[0], surrogate[1], penalizer)
    theta, n_iter, message = _newton(objective, theta0, tol, max_iter, helper)
    method = "newton"
    f, g, _ = objective.evaluate(theta)
    # Newton stalls at rounding level on very large cohorts (millions of weighted rows):
    # its line search cannot improve an objective already flat to machine precision. A
    # first-order method cannot do better there and would spend hundreds of passes
    # trying, so such a stall within the acceptance threshold ends the fit.
    stalled = message == "line search failed" and float(np.max(np.abs(g))) <= _ACCEPT
    if not (np.isfinite(f) and (float(np.max(np.abs(g))) <= tol or stalled)):
        # fall back to scipy, from the better of the Newton end point and the start
        # (imported here: scipy.optimize costs ~0.3 s of import that most fits never need)
        from scipy import optimize

        best = theta if np.isfinite(f) else theta0
        for fallback in ("trust-exact", "BFGS"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = optimize.minimize(
                    objective.fun,
                    best,
                    method=fallback,
                    jac=objective.jac,
                    hess=objective.hess if fallback == "trust-exact" else None,
                    options={"gtol": tol, "maxiter": max_iter},
                )
            n_iter += int(result.nit)
            if objective.fun(result.x) <= objective.fun(best):
                best, method, message = result.x, fallback, str(result.message)
            if float(np.max(np.abs(objective.jac(best)))) <= tol:
                break
        theta = best
    f, g, _ = objective.evaluate(theta)
    grad_norm = float(np.max(np.abs(g))) if np.isfinite(f) else np.inf
    converged = bool(np.isfinite(f) and grad_norm <= max(tol, _ACCEPT))
    # a maximum "found" with a parameter run off towards 0 or infinity is the likelihood
    # flattening out at the boundary: the data do not identify that parameter
    runaway = np.abs(theta) > _RUNAWAY_LOG
    if runaway.any():
        converged = False
        names = param_names if param_names is not None else [f"#{i}" for i in range(theta.size)]
        message = (
            "parameter(s) "
            + ", ".join(f"{names[i]}={np.exp(theta[i]):.3g}" for i in np.flatnonzero(runaway))
            + " ran off towards the boundary: the data do not identify them"
        )
    params = np.exp(theta)
    objective.evaluate(theta)
    if objective.raw is not None and np.isfinite(objective.raw[0]):
        ll, H = objective.raw  # the point was just evaluated: no extra pass over the data
    else:
        ll, _, H = complete_hessian(loglik, params, loglik(params, 2))
    H_pen = H - 2.0 * penalizer * total_weight * np.eye(params.size)
    if not converged and warn:
        advice = (
            "raise max_iter (it stopped at its iteration budget), " if n_iter >= max_iter else ""
        )
        warnings.warn(
            f"{model_name} fit did not converge (gradient norm {grad_norm:.2e} after {n_iter} "
            f"iterations; last method {method}: {message}). Parameters may be "
            f"unreliable: {advice}check the data for degenerate cohorts, try a small penalizer "
            "(e.g. penalizer=1e-3) or pass initial_params=... near a plausible answer.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return FitResult(
        params=params,
        log_likelihood=float(ll),
        hessian=H_pen,
        converged=converged,
        n_iter=n_iter,
        grad_norm=grad_norm,
        method=method,
        message=message,
    )
