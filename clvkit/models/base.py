"""What every clvkit model shares: the estimator contract, parameters and their uncertainty.

A model declares its parameter names and a kernel; this base stores the fitted state
(trailing-underscore attributes, no training data), builds the summary table from the
Hessian, and checks the time unit of prediction inputs. Models are plain objects and
pickle with the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.special import ndtri

from clvkit._time import check_time_unit
from clvkit.errors import InputError, NotFittedError, UnitError
from clvkit.models._inputs import RFMInput
from clvkit.models._optimize import FitResult

__all__ = ["BaseModel", "FitDiagnostics"]


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
    """

    converged: bool
    n_iter: int
    grad_norm: float
    hessian_positive_definite: bool
    method: str
    n_distinct_rows: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class BaseModel:
    """Shared estimator machinery; subclasses set ``param_names`` and implement ``fit``."""

    param_names: ClassVar[tuple[str, ...]] = ()

    params_: pd.Series
    log_likelihood_: float
    n_customers_: float
    time_unit_: str | None
    diagnostics_: FitDiagnostics | None
    _information: np.ndarray | None  # observed information (negative Hessian), natural scale

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        tol: float = 1e-10,
        max_iter: int = 200,
    ) -> None:
        # scikit-learn's contract: store the keyword hyper-parameters, nothing else;
        # they are checked by fit (see each model's docstring for their meaning)
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.tol = tol
        self.max_iter = max_iter

    def _check_hyperparameters(self) -> None:
        """Validate the constructor's hyper-parameters (at fit time, as scikit-learn does)."""
        name = type(self).__name__
        pen = self.penalizer
        if (
            isinstance(pen, bool)
            or not isinstance(pen, int | float)
            or not (math.isfinite(pen) and pen >= 0)
        ):
            raise InputError(
                f"The 'penalizer' parameter of {name} must be a number >= 0. Got {pen!r} instead."
            )
        if (
            isinstance(self.tol, bool)
            or not isinstance(self.tol, int | float)
            or not (self.tol > 0)
        ):
            raise InputError(f"The 'tol' parameter of {name} must be > 0. Got {self.tol!r}.")
        if (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, int)
            or (self.max_iter < 1)
        ):
            raise InputError(
                f"The 'max_iter' parameter of {name} must be an integer >= 1. "
                f"Got {self.max_iter!r} instead."
            )
        if self.initial_params is not None:
            self._check_params(self.initial_params, f"{type(self).__name__}(initial_params=...)")

    # -- fitted state -------------------------------------------------------------------
    def _store_fit(
        self,
        result: FitResult,
        *,
        n_customers: float,
        time_unit: str | None,
        n_distinct_rows: int,
    ) -> None:
        info = -result.hessian
        try:
            np.linalg.cholesky(info)
            positive_definite = True
        except np.linalg.LinAlgError:
            positive_definite = False
        self.params_ = pd.Series(result.params, index=list(self.param_names), name="estimate")
        self.log_likelihood_ = result.log_likelihood
        self.n_customers_ = n_customers
        self.time_unit_ = time_unit
        self._information = info
        self.diagnostics_ = FitDiagnostics(
            converged=result.converged,
            n_iter=result.n_iter,
            grad_norm=result.grad_norm,
            hessian_positive_definite=positive_definite,
            method=result.method,
            n_distinct_rows=n_distinct_rows,
        )

    @classmethod
    def _check_params(cls, params: Mapping[str, object], caller: str) -> list[float]:
        """Exactly the model's parameters, each a finite number > 0, in order."""
        if set(params) != set(cls.param_names):
            raise InputError(
                f"{caller} needs exactly the parameters {list(cls.param_names)}; "
                f"got {sorted(params)}."
            )
        values = []
        for name in cls.param_names:
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise InputError(f"Parameter {name!r} must be a number. Got {value!r}.")
            if not (math.isfinite(float(value)) and float(value) > 0):
                raise InputError(f"Parameter {name!r} must be finite and > 0. Got {value!r}.")
            values.append(float(value))
        return values

    @classmethod
    def from_params(cls, *, time_unit: str | None = None, **params: float) -> Self:
        """A model at known parameters, ready to predict (no standard errors).

        Parameters
        ----------
        time_unit : str, optional
            The unit the parameters are expressed in (``"D"``, ``"W"``, ...).
        **params : float
            Every parameter of the model by name, each finite and > 0.
        """
        values = cls._check_params(params, f"{cls.__name__}.from_params")
        model = cls()
        model.params_ = pd.Series(values, index=list(cls.param_names), name="estimate")
        model.log_likelihood_ = math.nan
        model.n_customers_ = math.nan
        model.time_unit_ = None if time_unit is None else check_time_unit(time_unit)
        model.diagnostics_ = None
        model._information = None
        return model

    def _check_fitted(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(...) or build it "
                f"with {type(self).__name__}.from_params(...)."
            )
        return self.params_.to_numpy(dtype=float)

    def _check_unit(self, rfm: RFMInput) -> None:
        """Refuse prediction input recorded in another time unit than the model's."""
        if (
            rfm.time_unit is not None
            and self.time_unit_ is not None
            and (rfm.time_unit != self.time_unit_)
        ):
            raise UnitError(
                f"The customers frame is in time unit {rfm.time_unit!r} but the "
                f"{type(self).__name__} was fitted in {self.time_unit_!r}; rebuild the frame "
                f"with rfm_summary(..., time_unit={self.time_unit_!r}). Nothing is rescaled "
                "silently."
            )

    @staticmethod
    def _resolve_unit(rfm: RFMInput, time_unit: str | None) -> str | None:
        if time_unit is not None:
            check_time_unit(time_unit)
            if rfm.time_unit is not None and rfm.time_unit != time_unit:
                raise UnitError(
                    f"time_unit={time_unit!r} contradicts the customers frame, which "
                    f"rfm_summary built in {rfm.time_unit!r}."
                )
            return time_unit
        return rfm.time_unit

    # -- uncertainty --------------------------------------------------------------------
    def covariance(self) -> pd.DataFrame:
        """Asymptotic covariance of the estimates: the inverse observed information.

        Returns
        -------
        DataFrame
            ``k x k``, indexed by parameter name. NaN where the information matrix is not
            positive definite or the model was built with :meth:`from_params`.
        """
        self._check_fitted()
        k = len(self.param_names)
        cov = np.full((k, k), np.nan)
        if (
            self._information is not None
            and self.diagnostics_ is not None
            and (self.diagnostics_.hessian_positive_definite)
        ):
            cov = np.linalg.inv(self._information)
        names = list(self.param_names)
        return pd.DataFrame(cov, index=names, columns=names)

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates with standard errors and ``1 - alpha`` confidence intervals.

        Standard errors come from the inverse observed information (the Hessian of the
        log-likelihood at the maximum). Intervals are Wald intervals on the log scale,
        ``estimate * exp(+/- z * se / estimate)``, so they stay positive like the parameters.

        Parameters
        ----------
        alpha : float
            One minus the confidence level, in (0, 1).

        Returns
        -------
        DataFrame
            Columns ``estimate``, ``std_error``, ``lower``, ``upper``, one row per parameter.
        """
        if not (isinstance(alpha, float | int) and 0 < alpha < 1):
            raise InputError(f"The 'alpha' argument must be in (0, 1). Got {alpha!r} instead.")
        est = self._check_fitted()
        se = np.sqrt(np.diag(self.covariance().to_numpy()))
        z = float(ndtri(1 - alpha / 2))
        spread = np.exp(z * se / est)
        return pd.DataFrame(
            {"estimate": est, "std_error": se, "lower": est / spread, "upper": est * spread},
            index=pd.Index(list(self.param_names), name="parameter"),
        )

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}()  # not fitted"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        unit = f", time_unit={self.time_unit_!r}" if self.time_unit_ else ""
        return f"{type(self).__name__}({values}{unit})"
