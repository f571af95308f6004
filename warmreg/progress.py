"""Progress lines for long stages: items done, rate, time left (on stderr)."""

from __future__ import annotations

import sys
import time


def duration(seconds: float) -> str:
    """A short human duration: "45s", "12m05s", "3h07m"."""
    seconds = int(max(seconds, 0))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Prints ``[label] done/total (pct) rate/s, ETA`` at most every ``every`` seconds.

    Args:
        label: what is being done, e.g. "generate smollm2/warm".
        total: number of units expected.
        unit: name of a unit in the rate ("items", "tok").
        every: minimum seconds between lines (the final line always prints).
    """

    def __init__(self, label: str, total: int, unit: str = "items", every: float = 5.0,
                 stream=None):
        self.label, self.total, self.unit, self.every = label, total, unit, every
        self.done = 0
        self.stream = stream or sys.stderr
        self._start = self._last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.every or self.done >= self.total:
            self._last = now
            self._print(now)

    def _print(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        pct = 100.0 * self.done / self.total if self.total else 100.0
        eta = "done" if self.done >= self.total else f"ETA {duration(left)}"
        print(f"[{self.label}] {self.done}/{self.total} {self.unit} ({pct:.0f}%), "
              f"{rate:.1f} {self.unit}/s, {eta} (elapsed {duration(elapsed)})",
              file=self.stream, flush=True)
