"""Screenshots of the MLflow UI over a finished smoke run, as a user opens it.

Runs ``recipes/smoke.yaml`` (tiny model, about a minute) into a fresh SQLite store unless
``--store`` names one (``--experiment warmreg-demo`` for the demo's store), serves it with ``mlflow server`` on 127.0.0.1, and saves headless
Chromium screenshots of the experiment page, a variant run, the traces view and the
model view::

    python benchmarks/ui_screenshots.py --out /tmp/ui

Needs Debian's ``chromium`` (``apt-get install chromium``). Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = "warmreg-smoke"


def smoke_store(workdir: Path) -> str:
    """Run the smoke recipe into ``workdir``; its tracking URI."""
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    subprocess.run([sys.executable, "-m", "warmreg", "run", str(ROOT / "recipes" / "smoke.yaml"),
                    "--set", f"workdir={workdir / 'work'}"], check=True, env=env)
    return uri


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(uri: str, port: int) -> subprocess.Popen:
    """``mlflow server`` on 127.0.0.1:port, once it answers."""
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("mlflow server did not start within 60 s")


def pages(uri: str, name: str = EXPERIMENT) -> dict[str, str]:
    """Page name -> UI route for the experiment ``name``."""
    os.environ["MLFLOW_TRACKING_URI"] = uri
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    found = client.get_experiment_by_name(name)
    if found is None:
        raise SystemExit(f"{uri}: no experiment named {name!r} (see --experiment)")
    experiment = found.experiment_id
    [warm] = client.search_runs([experiment], "tags.`warmreg.run_kind` = 'variant' and "
                                "tags.`warmreg.variant` = 'warm'", max_results=1)
    ml = "?workflowType=machine_learning"  # the links warmreg prints open the ML views
    return {
        "experiment": f"#/experiments/{experiment}/runs{ml}",
        "variant-run": f"#/experiments/{experiment}/runs/{warm.info.run_id}{ml}",
        "traces": f"#/experiments/{experiment}/traces{ml}",
        "models": f"#/experiments/{experiment}/models{ml}",
    }


def screenshot(browser: str, url: str, path: Path) -> None:
    subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1600,1000",
                    "--virtual-time-budget=20000", f"--screenshot={path}", url],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="ui-screenshots", help="folder for the PNGs")
    parser.add_argument("--store", help="tracking URI of a finished run (default: run the smoke "
                        "recipe)")
    parser.add_argument("--experiment", default=EXPERIMENT,
                        help="experiment in --store, e.g. warmreg-demo (default: %(default)s)")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    uri = args.store or smoke_store(Path(tempfile.mkdtemp(prefix="warmreg-ui-")))
    port = free_port()
    server = serve(uri, port)
    try:
        for name, route in pages(uri, args.experiment).items():
            screenshot(browser, f"http://127.0.0.1:{port}/{route}", out / f"{name}.png")
            print(f"{name}: {out / (name + '.png')}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
