# chainrule: `make test`, `make demo` and `make docs` set up a fresh machine by themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# One stamp per set of extras, each redone only when pyproject.toml changes: the demo's does not
# pull the tests' torch, and the tests' does not pull the site's MkDocs.
STAMP      := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs

# Small matrices: one BLAS thread is as fast, and steadier when the cores are shared.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install test demo docs test-docs notebooks exercises bench lint graphviz chromium node clean playground

install: $(STAMP) graphviz

$(PY):
	$(PYTHON) -m venv $(VENV)

# The package (editable) with its test, bench and dev extras (torch 2.13 CPU is the tests' reference).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench,dev]'
	touch $(STAMP)

# What the demo needs and nothing more: the package with its plots and datasets extras.
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[plots,datasets]'
	touch $(DEMO_STAMP)

# The site's tools: MkDocs, Material, mkdocstrings, mkdocs-jupyter (playwright is in [test]).
$(DOCS_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# A system program from Debian's package of that name, installed when missing (as root, or with
# a password-less sudo), or the command to run printed.  $(call system_program,program,package)
define system_program
@if command -v $(1) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the system package $(2) (for the $(1) program)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	else \
		echo "The $(1) program is missing. Install it with:  sudo apt-get install $(2)"; \
		echo "$(3)"; exit 1; \
	fi
endef

# The `dot` program comes from the system package graphviz (the Python package only calls it).
graphviz:
	$(call system_program,dot,graphviz,(macOS: brew install graphviz; conda: conda install graphviz))

# pyright (make lint) runs on the system's Node.js (the pyright package fetches its npm build once).
node:
	$(call system_program,node,nodejs,(or install Node.js 18+ by your system's means))

# Debian's headless chromium, for the browser test of the site (playwright drives it; it never
# downloads a browser of its own).
chromium:
	$(call system_program,chromium,chromium chromium-driver,(the browser test runs /usr/bin/chromium))

# Every test but the site's (marker `docs`: it needs `make docs` first; see test-docs).
test: install chromium
	$(PY) -m pytest tests -m "not docs" --nbmake notebooks/*.ipynb --nbmake-timeout=60

demo: $(DEMO_STAMP) graphviz
	MPLBACKEND=Agg $(PY) examples/demo.py --out demo

# The notebooks from their percent-format sources in notebooks/src/ (.ci/make_notebooks.py).
notebooks: $(STAMP)
	$(PY) .ci/make_notebooks.py notebooks/src/*.py

# The exercise notebooks, each from its one source in notebooks/exercises/src/: the student
# version (blanks) in notebooks/exercises/, the solution in notebooks/exercises/solutions/.
exercises: $(STAMP)
	$(PY) .ci/make_exercises.py notebooks/exercises/src/*.py

# The documentation site in site/, offline, every notebook executed; fails on a broken
# cross-reference, a notebook that raises or a public name without a docstring. It needs the
# test extras as well: the notebook from chainrule to PyTorch runs torch.
docs: $(STAMP) $(DOCS_STAMP) graphviz
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --clean

# The site in a real (headless) browser: every page, its console, its images.
test-docs: docs chromium
	$(PY) -m pytest -m docs tests/test_docs_site.py

bench: install
	$(PY) benchmarks/bench_scalar.py
	$(PY) benchmarks/bench_tensor.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_playground.py
	$(PY) benchmarks/bench_steps.py
	$(PY) benchmarks/bench_conv.py

# The live playground as a local web app on http://127.0.0.1:$(PORT)/ (Voila; Ctrl+C stops it).
PORT ?= 8866
playground: $(STAMP)
	$(PY) -m nn.playground --port $(PORT)

# ruff; no import circle in either package; mypy and pyright on both packages and on the
# README's code blocks (extracted by .ci/readme_snippets.py). pyright runs on the system's node.
lint: $(STAMP) node
	$(VENV)/bin/ruff check .
	$(PY) .ci/import_cycles.py autograd nn
	rm -rf build/readme && $(PY) .ci/readme_snippets.py build/readme >/dev/null
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --follow-imports=silent build/readme
	PYRIGHT_PYTHON_GLOBAL_NODE=1 PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(VENV)/bin/pyright
	PYRIGHT_PYTHON_GLOBAL_NODE=1 PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(VENV)/bin/pyright build/readme

clean:
	rm -rf $(VENV) demo site .pytest_cache .hypothesis build *.egg-info
