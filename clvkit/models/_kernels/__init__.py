"""Pure numpy/scipy kernels: log-likelihoods, derivatives and predictive formulas.

Kernels take plain float64 arrays and parameter vectors, assume valid input (the public
layer validates), work in log space, and know nothing of pandas. Every formula of the
package lives here once; estimators, CLV, plots and services call these functions.
"""
