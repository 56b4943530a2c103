PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run test lint format screenshot bench bundle bundle-test train-background

venv: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

run: venv
	@$(BIN)/python -m in2_studio.gui.check_display
	$(BIN)/in2-studio $(IMAGE)

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/in2-studio bench

# The window on a virtual X screen (Debian's xvfb), a stroke painted, the result saved as a PNG.
screenshot: venv
	@command -v xvfb-run >/dev/null || { echo "screenshot needs xvfb-run: apt-get install xvfb, and the X11 libraries of the README's Install"; exit 1; }
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python -m in2_studio.gui.screenshot \
		--image resources/sample/eileen-collins.jpg --stroke "0.385,0.205 0.44,0.2 0.49,0.205" --brush 0.045 \
		--scale 0.7 --colours 256 --output docs/screenshot.png

# One run folder per shipped file: a new file starts a new cycle from its weights (configs/base.toml), the same
# file resumes the cycle begun from it.
SHIPPED_STEP = $(shell $(BIN)/python -c 'from in2_studio.engine.weights import DEFAULT_WEIGHTS as w, read_metadata as r; print(r(w).get("step", 0))')
RUN_DIR ?= $(HOME)/.cache/in2-studio/runs/from-$(SHIPPED_STEP)

# Resume the main training run in the background on one thread; the log stays outside the repo.
train-background: venv
	@mkdir -p $(RUN_DIR)
	nohup $(BIN)/in2-studio train --config configs/base.toml --resume --out $(RUN_DIR) >> $(RUN_DIR)/nohup.out 2>&1 &
	@echo "training in the background: tail -f $(RUN_DIR)/train.log"

# The one-folder bundle dist/in2-studio/ (build.spec), with PyInstaller from the `bundle` extra.
bundle: venv
	@$(BIN)/python -c "import PyInstaller" 2>/dev/null || $(BIN)/pip install -q -e '.[bundle]'
	$(BIN)/pyinstaller --noconfirm --log-level WARN build.spec

# Builds the bundle, then runs it in a bare environment: --version, --self-test, inpaint, a bad input, the window.
bundle-test: bundle
	$(BIN)/python scripts/bundle_test.py dist/in2-studio/in2-studio
