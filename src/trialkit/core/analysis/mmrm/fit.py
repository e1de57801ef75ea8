"""Minimising the REML criterion: Newton–Raphson from MIVQUE0, quasi-Newton as a fallback.

First PROC MIXED's path (``sas``): MIVQUE0 start, Newton–Raphson in the elements of Σ with
the Hessian from central differences of the analytic gradient; with ``stop="sas"`` it stops
where SAS does, else it goes on to machine precision. When that path fails (MIVQUE0 not
positive definite, as happens with few participants, or a step that cannot improve), BFGS
on the Cholesky parameters from a diagonal start (each visit's OLS residual variance) takes
over, then L-BFGS-B and Nelder–Mead if it stops short, each polished by Newton steps; the
best is kept and the result names the method. Either way, convergence is declared by SAS's
rule, the relative Hessian criterion gᵀH⁻¹g/|−2 l_R| ≤ 1e-8 with H positive definite;
otherwise the fit is returned with ``converged=False`` and a note, never silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.optimize

from trialkit.core.analysis.mmrm.likelihood import (
    Evaluation,
    Pattern,
    evaluate,
    theta_from_covariance,
)
from trialkit.core.analysis.mmrm.sas import (
    RELATIVE_HESSIAN_CRITERION,
    mivque0,
    newton_raphson,
)
from trialkit.core.analysis.table import FloatArray

Stop = Literal["optimum", "sas"]
EXACT_CRITERION = 1e-14


@dataclass(frozen=True)
class Optimum:
    theta: FloatArray
    evaluation: Evaluation
    hessian: FloatArray
    """Of −2 l_R with respect to θ; Cov(θ̂) ≈ 2 H⁻¹."""
    converged: bool
    method: str
    notes: tuple[str, ...]


Objective = Callable[[FloatArray], tuple[float, FloatArray]]


def objective(patterns: list[Pattern], t: int) -> Objective:
    def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        try:
            found = evaluate(theta, patterns, t)
        except np.linalg.LinAlgError:
            return float("inf"), np.zeros_like(theta)
        return found.criterion, found.gradient

    return value_and_gradient


def hessian(patterns: list[Pattern], t: int, theta: FloatArray) -> FloatArray:
    f = objective(patterns, t)
    columns = []
    for j in range(len(theta)):
        step = 1e-4 * max(1.0, abs(float(theta[j])))
        shift = np.zeros_like(theta)
        shift[j] = step
        columns.append((f(theta + shift)[1] - f(theta - shift)[1]) / (2 * step))
    h = np.column_stack(columns)
    return (h + h.T) / 2


def _newton_polish(patterns: list[Pattern], t: int, theta: FloatArray) -> FloatArray:
    f = objective(patterns, t)
    value, gradient = f(theta)
    for _ in range(8):
        try:
            step = np.linalg.solve(hessian(patterns, t, theta), gradient)
        except np.linalg.LinAlgError:
            break
        if 0 <= float(gradient @ step) <= EXACT_CRITERION * max(1.0, abs(value)):
            break
        for scale in (1.0, 0.5, 0.25, 0.125):
            new_value, new_gradient = f(theta - scale * step)
            if new_value <= value:
                theta, value, gradient = theta - scale * step, new_value, new_gradient
                break
        else:
            break
    return theta


def _bfgs(f: Objective, start: FloatArray) -> FloatArray:
    found = scipy.optimize.minimize(f, start, jac=True, method="BFGS",
                                    options={"gtol": 1e-6, "maxiter": 2000})
    return np.asarray(found.x, dtype=float)


def _lbfgs(f: Objective, start: FloatArray) -> FloatArray:
    found = scipy.optimize.minimize(f, start, jac=True, method="L-BFGS-B",
                                    options={"maxiter": 5000})
    return np.asarray(found.x, dtype=float)


def _simplex(f: Objective, start: FloatArray) -> FloatArray:
    found = scipy.optimize.minimize(lambda th: f(th)[0], start, method="Nelder-Mead",
                                    options={"maxfev": 2000, "xatol": 1e-8, "fatol": 1e-10})
    return _bfgs(f, np.asarray(found.x, dtype=float))


ATTEMPTS: tuple[tuple[str, Callable[[Objective, FloatArray], FloatArray]], ...] = (
    ("BFGS", _bfgs), ("L-BFGS-B", _lbfgs), ("Nelder-Mead then BFGS", _simplex))


def stationary(patterns: list[Pattern], t: int, theta: FloatArray,
               criterion: float = RELATIVE_HESSIAN_CRITERION) -> bool:
    """SAS's rule: gᵀH⁻¹g / |−2 l_R| ≤ criterion with H positive definite."""
    found = evaluate(theta, patterns, t)
    h = hessian(patterns, t, theta)
    if not np.all(np.linalg.eigvalsh(h) > 0):
        return False
    step = float(found.gradient @ np.linalg.solve(h, found.gradient))
    return step <= criterion * max(1.0, abs(found.criterion))


def _exact(patterns: list[Pattern], t: int, start: FloatArray) -> tuple[str, FloatArray]:
    """Each method in turn (from the best point so far), each polished by Newton steps,
    until one reaches a stationary point; the best value found is kept."""
    f = objective(patterns, t)
    candidates: list[tuple[float, str, FloatArray]] = []
    for method, run in ATTEMPTS:
        origin = min(candidates, key=lambda c: c[0])[2] if candidates else start
        polished = _newton_polish(patterns, t, run(f, origin))
        candidates.append((f(polished)[0], method, polished))
        if stationary(patterns, t, polished):
            break
    _, method, theta = min(candidates, key=lambda c: c[0])
    return method, theta


def _newton(patterns: list[Pattern], t: int, stop: Stop) -> FloatArray | None:
    """θ by PROC MIXED's path; for ``"optimum"`` it goes on to machine precision."""
    criterion = RELATIVE_HESSIAN_CRITERION if stop == "sas" else EXACT_CRITERION
    try:
        sigma = newton_raphson(patterns, t, mivque0(patterns, t), criterion)
        return None if sigma is None else theta_from_covariance(sigma)
    except np.linalg.LinAlgError:
        return None


def optimise(patterns: list[Pattern], t: int, start: FloatArray,
             stop: Stop = "optimum") -> Optimum:
    notes: list[str] = []
    theta = _newton(patterns, t, stop)
    method = ("Newton-Raphson from MIVQUE0 in the elements of the covariance, stopped by "
              "SAS's criterion" if stop == "sas" else
              "Newton-Raphson from MIVQUE0 in the elements of the covariance, to the optimum")
    if stop == "sas" and theta is None:
        notes.append("SAS's Newton-Raphson path from MIVQUE0 failed; the exact optimum is "
                     "reported instead")
    if theta is None:
        method, theta = _exact(patterns, t, start)
    found = evaluate(theta, patterns, t)
    h = hessian(patterns, t, theta)
    definite = bool(np.all(np.linalg.eigvalsh(h) > 0))
    converged = stationary(patterns, t, theta)
    if not converged:
        notes.append("the REML optimiser did not reach a stationary point; estimates are "
                     "those of the best value found")
    if not definite:
        notes.append("the REML Hessian is not positive definite at the optimum: covariance "
                     "parameters are not identifiable from these data; Satterthwaite df "
                     "are unreliable")
    return Optimum(theta, found, h, converged, method, tuple(notes))
