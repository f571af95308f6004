"""Safe recipe reading: bounded size, depth and alias expansion; no duplicate keys."""

import pytest

from warmreg.recipe import yamlload
from warmreg.errors import ConfigError


def read(tmp_path, data: bytes):
    path = tmp_path / "r.yaml"
    path.write_bytes(data)
    return yamlload.read(path)


def test_reads_what_safe_load_reads_including_merge_keys(tmp_path):
    text = b"base: &b {limit: 2, judge: choice}\ntasks:\n  mmlu:\n    <<: *b\n    limit: 5\n"
    assert read(tmp_path, text)["tasks"]["mmlu"] == {"limit": 5, "judge": "choice"}


def test_duplicate_key_is_named_with_both_lines(tmp_path):
    with pytest.raises(ConfigError) as err:
        read(tmp_path, b"tasks:\n  triviaqa: {limit: 1}\n  triviaqa: {limit: 2}\n")
    assert err.value.where.endswith(": tasks.triviaqa")
    assert "lines 2 and 3" in err.value.message


def test_alias_bomb_stops_at_the_node_bound(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ConfigError) as err:
        read(tmp_path, ("\n".join(lines) + "\nname: *a8\n").encode())
    assert "expands to more than" in err.value.message


def test_shared_aliases_within_the_bound_are_fine(tmp_path):
    text = b"a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert read(tmp_path, text)["b"] == [[1, 2, 3]] * 3


def test_recursive_alias_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="recursive alias"):
        read(tmp_path, b"name: &n {self: *n}\n")


def test_deep_nesting_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        read(tmp_path, b"seed: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    assert err.value.where.endswith(": seed" + "[0]" * (yamlload.MAX_DEPTH - 1))


def test_not_utf8_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match="not UTF-8 text.*line 2"):
        read(tmp_path, b"name: ok\nexperiment: caf\xe9\n")


def test_size_bound(tmp_path):
    with pytest.raises(ConfigError, match="larger than"):
        read(tmp_path, b"name: " + b"x" * (yamlload.MAX_BYTES + 1))


def test_loads_wraps_bad_yaml_and_bad_values():
    with pytest.raises(ConfigError, match="not valid YAML"):
        yamlload.loads("[", "--set a")
    with pytest.raises(ConfigError, match="cannot be read"):
        yamlload.loads("2020-13-45", "--set a")
