"""Continuous batching over a preallocated KV cache: the ``hf`` backend's decode loop.

Why not ``model.generate``: on CPU a decode step with transformers' ``DynamicCache``
spends up to half its time in ``torch.cat`` growing the cache, every row of a batch keeps
costing compute after it has stopped, and a batch waits for its longest reply. Here:

- the cache is a *slab*, one ``[slots, kv_heads, capacity, head_dim]`` buffer per layer,
  written in place; attention reads a view of the columns in use (no copy);
- all live rows write their next token at the same column ``t``; a row's tokens sit
  right-aligned before it, from its ``start`` column, and the mask hides what lies left
  of ``start`` and inside its ``hole`` (left padding, but per row);
- a finished row leaves at once: the last live row is copied into its slot, so live
  rows stay packed in ``slots[:n]`` and each step computes ``n`` rows only;
- free slots are refilled from the queue (continuous batching): new rows are prefilled
  straight into their slots, right-aligned at ``t``. The queue runs longest prompt first,
  so a new prompt always fits left of ``t``;
- prompts are prefilled in chunks of similar lengths (padding is wasted compute);
- the prompts of a chunk usually share a prefix (the chat template's default system
  prompt, a persona system prompt, a task instruction): it is computed once per run,
  copied to every row, and only the rest is prefilled, left-padded between prefix and
  rest (the row's ``hole``);
- when ``t`` reaches the capacity, the columns in use are shifted back to 0.

Positions are explicit (a row's own token count), so a row's outputs do not depend on
where in the slab it sits. Only models whose every layer is full causal attention with
rotary or learned positions qualify (:func:`unsupported_reason`); others use
``model.generate``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
from transformers.cache_utils import Cache, DynamicLayer

# Architectures checked to run correctly on the slab (full attention, standard cache use).
SUPPORTED = {"llama", "mistral", "qwen2", "qwen3", "phi3", "olmo", "olmo2", "granite",
             "gemma", "stablelm", "smollm3", "cohere"}


def unsupported_reason(model) -> str | None:
    """Why ``model`` cannot use the slab decoder, or None when it can."""
    config = model.config
    if config.model_type not in SUPPORTED:
        return f"model type {config.model_type!r} is not among {sorted(SUPPORTED)}"
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder model"
    if getattr(config, "sliding_window", None) and getattr(config, "use_sliding_window", True):
        return "sliding-window attention"
    if any(kind != "full_attention" for kind in getattr(config, "layer_types", None) or ()):
        return "layers other than full attention"
    if config._attn_implementation not in ("sdpa", "eager"):
        return f"attention implementation {config._attn_implementation!r}"
    return None


@dataclass
class _Window:
    """Where the next forward pass writes (rows r0:r1, from column ``write``) and reads."""

    r0: int = 0
    r1: int = 0
    write: int = 0
    lo: int = 0


class SlabLayer(DynamicLayer):
    """One layer's KV cache: preallocated buffers written in place, read as a view."""

    def __init__(self, window: _Window, slots: int, capacity: int):
        super().__init__()
        self.window, self.slots, self.capacity = window, slots, capacity

    def lazy_initialization(self, key_states, value_states) -> None:
        _, heads, _, dim = key_states.shape
        shape = (self.slots, heads, self.capacity, dim)
        self.dtype, self.device = key_states.dtype, key_states.device
        # empty, not zeros: a row's columns are cleared (clear_left) or written before
        # they are read, and most of a large slab is touched late or never.
        self.kbuf = torch.empty(shape, dtype=self.dtype, device=self.device)
        self.vbuf = torch.empty(shape, dtype=self.dtype, device=self.device)
        self.is_initialized = True

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        w, q = self.window, key_states.shape[-2]
        self.kbuf[w.r0:w.r1, :, w.write:w.write + q] = key_states
        self.vbuf[w.r0:w.r1, :, w.write:w.write + q] = value_states
        return (self.kbuf[w.r0:w.r1, :, w.lo:w.write + q],
                self.vbuf[w.r0:w.r1, :, w.lo:w.write + q])

    def get_seq_length(self) -> int:
        return self.window.write - self.window.lo

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def move_row(self, src: int, dst: int) -> None:
        if self.is_initialized:
            self.kbuf[dst] = self.kbuf[src]
            self.vbuf[dst] = self.vbuf[src]

    def clear_left(self, rows: slice, end: int) -> None:
        """Zero columns ``:end`` of ``rows``: masked, but read, so they must not be NaN."""
        self.kbuf[rows, :, :end] = 0
        self.vbuf[rows, :, :end] = 0

    def put(self, rows: slice, cols: slice, keys, values) -> None:
        """Write ``keys``/``values`` (broadcast over rows) into ``rows`` x ``cols``."""
        self.kbuf[rows, :, cols] = keys
        self.vbuf[rows, :, cols] = values

    def get(self, row: int, cols: slice) -> tuple[torch.Tensor, torch.Tensor]:
        """A copy of row ``row``'s keys and values in ``cols``."""
        return self.kbuf[row:row + 1, :, cols].clone(), self.vbuf[row:row + 1, :, cols].clone()

    def shift(self, lo: int, hi: int) -> None:
        """Move columns lo:hi to 0:hi-lo."""
        if self.is_initialized:
            self.kbuf[:, :, :hi - lo] = self.kbuf[:, :, lo:hi].clone()
            self.vbuf[:, :, :hi - lo] = self.vbuf[:, :, lo:hi].clone()


