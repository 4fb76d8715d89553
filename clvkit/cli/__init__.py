"""The ``clvkit`` command: from a transaction log to a shareable answer.

::

    clvkit rfm LOG -o rfm.parquet            # one row per customer (frequency, recency, T, ...)
    clvkit fit rfm.parquet -o model.json     # fit a model; prints its parameters
    clvkit score model.json rfm.parquet --horizon 52W -o clv.parquet
    clvkit report LOG -o report.html         # all of it, as one page for a manager

Exit status: 0 on success, 2 when the command line is wrong (an unknown option, a file
or folder that does not exist), 1 when clvkit refuses the data (its error's message,
without a traceback unless ``--debug``). See the "Command line" page of the
documentation.

The command is a thin layer over clvkit's public API; importing :mod:`clvkit` never
imports it.
"""

from clvkit.cli.main import main

__all__ = ["main"]
