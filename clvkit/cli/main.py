"""The command line: options of each subcommand, and errors sorted into exit statuses."""

from __future__ import annotations

import argparse
import sys
import traceback
import warnings
from collections.abc import Sequence

from clvkit.cli.files import UsageError

__all__ = ["build_parser", "main"]

_UNITS = ("h", "D", "W", "M", "Q", "Y")
_MODELS = ("bgnbd", "mbgnbd", "pnbd")

_RFM_EXAMPLE = """\
example:
  clvkit rfm transactions.csv --customer-id customer_id --date date --amount amount \\
      --time-unit W -o rfm.parquet
  clvkit rfm transactions.parquet --amount amount --calibration-end 1997-09-30 -o cal.csv

The file records its time unit (Parquet metadata, or a first '# clvkit' line in a CSV),
so 'clvkit fit' and 'clvkit score' never read weeks as days. With --calibration-end the
file also holds each customer's holdout purchases, and 'clvkit fit' checks the model on
them.
"""

_FIT_EXAMPLE = """\
example:
  clvkit fit rfm.parquet --model pnbd -o model.json

Fits the purchase model (and, when the summary has monetary_value, the Gamma-Gamma spend
model beside it) and prints the parameters with their intervals.
"""

_SCORE_EXAMPLE = """\
example:
  clvkit score model.json rfm.parquet --horizon 52W --discount-rate 0.1 --margin 0.3 \\
      --interval 0.9 -o clv.parquet

One row per customer: p_alive, expected purchases and spend, historical, expected and
potential value, value at risk, actual and potential CLV, lifecycle stage (with
--interval, a lower and upper bound beside each value).
"""

_REPORT_EXAMPLE = """\
example:
  clvkit report transactions.csv --customer-id customer_id --date date --amount amount \\
      --margin 0.3 -o report.html

Writes report.html (one self-contained page: open it in a browser or attach it to an
e-mail) and report.json (the same numbers, for machines) beside it.
"""


def _level(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (0.9 for 90 %), got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0.1 for 10 %% a year), got {text}")
    return value


