"""The donations data of Fader, Hardie & Shang (2010), read from the file ``lifetimes`` ships.

The 1995 cohort of first-time supporters of a non-profit organisation: 11,104 donors,
each observed at the 6 yearly donation occasions after their first gift (1996-2001),
summarised by the number of years with a gift (``frequency``), the last of them
(``recency``) and the number of occasions (``T`` = 6). The file holds the 22 distinct
histories with the number of donors of each; clvkit reads it from the installed package
and commits no copy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit.data.cdnow import lifetimes_data_file

__all__ = ["load_donations"]


def load_donations() -> pd.DataFrame:
    """Load the donations cohort (11,104 donors over 6 yearly occasions), one row per history.

    Reads ``lifetimes/datasets/donations.csv`` (columns ``frequency, recency, periods,
    weights``).

    Returns
    -------
    pandas.DataFrame, shape (22, 4)
        One row per distinct history, index ``history`` 0..21:

        - ``frequency`` (float64): occasions with a gift among the 6 (0-6);
        - ``recency`` (float64): the occasion of the last gift (0 without one);
        - ``T`` (float64): occasions observed after the first gift, 6 for everyone;
        - ``count`` (int64): donors with this history (they add up to 11,104): pass it
          as ``weights=`` to a fit.

        ``attrs["time_unit"]`` is ``"Y"`` (one occasion a year).

    Examples
    --------
    >>> import clvkit as ck
    >>> donors = ck.datasets.load_donations()
    >>> int(donors["count"].sum())
    11104
    """
    raw = pd.read_csv(lifetimes_data_file("donations.csv", "load_donations"))
    out = pd.DataFrame(
        {
            "frequency": raw["frequency"].to_numpy(dtype=np.float64),
            "recency": raw["recency"].to_numpy(dtype=np.float64),
            "T": raw["periods"].to_numpy(dtype=np.float64),
            "count": raw["weights"].to_numpy(dtype=np.int64),
        },
        index=pd.RangeIndex(len(raw), name="history"),
    )
    out.attrs["time_unit"] = "Y"
    return out
