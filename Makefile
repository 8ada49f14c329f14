# Two commands on a fresh machine, each setting up what is missing first:
#   make train    a virtual environment with torch and this project, then the walkthrough's first GAN
#   make test     the same set-up, then the fast test suite (unit tests and a few end-to-end runs on real MNIST)
#   make test-full   every test, the long end-to-end ones too (what CI runs), with the 15 slowest listed
# TORCH picks the torch build, without editing files: the default is the CPU build this project is developed
# with; e.g. `make train TORCH=torch` for your platform's default (CUDA on Linux). ARGS are train.py overrides.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
ARGS ?= model=baseline
BIN := $(VENV)/bin
# offline, a copy of the MNIST files beside the checkout (as in CI) is used; MNIST_MIRROR=... overrides it
export MNIST_MIRROR ?= $(wildcard $(CURDIR)/../shared/mnist)

.PHONY: setup train test test-full
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev,docs]"
	touch $@

train: setup
	$(BIN)/python scripts/train.py $(ARGS)

test: setup
	$(BIN)/python -m pytest -m "not e2e"

test-full: setup
	$(BIN)/python -m pytest --durations=15