def _margin(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (0.3 for 30 %%), got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Examples kept as written; defaults shown after each option."""


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, notes or warnings"
    )
    group.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (for bug reports)"
    )


def _log_options(parser: argparse.ArgumentParser, *, amount: str | None) -> None:
    group = parser.add_argument_group("the transaction log")
    group.add_argument(
        "--customer-id", default="customer_id", metavar="COL", help="column of customer ids"
    )
    group.add_argument("--date", default="date", metavar="COL", help="column of transaction dates")
    group.add_argument(
        "--amount",
        default=amount,
        metavar="COL",
        help="column of transaction amounts" + ("" if amount else " (needed for value)"),
    )
    group.add_argument(
        "--date-format",
        metavar="FMT",
        help="strftime format of string dates, e.g. %%Y%%m%%d (default: inferred)",
    )
    group.add_argument(
        "--grain",
        default="D",
        choices=_UNITS,
        help="transactions of one customer in one such period are one purchase",
    )
    group.add_argument(
        "--duplicates",
        default="warn",
        choices=("warn", "drop", "keep"),
        help="rows repeating an earlier row exactly: keep and warn, drop, keep silently",
    )
    group.add_argument(
        "--observation-end", metavar="DATE", help="end of observation (default: last transaction)"
    )
    group.add_argument(
        "--time-unit", default="W", choices=_UNITS, help="unit of recency, T and model rates"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``clvkit`` argument parser and its four subcommands."""
    parser = argparse.ArgumentParser(
        prog="clvkit",
        description="Customer lifetime value from a transaction log (CSV or Parquet).",
        formatter_class=_Formatter,
        epilog="Run 'clvkit COMMAND --help' for each command's options and an example.",
    )
    from clvkit import __version__

    parser.add_argument("--version", action="version", version=f"clvkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    rfm = commands.add_parser(
        "rfm",
        help="transaction log -> one row per customer (frequency, recency, T, value)",
        description="Summarise a transaction log into one row per customer.",
        epilog=_RFM_EXAMPLE,
        formatter_class=_Formatter,
    )
    rfm.add_argument("log", metavar="LOG", help="transaction log (.csv or .parquet)")
    rfm.add_argument("-o", "--output", required=True, metavar="FILE", help=".parquet or .csv")
    _log_options(rfm, amount=None)
    rfm.add_argument(
        "--calibration-end", metavar="DATE", help="also count each customer's holdout purchases"
    )
    _common(rfm)

    fit = commands.add_parser(
        "fit",
        help="customer summary -> fitted model file (prints the parameters)",
        description="Fit a purchase model (and Gamma-Gamma for spend) on a customer summary.",
        epilog=_FIT_EXAMPLE,
        formatter_class=_Formatter,
    )
    fit.add_argument("rfm", metavar="RFM", help="customer summary from 'clvkit rfm'")
    fit.add_argument("-o", "--output", required=True, metavar="FILE", help="model file (JSON)")
    fit.add_argument("--model", default="bgnbd", choices=_MODELS, help="purchase model")
    fit.add_argument(
        "--interval", type=_level, default=0.95, metavar="LEVEL", help="level of the intervals"
    )
    fit.add_argument(
        "--time-unit",
        choices=_UNITS,
        help="unit of recency and T, for a summary that does not record it",
    )
    fit.add_argument("--customer-id", metavar="COL", help="column of customer ids")
    _common(fit)

    score = commands.add_parser(
        "score",
        help="model file + customer summary -> value per customer",
        description="Actual and potential value of every customer, from a model file.",
        epilog=_SCORE_EXAMPLE,
        formatter_class=_Formatter,
    )
    score.add_argument("model_file", metavar="MODEL", help="model file from 'clvkit fit'")
    score.add_argument("rfm", metavar="RFM", help="customer summary from 'clvkit rfm'")
    score.add_argument("-o", "--output", required=True, metavar="FILE", help=".parquet or .csv")
    score.add_argument("--horizon", required=True, help="e.g. 52W, 12M, 365D, 1Y")
    score.add_argument("--discount-rate", type=_rate, default=0.0, metavar="RATE", help="a year")
    score.add_argument("--margin", type=_margin, default=1.0, help="profit margin in [0, 1]")
    score.add_argument(
        "--interval", type=_level, metavar="LEVEL", help="add lower and upper bounds"
    )
    score.add_argument(
        "--method",
        default="delta",
        choices=("delta", "parametric"),
        help="how the interval is computed",
    )
    score.add_argument("--seed", type=int, default=0, help="seed of parametric draws")
    score.add_argument("--time-unit", choices=_UNITS, help="for a summary that does not record it")
    score.add_argument("--customer-id", metavar="COL", help="column of customer ids")
    _common(score)

    report = commands.add_parser(
        "report",
        help="transaction log -> self-contained HTML report (+ JSON of its numbers)",
        description=(
            "Everything in one go: the data summary, three models fitted on a calibration "
            "period and judged on the holdout, actual and potential value per lifecycle "
            "stage and segment with ranges, value at risk, retention and cohorts."
        ),
        epilog=_REPORT_EXAMPLE,
        formatter_class=_Formatter,
    )
    report.add_argument("log", metavar="LOG", help="transaction log (.csv or .parquet)")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="report (.html)")
    report.add_argument("--json", metavar="FILE", help="the numbers (default: beside the report)")
    _log_options(report, amount="amount")
    group = report.add_argument_group("the analysis")
    group.add_argument(
        "--calibration-end", metavar="DATE", help="end of the calibration period (default: midway)"
    )
    group.add_argument("--horizon", default="52W", help="e.g. 52W, 12M, 1Y")
    group.add_argument("--discount-rate", type=_rate, default=0.10, metavar="RATE", help="a year")
    group.add_argument("--margin", type=_margin, default=1.0, help="profit margin in [0, 1]")
    group.add_argument("--interval", type=_level, default=0.9, metavar="LEVEL", help="of ranges")
    group.add_argument(
        "--model",
        default="auto",
        choices=("auto", *_MODELS),
        help="model for the value figures (auto: lowest BIC)",
    )
    group.add_argument(
        "--segment", metavar="COL", help="column of segments (each customer's first value)"
    )
    group.add_argument(
        "--period", default="M", choices=("W", "M", "Q", "Y"), help="of retention and cohorts"
    )
    group.add_argument("--top", type=_positive, default=50, metavar="N", help="customers listed")
    _common(report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``clvkit`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``clvkit``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 when clvkit refuses the data, 2 when the command line is wrong.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code) if isinstance(exc.code, int) else 2
    name = f"clvkit {args.command}"
    with warnings.catch_warnings():
        # pandas' note on guessing a date format: clvkit reports what does not parse itself
        warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
        return _run(args, args_list, name)


def _run(args: argparse.Namespace, args_list: list[str], name: str) -> int:
    from clvkit.errors import ClvkitError

    try:
        from clvkit.cli import commands

        if args.command == "rfm":
            return commands.run_rfm(args)
        if args.command == "fit":
            return commands.run_fit(args)
        if args.command == "score":
            return commands.run_score(args)
        return commands.run_report(args, args_list)
    except UsageError as exc:
        _explain(args, exc)
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    except ClvkitError as exc:
        _explain(args, exc)
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted; no output was written.", file=sys.stderr)
        return 130
    except (OSError, ImportError) as exc:
        _explain(args, exc)
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        _explain(args, exc)
        print(
            f"{name}: unexpected {type(exc).__name__}: {exc} (run again with --debug for the "
            "traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


def _explain(args: argparse.Namespace, exc: BaseException) -> None:
    if getattr(args, "debug", False):
        traceback.print_exception(exc, file=sys.stderr)
