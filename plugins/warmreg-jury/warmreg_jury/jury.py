"""The ``jury`` judge: several judges vote; the majority label is the verdict.

Jurors are judge plugins named by entry point, each with its own config, as in a
recipe::

    judges:
      jury:
        jurors:
          - {name: answer-match}
          - {name: answer-match, both: FIRST}
          - {name: llm, model: judge-model, backend_config: {base_url: "http://..."}}
        tie: UNPARSEABLE

The label with the most votes wins. When several labels share the most votes, the
verdict is ``tie`` (UNPARSEABLE by default; FIRST takes the earliest listed juror's
label among the tied ones). Labels in ``abstain`` are not counted as votes (a juror
that cannot parse a reply need not outvote one that can); if every juror abstains, the
verdict is UNPARSEABLE. A juror whose endpoint failed (ENDPOINT_ERROR) leaves the jury
incomplete: the verdict is ENDPOINT_ERROR, which warmreg does not cache, so the next run
convenes the jury again.

The explanation is structured text, one ``key=value`` per field::

    agreement=0.67 votes=CORRECT:2,INCORRECT:1 jurors=answer-match:CORRECT|...

``agreement`` is the fraction of jurors whose label is the verdict's (abstainers
included in the denominator). The fingerprint combines the jurors' fingerprints with
the jury's own settings, so changing any juror re-grades.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping, Sequence

from warmreg import registry
from warmreg.api import ENDPOINT_ERROR, LABELS, UNPARSEABLE, Item, Verdict, content_hash
from warmreg.errors import ConfigError

NAME = "jury"
VERSION = "1"  # bump when the voting rules change

Label = Literal["CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"]


@dataclass(frozen=True)
class Config:
    jurors: tuple[dict[str, Any], ...]  # judges that vote: {name: ENTRY-POINT, ...its config}
    # the verdict when labels tie for most votes: a label, or FIRST listed juror's among them
    tie: Literal["UNPARSEABLE", "CORRECT", "INCORRECT", "REFUSED", "FIRST"] = "UNPARSEABLE"
    abstain: tuple[Label, ...] = ()  # labels that count as no vote, e.g. [UNPARSEABLE]

    def __post_init__(self) -> None:
        # Builds every juror once, so a recipe with a bad juror fails validation.
        object.__setattr__(self, "jurors", tuple(dict(j) for j in self.jurors))
        build_jurors(self.jurors)


def build_jurors(jurors: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """``(name, judge)`` of every juror, built through the registry like a recipe's judges.

    Raises:
        ConfigError: no jurors, a juror without a name, an unknown judge or a bad config,
            naming the juror (``jurors[1].both``).
    """
    if not jurors:
        raise ConfigError("jurors", "name at least one judge, e.g. [{name: answer-match}]")
    built = []
    for i, spec in enumerate(jurors):
        section = dict(spec)
        name = section.pop("name", None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"jurors[{i}].name", "must name a judge plugin")
        built.append((name, registry.build("judges", name, section, f"jurors[{i}]").instantiate()))
    return built


class Jury:
    """Majority vote of several judges, with the jurors' agreement in the explanation."""

    Config = Config
    name = NAME

    def __init__(self, config: Config):
        self.config = config
        self.jurors = build_jurors(config.jurors)

    def fingerprint(self) -> str:
        """The voting rules and every juror's fingerprint, in order."""
        return content_hash(NAME, VERSION, self.config.tie, list(self.config.abstain),
                            [(name, juror.fingerprint()) for name, juror in self.jurors])

    def grade(self, item: Item, response: str) -> Verdict:
        """Every juror grades; the majority label wins."""
        return self.decide([juror.grade(item, response) for _, juror in self.jurors])

    def grade_many(self, pairs: Sequence[tuple[Item, str]]) -> Iterator[tuple[int, Verdict]]:
        """Each juror grades all pairs (its ``grade_many`` when it has one), then the votes
        are counted; yields ``(index, verdict)`` in order."""
        ballots = [self._ballot(name, juror, pairs) for name, juror in self.jurors]
        for i in range(len(pairs)):
            yield i, self.decide([ballot[i] for ballot in ballots])

    @staticmethod
    def _ballot(name: str, juror: Any, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        if not hasattr(juror, "grade_many"):
            return [juror.grade(item, response) for item, response in pairs]
        got = dict(juror.grade_many(pairs))
        missing = [i for i in range(len(pairs)) if i not in got]
        if missing:
            raise RuntimeError(f"juror {name!r} returned no verdict for pairs {missing[:10]}")
        return [got[i] for i in range(len(pairs))]

    def decide(self, verdicts: Sequence[Verdict]) -> Verdict:
        """The jury's verdict from one verdict per juror (in juror order)."""
        labels = [v.label for v in verdicts]
        votes = Counter(label for label in labels if label not in self.config.abstain)
        if ENDPOINT_ERROR in labels:  # not a decision: never cached, convened again next run
            label = ENDPOINT_ERROR
        elif not votes:
            label = UNPARSEABLE
        else:
            top = max(votes.values())
            tied = [lab for lab in LABELS if votes[lab] == top]
            label = tied[0] if len(tied) == 1 else self._break_tie(tied, labels)
        return Verdict(label, NAME, explain(label, labels, [n for n, _ in self.jurors]))

    def _break_tie(self, tied: list[str], labels: list[str]) -> str:
        if self.config.tie == "FIRST":
            return next(label for label in labels if label in tied)
        return self.config.tie


def explain(label: str, labels: Sequence[str], names: Sequence[str]) -> str:
    """``agreement=0.67 votes=CORRECT:2,INCORRECT:1 jurors=name:LABEL|...``"""
    counts = Counter(labels)
    agreement = counts[label] / len(labels) if labels else 0.0
    votes = ",".join(f"{lab}:{counts[lab]}" for lab in LABELS if counts[lab])
    jurors = "|".join(f"{n}:{lab}" for n, lab in zip(names, labels))
    return f"agreement={agreement:.2f} votes={votes} jurors={jurors}"


def parse_explanation(text: str) -> dict[str, Any]:
    """The fields of a jury explanation.

    ``{"agreement": 0.67, "votes": {"CORRECT": 2, ...}, "jurors": [(name, label), ...]}``
    """
    fields = dict(part.split("=", 1) for part in text.split(" ") if "=" in part)
    votes = {k: int(v) for k, v in (p.split(":") for p in fields.get("votes", "").split(",") if p)}
    jurors = [tuple(p.rsplit(":", 1)) for p in fields.get("jurors", "").split("|") if p]
    return {"agreement": float(fields.get("agreement", "nan")), "votes": votes, "jurors": jurors}
