"""The content-addressed store: results survive, errors are not cached."""

import sqlite3

from warmreg.api import CORRECT, UNPARSEABLE, Generation, Verdict
from warmreg.cache.store import Store


def test_generations_round_trip_and_persist(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put_generation("k1", Generation("hello", 5, 2, "stop"))
        store.put_generation("k2", Generation("cut", 5, 8, "length"))
    with Store(path) as store:
        found = store.generations(["k1", "k2", "k3"])
    assert found == {"k1": Generation("hello", 5, 2, "stop"), "k2": Generation("cut", 5, 8, "length")}


def test_failed_generations_are_not_stored(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_generation("k", Generation("", finish_reason="error"))
        assert store.generations(["k"]) == {}


def test_verdicts_round_trip(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_verdict("v", Verdict("REFUSED", "refusal", "starts with I can't"))
        store.put_verdict("v", Verdict("REFUSED", "refusal", "starts with I can't"))
        assert store.verdicts(["v"])["v"].label == "REFUSED"
        assert store.counts() == {"generations": 0, "verdicts": 1, "scores": 0}


def test_scores_round_trip_with_nan(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put_scores({"a": 0.25, "b": float("nan")})
    with Store(path) as store:
        found = store.scores(["a", "b", "c"])
    assert found["a"] == 0.25 and found["b"] != found["b"] and "c" not in found


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        for i in range(1200):
            store.put_generation(f"k{i}", Generation(str(i)))
        found = store.generations(f"k{i}" for i in range(0, 1300))
    assert len(found) == 1200 and found["k1199"].text == "1199"


def test_each_put_is_committed_immediately(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    store.put_generation("k", Generation("x"))
    # another connection sees it before the writer closes: a kill now loses nothing
    assert sqlite3.connect(path).execute("SELECT text FROM generations").fetchone() == ("x",)
    store.close()


def _as_left_by_an_earlier_layout(path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


def test_a_store_from_the_earlier_layout_is_upgraded_with_a_message(tmp_path):
    path = tmp_path / "old.sqlite"
    with Store(path) as store:
        store.put_generation("k", Generation("kept"))
    _as_left_by_an_earlier_layout(path, "DROP TABLE info")  # layout 1 had no info table
    with Store(path) as store:
        assert store.upgraded_from == 1
        assert "checkpoint fingerprints" in store.upgrade_message()
        assert store.generations(["k"])["k"].text == "kept"  # nothing is lost
    with Store(path) as store:
        assert store.upgrade_message() is None  # said once
    with Store(tmp_path / "new.sqlite") as store:
        assert store.upgrade_message() is None


def test_upgrade_deletes_judge_endpoint_failures_an_earlier_version_cached(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put_verdict("error", Verdict(UNPARSEABLE, "llm", "judge backend error: "))
        store.put_verdict("genuine", Verdict(UNPARSEABLE, "llm", "lorem ipsum"))
        store.put_verdict("ok", Verdict(CORRECT, "llm", "VERDICT: CORRECT"))
    _as_left_by_an_earlier_layout(path, "UPDATE info SET value = '2' WHERE name = 'layout'")
    with Store(path) as store:
        assert store.upgraded_from == 2
        assert "judged again" in store.upgrade_message()
        assert set(store.verdicts(["error", "genuine", "ok"])) == {"genuine", "ok"}
