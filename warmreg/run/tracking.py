"""MLflow tracking: the only module that imports mlflow.

One parent run per recipe execution, a child run per (model, variant) and per training
job. Runs are addressed by id, so a trainer can stream metrics into its child run while
the runner works on others. An unfinished parent run with the same recipe fingerprint is
resumed, as are its children, so a killed run continues in the same MLflow runs.
Under ``mlflow run`` the parent is the run MLflow created (``MLFLOW_RUN_ID``), renamed
after the recipe.

MLflow 3's own objects carry what the UI shows where a user looks: the experiment is of
kind "custom model development" (it opens on the runs view); task samples and persona
sets are dataset inputs; every saved checkpoint is a logged model with its metrics
linked; judged replies are traces with the verdict as an assessment; the summary is the
parent run's note. Every one of these is written once: a resumed run finds what it logged.


Every run the tracker starts or resumes is ended: :meth:`Tracker.finish` one by one, or
:meth:`Tracker.end_open` (FAILED or KILLED) for all still open when a run stops. A resumed
run logs each metric point once: a point already in the run at that step with that value
is not logged again (a changed value, from items retried on resume, is a new point at
that step and becomes the latest). A fresh SQLite store is created under a file lock
(:mod:`warmreg.run.lock`), so two processes starting at once do not both migrate it, and
an interrupt waits for the store call in progress (:func:`warmreg.run.signals.uninterrupted`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import random
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from warmreg import keys
from warmreg.run import lock, signals

log = logging.getLogger(__name__)

TAG_RECIPE = "warmreg.recipe_fingerprint"
TAG_CHILD = "warmreg.child_key"
TAG_KIND = "warmreg.run_kind"
TAG_CHECKPOINT = "warmreg.checkpoint_key"
TAG_TRACES = "warmreg.traces_logged"
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")
_PARENT = "mlflow.parentRunId"
_TRACE_URI: str | None = None  # the store traces were last exported to, in this process
_NOTE = "mlflow.note.content"
NOTE_LIMIT = 8000  # MLflow's longest tag value; a longer one is cut mid-table with a warning
NOTE_CUT = ("\n\n*(The rest of the summary is cut to fit MLflow's note: see the "
            "`report/summary.md` artifact.)*")


def _artifact_location(tracking_uri: str, experiment: str) -> str | None:
    """Beside a SQLite store, ``mlartifacts/<experiment>``; MLflow's default (``./mlruns``
    in the working directory) otherwise."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    db = Path(tracking_uri[len("sqlite:///"):])
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", experiment)
    return (db.parent / "mlartifacts" / safe).resolve().as_uri()


