"""Log-link GLMs for counts by iteratively reweighted least squares: Poisson and negative
binomial with a known θ (Var = μ + μ²/θ), with an offset.

Written out (not statsmodels) so the core stays typed and free of pandas, and so every
numeric choice is visible: R's starting values (μ = y + 1/10 for the Poisson family, as
``poisson()$initialize``; the Poisson fit for the NB), R's convergence rule on the deviance
(|Δdev|/(|dev| + 0.1) below a tolerance, here 1e-12 rather than R's 1e-8, since the
oracle compares to 1e-6), and the SE from the inverse Fisher information (XᵀWX)⁻¹ with
W = μ²/Var(μ), which is what ``summary.glm`` and ``summary.negbin`` print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from trialkit.core.analysis.table import FloatArray

TOLERANCE = 1e-12
MAX_ITERATIONS = 100


@dataclass(frozen=True)
class GlmFit:
    beta: FloatArray
    information_inverse: FloatArray
    """(XᵀWX)⁻¹ at the fit: the model-based covariance of β̂ (dispersion 1)."""
    mu: FloatArray
    deviance: float
    converged: bool
    iterations: int


def _variance(mu: FloatArray, theta: float | None) -> FloatArray:
    result: FloatArray = mu if theta is None else mu + mu * mu / theta
    return result


def deviance(y: FloatArray, mu: FloatArray, theta: float | None) -> float:
    """Poisson deviance (``theta=None``) or NB deviance at fixed θ."""
    ratio = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    if theta is None:
        return float(2 * np.sum(ratio - (y - mu)))
    return float(2 * np.sum(ratio - (y + theta) * np.log((y + theta) / (mu + theta))))


def fit(x: FloatArray, y: FloatArray, offset: FloatArray, theta: float | None = None,
        start: FloatArray | None = None) -> GlmFit:
    """IRLS; ``start`` is an initial μ (default y + 0.1)."""
    mu = y + 0.1 if start is None else start
    eta = np.log(mu)
    previous = deviance(y, mu, theta)
    beta = np.zeros(x.shape[1])
    for iteration in range(1, MAX_ITERATIONS + 1):
        weights = mu * mu / _variance(mu, theta)
        working = eta - offset + (y - mu) / mu
        root = np.sqrt(weights)
        beta = np.linalg.lstsq(x * root[:, None], working * root, rcond=None)[0]
        eta = np.clip(x @ beta + offset, -700, 700)
        mu = np.exp(eta)
        current = deviance(y, mu, theta)
        if not np.isfinite(current):
            break
        if abs(current - previous) / (abs(current) + 0.1) < TOLERANCE:
            return _finish(x, y, beta, mu, theta, current, True, iteration)
        previous = current
    return _finish(x, y, beta, mu, theta, previous, False, MAX_ITERATIONS)


def _finish(x: FloatArray, y: FloatArray, beta: FloatArray, mu: FloatArray,
            theta: float | None, value: float, converged: bool, iterations: int) -> GlmFit:
    weights = mu * mu / _variance(mu, theta)
    try:
        inverse = np.linalg.inv(x.T @ (x * weights[:, None]))
    except np.linalg.LinAlgError:
        inverse = np.full((x.shape[1], x.shape[1]), np.nan)
        converged = False
    return GlmFit(beta, inverse, mu, value, converged and bool(np.all(np.isfinite(beta))),
                  iterations)


def poisson_log_likelihood(y: FloatArray, mu: FloatArray) -> float:
    return float(np.sum(y * np.log(mu) - mu - special.gammaln(y + 1)))


def nb_log_likelihood(y: FloatArray, mu: FloatArray, theta: float) -> float:
    return float(np.sum(special.gammaln(y + theta) - special.gammaln(theta)
                        - special.gammaln(y + 1) + theta * np.log(theta / (theta + mu))
                        + y * np.log(mu / (theta + mu))))


def theta_information(y: FloatArray, mu: FloatArray, theta: float) -> float:
    """−∂²l/∂θ² at fixed μ: R ``theta.ml``'s information, whose root gives SE(θ̂)."""
    return float(-np.sum(special.polygamma(1, y + theta) - special.polygamma(1, theta)
                         + 1 / theta - 2 / (theta + mu) + (y + theta) / (theta + mu) ** 2))


def sandwich(x: FloatArray, y: FloatArray, fitted: GlmFit) -> FloatArray:
    """HC0 for the Poisson log-link fit: (XᵀWX)⁻¹ Xᵀ diag((y − μ)²) X (XᵀWX)⁻¹ (R
    ``sandwich::sandwich``; White 1980, Zeger & Liang 1986)."""
    scores = x * (y - fitted.mu)[:, None]
    bread = fitted.information_inverse
    result: FloatArray = bread @ (scores.T @ scores) @ bread
    return result
