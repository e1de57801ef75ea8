"""In the trial: the unblinded statistician's simulation page, and the committee gates' tables.

``simulation``: conditional power of each primary analysis on the data as of a date (the
trial completed by drawing the participants still to come from those seen in their arm, and
the declared analysis run on each completed trial; ``core.simulation.conditional``) and the
predicted date of the last participant's last visit of each part still recruiting
(``core.simulation.interim.predicted_end``). It compares arms, so only roles that read every
participant's arm, at every site, open it (``navigation.may_simulate``); the data come from
``analysis_source.trial_rows`` with that actor, as the analysis reads them. A run is bounded
(``MAX_TRIALS``) and cached by (data digest, seed, trials), so reloading costs nothing.

``safety_context``: for the safety page, each committee gate's declared stopping rule with its
exact P(stop | true rate) beside the pooled count of reviewed participants with a qualifying
event so far (read by ``gate_tables``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from trialkit.core.adam import ParticipantRow, derive
from trialkit.core.protocol import Protocol
from trialkit.core.simulation.conditional import AnalysisPower, conditional_power
from trialkit.core.simulation.interim import EndPrediction, last_visit_day, predicted_end
from trialkit.web.pages import gate_tables
from trialkit.web.pages.navigation import may_simulate
from trialkit.web.pages.session import page, render_page
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.analysis_source import NOT_ENROLLED, trial_rows
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.models import Study
from trialkit.web.trial.study import current_study, protocol_of

DEFAULT_TRIALS = 100
MAX_TRIALS = 1_000
"""A page request runs at most this many completed trials per analysis (about a second per
hundred for a count model on two cores); the command line has no such bound."""
MAX_RUNS = 2_000
"""At most this many analysis runs (trials × analyses) per request: with the secondary
endpoints a protocol may declare twenty analyses, each fit taking some 10-50 ms."""
DEFAULT_SEED = 20260101
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PartEnd:
    part: str
    enrolled: int
    target: int
    prediction: EndPrediction | None
    note: str


@dataclass(frozen=True)
class Run:
    as_of: dt.date
    seed: int
    trials: int
    digest: str
    powers: tuple[AnalysisPower, ...]
    ends: tuple[PartEnd, ...]
    follow_days: int


@page(may_simulate, why=gettext_lazy(
    "Only roles that see every participant's arm, at every site (the unblinded statistician), "
    "run the simulation conditioned on the data so far."))
def simulation(request: HttpRequest, actor: Actor) -> HttpResponse:
    on = today()
    errors, as_of, seed, trials = _inputs(request, on)
    every = request.GET.get("endpoints") == "all"
    protocol = protocol_of(current_study())
    kinds = tuple(sorted({e.kind for e in protocol.endpoints})) if every else ("primary",)
    analyses = sum(len(e.analyses) for e in protocol.endpoints if e.kind in kinds)
    asked, trials = trials, max(1, min(trials, MAX_RUNS // max(analyses, 1)))
    run = None if errors else _run(actor, as_of, seed, trials, kinds)
    return render_page(request, actor, "pages/simulation.html", {
        "title": _("Simulation conditioned on the data so far"), "run": run, "errors": errors,
        "as_of": as_of, "seed": seed, "trials": trials, "today": on,
        "max_trials": MAX_TRIALS, "every": every, "asked": asked, "max_runs": MAX_RUNS,
        "analyses": analyses})


def _inputs(request: HttpRequest, on: dt.date) -> tuple[list[str], dt.date, int, int]:
    errors: list[str] = []
    as_of, seed, trials = on, DEFAULT_SEED, DEFAULT_TRIALS
    text = request.GET.get("as_of", "")
    if text:
        try:
            as_of = dt.date.fromisoformat(text)
        except ValueError:
            errors.append(_("Data as of: not a date (YYYY-MM-DD)."))
        else:
            if as_of > on:
                errors.append(_("Data as of: a date in the future has no data yet."))
    for name, field, low, high in (("seed", _("Seed"), 0, 2**32 - 1),
                                   ("trials", _("Trials"), 1, MAX_TRIALS)):
        raw = request.GET.get(name, "")
        if not raw:
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors.append(_("%(field)s: a whole number from %(low)s to %(high)s.") % {
                "field": field, "low": low, "high": high})
        elif name == "seed":
            seed = int(raw)
        else:
            trials = int(raw)
    return errors, as_of, seed, trials


def _run(actor: Actor, as_of: dt.date, seed: int, trials: int, kinds: tuple[str, ...]
         ) -> Run:
    rows = trial_rows(as_of, actor)
    protocol = protocol_of(current_study())
    datasets = derive(protocol, rows)
    # The notes are in the reader's language: a run is cached once per language.
    key = (f"trialkit:simulation:{datasets.digest}:{seed}:{trials}:{','.join(kinds)}:"
           f"{get_language()}")
    found: Run | None = cache.get(key)
    if found is None:
        follow = last_visit_day(protocol)
        powers = conditional_power(protocol, datasets, trials=trials, seed=seed, kinds=kinds)
        found = Run(as_of, seed, trials, datasets.digest, powers,
                    _ends(protocol, rows.participants, as_of, seed, follow), follow)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _ends(protocol: Protocol, people: tuple[ParticipantRow, ...], as_of: dt.date, seed: int,
          follow: int) -> tuple[PartEnd, ...]:
    """Each part's last participant's last visit: at the rate its participants enrolled since
    its first one (the first enrolment stands for the part's opening)."""
    found = []
    for index, part in enumerate(protocol.design.parts):
        enrolled = sorted(p.enrolled_on for p in people if p.part == part.id
                          and p.status not in NOT_ENROLLED and p.enrolled_on is not None)
        if not enrolled:
            found.append(PartEnd(part.name, 0, part.enrolment_target, None,
                                 _("no participant enrolled yet: no rate to extrapolate")))
            continue
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(10_000 + index,)))
        target = max(part.enrolment_target, len(enrolled))
        found.append(PartEnd(part.name, len(enrolled), part.enrolment_target, predicted_end(
            today=as_of, opened=enrolled[0], day0_dates=enrolled, target=target,
            follow_days=follow, rng=rng), ""))
    return tuple(found)


def safety_context(actor: Actor, study: Study) -> dict[str, object]:
    """What the safety page adds: the gates' tables (for roles that review safety)."""
    if not actor.can("review_safety"):
        return {"gate_tables": []}
    return {"gate_tables": gate_tables.gate_tables(actor, study, protocol_of(study))}
