"""`trialkit registry related`: registry records ranked by similarity to a protocol or record.

The corpus is tests/fixtures/registry-corpus/ (five public records, two of them multiple
sclerosis trials; see its README). Malformed files are written into a copy of it.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections import Counter

import pytest

from tests.conftest import FIXTURES, REFERENCE_PROTOCOL, ROOT
from trialkit.cli.main import main
from trialkit.interop.ctgov.related import (
    CONDITION_WEIGHT,
    EMBEDDING_WEIGHT,
    INTERVENTION_WEIGHT,
    TEXT_WEIGHT,
    rank,
    read_corpus,
    read_trial,
)
from trialkit.interop.ctgov.related_embed import EmbeddingUnavailableError, embedding_similarity
from trialkit.interop.ctgov.related_text import shared_words, tokens
from trialkit.interop.ctgov.tfidf import text_matches

CORPUS = FIXTURES / "registry-corpus"
MS_TRIALS = {"NCT04047628", "NCT06408259"}
STROKE_PROTOCOL = ROOT / "protocols" / "nct01716481.yaml"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["registry", "related", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_ms_trials_rank_above_the_others_for_the_reference_protocol():
    found = rank(read_trial(REFERENCE_PROTOCOL), read_corpus(CORPUS).trials)
    assert {r.trial.ident for r in found[:2]} == MS_TRIALS
    assert found[1].score > found[2].score
    for result in found[:2]:
        assert "multiple sclerosis" in result.conditions.shared
        assert result.conditions.via == "text"  # the protocol carries no MeSH indexing
        assert {"multiple", "sclerosis"} <= set(result.text.terms)


@pytest.mark.protocols()
def test_every_protocols_ranking_is_well_formed_and_its_score_is_the_weighted_sum(trial_path):
    corpus = read_corpus(CORPUS)
    found = rank(read_trial(trial_path), corpus.trials)
    assert sorted(r.trial.ident for r in found) == sorted(t.ident for t in corpus.trials)
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)
    for r in found:
        parts = (r.conditions.score, r.interventions.score, r.text.cosine)
        assert all(0.0 <= p <= 1.0 for p in parts)
        assert r.score == pytest.approx(CONDITION_WEIGHT * parts[0]
                                        + INTERVENTION_WEIGHT * parts[1] + TEXT_WEIGHT * parts[2])
        assert bool(r.conditions.shared) == (r.conditions.score > 0)


@pytest.mark.protocols()
def test_records_sharing_a_condition_with_the_protocol_rank_above_those_sharing_none(trial_path):
    found = rank(read_trial(trial_path), read_corpus(CORPUS).trials)
    sharing = [i for i, r in enumerate(found) if r.conditions.shared]
    assert sharing == list(range(len(sharing)))


def test_the_stroke_protocol_shares_no_condition_yet_is_ranked_by_its_text(capsys):
    code, out, _ = _run(capsys, str(STROKE_PROTOCOL), "--corpus", str(CORPUS), "--json")
    results = json.loads(out)["results"]
    assert code == 0 and len(results) == 5
    assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    assert all(r["conditions"]["shared"] == [] for r in results)
    # The stem-cell transplant trial reads most like a stem-cell stroke trial.
    assert results[0]["id"] == "NCT04047628" and "stem" in results[0]["text"]["terms"]


def test_a_record_file_as_the_query_is_left_out_and_finds_the_other_ms_trial(capsys):
    code, out, _ = _run(capsys, str(CORPUS / "NCT06408259.json"), "--corpus", str(CORPUS),
                        "--json")
    ranking = json.loads(out)
    assert code == 0 and ranking["query"]["id"] == "NCT06408259"
    assert "NCT06408259" not in [r["id"] for r in ranking["results"]]
    first = ranking["results"][0]
    assert first["id"] == "NCT04047628"
    assert "relapsing multiple sclerosis" in first["conditions"]["shared"]


def test_a_classic_xml_record_brings_its_mesh_terms():
    trial = read_trial(CORPUS / "NCT03424005.xml")
    assert "Triple Negative Breast Neoplasms" in trial.conditions.mesh
    assert {"Atezolizumab", "Bevacizumab"} <= set(trial.interventions.mesh)


def test_two_indexed_records_are_compared_by_mesh_terms_and_ancestors(tmp_path):
    record = json.loads((CORPUS / "NCT02210780.json").read_text(encoding="utf-8"))
    record["protocolSection"]["identificationModule"]["nctId"] = "NCT00000001"
    record["derivedSection"]["conditionBrowseModule"] = {
        "meshes": [{"id": "D000004485", "term": "Eczema"}],
        "ancestors": [{"id": "D000012871", "term": "Skin Diseases"},
                      {"id": "D000017443", "term": "Skin Diseases, Eczematous"}]}
    (tmp_path / "other.json").write_text(json.dumps(record), encoding="utf-8")
    query = read_trial(CORPUS / "NCT02210780.json")
    [found] = rank(query, read_corpus(tmp_path).trials)
    assert found.conditions.via == "mesh"
    assert found.conditions.shared == ("Eczema", "Skin Diseases", "Skin Diseases, Eczematous")
    # 3 of the query's 10 terms (3 MeSH + 7 ancestors), all 3 of the other's.
    assert found.conditions.score == pytest.approx((3 / 10 + 3 / 3) / 2)


def test_an_intervention_given_only_in_comparator_arms_is_not_compared(reference_protocol):
    design = reference_protocol.design
    comparator_arms = {a.id for a in design.arms if a.type in ("PLACEBO_COMPARATOR",
                                                               "SHAM_COMPARATOR")}
    given = {i.name for i in design.interventions
             if any(i.id in a.interventions for a in design.arms if a.id not in comparator_arms)}
    assert comparator_arms, "the reference protocol has a sham comparator arm"
    labels = set(read_trial(REFERENCE_PROTOCOL).interventions.labels)
    assert labels == given and len(labels) < len(design.interventions)


def test_malformed_corpus_files_are_named_and_skipped(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "broken.json").write_text("{not json", encoding="utf-8")
    (corpus / "search.json").write_text('{"studies": [{}, {}]}', encoding="utf-8")
    (corpus / "cut.xml").write_text("<clinical_study><id_info>", encoding="utf-8")
    (corpus / "latin1.xml").write_bytes("<clinical_study>é</clinical_study>".encode("latin-1"))
    (corpus / "notes.txt").write_text("not a record, not read", encoding="utf-8")
    code, out, err = _run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(corpus), "--json")
    ranking = json.loads(out)
    assert code == 0 and ranking["records_read"] == 5
    skipped = {s["file"]: s["problem"] for s in ranking["skipped"]}
    assert set(skipped) == {"broken.json", "search.json", "cut.xml", "latin1.xml"}
    assert "not valid JSON" in skipped["broken.json"]
    assert "search result with 2 studies" in skipped["search.json"]
    assert "not well-formed XML" in skipped["cut.xml"]
    for name in skipped:
        assert f"skipped {name}: " in err
    assert {r["id"] for r in ranking["results"][:2]} == MS_TRIALS


def test_top_limits_the_results_and_must_be_a_positive_number(capsys):
    code, out, _ = _run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(CORPUS), "--top", "2")
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if line[:3].strip().endswith(".")] \
        == ["NCT04047628", "NCT06408259"]
    with pytest.raises(SystemExit) as exit_:
        main(["registry", "related", str(REFERENCE_PROTOCOL), "--corpus", str(CORPUS),
              "--top", "0"])
    assert exit_.value.code == 2


def test_the_text_output_shows_the_reasons(capsys):
    _, out, _ = _run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(CORPUS), "--top", "1")
    assert "conditions (names, 1.00): multiple sclerosis" in out
    assert "title/summary (cosine " in out


def test_the_json_output_is_byte_stable_and_independent_of_the_corpus_order(tmp_path, capsys):
    args = (str(REFERENCE_PROTOCOL), "--corpus", str(CORPUS), "--json")
    first, second = _run(capsys, *args)[1], _run(capsys, *args)[1]
    assert first == second
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for i, path in enumerate(sorted(CORPUS.glob("NCT*"), reverse=True)):
        shutil.copy(path, renamed / f"{i}{path.suffix}")
    other = json.loads(_run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(renamed),
                            "--json")[1])
    ours = json.loads(first)
    strip = [{k: v for k, v in r.items() if k != "source"} for r in ours["results"]]
    assert [{k: v for k, v in r.items() if k != "source"} for r in other["results"]] == strip


def test_an_unreadable_query_or_a_missing_corpus_exits_2(tmp_path, capsys):
    assert _run(capsys, str(tmp_path / "none.json"), "--corpus", str(CORPUS))[0] == 2
    code, _, err = _run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(tmp_path / "no"))
    assert code == 2 and "not a folder" in err


def test_tokens_fold_case_accents_punctuation_stop_words_and_plurals():
    assert tokens("Relapsing-Remitting Sjögren's Diseases; the Stem Cells® and therapies") \
        == ["relapsing", "remitting", "sjogren", "disease", "stem", "cell", "therapy"]
    assert tokens("Multiple Sclerosis, virus, illnesses") == ["multiple", "sclerosis", "virus",
                                                                "illness"]


def test_names_agree_when_the_shorter_shares_two_thirds_of_its_words():
    assert shared_words(("multiple", "sclerosis"), ("relapsing", "multiple", "sclerosis")) \
        == ("multiple", "sclerosis")
    assert shared_words(("autologous", "mesenchymal", "stem", "cell"),
                        ("allogeneic", "umbilical", "cord", "mesenchymal", "stem", "cell")) \
        == ("mesenchymal", "stem", "cell")
    assert shared_words(("breast", "cancer"), ("lung", "cancer")) is None
    assert shared_words((), ("cancer",)) is None


def _reference_tfidf(texts: list[str]) -> list[float]:
    """TF-IDF cosines of texts[1:] with texts[0], written from the formula with plain floats
    (sublinear tf, smoothed idf, unit length), to check the sparse implementation."""
    counts = [Counter(tokens(t)) for t in texts]
    n = len(texts)
    df = Counter(w for c in counts for w in c)
    vectors = []
    for c in counts:
        v = {w: (1 + math.log(k)) * (math.log((1 + n) / (1 + df[w])) + 1) for w, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    return [sum(x * vectors[0].get(w, 0.0) for w, x in v.items()) for v in vectors[1:]]


def test_tfidf_cosines_match_the_formula_on_the_corpus_texts():
    query = read_trial(REFERENCE_PROTOCOL).text
    texts = [t.text for t in read_corpus(CORPUS).trials]
    got = [m.cosine for m in text_matches(query, texts)]
    assert got == pytest.approx(_reference_tfidf([query, *texts]), abs=1e-12)
    same, disjoint = text_matches("stem cells in sclerosis", ["Stem cell sclerosis", "fever"])
    assert same.cosine == pytest.approx(1.0) and disjoint.cosine == 0.0
    assert disjoint.terms == () and set(same.terms) == {"stem", "cell", "sclerosis"}


def test_a_similarity_re_ranks_with_its_documented_weight():
    query, trials = read_trial(REFERENCE_PROTOCOL), read_corpus(CORPUS).trials
    lexical = {r.trial.ident: r.score for r in rank(query, trials)}
    favoured = "NCT04207047"  # the least related record, made the most similar
    found = rank(query, trials, similarity=lambda q, texts: [
        1.0 if t == next(x.text for x in trials if x.ident == favoured) else 0.0
        for t in texts])
    for r in found:
        assert r.embedding == (1.0 if r.trial.ident == favoured else 0.0)
        assert r.score == pytest.approx((1 - EMBEDDING_WEIGHT) * lexical[r.trial.ident]
                                        + EMBEDDING_WEIGHT * r.embedding)
    assert found[0].trial.ident in MS_TRIALS  # 0.7 x 0.55 still beats 0.7 x 0.002 + 0.3


def test_without_the_optional_model_the_command_says_so_and_ranks_lexically(monkeypatch,
                                                                            capsys):
    monkeypatch.setitem(sys.modules, "wordllama", None)  # importing it now fails
    with pytest.raises(EmbeddingUnavailableError, match="not installed"):
        embedding_similarity()
    code, out, err = _run(capsys, str(REFERENCE_PROTOCOL), "--corpus", str(CORPUS), "--json",
                          "--embeddings")
    assert code == 0 and "wordllama" in err
    ranking = json.loads(out)
    assert all(r["embedding"] is None for r in ranking["results"])
    assert ranking["weights"]["embedding"] is None


def test_the_optional_model_loads_offline_from_its_package():
    """wordllama is optional for users and a dev dependency, so this always runs here."""
    query, trials = read_trial(REFERENCE_PROTOCOL), read_corpus(CORPUS).trials
    found = rank(query, trials, similarity=embedding_similarity())
    assert all(r.embedding is not None and 0.0 <= r.embedding <= 1.0 for r in found)
    assert {r.trial.ident for r in found[:2]} == MS_TRIALS
