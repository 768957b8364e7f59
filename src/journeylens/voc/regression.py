"""Standardised multiple regression with analytic standard errors (numpy, on reduced data).

Used by the key-driver analysis (`journeylens.voc.drivers`): one row per journey, a handful of
interpretable features. Both models take the features standardised (z-scores: mean 0,
standard deviation 1), so a coefficient is the change per standard deviation of the feature
and coefficients compare with each other.

- **Linear** (ordinary least squares) for a score: ``y = b0 + Z b + e``; ``cov(b) = s² (XᵀX)⁻¹``
  with ``s² = RSS / (n - k - 1)``; confidence intervals from Student's *t* with ``n - k - 1``
  degrees of freedom; R² and adjusted R².
- **Logistic** (maximum likelihood by Newton-Raphson) for a 0/1 outcome:
  ``logit P(y = 1) = b0 + Z b``; ``cov(b) = (XᵀWX)⁻¹`` with ``W = diag(p (1 - p))`` at the
  optimum; Wald intervals from the normal distribution; McFadden's pseudo R² = 1 - LL/LL0.

Before fitting, `prune` removes columns a regression cannot separate: constant ones and those
(nearly) a linear combination of earlier columns (Gram-Schmidt in the given order, so the first
of two collinear columns is kept). ``vif`` is each kept column's variance inflation factor.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(400, 2))
>>> y = 1.0 + 2.0 * x[:, 0] + rng.normal(scale=0.5, size=400)
>>> fit = fit_linear(standardise(x)[0], y)
>>> [round(float(v), 2) for v in fit.coef], round(fit.r2, 2)
([1.99, 0.06], 0.95)
>>> [round(float(v), 2) for v in (fit.ci_low[0], fit.ci_high[0])]
[1.95, 2.04]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

#: A column whose residual after projection on the kept columns keeps less than this share of
#: its norm is treated as collinear.
COLLINEAR = 1e-6


@dataclass(frozen=True)
class Fit:
    """A fitted model: per feature (not the intercept) ``coef``, ``se``, ``ci_low``,
    ``ci_high``, ``p_value`` and ``vif``; and the model's ``intercept``, ``n``, ``r2`` (R² or
    McFadden's pseudo R²), ``adj_r2`` (None for logistic), ``converged``."""

    kind: str
    coef: Floats
    se: Floats
    ci_low: Floats
    ci_high: Floats
    p_value: Floats
    vif: Floats
    intercept: float
    n: int
    r2: float
    adj_r2: float | None
    converged: bool


def standardise(x: Floats) -> tuple[Floats, Floats, Floats]:
    """Columns as z-scores, with their means and standard deviations (ddof 1).

    Examples
    --------
    >>> z, mean, sd = standardise(np.array([[1.0], [3.0]]))
    >>> z.ravel().round(3).tolist(), mean.tolist(), sd.round(3).tolist()
    ([-0.707, 0.707], [2.0], [1.414])
    """
    mean = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
    safe = np.where(sd > 0, sd, 1.0)
    return (x - mean) / safe, mean, sd


def prune(x: Floats, max_vif: float | None = None) -> tuple[list[int], dict[int, str]]:
    """Which columns of ``x`` to keep, and why each other one is dropped: ``constant``,
    ``collinear`` (a linear combination of the columns kept before it) or, with ``max_vif``,
    ``vif <v>`` (with it, some kept column's variance inflation factor, 1 / (1 - R²) on the
    others, would be ``v`` > ``max_vif``). Columns are taken in order and a column never
    displaces one kept before it, so of two overlapping columns the first is kept.

    Examples
    --------
    >>> a = np.array([1.0, 2.0, 3.0, 5.0])
    >>> prune(np.column_stack([a, np.ones(4), 2 * a + 1, a**2]))
    ([0, 3], {1: 'constant', 2: 'collinear'})
    >>> prune(np.column_stack([a, a**2]), max_vif=10)
    ([0], {1: 'vif 27'})
    """
    centred = x - x.mean(axis=0)
    corr = correlation(x)
    basis: list[Floats] = []
    kept: list[int] = []
    dropped: dict[int, str] = {}
    for j in range(x.shape[1]):
        column = centred[:, j]
        norm = float(np.linalg.norm(column))
        if norm <= 1e-12 * max(1.0, float(np.abs(x[:, j]).max(initial=0.0))):
            dropped[j] = "constant"
            continue
        residual = column.copy()
        for q in basis:
            residual -= q * float(q @ residual)
        rest = float(np.linalg.norm(residual))
        if rest / norm < COLLINEAR:
            dropped[j] = "collinear"
            continue
        if max_vif is not None and kept:
            trial = [*kept, j]
            worst = float(variance_inflation(corr[np.ix_(trial, trial)]).max())
            if worst > max_vif:
                dropped[j] = f"vif {worst:.0f}"
                continue
        basis.append(residual / rest)
        kept.append(j)
    return kept, dropped


