"""The one scrubber: no API key leaves warmreg in a message, a log line or an error.

A secret is registered where it is read (:func:`hold`: the ``openai`` backend and the
fine-tuning trainer read their key from the environment); :func:`scrub` replaces every
registered secret, and the value of any ``Authorization`` header or ``Bearer`` token
whatever it holds, with ``***``. It is applied at the two boundaries text crosses:

- the endpoint boundary: every text the ``openai`` backend returns, raises or logs
  (replies, server messages, reply bodies, exception text) is scrubbed *before* it is
  cut short, so not even a prefix of a key survives;
- the process boundary: the CLI calls :func:`install`, after which every log record of
  any logger, every Python warning, and an uncaught exception's traceback (main thread or
  not) are scrubbed, and it scrubs the error line it prints.

Replies and verdict explanations are scrubbed at the endpoint, so what the warmreg store,
the results table and MLflow receive is already clean.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
import warnings

MASK = "***"
# The value of an Authorization header as a header line, a dict repr or JSON shows it
# (to the end of the value: over-masking a message is the safe side).
_HEADER = re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+")
# A Bearer token (RFC 6750's token68) anywhere else.
_BEARER = re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*")

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register(secret: str | None) -> None:
    """Scrub ``secret`` from every text from now on (blank values are ignored)."""
    if secret and secret.strip():
        with _lock:
            _secrets.update({secret, secret.strip()})


def hold(secret: str | None) -> None:
    """Before a client that holds ``secret`` sends anything: register it and scrub every
    log record of the process (:func:`install`), since an HTTP stack logs status lines whose
    reason phrase an endpoint may fill with the key. Nothing is done for a blank secret."""
    if secret and secret.strip():
        register(secret)
        install()


def scrub(text: str) -> str:
    """``text`` with every registered secret and Authorization/Bearer value masked."""
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: no partial mask
        if secret in text:
            text = text.replace(secret, MASK)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def excerpt(text: str, limit: int) -> str:
    """The start of ``text`` for a message: scrubbed first, then cut to ``limit`` characters."""
    return scrub(text)[:limit]


def install() -> None:
    """Scrub every log record, warning and uncaught exception's text in this process
    (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args, **kwargs) -> logging.LogRecord:
        return _scrub_record(make_record(*args, **kwargs))

    logging.setLogRecordFactory(scrubbed_record)
    format_warning = warnings.formatwarning

    def scrubbed_warning(message, category, filename, lineno, line=None) -> str:
        return scrub(format_warning(message, category, filename, lineno, line))

    warnings.formatwarning = scrubbed_warning  # warnings shown, and those captured by logging
    sys.excepthook = _print_scrubbed
    threading.excepthook = _print_scrubbed_thread


def _scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message (arguments merged in) and traceback text scrubbed."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it when the record is emitted
        return record
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:  # formatters use exc_text when it is set
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


def _print_scrubbed_thread(args) -> None:
    if args.exc_type is not SystemExit:  # as threading's own hook: a thread's exit is silent
        print(f"Exception in thread {args.thread.name if args.thread else '?'}:", file=sys.stderr)
        _print_scrubbed(args.exc_type, args.exc_value, args.exc_traceback)


def _print_scrubbed(exc_type, exc_value, exc_traceback) -> None:
    text = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
    print(scrub(text), end="", file=sys.stderr, flush=True)
