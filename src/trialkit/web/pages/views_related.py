"""The registry's "related trials" for the current study: the ClinicalTrials.gov records of a
corpus folder ranked by ``interop.ctgov.related`` against the study's protocol, with the
reasons (shared conditions and interventions, the title and summary words that matched).

The corpus is a folder of API v2 JSON and classic XML records that the deployment provides:
``TRIALKIT_REGISTRY_CORPUS`` (a Django setting or an environment variable), else the folder
``registry-corpus`` in the local state folder (``TRIALKIT_VAR``) when it exists. With neither,
the page says how to configure one instead of ranking nothing.

It shows public registry records and the protocol's own registry fields, never participant
data, so it follows the study as a whole: roles whose view is study-wide (the sponsor, data
management, statisticians, committees) open it; a site's roles, whose pages are their sites'
participants, do not. No new permission is needed for that.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trialkit.interop.ctgov.errors import RecordError
from trialkit.interop.ctgov.related import (
    CONDITION_WEIGHT,
    INTERVENTION_WEIGHT,
    RECORD_SUFFIXES,
    TEXT_WEIGHT,
    Corpus,
    Related,
    Trial,
    rank,
    read_corpus,
    trial_from_protocol,
)
from trialkit.web.pages.session import page, render_page
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.scope import is_study_wide
from trialkit.web.trial.study import current_study, protocol_of

CORPUS_SETTING = "TRIALKIT_REGISTRY_CORPUS"
DEFAULT_FOLDER = "registry-corpus"
TOP = 10
"""The page shows the ten most related records; the command line (`--top`) shows any number."""
CACHE_SECONDS = 3600
WHY = gettext_lazy("Related trials follow the study as a whole: roles that see every site (the "
                   "sponsor, data management, statisticians, committees) open them.")


@dataclass(frozen=True)
class Ranking:
    query: Trial
    corpus: Corpus
    found: tuple[Related, ...]


def corpus_folder() -> Path | None:
    """The configured corpus folder, the local state folder's default, or None."""
    configured = str(getattr(settings, CORPUS_SETTING, "") or
                     os.environ.get(CORPUS_SETTING, "")).strip()
    if configured:
        return Path(configured)
    default = Path(settings.VAR_DIR) / DEFAULT_FOLDER
    return default if default.is_dir() else None


@page(is_study_wide, why=WHY)
def related_trials(request: HttpRequest, actor: Actor) -> HttpResponse:
    folder = corpus_folder()
    context: dict[str, object] = {
        "title": _("Related trials"), "configured": folder is not None, "setting": CORPUS_SETTING,
        "default_folder": DEFAULT_FOLDER, "top": TOP, "problem": "", "ranking": None,
        "weights": (CONDITION_WEIGHT, INTERVENTION_WEIGHT, TEXT_WEIGHT)}
    if folder is not None and not folder.is_dir():
        context["problem"] = _("The configured registry corpus is not a folder on the server.")
    elif folder is not None:
        try:
            ranking = _ranking(folder)
        except RecordError as exc:
            context["problem"] = _("The protocol cannot be written as a registry record: "
                                   "%(problem)s") % {"problem": exc}
        else:
            context["ranking"] = ranking
    return render_page(request, actor, "pages/related_trials.html", context)


def _ranking(folder: Path) -> Ranking:
    """The current protocol against the folder, cached until the protocol or a file changes."""
    study = current_study()
    key = f"trialkit:related:{study.protocol_version}:{_listing_digest(folder)}"
    found: Ranking | None = cache.get(key)
    if found is None:
        query = trial_from_protocol(protocol_of(study), "protocol")
        corpus = read_corpus(folder)
        found = Ranking(query, corpus, tuple(rank(query, corpus.trials, top=TOP)))
        cache.set(key, found, CACHE_SECONDS)
    return found


def _listing_digest(folder: Path) -> str:
    listing = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()
                     if p.is_file() and p.suffix.lower() in RECORD_SUFFIXES)
    return hashlib.sha256(f"{folder.resolve()}|{listing}".encode()).hexdigest()
