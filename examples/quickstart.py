"""CDNOW end to end: raw log -> RFM -> BG/NBD + Gamma-Gamma -> predictions -> value,
and the three continuous-time purchase models compared on a holdout.

Run from the repository root after installing clvkit::

    python examples/quickstart.py              # also saves plots to examples/output/
    python examples/quickstart.py --no-plots   # text only
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import clvkit as ck

CALIBRATION_END = "1997-09-30"  # 39 weeks of calibration, as in Fader, Hardie & Lee (2005)
OBSERVATION_END = "1998-06-30"
OUTPUT_DIR = Path(__file__).resolve().parent / "output"


def main() -> None:
    tx = ck.datasets.load_cdnow_transactions()
    print(
        f"CDNOW 1/10 sample: {len(tx):,} transactions of {tx['customer_id'].nunique():,} "
        f"customers, {tx['date'].min():%Y-%m-%d} to {tx['date'].max():%Y-%m-%d}"
    )

    # descriptive retention first: who keeps buying, month by month
    # CDNOW has dates without times: its 21 repeated rows are real purchases
    retention = ck.retention_table(tx, period="M", monetary="amount", duplicates="keep")
    print("\nMonthly retention (base = customers who bought the month before)")
    print(
        retention[
            [
                "customers_start",
                "new",
                "retained",
                "reactivated",
                "retention_rate",
                "churn_rate",
                "revenue",
            ]
        ]
        .round(3)
        .to_string()
    )

    calibration = tx[tx["date"] <= CALIBRATION_END]
    rfm = ck.rfm_summary(
        calibration,
        monetary="amount",
        time_unit="W",
        observation_end=CALIBRATION_END,
        duplicates="keep",
    )
    print(
        f"\nRFM summary (weeks): {len(rfm):,} customers, {int(rfm['frequency'].sum()):,} "
        f"repeat purchases, {int((rfm['frequency'] > 0).sum()):,} repeat buyers"
    )

    bg = ck.BetaGeo().fit(rfm)
    print("\nBG/NBD (published: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4)")
    print(bg.summary().round(4).to_string())
    print(f"log-likelihood {bg.log_likelihood_:.2f}")

    gg = ck.GammaGamma().fit(rfm)
    print("\nGamma-Gamma on the repeat buyers (published: p 6.25, q 3.74, v 15.44)")
    print(gg.summary().round(4).to_string())

    few = rfm.loc[[1, 2, 18, 1516]]
    predictions = pd.DataFrame(
        {
            "p_alive": bg.probability_alive(few),
            "purchases_next_39W": bg.expected_purchases(few, "39W"),
            "purchases_next_12M": bg.expected_purchases(few, "12M"),
            "expected_spend": gg.expected_spend(few),
        }
    )
    print("\nA few customers")
    print(few.join(predictions).round(3).to_string())

    # actual versus potential value over the next year: 10 % a year discount, 30 % margin
    model = ck.CLVModel().fit(rfm)
    clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    segments = ck.segment_summary(clv, by="lifecycle")
    shown = [
        "n_customers",
        "historical_value",
        "expected_value",
        "potential_value",
        "value_at_risk",
        "at_risk_share",
        "mean_p_alive",
    ]
    print("\nActual vs potential value per lifecycle stage (52 weeks, 10 %/yr, margin 30 %)")
    print(segments[shown].round(2).to_string())
    totals = clv[["historical_value", "expected_value", "potential_value", "value_at_risk"]].sum()
    print(
        f"\nWhole base: earned {totals['historical_value']:,.0f}, expected "
        f"{totals['expected_value']:,.0f} more, {totals['potential_value']:,.0f} if every "
        f"customer were kept: {totals['value_at_risk']:,.0f} at risk."
    )

    _compare_models(tx)

    # the key pictures as PNG files (skip with --no-plots)
    if "--no-plots" not in sys.argv[1:]:
        saved = _save_plots(tx, rfm, model, clv)
        print(f"\nSaved {len(saved)} plots to {OUTPUT_DIR}: {', '.join(p.name for p in saved)}")


def _compare_models(tx: pd.DataFrame) -> None:
    """BG/NBD, MBG/NBD and Pareto/NBD on the same calibration/holdout split, one table."""
    holdout = ck.calibration_holdout(
        tx, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END, time_unit="W"
    )
    fits = {
        cls.display_name: cls().fit(holdout)
        for cls in (ck.BetaGeo, ck.ModifiedBetaGeo, ck.ParetoNBD)
    }
    table = ck.compare_models(fits, holdout)
    shown = ["log_likelihood", "bic", "mae", "predicted_purchases", "actual_purchases", "gini"]
    print("\nWhich purchase model? Fitted on the calibration weeks, scored on the next 39")
    print(table[shown].round(3).to_string())
    once = holdout["frequency"] == 0
    p_alive = {name: float(m.probability_alive(holdout)[once].mean()) for name, m in fits.items()}
    print(
        "Mean P(alive) of the customers who never came back: "
        + ", ".join(f"{name} {value:.2f}" for name, value in p_alive.items())
        + " (BG/NBD cannot let them lapse)"
    )


def _save_plots(
    tx: pd.DataFrame, rfm: pd.DataFrame, model: ck.CLVModel, clv: pd.DataFrame
) -> list[Path]:
    """Draw the model checks and value views headless (Agg) and save them as PNG files."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    import clvkit.plotting as ckp

    bg = model.purchase_model_
    drawings = {
        "period_transactions": lambda ax: ckp.plot_period_transactions(bg, rfm, ax=ax),
        "cumulative_transactions": lambda ax: ckp.plot_cumulative_transactions(
            bg, tx, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END, ax=ax
        ),
        "probability_alive_matrix": lambda ax: ckp.plot_probability_alive_matrix(bg, rfm, ax=ax),
        "value_by_segment": lambda ax: ckp.plot_value_by_segment(clv, ax=ax),
        "value_concentration": lambda ax: ckp.plot_value_concentration(
            clv, columns=["actual_clv", "potential_clv"], ax=ax
        ),
    }
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, draw in drawings.items():
        fig, ax = plt.subplots(figsize=(8, 5))
        draw(ax)
        fig.tight_layout()
        path = OUTPUT_DIR / f"{name}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        saved.append(path)
    return saved


if __name__ == "__main__":
    main()