@dataclass(eq=False)
class Row:
    """One sequence in the slab."""

    index: int  # the caller's index
    prompt: Sequence[int]
    generator: torch.Generator | None = None
    start: int = 0  # first slab column
    hole: tuple[int, int] = (0, 0)  # columns [a, b) inside the row that are padding
    tokens: list[int] = field(default_factory=list)


MIN_SHARED = 8  # shortest shared prefix worth a pass of its own
FILL = 0.9  # a prefill chunk takes rows at least this fraction of its longest


def _common_prefix(seqs: Sequence[Sequence[int]], limit: int) -> int:
    """Length of the prefix all ``seqs`` share, at most ``limit``."""
    first, n = seqs[0], 0
    while n < limit and all(s[n] == first[n] for s in seqs):
        n += 1
    return n


Picker = Callable[[torch.Tensor, Sequence[Row]], torch.Tensor]


class SlabDecoder:
    """Decodes a queue of prompts with continuous batching; see the module docstring.

    Args:
        model: a causal LM accepted by :func:`unsupported_reason`.
        slots: rows decoded together (the batch size).
        max_new_tokens: generation limit per row.
        stop_ids: token ids that end a row (kept in its tokens).
        pick: ``(logits[n, vocab], rows) -> token ids[n]`` (greedy or sampling).
        pad_id: token id fed at padded positions (never attended to).
        prefill_tokens: most prompt tokens (rows x padded length) in one prefill pass.
    """

    def __init__(self, model, slots: int, max_new_tokens: int, stop_ids: Sequence[int],
                 pick: Picker, pad_id: int, prefill_tokens: int = 2048):
        self.model, self.slots, self.max_new = model, slots, max_new_tokens
        self.stop, self.pick, self.pad_id = set(stop_ids), pick, pad_id
        self.prefill_tokens = prefill_tokens
        self.device = next(model.parameters()).device
        self.additive = model.config._attn_implementation == "eager"
        self.rows: list[Row] = []
        self.t = 0  # column where live rows write their next token
        self._prefix_ids: list[int] = []  # the last shared prefix computed, and its KV
        self._prefix_kv: list[tuple[torch.Tensor, torch.Tensor]] = []

    def run(self, rows: Sequence[Row]) -> Iterator[tuple[Row, str]]:
        """Yield ``(row, finish_reason)`` as rows finish ("stop" or "length")."""
        queue = deque(sorted(rows, key=lambda r: -len(r.prompt)))
        if not queue:
            return
        longest = len(queue[0].prompt)
        self.capacity = longest + self.max_new + max(64, (longest + self.max_new) // 4)
        self.window = _Window()
        self.cache = Cache(layers=[SlabLayer(self.window, self.slots, self.capacity)
                                   for _ in range(self.model.config.num_hidden_layers)])
        refill_at = max(1, self.slots // 8)
        while queue or self.rows:
            if queue and (self.slots - len(self.rows) >= refill_at or not self.rows):
                yield from self._admit(queue)
            if self.rows:
                yield from self._step()

    def _admit(self, queue: deque) -> Iterator[tuple[Row, str]]:
        """Prefill queued rows into the free slots, a chunk of similar lengths at a time."""
        while queue and len(self.rows) < self.slots:
            chunk = self._next_chunk(queue)
            width = len(chunk[0].prompt)  # longest first: the chunk's padded length
            if not self.rows:
                self.t = width
            self._prefill(chunk, width)
            yield from self._finish(self.pick(self._last_logits, chunk), chunk)

    def _next_chunk(self, queue: deque) -> list[Row]:
        """Rows for one prefill pass: at most prefill_tokens padded tokens; past a quarter
        of that, only rows at least FILL of the longest (padding is wasted compute)."""
        width = len(queue[0].prompt)
        most = min(self.slots - len(self.rows), len(queue),
                   max(1, self.prefill_tokens // max(width, 1)))
        k = 1
        while k < most and (k * width < self.prefill_tokens // 4
                            or len(queue[k].prompt) >= FILL * width):
            k += 1
        return [queue.popleft() for _ in range(k)]

    def _prefill(self, chunk: list[Row], width: int) -> None:
        """Prefill ``chunk`` into the next free slots, right-aligned at column ``t``.

        Layout of a row: [shared prefix][padding = hole][own suffix] ending at ``t``.
        """
        n, k, lo = len(self.rows), len(chunk), self.t - width
        if lo > 0:
            for layer in self.cache.layers:
                layer.clear_left(slice(n, n + k), lo)
        shared = self._place_prefix(chunk, slice(n, n + k), lo)
        suffixes = [row.prompt[shared:] for row in chunk]
        self._last_logits = self._forward_block(slice(n, n + k), lo + shared, lo, suffixes, shared)
        for row, suffix in zip(chunk, suffixes):
            row.start, row.hole = lo, (lo + shared, self.t - len(suffix))
        self.rows.extend(chunk)

    def _place_prefix(self, chunk: list[Row], rows: slice, lo: int) -> int:
        """Put the prefix the chunk's prompts share in columns ``lo:``; return its length.

        The last prefix computed is kept, so the chunks after it (and single refills)
        copy it instead of running a pass for it again.
        """
        prompts = [row.prompt for row in chunk]
        longest = min(len(p) for p in prompts) - 1  # each row keeps a token to prefill
        shared = _common_prefix(prompts, longest) if len(chunk) > 1 else 0
        stored = _common_prefix([self._prefix_ids, *prompts], min(longest, len(self._prefix_ids)))
        if stored >= MIN_SHARED and stored >= shared:
            for layer, (keys, values) in zip(self.cache.layers, self._prefix_kv):
                layer.put(rows, slice(lo, lo + stored), keys[:, :, :stored], values[:, :, :stored])
            return stored
        if shared < MIN_SHARED:
            return 0
        first = slice(rows.start, rows.start + 1)
        self._forward_block(first, lo, lo, [prompts[0][:shared]], 0)
        cols = slice(lo, lo + shared)
        self._prefix_ids = list(prompts[0][:shared])
        self._prefix_kv = [layer.get(rows.start, cols) for layer in self.cache.layers]
        for layer, (keys, values) in zip(self.cache.layers, self._prefix_kv):
            layer.put(slice(rows.start + 1, rows.stop), cols, keys, values)
        return shared

    def _forward_block(self, rows: slice, write: int, lo: int, prompts, offset: int):
        """Forward left-padded ``prompts`` written from column ``write``; ``offset``
        columns from ``lo`` hold a prefix every row sees (positions start after it)."""
        k, width = len(prompts), max(len(p) for p in prompts)
        ids = torch.full((k, width), self.pad_id, dtype=torch.long)
        real = torch.zeros((k, width), dtype=torch.bool)
        for i, prompt in enumerate(prompts):
            ids[i, width - len(prompt):] = torch.as_tensor(prompt)
            real[i, width - len(prompt):] = True
        positions = offset + (real.long().cumsum(-1) - 1).clamp(min=0)
        causal = torch.ones(width, width, dtype=torch.bool).tril()
        # a padded query sees itself only, so no softmax row is empty (its output is unused)
        own = (causal & real[:, None, :]) | torch.eye(width, dtype=torch.bool)
        mask = torch.cat([torch.ones(k, width, offset, dtype=torch.bool), own], dim=-1)
        self.window.r0, self.window.r1 = rows.start, rows.stop
        self.window.write, self.window.lo = write, lo
        return self._forward(ids, positions, mask[:, None])

    def _step(self) -> Iterator[tuple[Row, str]]:
        """One decode step for every live row."""
        if self.t + 1 > self.capacity:
            self._shift()
        rows = self.rows
        starts = torch.tensor([r.start for r in rows])[:, None]
        holes = torch.tensor([r.hole for r in rows])
        lo = int(starts.min())
        ids = torch.tensor([[r.tokens[-1]] for r in rows])
        positions = torch.tensor([[len(r.prompt) + len(r.tokens) - 1] for r in rows])
        cols = torch.arange(lo, self.t + 1)[None, :]
        mask = (cols >= starts) & ((cols < holes[:, :1]) | (cols >= holes[:, 1:]))
        self.window.r0, self.window.r1 = 0, len(rows)
        self.window.write, self.window.lo = self.t, lo
        logits = self._forward(ids, positions, mask[:, None, None])
        self.t += 1
        yield from self._finish(self.pick(logits, rows), list(rows))

    @torch.no_grad()
    def _forward(self, ids, positions, mask) -> torch.Tensor:
        mask = mask.to(self.device)
        if self.additive:
            dtype = self.model.dtype
            mask = torch.zeros(mask.shape, dtype=dtype, device=self.device).masked_fill(
                ~mask, torch.finfo(dtype).min)
        out = self.model(input_ids=ids.to(self.device), position_ids=positions.to(self.device),
                         attention_mask=mask, past_key_values=self.cache, use_cache=True,
                         logits_to_keep=1)
        return out.logits[:, -1]

    def _finish(self, picked: torch.Tensor, rows: list[Row]) -> Iterator[tuple[Row, str]]:
        """Append each row's new token; retire the rows that are done."""
        done = []
        for row, token in zip(rows, picked.tolist()):
            row.tokens.append(token)
            if token in self.stop:
                done.append((row, "stop"))
            elif len(row.tokens) >= self.max_new:
                done.append((row, "length"))
        for row, reason in done:
            self._retire(row)
        for row, reason in done:
            yield row, reason

    def _retire(self, row: Row) -> None:
        """Free ``row``'s slot by moving the last live row into it."""
        slot = next(i for i, live in enumerate(self.rows) if live is row)
        last = len(self.rows) - 1
        if slot != last:
            for layer in self.cache.layers:
                layer.move_row(last, slot)
            self.rows[slot] = self.rows[last]
        self.rows.pop()

    def _shift(self) -> None:
        lo = min(r.start for r in self.rows)
        for layer in self.cache.layers:
            layer.shift(lo, self.t)
        for row in self.rows:
            row.start -= lo
            row.hole = (row.hole[0] - lo, row.hole[1] - lo)
        self.t -= lo