class _Uninterrupted:
    """An MlflowClient whose every call finishes before SIGTERM or Ctrl-C takes effect."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            with signals.uninterrupted():
                return attr(*args, **kwargs)

        return call


def metric_name(name: str) -> str:
    """An MLflow-legal metric name (:func:`warmreg.keys.metric_name` of its ``/`` parts)."""
    return keys.metric_name(*name.split("/"))


class Tracker:
    """Writes runs to the tracking store named by ``MLFLOW_TRACKING_URI`` (or MLflow's default).

    Args:
        experiment: experiment name; created when missing. Ignored under ``mlflow run``,
            whose run already belongs to an experiment.
    """

    def __init__(self, experiment: str):
        import mlflow
        from mlflow.tracking import MlflowClient

        self._mlflow = mlflow
        self._open: list[str] = []  # runs started or resumed here and not yet ended
        self._points: dict[str, dict[str, set | None]] = {}  # run -> metric -> (step, value)s
        self.outer_run_id = os.environ.get("MLFLOW_RUN_ID")
        with lock.sqlite_store(mlflow.get_tracking_uri()):  # creating it, and the experiment
            self.client = _Uninterrupted(MlflowClient())
            if self.outer_run_id:
                self.experiment_id = self.client.get_run(self.outer_run_id).info.experiment_id
            else:
                self.experiment_id = self._experiment(experiment)
            self._set_kind()

    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found:
            return found.experiment_id
        return self.client.create_experiment(
            name, artifact_location=_artifact_location(self.tracking_uri, name))

    def _set_kind(self) -> None:
        """Mark the experiment as model development (kept when a kind is already set)."""
        key, value = EXPERIMENT_KIND
        if key not in self.client.get_experiment(self.experiment_id).tags:
            self.client.set_experiment_tag(self.experiment_id, key, value)

    def _trace_to_this_store(self) -> None:
        """MLflow's trace exporter keeps the tracking URI it first saw; a process that
        tracks to another store since (a notebook, a test) must point it here again."""
        global _TRACE_URI
        if _TRACE_URI != self.tracking_uri:
            from mlflow.tracing.provider import reset

            reset()
            _TRACE_URI = self.tracking_uri

    @property
    def tracking_uri(self) -> str:
        return self._mlflow.get_tracking_uri()

    def start_parent(self, name: str, fingerprint: str, tags: Mapping[str, str]) -> str:
        """The parent run for a recipe execution: MLflow's own, an unfinished one, or new."""
        run_id = self.outer_run_id or self._find(
            f"tags.`{TAG_RECIPE}` = '{fingerprint}' and attributes.status != 'FINISHED' "
            f"and tags.`{TAG_KIND}` = 'recipe'")
        found_by = {TAG_RECIPE: fingerprint, TAG_KIND: "recipe"}
        if run_id is None:  # created with the tags it is found by: a kill now cannot orphan it
            run_id = self.client.create_run(self.experiment_id, run_name=name,
                                            tags=found_by).info.run_id
        else:  # resumed, or MLflow's own run under `mlflow run`: named after the recipe
            self.client.update_run(run_id, status="RUNNING", name=name)
        self._open.append(run_id)
        self.set_tags(run_id, {**tags, **found_by})
        return run_id

    def set_note(self, run_id: str, markdown: str) -> None:
        """The run's description in the MLflow UI (its note), cut at a section to fit."""
        self.client.set_tag(run_id, _NOTE, fit_note(markdown))

    def log_dataset(self, run_id: str, name: str, frame, source: Mapping[str, str],
                    context: str) -> str:
        """Log ``frame`` as a dataset input of the run (name, digest, source); its digest.

        Args:
            run_id: the run that used the data.
            name: the dataset's name (a task, a persona set).
            frame: the rows as a pandas DataFrame.
            source: where the rows came from, as tags (shown as the dataset's source).
            context: how the run used it ("evaluation", "training").
        """
        from mlflow.data.code_dataset_source import CodeDatasetSource
        from mlflow.entities import DatasetInput, InputTag

        dataset = self._mlflow.data.from_pandas(frame, source=CodeDatasetSource(dict(source)),
                                                name=name)
        logged = {(d.dataset.name, d.dataset.digest)
                  for d in self.client.get_run(run_id).inputs.dataset_inputs}
        if (name, dataset.digest) not in logged:
            self.client.log_inputs(run_id, datasets=[DatasetInput(
                dataset._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", context)])])
        return dataset.digest

    def log_checkpoint(self, run_id: str, name: str, directory: str | Path, *, step: int,
                       params: Mapping[str, Any], tags: Mapping[str, Any], kind: str) -> str:
        """A saved checkpoint as a logged model of its training run; its model id.

        Found again by its key (run and name) on a resumed run, not logged twice.
        """
        key = f"{run_id}/{name}"
        found = self._mlflow.search_logged_models(
            experiment_ids=[self.experiment_id], output_format="list",
            filter_string=f"tags.`{TAG_CHECKPOINT}` = '{key}'")
        if found:
            return found[0].model_id
        model = self._mlflow.initialize_logged_model(
            name=name, source_run_id=run_id, experiment_id=self.experiment_id, model_type=kind,
            params={k: str(v)[:6000] for k, v in params.items()},
            tags={**{k: str(v) for k, v in tags.items()}, TAG_CHECKPOINT: key})
        self.client.log_model_artifacts(model.model_id, str(directory))
        self.client.finalize_logged_model(model.model_id, "READY")
        self.client.log_outputs(run_id, [self._output(model.model_id, step)])
        return model.model_id

    @staticmethod
    def _output(model_id: str, step: int):
        from mlflow.entities import LoggedModelOutput

        return LoggedModelOutput(model_id, step)

    def link_model(self, run_id: str, model_id: str) -> None:
        """Record that ``run_id`` evaluated the logged model ``model_id``."""
        from mlflow.entities import LoggedModelInput

        self.client.log_inputs(run_id, models=[LoggedModelInput(model_id)])

    def register(self, model_id: str, name: str) -> str:
        """Register a logged model under ``name``; the new version."""
        version = self._mlflow.register_model(f"models:/{model_id}", name)
        return str(version.version)

    def log_traces(self, run_id: str, replies: Sequence[Mapping[str, Any]]) -> int:
        """Each judged reply as a trace of ``run_id``, its verdict an assessment on it.

        Each reply maps ``messages``, ``reply``, ``n_prompt_tokens``, ``n_new_tokens``,
        ``finish_reason``, ``verdict``, ``explanation``, ``judge`` and ``tags``. Logged once
        per run: a resumed run that logged them before logs none. Returns how many.
        """
        from mlflow.entities import AssessmentSource

        if not replies or TAG_TRACES in self.client.get_run(run_id).data.tags:
            return 0
        self._trace_to_this_store()
        ids = []
        with self._mlflow.start_run(run_id=run_id, nested=True), _fresh_ids():
            for reply in replies:
                span = self._mlflow.start_span_no_context(
                    "judged reply", inputs={"messages": list(reply["messages"])},
                    tags={k: str(v) for k, v in reply["tags"].items()},
                    experiment_id=self.experiment_id)
                span.set_attributes({"n_prompt_tokens": reply["n_prompt_tokens"],
                                     "n_new_tokens": reply["n_new_tokens"],
                                     "finish_reason": reply["finish_reason"]})
                span.set_outputs({"reply": reply["reply"]})
                span.end()
                ids.append((span.trace_id, reply))
        self._mlflow.flush_trace_async_logging()  # assessments need the traces stored
        for trace_id, reply in ids:
            self._mlflow.log_feedback(
                trace_id=trace_id, name="verdict", value=reply["verdict"],
                rationale=reply["explanation"] or None,
                source=AssessmentSource(source_type="CODE", source_id=reply["judge"]))
        self.client.set_tag(run_id, TAG_TRACES, str(len(ids)))
        return len(ids)

    def new_run(self, name: str, tags: Mapping[str, str]) -> str:
        """A stand-alone run (judge agreement, comparison reports)."""
        run_id = self.client.create_run(self.experiment_id, run_name=name).info.run_id
        self._open.append(run_id)
        self.set_tags(run_id, tags)
        return run_id

    def child(self, parent_id: str, key: str, name: str, tags: Mapping[str, str]) -> str:
        """A child run of ``parent_id`` identified by ``key``; reused when it exists."""
        run_id = self._find(f"tags.`{_PARENT}` = '{parent_id}' and tags.`{TAG_CHILD}` = '{key}'")
        if run_id is None:  # created with the tags it is found by: a kill now cannot orphan it
            run_id = self.client.create_run(self.experiment_id, run_name=name,
                                            tags={_PARENT: parent_id, TAG_CHILD: key}).info.run_id
        else:
            self.client.update_run(run_id, status="RUNNING")
        self._open.append(run_id)
        self.set_tags(run_id, {**tags, TAG_CHILD: key})
        return run_id

    def _find(self, filter_string: str) -> str | None:
        runs = self.client.search_runs([self.experiment_id], filter_string,
                                       order_by=["attributes.start_time DESC"], max_results=1)
        return runs[0].info.run_id if runs else None

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        """End one run with ``status`` (FINISHED, FAILED or KILLED)."""
        self.client.set_terminated(run_id, status=status)
        if run_id in self._open:
            self._open.remove(run_id)

    def end_open(self, status: str) -> None:
        """End every run still open (children first) with ``status``, as a run stops.

        Called while an exception propagates: a failure to end one run is logged, not
        raised, so it neither hides that exception nor leaves the other runs open.
        """
        for run_id in reversed(list(self._open)):
            try:
                self.finish(run_id, status)
            except Exception as exc:  # the store itself may be what failed
                log.warning("could not mark MLflow run %s %s: %s", run_id, status, exc)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, key, str(value)[:5000])

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Log params (values cut to MLflow's limit); a re-logged equal value is a no-op."""
        from mlflow.entities import Param

        existing = self.client.get_run(run_id).data.params
        fresh = [Param(k, str(v)[:6000]) for k, v in params.items()
                 if k not in existing]
        for start in range(0, len(fresh), 100):
            self.client.log_batch(run_id, params=fresh[start:start + 100])

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int | None = None,
                    model_id: str | None = None) -> None:
        """Log numeric metrics at ``step`` (default 0); NaN and None are skipped, names made
        MLflow-legal, and a point the run already holds (same step and value) is not repeated.

        With ``model_id`` the metrics are linked to that logged model (MLflow's model view).
        """
        import time

        from mlflow.entities import Metric

        now, step = int(time.time() * 1000), step or 0
        points = ((metric_name(k), float(v)) for k, v in metrics.items() if v is not None and v == v)
        batch = [Metric(name, value, now, step, model_id=model_id) for name, value in points
                 if self._is_new(run_id, name, step, value)]
        for start in range(0, len(batch), 500):
            self.client.log_batch(run_id, metrics=batch[start:start + 500])

    def _is_new(self, run_id: str, name: str, step: int, value: float) -> bool:
        """Whether the run lacks this point; records it as logged. A metric the run held
        before this process touched it has its history read once, when first logged."""
        points = self._points.get(run_id)
        if points is None:
            points = self._points[run_id] = dict.fromkeys(self.client.get_run(run_id).data.metrics)
        seen = points.get(name)
        if seen is None:
            seen = points[name] = ({(m.step, m.value) for m in
                                    self.client.get_metric_history(run_id, name)}
                                   if name in points else set())
        if (step, value) in seen:
            return False
        seen.add((step, value))
        return True

    def log_artifacts(self, run_id: str, local_dir: str | Path, artifact_path: str | None = None) -> None:
        self.client.log_artifacts(run_id, str(local_dir), artifact_path)

    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(run_id, str(local_path), artifact_path)

    def log_table(self, run_id: str, frame, artifact_file: str) -> None:
        """A table shown in the MLflow UI's evaluation view (JSON artifact). A resumed run's
        table is replaced: MLflow's ``log_table`` would append the rows a second time."""
        folder = posixpath.dirname(artifact_file) or None
        if artifact_file not in {a.path for a in self.client.list_artifacts(run_id, folder)}:
            self.client.log_table(run_id, data=frame, artifact_file=artifact_file)
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / posixpath.basename(artifact_file)
            frame.to_json(path, orient="split", index=False, date_format="iso")  # as log_table
            self.log_artifact(run_id, path, folder)

    def log_dict(self, run_id: str, data: Any, artifact_file: str) -> None:
        self.client.log_dict(run_id, data, artifact_file)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.client.log_text(run_id, text, artifact_file)

    def log_parquet(self, run_id: str, frame, artifact_file: str) -> None:
        """A large table as a Parquet artifact."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(artifact_file).name
            frame.to_parquet(path, index=False)
            parent = str(Path(artifact_file).parent)
            self.log_artifact(run_id, path, None if parent == "." else parent)


@contextlib.contextmanager
def _fresh_ids():
    """Trace ids come from the global ``random`` (OpenTelemetry's id generator); training
    seeds it, so two variants trained alike would draw the same ids and the second's
    traces would overwrite the first's. Draw them from the OS, then restore the state."""
    state = random.getstate()
    random.seed()
    try:
        yield
    finally:
        random.setstate(state)


def download_results(run_id: str, dst: str | Path) -> Path:
    """The per-item results (``report/results.parquet``) of a recipe's parent run."""
    import mlflow

    return Path(mlflow.artifacts.download_artifacts(run_id=run_id,
                                                    artifact_path="report/results.parquet",
                                                    dst_path=str(dst)))


def experiment_runs(experiment: str):
    """Every run of an experiment as a DataFrame (params, tags, metrics as columns)."""
    import mlflow

    return mlflow.search_runs(experiment_names=[experiment], max_results=100000)


def fit_note(markdown: str, limit: int = NOTE_LIMIT) -> str:
    """``markdown`` whole when it fits ``limit``, else cut before the last ``###`` section
    that fits (else at the last line that fits), with a line saying where the rest is."""
    if len(markdown) <= limit:
        return markdown
    room = limit - len(NOTE_CUT)
    cut = markdown.rfind("\n### ", 0, room)
    if cut <= 0:
        cut = markdown.rfind("\n", 0, room)
    return markdown[:cut if cut > 0 else room].rstrip() + NOTE_CUT
