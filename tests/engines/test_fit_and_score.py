"""Fits on engine summaries equal the pandas fits to 1e-10; scoring equals predict_clv.

The engine groups the summaries by the model's columns and counts; only the distinct rows
reach the fit (checked: fewer rows than customers, counts adding up to the customers).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.engines import distinct_rows
from clvkit.errors import InputError

HORIZON = {"horizon": "52W", "discount_rate": 0.10, "margin": 0.30}


@pytest.fixture(scope="module")
def rfm(cdnow_log: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.errors.DataWarning)
        return ck.rfm_summary(
            cdnow_log, monetary="amount", time_unit="W", observation_end="1997-09-30"
        )


@pytest.fixture(scope="module")
def rfm_file(tmp_path_factory: pytest.TempPathFactory, rfm: pd.DataFrame) -> Path:
    """The summary as Parquet, written by pandas (attrs and index recorded in the file)."""
    path = tmp_path_factory.mktemp("rfm") / "rfm.parquet"
    rfm.to_parquet(path)
    return path


def _rel_diff(a: pd.Series, b: pd.Series) -> float:
    return float(np.max(np.abs(a.to_numpy() / b.to_numpy() - 1.0)))


def test_distinct_rows_are_grouped_in_the_engine(duckdb: Any, rfm: pd.DataFrame) -> None:
    rows = distinct_rows(duckdb.from_df(rfm), ["frequency", "recency", "T"])
    assert rows.weights.sum() == len(rfm) == 2357
    assert len(rows.frame) < len(rfm) / 2  # CDNOW weeks at a daily grain repeat a lot
    expected = rfm.groupby(["frequency", "recency", "T"]).size()
    got = pd.Series(rows.weights, index=pd.MultiIndex.from_frame(rows.frame)).sort_index()
    pd.testing.assert_series_equal(got, expected.astype(float), check_names=False)
    assert rows.time_unit is None  # a relation records nothing


def test_fit_on_a_duckdb_relation_equals_pandas(duckdb: Any, rfm: pd.DataFrame) -> None:
    relation = duckdb.from_df(rfm.reset_index())
    bg, ref = ck.BetaGeo().fit(relation, time_unit="W"), ck.BetaGeo().fit(rfm)
    assert _rel_diff(bg.params_, ref.params_) <= 1e-10
    assert bg.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-12)
    assert (bg.n_customers_, bg.time_unit_) == (2357, "W")
    gg, gref = ck.GammaGamma().fit(relation), ck.GammaGamma().fit(rfm)
    assert _rel_diff(gg.params_, gref.params_) <= 1e-10
    assert gg.n_customers_ == gref.n_customers_


def test_clv_model_on_a_parquet_file(rfm: pd.DataFrame, rfm_file: Path) -> None:
    model, ref = ck.CLVModel().fit(rfm_file), ck.CLVModel().fit(rfm)
    assert (model.time_unit_, model.grain_) == ("W", "D")  # read from the file's attrs
    assert _rel_diff(model.purchase_model_.params_, ref.purchase_model_.params_) <= 1e-10
    assert _rel_diff(model.spend_model_.params_, ref.spend_model_.params_) <= 1e-10


def test_weights_column_is_summed(duckdb: Any, rfm: pd.DataFrame) -> None:
    doubled = rfm.reset_index().assign(w=2.0)
    bg = ck.BetaGeo().fit(duckdb.from_df(doubled), weights="w", time_unit="W")
    ref = ck.BetaGeo().fit(rfm, weights=np.full(len(rfm), 2.0))
    assert _rel_diff(bg.params_, ref.params_) <= 1e-10
    assert bg.n_customers_ == 2 * len(rfm)
    with pytest.raises(InputError, match=r"weights as the name of a column"):
        ck.BetaGeo().fit(duckdb.from_df(doubled), weights=np.ones(3), time_unit="W")


def test_fit_checks_the_rows(duckdb: Any, rfm: pd.DataFrame) -> None:
    bad = rfm.reset_index().assign(recency=lambda f: f["T"] + 1.0)
    with pytest.raises(InputError, match=r"Column 'recency' must be <= column 'T'"):
        ck.BetaGeo().fit(duckdb.from_df(bad), time_unit="W")
    with pytest.raises(InputError, match=r"missing the column\(s\) \['T'\]"):
        ck.BetaGeo().fit(duckdb.from_df(rfm.drop(columns="T")), time_unit="W")


@pytest.fixture(scope="module")
def model(rfm: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(rfm)


def test_scoring_a_parquet_file_equals_pandas(
    model: ck.CLVModel, rfm: pd.DataFrame, rfm_file: Path
) -> None:
    expected = model.predict_clv(rfm, **HORIZON)
    got = model.predict_clv(rfm_file, **HORIZON)
    pd.testing.assert_frame_equal(got, expected)  # index from the file's pandas metadata


def test_scoring_streams_batches_to_parquet(
    duckdb: Any, model: ck.CLVModel, rfm: pd.DataFrame, tmp_path: Path
) -> None:
    relation = duckdb.from_df(rfm.reset_index())
    out = model.predict_clv(relation, output=tmp_path / "clv.parquet", **HORIZON)
    # batches of 500 rows: five Arrow batches, five row groups, one result at a time
    from clvkit.engines import scoring

    small = scoring.predict_clv(
        model, relation, output=tmp_path / "small.parquet", batch_rows=500,
        step=None, lifecycle=None, **HORIZON,
    )  # fmt: skip
    import pyarrow.parquet as pq

    assert pq.ParquetFile(small).metadata.num_row_groups == 5
    expected = model.predict_clv(rfm, **HORIZON)
    for path in (out, small):
        got = pd.read_parquet(path).set_index("customer_id").sort_index()
        got["lifecycle_stage"] = got["lifecycle_stage"].astype(expected["lifecycle_stage"].dtype)
        pd.testing.assert_frame_equal(got, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clv.parquet", "small.parquet"]


def test_a_bad_row_leaves_no_partial_output(
    duckdb: Any, model: ck.CLVModel, rfm: pd.DataFrame, tmp_path: Path
) -> None:
    bad = rfm.reset_index()
    bad.loc[2300, "T"] = -1.0  # in the last batch of 500: earlier batches are fine
    from clvkit.engines import scoring

    with pytest.raises(InputError, match=r"Column 'T' must be >= 0"):
        scoring.predict_clv(
            model, duckdb.from_df(bad), output=tmp_path / "clv.parquet", batch_rows=500,
            step=None, lifecycle=None, **HORIZON,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ck.errors.UnitError):  # arguments are checked before any batch
        model.predict_clv(duckdb.from_df(bad), output=tmp_path / "x.parquet", horizon="52 weeks")
    assert list(tmp_path.iterdir()) == []
