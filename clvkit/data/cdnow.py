"""The CDNOW transaction logs, read from the files the ``lifetimes`` package ships.

CDNOW is the dataset of Fader, Hardie & Lee (2005): the CD purchases of a cohort of
23,570 customers who made their first purchase at CDNOW in the first quarter of 1997,
followed to the end of June 1998. ``lifetimes`` ships the full ("master") log and the
1/10 sample of 2,357 customers used in the paper; clvkit reads them from the installed
package and commits no copy. Only the package's location is looked up, so ``lifetimes``
itself (and its autograd dependency) is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["load_cdnow_master_transactions", "load_cdnow_transactions"]

_COLUMNS = ["customer_id", "date", "amount", "quantity"]


def load_cdnow_transactions() -> pd.DataFrame:
    """Load the CDNOW 1/10 sample transaction log (2,357 customers, 6,919 rows).

    Reads ``lifetimes/datasets/CDNOW_sample.txt`` (whitespace separated, no header:
    master id, sample id, yyyymmdd date, number of CDs, dollar value).

    Returns
    -------
    pandas.DataFrame, shape (6919, 4)
        In file order, with a default RangeIndex:

        - ``customer_id`` (int64): the sample id, 1..2357.
        - ``date`` (datetime64[ns]): day of the transaction, 1997-01-01 to 1998-06-30.
        - ``amount`` (float64): dollar value of the transaction (>= 0).
        - ``quantity`` (int64): number of CDs bought.

        21 rows (of 15 customers) repeat an earlier row exactly: the same customer, day
        and amount. The file has dates without times, so these are most likely second
        orders of the same CD on one day, and the published estimates count them as
        purchases; the readers of a log warn about them unless given
        ``duplicates="keep"``.

    Raises
    ------
    ImportError
        If ``lifetimes`` is not installed.
    FileNotFoundError
        If the installed ``lifetimes`` lacks the file.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> tx["customer_id"].nunique(), len(tx)
    (2357, 6919)
    """
    raw = pd.read_csv(
        lifetimes_data_file("CDNOW_sample.txt", "load_cdnow_transactions"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={
            "master_id": np.int64,
            "customer_id": np.int64,
            "date": str,
            "quantity": np.int64,
            "amount": np.float64,
        },
    )
    return _tidy(raw)


def load_cdnow_master_transactions() -> pd.DataFrame:
    """Load the full CDNOW master transaction log (23,570 customers, 69,659 rows).

    Reads ``lifetimes/datasets/CDNOW_master.txt`` (whitespace separated, one header
    line: customer id, yyyymmdd date, number of CDs, dollar value).

    Returns
    -------
    pandas.DataFrame, shape (69659, 4)
        In file order, with a default RangeIndex: ``customer_id`` (int64, the master id,
        1..23570), ``date`` (datetime64[ns]), ``amount`` (float64, dollars, >= 0) and
        ``quantity`` (int64, number of CDs). 255 rows (of 164 customers) repeat an
        earlier row exactly (same customer, day and amount); see
        :func:`load_cdnow_transactions`.

    Raises
    ------
    ImportError
        If ``lifetimes`` is not installed.
    FileNotFoundError
        If the installed ``lifetimes`` lacks the file.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_master_transactions()
    >>> tx.shape, tx["customer_id"].nunique()
    ((69659, 4), 23570)
    """
    raw = pd.read_csv(
        lifetimes_data_file("CDNOW_master.txt", "load_cdnow_master_transactions"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": np.int64, "date": str, "quantity": np.int64, "amount": np.float64},
    )
    return _tidy(raw)


def _tidy(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].to_numpy(dtype=np.int64),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[ns]"),
            "amount": raw["amount"].to_numpy(dtype=np.float64),
            "quantity": raw["quantity"].to_numpy(dtype=np.int64),
        },
        columns=_COLUMNS,
    )


def lifetimes_data_file(name: str, caller: str) -> Path:
    """Path of a data file inside the installed ``lifetimes``, without importing it."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"{caller} reads the CDNOW data shipped with the 'lifetimes' package, which is "
            "not installed. Install it with: pip install lifetimes==0.11.3"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "datasets" / name
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{caller}: the installed 'lifetimes' package (at "
        f"{list(spec.submodule_search_locations)}) has no datasets/{name}; reinstall it "
        "with: pip install --force-reinstall lifetimes==0.11.3"
    )
