"""The airspeed velocity (asv) suite: clvkit's own speed, commit after commit.

``asv.conf.json`` at the repository root points here. The cases and sizes are those of
``python -m benchmarks`` (:data:`benchmarks.run.PLANS`), on the same cached cohorts;
``CLVKIT_BENCH_SIZES=quick`` selects the quick sizes. Only clvkit is timed: the ratios
against lifetimes stay the job of ``python -m benchmarks --check``.
"""
