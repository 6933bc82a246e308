# qlikcloud.platform - the two commands a new user needs:
#   make demo   run the main job (create a tenant, put it on a customer-managed key,
#               re-run with no change, rotate the key, rotate a pipeline client's secret)
#               against the embedded emulator
#   make test   every quality gate (pytest, ansible-test sanity, ansible-lint, docs, changelog,
#               build, the execution environment, and the ansible-core 2.16 to 2.21 matrix)
# Both create .venv/ and install requirements-dev.txt with pip; nothing else is assumed
# beyond Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt emulator/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: test demo emulator reliability bench venv clean

$(STAMP): requirements.txt requirements-dev.txt emulator/pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/python -m tools.gates

demo: $(STAMP)
	$(VENV)/bin/python -m tools.demo

# the long reliability suite: >= 50 faulty role runs, 20 interruptions; writes docs/reliability.md
reliability: $(STAMP)
	$(VENV)/bin/python -m pytest -p no:cacheprovider tests/integration/test_reliability.py tests/integration/test_hostile.py --long -v

# benchmarks (about half an hour on an otherwise idle 2-CPU machine): rewrites bench/RESULTS.md and bench/fleet.svg
bench: $(STAMP)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -r bench/requirements.txt
	$(VENV)/bin/python bench/run.py

# the Qlik Cloud emulator (emulator/, installed into .venv by requirements-dev.txt), e.g.
#   make emulator ARGS="--tenants 3 --env-file emulator.env"; ARGS=--help lists every switch
emulator: $(STAMP)
	$(VENV)/bin/qlik-cloud-emulator $(ARGS)

clean:
	rm -rf $(VENV) tests/output build dist .ansible emulator/build emulator/*.egg-info
