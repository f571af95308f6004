"""The one scrubber: registered keys and Authorization values never survive in text."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from warmreg import secrets

KEY = "sk-unit-3e1f0b2c9d-not-for-logs"


def test_registered_keys_and_authorization_values_are_masked():
    secrets.register(KEY + "\n")  # as read from a file: the stripped value is masked too
    text = (f"bad key {KEY}; headers {{'Authorization': 'Bearer other-token-123'}}\n"
            f"Authorization: Basic dXNlcjpwYXNz\n{{\"authorization\": \"Bearer zz-9\"}} "
            f"curl -H 'bearer qq-77'")
    clean = secrets.scrub(text)
    for leaked in (KEY, "other-token-123", "dXNlcjpwYXNz", "zz-9", "qq-77"):
        assert leaked not in clean, clean
    assert clean.startswith("bad key ***;") and clean.count("***") == 5


def test_an_excerpt_is_scrubbed_before_it_is_cut():
    secrets.register(KEY)
    body = "x" * 190 + KEY  # a cut at 200 would keep the key's first 10 characters
    assert KEY[:10] not in secrets.excerpt(body, 200)
    assert secrets.excerpt(body, 200) == "x" * 190 + "***"


def test_blank_values_are_not_registered():
    before = set(secrets._secrets)
    secrets.register("")
    secrets.register("   ")
    secrets.register(None)
    assert secrets._secrets == before
    assert secrets.scrub("plain text") == "plain text"


def test_install_scrubs_every_logger_and_uncaught_tracebacks():
    script = textwrap.dedent(f"""
        import logging, threading
        from warmreg import secrets
        secrets.install()
        secrets.register({KEY!r})
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("some.library").warning("request failed: %s", {{"key": {KEY!r}}})
        import warnings
        warnings.warn("retrying with key " + {KEY!r})
        try:
            raise ValueError("header Authorization: Bearer " + {KEY!r})
        except ValueError:
            logging.getLogger("other").exception("with traceback")
        def worker():
            raise OSError({KEY!r})
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        raise RuntimeError("dying with " + {KEY!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "request failed" in proc.stderr and "RuntimeError: dying with ***" in proc.stderr
    assert "ValueError: header Authorization: ***" in proc.stderr
    assert "OSError: ***" in proc.stderr
    assert "UserWarning: retrying with key ***" in proc.stderr
    assert KEY not in proc.stderr + proc.stdout
