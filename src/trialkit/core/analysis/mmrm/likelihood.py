"""The REML criterion of a linear model with unstructured covariance over visits, and its
analytic gradient.

Model: participant i's responses y_i (at the visits they attended) are N(X_i β, Σ_i), with
Σ_i the rows and columns of one unstructured t×t matrix Σ for those visits, participants
independent. Σ = L Lᵀ with L lower triangular; θ holds log L_kk (k = 1..t) then the
strictly lower entries row by row, so every θ gives a positive definite Σ and the optimiser
needs no constraints (Pinheiro & Bates 1996, "Unconstrained parametrizations for
variance-covariance matrices").

    −2 l_R(θ) = Σ_i [log|Σ_i| + r_iᵀ Σ_i⁻¹ r_i] + log|Xᵀ V⁻¹ X| + (N − p) log 2π,

with β̂ the GLS estimate and r_i = y_i − X_i β̂: SAS PROC MIXED's "−2 Res Log Likelihood"
(which, unlike R's ``nlme``, has no log|XᵀX| term). Participants sharing a pattern of
attended visits share Σ_i, so the work is done once per pattern on stacked arrays.

Its differential is tr(G dΣ), G = Σ_i E_iᵀ Σ_i⁻¹ (Σ_i − r_i r_iᵀ − X_i A X_iᵀ) Σ_i⁻¹ E_i,
A = (Xᵀ V⁻¹ X)⁻¹ and E_i the visit selector (β̂'s own dependence on θ drops out because it
minimises the quadratic form). With dΣ = dL Lᵀ + L dLᵀ, ∂/∂L_ab = 2 (G L)_ab.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from trialkit.core.analysis.table import FloatArray

LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Pattern:
    """Participants who attended the same visits: stacked responses and design rows."""

    visits: tuple[int, ...]
    y: FloatArray
    """(participants, visits)"""
    x: FloatArray
    """(participants, visits, parameters)"""


@dataclass(frozen=True)
class Evaluation:
    criterion: float
    """−2 REML log-likelihood."""
    gradient: FloatArray
    """d(−2 l_R)/dθ."""
    sigma_gradient: FloatArray
    """G: d(−2 l_R) = tr(G dΣ)."""
    beta: FloatArray
    beta_covariance: FloatArray
    """A = (Xᵀ V⁻¹ X)⁻¹, the model-based covariance of β̂."""
    sigma: FloatArray


def cholesky_factor(theta: FloatArray, t: int) -> FloatArray:
    factor = np.zeros((t, t))
    factor[np.diag_indices(t)] = np.exp(theta[:t])
    factor[np.tril_indices(t, -1)] = theta[t:]
    return factor


def theta_from_covariance(sigma: FloatArray) -> FloatArray:
    factor = np.linalg.cholesky(sigma)
    t = len(sigma)
    return np.concatenate([np.log(np.diag(factor)), factor[np.tril_indices(t, -1)]])


def theta_gradient(g: FloatArray, factor: FloatArray) -> FloatArray:
    """d/dθ of a function whose differential in Σ is tr(g dΣ), g symmetric."""
    t = len(factor)
    dl = 2 * g @ factor
    return np.concatenate([np.diag(dl) * np.diag(factor), dl[np.tril_indices(t, -1)]])


@dataclass(frozen=True)
class _PatternTerms:
    inverse: FloatArray
    xtvx: FloatArray
    xtvy: FloatArray
    logdet: float


def _pattern_terms(pattern: Pattern, sigma: FloatArray) -> _PatternTerms:
    index = np.array(pattern.visits)
    chol = scipy.linalg.cho_factor(sigma[np.ix_(index, index)], lower=True)
    inverse = scipy.linalg.cho_solve(chol, np.eye(len(index)))
    vx = np.einsum("kl,mlq->mkq", inverse, pattern.x)
    return _PatternTerms(inverse, np.einsum("mkq,mkr->qr", pattern.x, vx),
                         np.einsum("mkq,mk->q", vx, pattern.y),
                         len(pattern.y) * 2 * float(np.sum(np.log(np.diag(chol[0])))))


def evaluate(theta: FloatArray, patterns: list[Pattern], t: int) -> Evaluation:
    factor = cholesky_factor(theta, t)
    return evaluate_sigma(factor @ factor.T, patterns, factor)


def evaluate_sigma(sigma: FloatArray, patterns: list[Pattern],
                   factor: FloatArray | None = None) -> Evaluation:
    """The criterion at Σ (LinAlgError if Σ or XᵀV⁻¹X is not positive definite)."""
    t = len(sigma)
    lower: FloatArray = np.linalg.cholesky(sigma) if factor is None else factor
    terms = [_pattern_terms(p, sigma) for p in patterns]
    xtvx = sum(term.xtvx for term in terms)
    xtvy = sum(term.xtvy for term in terms)
    chol = scipy.linalg.cho_factor(xtvx, lower=True)
    beta = scipy.linalg.cho_solve(chol, xtvy)
    a = scipy.linalg.cho_solve(chol, np.eye(len(beta)))
    n = sum(p.y.size for p in patterns)
    criterion = (sum(term.logdet for term in terms) + 2 * float(np.sum(np.log(np.diag(chol[0]))))
                 + (n - len(beta)) * LOG_2PI)
    g = np.zeros((t, t))
    for pattern, term in zip(patterns, terms, strict=True):
        residuals = pattern.y - pattern.x @ beta
        criterion += float(np.einsum("mk,kl,ml->", residuals, term.inverse, residuals))
        index = np.array(pattern.visits)
        g[np.ix_(index, index)] += _inner(pattern, term.inverse, residuals, a)
    return Evaluation(criterion, theta_gradient(g, lower), g, beta, a, sigma)


def _inner(pattern: Pattern, inverse: FloatArray, residuals: FloatArray,
           a: FloatArray) -> FloatArray:
    """Σ_i Σ_i⁻¹ (Σ_i − r_i r_iᵀ − X_i A X_iᵀ) Σ_i⁻¹ over one pattern's participants."""
    spread = residuals.T @ residuals + np.einsum("mkq,qr,mlr->kl", pattern.x, a, pattern.x)
    result: FloatArray = len(pattern.y) * inverse - inverse @ spread @ inverse
    return result


def variance_gradient(contrast: FloatArray, theta: FloatArray, patterns: list[Pattern],
                      t: int, a: FloatArray) -> FloatArray:
    """d/dθ of cᵀ A(θ) c: tr(M dΣ) with M = Σ_i E_iᵀ u_i u_iᵀ E_i, u_i = Σ_i⁻¹ X_i A c."""
    factor = cholesky_factor(theta, t)
    sigma = factor @ factor.T
    direction = a @ contrast
    m = np.zeros((t, t))
    for pattern in patterns:
        index = np.array(pattern.visits)
        inverse = np.linalg.inv(sigma[np.ix_(index, index)])
        u = np.einsum("kl,mlq,q->mk", inverse, pattern.x, direction)
        m[np.ix_(index, index)] += u.T @ u
    return theta_gradient(m, factor)
