# digitnet — every target creates .venv on first use and is safe to run again.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV_VERSION := uv~=0.13.0
BUILD  := build/notebooks
DATA   := MNIST
CSVS   := $(DATA)/digit_xtrain.csv $(DATA)/digit_ytrain.csv $(DATA)/digit_xtest.csv $(DATA)/digit_ytest.csv
# Papermill parameters for `make run`; override e.g. `make run TRAIN_PARAMS="-p EPOCHS 5"`.
TRAIN_PARAMS ?=
# `make run` shows what the notebooks print (the epoch lines while training) as they print it; the executed
# copies in build/notebooks/ keep their outputs as they would be anyway. Papermill opens --stdout-file for
# writing, which would empty a log file that `make run > log` writes to, so it writes into a pipe (| cat).
PAPERMILL := $(BIN)/papermill --log-level WARNING --no-progress-bar --stdout-file /dev/stdout
# JupyterLab refuses to start as root unless told to (containers, CI machines).
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)
# The browsers the browser tests can drive (tests/browser/lab.py looks for the same names).
CHROMIUM := $(firstword $(foreach name,chromium chromium-browser google-chrome google-chrome-stable,$(shell command -v $(name) 2>/dev/null)))
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: help venv data data-if-missing run test lint lab tensorboard bench samples user-images yardstick fonts clean

help:
	@echo "make run    set up, prepare MNIST, train + export via the notebooks, print accuracy and predictions"
	@echo "make test   set up and run the whole test suite"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make tensorboard   show the training logs"
	@echo "make bench  side-by-side benchmarks (writes benchmarks/results.md)"

venv: $(STAMP)

# Packages are installed by uv, which puts the ~150 of them in place in a fraction of pip's time: the uv
# on PATH if there is one, else one fetched by pip into .venv/tools (a single small wheel). When uv cannot be
# had or fails, pip installs them itself. Either way one resolution, one install, no pip self-upgrade.
# The venv is made without pip (ensurepip takes 2.5 s); uv puts pip in beside the rest, as `digitnet data`
# and `make bench` use it, and the fallback bootstraps it first.
# Byte-compiled at install time, as pip does: otherwise the first imports of TensorFlow in every test worker
# and every process the tests start compile it again (measured: the first make test took 90 s longer).
# uv leaves out rfc3987-syntax, an optional IRI checker that jsonschema loads whenever it is installed (the
# Jupyter packages pull it in): it builds an Earley parser on import, 0.75 s in every process that opens a
# notebook (papermill, nbconvert, JupyterLab, the test workers), and nothing here checks IRIs.
# uv first installs from its cache alone (--offline), without asking the package index whether each package is
# still current: with all of them in the cache, 1.5 s instead of 3.0 s (7.8 s once), byte-compiling aside. A
# package missing from the cache makes that attempt fail while resolving, before it installs anything, and uv
# then installs as usual, from the index (a fresh machine's first install).
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@uv="$$(command -v uv || true)"; \
	if [ -z "$$uv" ] && $(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
	     --target $(VENV)/tools "$(UV_VERSION)" 2>/dev/null; then uv=$(VENV)/tools/bin/uv; fi; \
	echo rfc3987-syntax > $(VENV)/excluded.txt; \
	install() { "$$uv" pip install --quiet --compile-bytecode --python $(BIN)/python pip -r requirements.txt -e . \
	              --excludes $(VENV)/excluded.txt "$$@"; }; \
	if [ -n "$$uv" ] && { install --offline 2>/dev/null || install; }; then \
	  echo "installed with $$("$$uv" --version)"; \
	else \
	  echo "installing with pip"; \
	  ($(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null) && \
	  $(BIN)/python -m pip install --quiet -r requirements.txt && $(BIN)/python -m pip install --quiet --no-deps -e .; \
	fi
	@# JupyterLab from this environment (make lab) takes websocket messages up to 200 MB instead of Tornado's 10 MB:
	@# the notebook's Choose photos button sends the chosen files in one message, and a bigger one silently dropped
	@# the connection (a 16 MB phone photo was never read). digitnet refuses any one file over 50 MB. (The server
	@# reads only extension switches from jupyter_server_config.d, so this is the environment's own config file.)
	@mkdir -p $(VENV)/etc/jupyter
	@echo '{"ServerApp": {"tornado_settings": {"websocket_max_message_size": 209715200}}}' \
	  > $(VENV)/etc/jupyter/jupyter_server_config.json
	@# Notebook outputs never reach a commit: .gitattributes names the nbstripout filter, configured here
	@# (--keep-id keeps cell ids, so a commit's diff shows only what changed).
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.clean '"$(abspath $(BIN))/python" -m nbstripout --keep-id' && \
	  git config diff.ipynb.textconv '"$(abspath $(BIN))/python" -m nbstripout --keep-id -t'; \
	fi
	touch $@

data: $(STAMP)
	$(BIN)/python -m digitnet data --dir $(DATA)

# Build the CSVs only when one is missing: CSVs a user brought are left alone.
data-if-missing: $(STAMP)
	@ls $(CSVS) >/dev/null 2>&1 || $(BIN)/python -m digitnet data --dir $(DATA)

run: SHELL := /bin/bash
run: .SHELLFLAGS := -o pipefail -c
run: data-if-missing
	@mkdir -p $(BUILD)
	$(PAPERMILL) train_neural_network.ipynb $(BUILD)/train_neural_network.ipynb $(TRAIN_PARAMS) | cat
	$(PAPERMILL) load_saved_model.ipynb $(BUILD)/load_saved_model.ipynb | cat
	$(BIN)/jupyter nbconvert --log-level WARN --to html $(BUILD)/*.ipynb
	@echo "Executed notebooks with their plots: $(BUILD)/ (.ipynb and .html)"
	$(BIN)/python -m digitnet evaluate
	@# One sample (none-letter.png) is a letter, refused on purpose: predict exits 1 for a refusal, which is
	@# the expected answer here; anything else (2 = usage error, a crash) still fails the run.
	$(BIN)/python -m digitnet predict $(DATA)/samples/*.* || test $$? -eq 1

# The suite on two workers, a test file per worker at a time (pytest-xdist), then the browser tests on their
# own: they time the canvas's answer, which must not share the CPU with other tests. Plain `pytest` runs all.
test: $(STAMP)
	@$(if $(CHROMIUM),,echo "make test: no Chromium installed: the browser tests (tests/test_browser.py) are skipped; apt-get install chromium runs them")
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --ignore=tests/test_browser.py
	$(BIN)/python -m pytest -q tests/test_browser.py

samples: data-if-missing
	$(BIN)/python -m tools.make_samples

user-images: data-if-missing
	$(BIN)/python -m tools.make_user_images --out build/user_images

# The non-MNIST yardstick (for measuring only, never for training): stroke templates and handwriting fonts.
yardstick: fonts
	$(BIN)/python -m tools.yardstick --out build/yardstick

# The yardstick's handwriting-style fonts come from Debian packages; installed here when missing (as root).
fonts: $(STAMP)
	@missing="$$($(BIN)/python -c 'from tools.yardstick.fonts import missing_packages; print(*missing_packages())')"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get install -y --no-install-recommends $$missing || (apt-get update && apt-get install -y --no-install-recommends $$missing); \
	else echo "missing fonts (their digits are skipped): sudo apt-get install $$missing"; fi

bench: data-if-missing
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt || echo "PyTorch could not be installed: its rows will be skipped"
	$(BIN)/python -m benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check .

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS)

tensorboard: $(STAMP)
	$(BIN)/tensorboard --logdir logs

clean:
	rm -rf build logs .pytest_cache
