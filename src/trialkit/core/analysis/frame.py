"""From a table to a model's rows and design: complete cases, factor levels, notes.

Rows missing the response or any model variable are left out (complete-case analysis) and
counted in a note; imputation, if the protocol wants one, happens before (e.g. LOCF rows
flagged in the analysis dataset). A nuisance factor left with a single level after that is
dropped with a note, since it cannot be estimated; a treatment with a single arm is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.design import Design, Term, check_full_rank, factor_levels
from trialkit.core.analysis.table import AnalysisInputError, Array, BoolArray, FloatArray, Table
from trialkit.core.analysis.table import missing as is_missing


@dataclass(frozen=True)
class ModelFrame:
    design: Design
    x: FloatArray
    used: BoolArray
    """Which rows of the input table the model uses."""
    values: Mapping[str, Array]
    """Each model variable over the used rows: factors as text, covariates as float."""
    covariate_means: Mapping[str, float]
    notes: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.used.sum())


def model_frame(table: Table, *, treatment: str, reference: str | None,
                factors: Mapping[str, str | None] | Sequence[str] = (),
                covariates: Sequence[str] = (), interactions: Sequence[Term] = (),
                required: Sequence[str] = (), treatment_order: Sequence[str] | None = None
                ) -> ModelFrame:
    """Terms: treatment, the other factors, the covariates, then ``interactions``.
    ``factors`` maps a factor to its reference level (``None``: first sorted level).
    ``required`` columns (the response, an offset) must be present but are not terms."""
    references = dict(factors) if isinstance(factors, Mapping) else dict.fromkeys(factors)
    references = {treatment: reference, **references}
    used, notes = _complete_rows(table, list(references), list(covariates), list(required))
    if not used.any():  # say why, rather than fail later on a reference level not found
        raise AnalysisInputError("no row to analyse" + (f" ({'; '.join(notes)})" if notes
                                                        else " (none in the data subset)"))
    values: dict[str, Array] = {name: table.text(name)[used] for name in references}
    values.update({name: table.numeric(name)[used] for name in covariates})
    levels = _levels(values, references, treatment, treatment_order)
    single = [name for name, found in levels.items() if len(found) < 2]
    notes += tuple(f"factor '{name}' has a single level in the analysed rows and was dropped"
                   for name in single)
    kept = {name: found for name, found in levels.items() if name not in single}
    terms: list[Term] = [(name,) for name in [*kept, *covariates]]
    terms += [t for t in interactions if not set(t) & set(single)]
    design = Design(kept, tuple(covariates), tuple(terms))
    x = design.matrix(values)
    check_full_rank(x, design.column_names)
    means = {name: float(values[name].mean()) for name in covariates}
    return ModelFrame(design, x, used, values, means, notes)


def _levels(values: Mapping[str, Array], references: Mapping[str, str | None],
            treatment: str, treatment_order: Sequence[str] | None
            ) -> dict[str, tuple[str, ...]]:
    levels = {name: factor_levels(values[name], name, ref,
                                  treatment_order if name == treatment else None)
              for name, ref in references.items()}
    if len(levels[treatment]) < 2:
        raise AnalysisInputError(f"'{treatment}': the analysed rows hold a single arm "
                                 f"({', '.join(levels[treatment]) or 'none'})")
    return levels


def _complete_rows(table: Table, factors: list[str], covariates: list[str],
                   required: list[str]) -> tuple[BoolArray, tuple[str, ...]]:
    used = np.ones(table.n_rows, dtype=bool)
    notes = []
    for name in [*required, *factors, *covariates]:
        column = table.text(name) if name in factors else table.numeric(name)
        absent = is_missing(column) & used
        if absent.any():
            notes.append(f"{int(absent.sum())} row(s) without '{name}' were left out")
        used &= ~absent
    return used, tuple(notes)
