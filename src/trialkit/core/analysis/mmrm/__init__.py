"""MMRM: REML with unstructured covariance over visits and Satterthwaite degrees of freedom."""

from trialkit.core.analysis.mmrm.model import MmrmResult, mmrm

__all__ = ["MmrmResult", "mmrm"]
