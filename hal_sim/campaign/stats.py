"""The statistics of a campaign report: percentiles and the exact binomial upper bound.

The bound is one-sided Clopper-Pearson: the largest rate p still consistent, at confidence
`conf`, with seeing at most k violations in n sessions, i.e. the p where P(X <= k | n, p)
= 1 - conf. With k = 0 it is 1 - (1 - conf)^(1/n), about 3/n at 95 % (the "rule of three").
Computed by bisection on the binomial CDF in log space (no SciPy dependency for one
function); tests check it against the closed form and against known table values.
"""

import math

import numpy


def percentile(values, q):
    """The q-th percentile (numpy's default linear interpolation); None for no values."""
    return float(numpy.percentile(values, q)) if len(values) else None


def _log_pmf(i, n, log_p, log_q):
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * log_p + (n - i) * log_q)


def binom_cdf(k, n, p):
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [_log_pmf(i, n, log_p, log_q) for i in range(k + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def upper_bound(k, n, conf=0.95):
    """One-sided exact (Clopper-Pearson) upper confidence bound on a rate, k events in n."""
    if n <= 0:
        return 1.0
    if k >= n:
        return 1.0
    alpha = 1.0 - conf
    if k == 0:
        return 1.0 - alpha ** (1.0 / n)
    lo, hi = k / n, 1.0
    for _ in range(100):  # the CDF falls as p rises: find where it crosses alpha
        mid = (lo + hi) / 2
        if binom_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi
