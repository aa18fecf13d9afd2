# mmspine: `make demo` runs the pipeline on synthetic data, `make test` the
# test suite. Both install first; `make install` is idempotent.

PYTHON ?= python3.11
VENV ?= .venv
# CPU build by default; GPU users install the torch for their CUDA into the
# venv first (see README), and it is then left alone.
TORCH_SPEC ?= torch==2.13.0
# Prebuilt mmcv wheels shared between developers and CI, used when present.
WHEELS ?= ../shared/wheels
DEMO_DIR ?= work_dirs/demo

PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.mmspine-installed
REQS := requirements/runtime.txt requirements/openmmlab.txt \
	requirements/tests.txt requirements/build.txt setup.py setup.cfg

.PHONY: install test demo lint clean-venv

install: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	@$(PY) -c 'import torch' 2>/dev/null || $(PIP) install -q '$(TORCH_SPEC)'
	@# pin the torch present so that no dependency swaps it for another build
	$(PY) -c 'import torch; print("torch==" + torch.__version__)' \
		> $(VENV)/torch-constraint.txt
	$(PIP) install -q -c $(VENV)/torch-constraint.txt \
		-r requirements/runtime.txt -r requirements/tests.txt \
		-r requirements/build.txt
	CFLAGS=-g0 MMCV_WITH_OPS=1 $(PIP) install -q --no-deps \
		--no-build-isolation $(if $(wildcard $(WHEELS)/*.whl),--find-links $(WHEELS)) \
		-r requirements/openmmlab.txt
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PY) -c 'from mmcv.ops import nms, RoIAlign; import mmdet, mmspine'
	@touch $(STAMP)

# pytest-xdist workers: one per core plus one (at most 5), since several
# tests mostly wait (Orthanc, subprocesses, a 30 s PACS outage); tests that
# share a trained model are grouped onto one worker (pytest.mark.xdist_group)
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n + 1 < 5 ? n + 1 : 5 )))
PYTEST_ARGS ?= -n $(TEST_WORKERS) --dist loadgroup

test: install
	$(PY) -m pytest $(PYTEST_ARGS) tests

demo: install
	$(PY) tools/demo.py --work-dir $(DEMO_DIR)

lint: install
	$(PY) -m flake8 mmspine tools tests configs

clean-venv:
	rm -rf $(VENV)
