"""Satterthwaite degrees of freedom for a contrast cᵀβ of an MMRM.

    df = 2 φ(θ̂)² / (∇φᵀ W ∇φ),   φ(θ) = cᵀ A(θ) c,   W = Cov(θ̂) = 2 H⁻¹,

where A = (Xᵀ V⁻¹ X)⁻¹ and H is the Hessian of −2 l_R at the optimum (observed
information, as in SAS PROC MIXED ``ddfm=satterthwaite`` and R ``mmrm``; Satterthwaite
1946, Giesbrecht & Burns 1985). ∇φ is analytic (``likelihood.variance_gradient``). The df
are invariant to how θ parametrises Σ, since ∇φ and H⁻¹ transform together.
"""

from __future__ import annotations

import numpy as np

from trialkit.core.analysis.mmrm.likelihood import Pattern, variance_gradient
from trialkit.core.analysis.table import FloatArray


def satterthwaite_df(contrast: FloatArray, theta: FloatArray, hessian: FloatArray,
                     patterns: list[Pattern], t: int, a: FloatArray) -> float | None:
    """The df, or ``None`` if the Hessian is singular (df undefined)."""
    variance = float(contrast @ a @ contrast)
    gradient = variance_gradient(contrast, theta, patterns, t, a)
    try:
        covariance = 2 * np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    spread = float(gradient @ covariance @ gradient)
    if not spread > 0:
        return None
    return 2 * variance * variance / spread
