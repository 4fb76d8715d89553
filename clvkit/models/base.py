"""What every clvkit model shares: the estimator contract, parameters and their uncertainty.

As in scikit-learn, a model's constructor stores its keyword hyper-parameters and nothing
else; :meth:`BaseModel.get_params` reads them back from the constructor's signature, so
:func:`clone` never forgets one. A fitted model holds trailing-underscore attributes only
(parameters, log-likelihood, observed information, diagnostics), never training data, and
pickles with the standard library.

Every concrete model registers itself by subclassing (its class name is its kind in model
files), so persistence, the contract tests and ``load_model`` know every model without a
list to keep in step.
"""

from __future__ import annotations

import copy
import inspect
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.special import ndtri

from clvkit._progress import check_progress, progress_bar
from clvkit._time import check_time_unit
from clvkit.errors import InputError, ModelFileError, NotFittedError, UncertaintyError
from clvkit.models import persistence, uncertainty
from clvkit.models._optimize import FitDiagnostics, FitResult
from clvkit.models.inputs import (
    RFMInput,
    check_model_unit,
    read_rfm,
    read_weights,
    resolve_fit_unit,
)

__all__ = ["BaseModel", "FitDiagnostics", "check_is_fitted", "clone"]


def clone(model: Any) -> Any:
    """A new unfitted model with the same hyper-parameters (deep-copied), as scikit-learn's.

    Works for any object with ``get_params``; the fitted state is never copied.

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> fitted = ck.BetaGeo(penalizer=0.01).fit(rfm)
    >>> fresh = ck.models.clone(fitted)
    >>> fresh.get_params()["penalizer"], fresh.is_fitted
    (0.01, False)
    """
    if not hasattr(model, "get_params"):
        raise InputError(f"Cannot clone {model!r}: it is not a clvkit model.")
    params = {
        name: clone(value) if hasattr(value, "get_params") else copy.deepcopy(value)
        for name, value in model.get_params().items()
    }
    return type(model)(**params)


def check_is_fitted(model: Any) -> None:
    """Raise :class:`~clvkit.errors.NotFittedError` unless ``model`` has its parameters.

    ``model`` is a clvkit model or anything holding one (a ``CLVModel``).

    Examples
    --------
    >>> import clvkit as ck
    >>> ck.models.check_is_fitted(ck.BetaGeo())
    Traceback (most recent call last):
        ...
    clvkit.errors.NotFittedError: This BetaGeo is not fitted yet; call fit(...) ...
    """
    check = getattr(model, "_check_fitted", None)
    if check is None:
        raise InputError(f"Expected a clvkit model. Got {type(model).__name__}.")
    check()


