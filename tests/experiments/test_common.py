"""Result tables filled piece by piece: rows are replaced by key, the others kept."""

from __future__ import annotations

from common import read_rows, upsert_rows


def test_upsert_replaces_rows_by_key_and_keeps_the_others(tmp_path):
    path = tmp_path / "sub" / "t.csv"
    assert read_rows(path) == []
    upsert_rows(path, [{"variant": "a", "seed": 0, "acc": 0.5}, {"variant": "a", "seed": 1, "acc": 0.6}], key=("variant", "seed"))
    upsert_rows(path, [{"variant": "b", "seed": 0, "acc": 0.7}], key=("variant", "seed"))
    upsert_rows(path, [{"variant": "a", "seed": 1, "acc": 0.9, "note": "rerun"}], key=("variant", "seed"))
    rows = read_rows(path)
    assert [(r["variant"], r["seed"], r["acc"], r["note"]) for r in rows] == [
        ("a", "0", "0.5", ""), ("b", "0", "0.7", ""), ("a", "1", "0.9", "rerun")]