def correlation(x: Floats) -> Floats:
    """The correlation matrix of the columns of ``x`` (constant columns: 0 off the diagonal)."""
    centred = x - x.mean(axis=0)
    norm = np.sqrt((centred**2).sum(axis=0))
    scaled = centred / np.where(norm > 0, norm, 1.0)
    corr = scaled.T @ scaled
    np.fill_diagonal(corr, 1.0)
    return np.asarray(corr, dtype=float)


def variance_inflation(corr: Floats) -> Floats:
    """Each column's variance inflation factor, 1 / (1 - R²) of the column on the others,
    from the columns' correlation matrix (the diagonal of its inverse).

    Examples
    --------
    >>> variance_inflation(np.array([[1.0, 0.5], [0.5, 1.0]])).round(3).tolist()
    [1.333, 1.333]
    """
    if corr.shape[0] == 0:
        return np.zeros(0)
    return np.asarray(np.diag(np.linalg.pinv(corr)), dtype=float)


def _normal_p(z: Floats) -> Floats:
    return np.array([math.erfc(abs(float(v)) / math.sqrt(2.0)) for v in z])


def _quantile(level: float, df: int | None) -> float:
    from scipy import stats

    if df is None:
        return float(stats.norm.ppf(0.5 + level / 2))
    return float(stats.t.ppf(0.5 + level / 2, df))


def fit_linear(z: Floats, y: Floats, level: float = 0.95) -> Fit:
    """Ordinary least squares of ``y`` on ``z`` plus an intercept."""
    from scipy import stats

    n, k = z.shape
    df = n - k - 1
    if df < 1:
        raise ValueError(f"{n} rows are too few to fit {k} features; choose fewer features")
    design = np.column_stack([np.ones(n), z])
    xtx_inv = np.linalg.pinv(design.T @ design)
    beta = xtx_inv @ design.T @ y
    residual = y - design @ beta
    rss = float(residual @ residual)
    tss = float(((y - y.mean()) ** 2).sum())
    sigma2 = rss / df
    se = np.sqrt(np.maximum(np.diag(xtx_inv) * sigma2, 0.0))
    half = _quantile(level, df) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, 0.0)
    p = 2 * stats.t.sf(np.abs(t), df)
    r2 = 1 - rss / tss if tss > 0 else 0.0
    return Fit(
        kind="linear",
        coef=beta[1:],
        se=se[1:],
        ci_low=(beta - half)[1:],
        ci_high=(beta + half)[1:],
        p_value=np.asarray(p[1:], dtype=float),
        vif=variance_inflation(correlation(z)),
        intercept=float(beta[0]),
        n=n,
        r2=r2,
        adj_r2=1 - (1 - r2) * (n - 1) / df,
        converged=True,
    )


def _log_likelihood(y: Floats, eta: Floats) -> float:
    return float((y * eta - np.logaddexp(0.0, eta)).sum())


def fit_logistic(z: Floats, y: Floats, level: float = 0.95, max_iter: int = 100) -> Fit:
    """Logistic regression of 0/1 ``y`` on ``z`` plus an intercept (Newton-Raphson).

    ``converged`` is False when the iterations did not settle or a coefficient ran away
    (|b| > 15 per standard deviation: a feature separates the outcome perfectly).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(3000, 1))
    >>> y = (rng.random(3000) < 1 / (1 + np.exp(-(-1.0 + 1.5 * x[:, 0])))).astype(float)
    >>> fit = fit_logistic(x, y)
    >>> round(float(fit.coef[0]), 2), bool(fit.ci_low[0] < 1.5 < fit.ci_high[0]), fit.converged
    (1.45, True, True)
    """
    n, k = z.shape
    if n - k - 1 < 1:
        raise ValueError(f"{n} rows are too few to fit {k} features; choose fewer features")
    design = np.column_stack([np.ones(n), z])
    mean = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta = np.zeros(k + 1)
    beta[0] = math.log(mean / (1 - mean))
    converged = False
    hessian = np.eye(k + 1)
    for _ in range(max_iter):
        eta = design @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1 - p)
        hessian = (design * w[:, None]).T @ design + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hessian, design.T @ (y - p))
        beta = beta + step
        if float(np.abs(step).max()) < 1e-8:
            converged = True
            break
    eta = design @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    hessian = (design * (p * (1 - p))[:, None]).T @ design
    cov = np.linalg.pinv(hessian)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    half = _quantile(level, None) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        wald = np.where(se > 0, beta / se, 0.0)
    ll = _log_likelihood(y, eta)
    ll0 = _log_likelihood(y, np.full(n, math.log(mean / (1 - mean))))
    runaway = bool(np.abs(beta[1:]).max(initial=0.0) > 15)
    return Fit(
        kind="logistic",
        coef=beta[1:],
        se=se[1:],
        ci_low=(beta - half)[1:],
        ci_high=(beta + half)[1:],
        p_value=_normal_p(wald[1:]),
        vif=variance_inflation(correlation(z)),
        intercept=float(beta[0]),
        n=n,
        r2=1 - ll / ll0 if ll0 < 0 else 0.0,
        adj_r2=None,
        converged=converged and not runaway,
    )
