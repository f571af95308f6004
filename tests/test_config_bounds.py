"""Field metadata bounds, finite floats and nested key paths in warmreg.config.build."""

from dataclasses import dataclass, field

import pytest

from warmreg.config import build
from warmreg.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    rate: float = field(default=0.5, metadata={"min": 0, "min_exclusive": True, "max": 1})


@dataclass(frozen=True)
class Outer:
    count: int = field(default=1, metadata={"min": 1})
    epochs: tuple[float, ...] = field(default=(1.0,), metadata={"max": 10})
    url: str = field(default="http://h", metadata={"url": True})
    device: str = field(default="auto", metadata={"device": True})
    loose: float = field(default=0.0, metadata={"finite": False})
    inner: dict = field(default_factory=dict)

    def __post_init__(self):
        build(Inner, self.inner, "inner")  # relative path: the outer build prefixes it


@pytest.mark.parametrize("section, where, message", [
    ({"count": 0}, "count", "must be >= 1"),
    ({"count": 10 ** 30}, "count", "out of range"),
    ({"epochs": [1, 11]}, "epochs[1]", "must be <= 10"),
    ({"epochs": [float("nan")]}, "epochs[0]", "finite"),
    ({"url": "not a url"}, "url", "http(s) URL"),
    ({"url": "http://h:99999"}, "url", "http(s) URL"),
    ({"device": "tpu"}, "device", "unknown device"),
    ({"inner": {"rate": 0}}, "inner.rate", "must be > 0"),
    ({"inner": {"rate": float("inf")}}, "inner.rate", "finite"),
    ({"inner": {"rat": 1}}, "inner.rat", "unknown key"),
])
def test_bounds_name_the_dotted_key(section, where, message):
    with pytest.raises(ConfigError) as err:
        build(Outer, section, "r.yaml: s")
    assert err.value.where == f"r.yaml: s.{where}"
    assert message in err.value.message


def test_values_in_range_and_opt_out_of_finite_pass():
    built = build(Outer, {"count": 3, "url": "https://a.b/v1", "device": "cuda:1",
                          "loose": float("inf"), "inner": {"rate": 1}}, "s")
    assert built.loose == float("inf") and built.count == 3
