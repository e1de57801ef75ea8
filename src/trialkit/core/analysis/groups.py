"""Treatment arms in a column: which arms, in what order, which one is the reference."""

from __future__ import annotations

from collections.abc import Sequence

from trialkit.core.analysis.table import AnalysisInputError, Array


def arm_order(values: Array, arms: Sequence[str] | None = None,
              reference: str | None = None) -> tuple[str, ...]:
    """Arms in display order: ``arms`` when given (arms absent from the data are kept: a
    table shows an empty arm rather than silently dropping it), else the sorted distinct
    non-missing values. The reference, if any, must be one of them."""
    present = sorted({str(v) for v in values if v not in (None, "")})
    if arms is not None:
        unknown = sorted(set(present) - set(arms))
        if unknown:
            raise AnalysisInputError(f"arms: the data hold arm(s) {', '.join(unknown)} "
                                     f"not listed in {list(arms)}")
        ordered = tuple(arms)
    else:
        ordered = tuple(present)
    if reference is not None and reference not in ordered:
        raise AnalysisInputError(f"reference arm '{reference}' is not one of {list(ordered)}")
    return ordered


def with_reference_first(arms: Sequence[str], reference: str | None) -> tuple[str, ...]:
    """Model coding order: the reference level first (it is absorbed in the intercept)."""
    if reference is None:
        return tuple(arms)
    return (reference, *(arm for arm in arms if arm != reference))


def check_pairs(comparisons: Sequence[tuple[str, str]] | None,
                arms: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The (arm, against) pairs to compare; by default each arm against the first (the
    reference). Arms without analysed rows cannot be compared."""
    if comparisons is None:
        return tuple((arm, arms[0]) for arm in arms[1:])
    for pair in comparisons:
        absent = [arm for arm in pair if arm not in arms]
        if absent:
            raise AnalysisInputError(f"comparison {pair[0]} - {pair[1]}: no analysed rows in "
                                     f"arm(s) {', '.join(absent)}")
    return tuple((arm, against) for arm, against in comparisons)
