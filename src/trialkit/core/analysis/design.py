"""Design matrices for linear models, without formula libraries (and without pandas).

A model is an intercept plus *terms*; a term is a tuple of variables multiplied together.
A factor (categorical variable) enters as treatment-coded dummies against its reference
level, as R's default contrasts do: a factor with k levels gives k − 1 columns, and an
interaction multiplies the dummy sets of its factors (and covariate values). With every
main effect of an interaction present (a hierarchical model) the matrix has full rank and
coefficients read as differences from the reference cell. SAS's GLM parametrisation
(reference = last level) gives the same fitted values, LS-means and contrasts; only the
coefficient labels differ, so a caller wanting SAS's coefficients passes the last level
as reference.

LS-means follow SAS's definition (Searle, Speed & Milliken 1980): the model's prediction at
the given factor levels, averaged with equal weights over every combination of the other
factors' levels, with covariates at their mean over the analysed rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from trialkit.core.analysis.table import AnalysisInputError, Array, FloatArray

Term = tuple[str, ...]


@dataclass(frozen=True)
class Design:
    factors: Mapping[str, tuple[str, ...]]
    """Each factor's levels, reference first."""
    covariates: tuple[str, ...]
    terms: tuple[Term, ...]
    """Terms after the intercept, in column order."""

    @property
    def column_names(self) -> tuple[str, ...]:
        names = ["(Intercept)"]
        for term in self.terms:
            names.extend(":".join(parts) for parts in itertools.product(
                *(self._labels(variable) for variable in term)))
        return tuple(names)

    def _labels(self, variable: str) -> list[str]:
        if variable in self.factors:
            return [f"{variable}={level}" for level in self.factors[variable][1:]]
        return [variable]

    def matrix(self, values: Mapping[str, Array]) -> FloatArray:
        """Rows of the design matrix; factors as text arrays, covariates as floats."""
        n = len(next(iter(values.values())))
        columns: list[FloatArray] = [np.ones(n)]
        for term in self.terms:
            parts = [self._columns(variable, values[variable]) for variable in term]
            for combination in itertools.product(*parts):
                columns.append(np.prod(np.vstack(combination), axis=0))
        return np.column_stack(columns)

    def _columns(self, variable: str, values: Array) -> list[FloatArray]:
        if variable not in self.factors:
            return [np.asarray(values, dtype=np.float64)]
        return [(values == level).astype(np.float64) for level in self.factors[variable][1:]]

    def mean_row(self, fixed: Mapping[str, str], covariate_means: Mapping[str, float]
                 ) -> FloatArray:
        """The LS-mean coefficient vector at the ``fixed`` factor levels."""
        free = [f for f in self.factors if f not in fixed]
        grid = list(itertools.product(*(self.factors[f] for f in free)))
        values: dict[str, Array] = {
            name: np.array([level] * len(grid), dtype=object) for name, level in fixed.items()}
        for position, name in enumerate(free):
            values[name] = np.array([cell[position] for cell in grid], dtype=object)
        for name in self.covariates:
            values[name] = np.full(len(grid), covariate_means[name])
        row: FloatArray = self.matrix(values).mean(axis=0)
        return row


def factor_levels(values: Array, name: str, reference: str | None = None,
                  order: Sequence[str] | None = None) -> tuple[str, ...]:
    """Observed levels, reference first (default: the first in ``order`` or sorted)."""
    present = sorted({str(v) for v in values})
    levels = [level for level in order if level in present] if order else present
    if reference is not None:
        if reference not in present:
            raise AnalysisInputError(f"'{name}': reference level '{reference}' does not occur "
                                     f"in the analysed rows (levels: {', '.join(present)})")
        levels = [reference, *(level for level in levels if level != reference)]
    return tuple(levels)


def check_full_rank(matrix: FloatArray, names: Sequence[str]) -> None:
    """Refuse a design whose columns are linearly dependent, naming a culprit column."""
    if matrix.shape[0] == 0:
        raise AnalysisInputError("no rows left to analyse")
    _, r, pivots = scipy.linalg.qr(matrix, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int(np.sum(diagonal > diagonal[0] * max(matrix.shape) * np.finfo(float).eps))
    if rank < matrix.shape[1]:
        dropped = ", ".join(names[i] for i in sorted(pivots[rank:]))
        raise AnalysisInputError(
            f"the model is not estimable: column(s) {dropped} are linear combinations of the "
            "others (a level with no data, a factor confounded with another, or fewer rows "
            "than parameters)")