class BaseModel:
    """Shared estimator machinery; a model declares ``param_names`` and its fit.

    Hyper-parameters (keyword-only, checked by ``fit``):

    penalizer : float, default 0
        L2 penalty on the natural parameters added to the mean negative log-likelihood per
        customer (``penalizer * sum(params**2)``); small values (1e-3) stabilise fits on
        thin data, 0 gives the maximum-likelihood estimate.
    initial_params : mapping, optional
        Starting values by parameter name; by default derived from the data.
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Examples
    --------
    Every model shares this machinery: hyper-parameters, the fitted state, standard
    errors, intervals, the bootstrap and model files.

    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(1000, seed=1)
    >>> gg = ck.GammaGamma().fit(rfm)
    >>> isinstance(gg, ck.models.BaseModel), list(gg.params_.index)
    (True, ['p', 'q', 'v'])
    >>> gg.summary().columns.tolist()
    ['estimate', 'std_error', 'lower', 'upper']
    """

    #: the model's parameters, in the order of its kernel; set by every concrete model
    param_names: ClassVar[tuple[str, ...]] = ()
    #: whether its data are durations in a time unit (a spend model's are not)
    measures_time: ClassVar[bool] = True

    params_: pd.Series
    log_likelihood_: float
    n_customers_: float
    time_unit_: str | None
    diagnostics_: FitDiagnostics | None
    _information: np.ndarray | None  # observed information (negative Hessian), natural scale

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "param_names" in cls.__dict__:  # a concrete model, not an intermediate base
            persistence.register_kind(cls)

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        tol: float = 1e-10,
        max_iter: int = 200,
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.tol = tol
        self.max_iter = max_iter

    # -- hyper-parameters (scikit-learn's get_params / set_params) -------------------------
    @classmethod
    def _hyperparameter_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind is inspect.Parameter.KEYWORD_ONLY
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor's hyper-parameters by name, read from its signature.

        Examples
        --------
        >>> import clvkit as ck
        >>> ck.BetaGeo(penalizer=0.01).get_params()
        {'penalizer': 0.01, 'initial_params': None, 'tol': 1e-10, 'max_iter': 200}
        """
        return {name: getattr(self, name) for name in self._hyperparameter_names()}

    def set_params(self, **params: Any) -> Self:
        """Set hyper-parameters by name (checked at the next ``fit``); returns ``self``.

        Examples
        --------
        >>> import clvkit as ck
        >>> ck.GammaGamma().set_params(q_constraint=True).q_constraint
        True
        """
        valid = self._hyperparameter_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(
                    f"{type(self).__name__} has no hyper-parameter {name!r}; it has {valid}."
                )
            setattr(self, name, value)
        return self

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
            if not isinstance(self.initial_params, Mapping):
                raise InputError(
                    f"The 'initial_params' parameter of {name} must be a mapping of "
                    f"parameter names to numbers. Got {self.initial_params!r}."
                )
            self._check_params(self.initial_params, f"{name}(initial_params=...)")

    def _start_from_hyperparameters(self) -> np.ndarray | None:
        if self.initial_params is None:
            return None
        return np.array([float(self.initial_params[k]) for k in self.param_names])

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

        Examples
        --------
        >>> import clvkit as ck
        >>> ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit='W')
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

    def __getstate__(self) -> dict[str, Any]:
        # a copy or an unpickled model keeps its own params_; the view of the original's
        # values is not carried over (it would no longer follow edits in place)
        state = self.__dict__.copy()
        state.pop("_params_view", None)
        return state

    def _check_fitted(self) -> np.ndarray:
        """The fitted parameters as a float64 array (refused before a fit).

        A float Series gives a view of its own values, which shows every later edit in
        place; made read-only, it is kept while ``params_`` is the same object (a
        one-customer prediction asks several times, and ``to_numpy`` costs more than the
        arithmetic). pandas' copy-on-write returns it read-only already.
        """
        params = getattr(self, "params_", None)
        if params is None:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(...) or build it "
                f"with {type(self).__name__}.from_params(...)."
            )
        kept = getattr(self, "_params_view", None)
        if kept is not None and kept[0] is params:
            return kept[1]
        values = params.to_numpy(dtype=float)
        if np.shares_memory(values, params.array):
            if values.flags.writeable:  # pandas before copy-on-write
                values = values.view()
                values.flags.writeable = False
            self._params_view = (params, values)
        return values

    @property
    def is_fitted(self) -> bool:
        """Whether the model has parameters (fitted, loaded or built from parameters).

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> ck.BetaGeo().is_fitted, bg.is_fitted
        (False, True)
        """
        return hasattr(self, "params_")

    def _check_unit(self, rfm: RFMInput, caller: str | None = None) -> None:
        """Refuse customers in another time unit than the model's, or a frame whose unit
        cannot be established (see :func:`clvkit.models.inputs.check_model_unit`)."""
        name = type(self).__name__
        check_model_unit(rfm, self.time_unit_, name, caller or name)

    @staticmethod
    def _resolve_unit(rfm: RFMInput, caller: str, *, required: bool = True) -> str | None:
        """The unit a fit adopts (the stated or recorded one). With ``required``, a frame
        whose unit cannot be established is refused with how to give one."""
        if required:
            return resolve_fit_unit(rfm, caller)
        return rfm.time_unit

    # -- uncertainty --------------------------------------------------------------------
    def covariance(self) -> pd.DataFrame:
        """Asymptotic covariance of the estimates: the inverse observed information.

        Returns
        -------
        DataFrame
            ``k x k``, indexed by parameter name. NaN where the information matrix is not
            positive definite or the model was built with :meth:`from_params`.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> ck.BetaGeo().fit(rfm).covariance().shape
        (4, 4)
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

    def _log_covariance(self, caller: str) -> np.ndarray:
        """Covariance of the log-parameters, ``Cov(theta) / outer(theta, theta)``.

        Raises
        ------
        clvkit.errors.UncertaintyError
            If the model has no usable covariance, saying why and what still works.
        """
        est = self._check_fitted()
        name = type(self).__name__
        still = (
            "method='bootstrap' still works (draws = model.bootstrap(customers), refitting "
            "on resampled customers), and so do point predictions (interval=None)."
        )
        if self._information is None or self.diagnostics_ is None:
            raise UncertaintyError(
                f"{caller}: this {name} has no parameter covariance: it was built with "
                "from_params (or saved without its fit), so there is no observed information "
                "to invert. method='delta' and 'parametric' need it; " + still
            )
        if not self.diagnostics_.hessian_positive_definite:
            raise UncertaintyError(
                f"{caller}: the observed information of this {name} fit is not positive "
                "definite (diagnostics_.hessian_positive_definite is False: the estimate is "
                "not a strict maximum, typically a parameter running to a boundary), so the "
                "estimate has no asymptotic normal distribution. method='delta' and "
                "'parametric' need one; " + still
            )
        cov = np.linalg.inv(self._information)
        return np.asarray(cov / np.outer(est, est))

    # -- intervals, for any model's predictions -----------------------------------------------
    def _caller(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    @staticmethod
    def _options(
        interval: object,
        method: object,
        n_draws: object,
        random_state: object,
        draws: object,
        caller: str,
    ) -> uncertainty.IntervalOptions | None:
        return uncertainty.interval_options(
            interval,
            method=method,
            n_draws=n_draws,
            random_state=random_state,
            draws=draws,
            caller=caller,
        )

    def _plan(
        self, options: uncertainty.IntervalOptions, caller: str
    ) -> tuple[uncertainty.Plan, uncertainty.ParameterBlock]:
        """The parameter configurations of this model alone (one block)."""
        plan = uncertainty.make_plan(options, {"": self}, caller)
        return plan, plan.blocks[0]

    def _population_bounds(
        self,
        point: float | np.ndarray | pd.Series | pd.DataFrame,
        at: Callable[[uncertainty.ParameterBlock], np.ndarray],
        options: uncertainty.IntervalOptions,
        scale: str,
        name: str,
        caller: str,
    ) -> pd.Series | pd.DataFrame:
        """``point`` with the bounds of a quantity that depends on the parameters only (a
        new customer's expectation, a survival curve): ``at(block)`` evaluates it at the
        block's parameter vectors (``block.stacked(ndim)`` broadcasts them), one row each.
        Any model gets its intervals this way."""
        plan, block = self._plan(options, caller)
        if isinstance(point, pd.Series | pd.DataFrame):
            values = point.to_numpy(dtype=np.float64)
        else:
            values = np.asarray(point, dtype=np.float64)
        lower, upper = plan.interval(values, np.asarray(at(block)), scale)
        return uncertainty.with_bounds(point, lower, upper, name)

    # -- the bootstrap ----------------------------------------------------------------------
    def _refit(self, customers: pd.DataFrame, weights: np.ndarray, time_unit: str | None) -> Self:
        """One bootstrap refit on resampled weights (a model may silence what its fit on
        the full data already said)."""
        model: Self = self.fit(  # type: ignore[attr-defined]  # every concrete model has fit
            customers, weights=weights, time_unit=time_unit
        )
        return model

    def _bootstrap_columns(self) -> tuple[str, ...]:
        """The per-customer columns :meth:`fit` reads, which the bootstrap resamples."""
        raise NotImplementedError  # pragma: no cover - every concrete model defines it

    def bootstrap(
        self,
        customers: pd.DataFrame,
        *,
        n_draws: int = 200,
        weights: object = None,
        random_state: object = None,
        n_jobs: int = 1,
        time_unit: str | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Parameters refitted on customers resampled with replacement, one row per draw.

        Pass the result as ``draws=`` with ``method="bootstrap"`` to any prediction with
        ``interval=``: one set of refits serves every prediction. The model keeps no
        training data, so the customers it was fitted on are given here.

        The customers are first compressed into distinct rows with summed weights; each
        draw resamples ``N`` customers (the total weight) with replacement, which is a
        multinomial draw of weights over the distinct rows, and refits a clone of the model
        (same hyper-parameters) from the current estimate. A refit that does not converge
        is left out with a :class:`~clvkit.errors.ConvergenceWarning`.

        Parameters
        ----------
        customers : DataFrame
            The customers the model was fitted on (the columns its ``fit`` reads).
        n_draws : int, default 200
            Number of refits (>= 2).
        weights : array-like, optional
            Customers each row stands for, as in ``fit``.
        random_state : int, numpy Generator or None
            Seed; each draw gets its own child seed, so the draws do not depend on
            ``n_jobs``.
        n_jobs : int, default 1
            Threads refitting in parallel (-1: one per core); the fits spend their time
            in numpy, which runs outside Python's lock on large cohorts.
        time_unit : str, optional
            The unit of ``recency`` and ``T`` when the frame does not record it (as in
            :meth:`fit`); checked against the model's.
        progress : bool or None, default None
            A bar counting the refits: ``None`` on a terminal or in a notebook only,
            ``True`` always, ``False`` never (needs ``tqdm``).

        Returns
        -------
        DataFrame
            ``n_draws`` rows (fewer if refits failed) indexed by ``draw``, one column per
            parameter.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> bg = ck.BetaGeo().fit(rfm)
        >>> draws = bg.bootstrap(rfm, n_draws=20, random_state=0)
        >>> draws.shape
        (20, 4)
        >>> p = bg.probability_alive(rfm, interval=0.9, method="bootstrap", draws=draws)
        >>> list(p.columns)
        ['p_alive', 'p_alive_lower', 'p_alive_upper']
        """
        caller = f"{type(self).__name__}.bootstrap"
        uncertainty.interval_options(
            None, method="bootstrap", n_draws=n_draws, random_state=random_state, caller=caller
        )
        jobs = uncertainty.check_n_jobs(n_jobs, caller)
        show = check_progress(progress, caller)
        self._check_hyperparameters()
        columns = self._bootstrap_columns()
        rfm = read_rfm(customers, {}, need=columns, caller=caller, time_unit=time_unit)
        if self.measures_time and self.is_fitted:
            self._check_unit(rfm, caller)
        elif self.measures_time:
            resolve_fit_unit(rfm, caller)
        w = read_weights(weights, rfm.n, rfm.index)
        rows, row_weights = uncertainty.distinct_rows([rfm[c] for c in columns], w)
        unit = rfm.time_unit if rfm.time_unit is not None else getattr(self, "time_unit_", None)
        frame = pd.DataFrame(dict(zip(columns, rows, strict=True)))
        template = clone(self)
        if self.is_fitted:
            template.set_params(initial_params=self.params_.to_dict())

        with progress_bar(show, total=int(n_draws), desc=caller, unit="fit", exclusive=True) as bar:

            def refit(resampled: np.ndarray) -> np.ndarray | None:
                params = uncertainty.try_refit(
                    lambda: clone(template)._refit(frame, resampled, unit)
                )
                bar.update()
                return params

            return uncertainty.bootstrap_draws(
                refit,
                row_weights,
                n_draws=int(n_draws),
                random_state=random_state,
                n_jobs=jobs,
                columns=pd.Index(list(self.param_names)),
                caller=caller,
            )

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

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> list(ck.BetaGeo().fit(rfm).summary().columns)
        ['estimate', 'std_error', 'lower', 'upper']
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

    # -- model files ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as a JSON model file, atomically (no pickle).

        Read it back with :meth:`load` or :func:`clvkit.load_model`.

        Examples
        --------
        >>> import clvkit as ck, tempfile, os
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> path = os.path.join(tempfile.mkdtemp(), "bg.json")
        >>> bg.save(path)
        >>> ck.BetaGeo.load(path)
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit='W')
        """
        persistence.save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read a model file written by :meth:`save`; refuse a file holding another kind.

        Raises
        ------
        clvkit.errors.ModelFileError
            If the file cannot be read, breaks the schema, or holds another kind of model.

        Examples
        --------
        >>> import os, tempfile
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> path = os.path.join(tempfile.mkdtemp(), "bg.json")
        >>> bg.save(path)
        >>> ck.BetaGeo.load(path).params_.tolist()
        [0.243, 4.414, 0.793, 2.426]
        >>> ck.GammaGamma.load(path)
        Traceback (most recent call last):
            ...
        clvkit.errors.ModelFileError: Model file ... holds a BetaGeo, not a GammaGamma; ...
        """
        model = persistence.load_model(path)
        if not isinstance(model, cls):
            raise ModelFileError(
                f"Model file {os.fspath(path)!r} holds a {type(model).__name__}, not a "
                f"{cls.__name__}; load it with clvkit.load_model or "
                f"{type(model).__name__}.load."
            )
        return model

    def _to_components(self) -> dict[str, Any]:
        return {"model": persistence.model_to_dict(self)}

    @classmethod
    def _from_components(
        cls, components: object, *, grain: str | None, where: str, version: int
    ) -> Self:
        parts = persistence.require_keys(components, {"model"}, f"{where}: components")
        model = persistence.model_from_dict(parts["model"], f"{where}: components.model", version)
        if not isinstance(model, cls):
            raise ModelFileError(
                f"{where}: kind {cls.__name__!r} does not match its component "
                f"({type(model).__name__})."
            )
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}()  # not fitted"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        unit = f", time_unit={self.time_unit_!r}" if self.time_unit_ else ""
        return f"{type(self).__name__}({values}{unit})"
