# chainrule: `make test` and `make demo` set up a fresh machine by themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Small matrices: one BLAS thread is as fast, and steadier when the cores are shared.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install test demo bench lint graphviz clean

install: $(STAMP) graphviz

# The virtualenv with the package (editable) and its test, bench and dev extras; redone only
# when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test,bench,dev]'
	touch $(STAMP)

# The `dot` program comes from the system package graphviz (the Python package only calls it).
graphviz:
	@if command -v dot >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the system package graphviz (for the dot program)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "The dot program is missing. Install it with:  sudo apt-get install graphviz"; \
		echo "(macOS: brew install graphviz; conda: conda install graphviz)"; exit 1; \
	fi

test: install
	$(PY) -m pytest tests --nbmake notebooks --nbmake-timeout=60

demo: install
	MPLBACKEND=Agg $(PY) examples/demo.py --out demo

bench: install
	$(PY) benchmarks/bench_scalar.py
	$(PY) benchmarks/bench_tensor.py
	$(PY) benchmarks/bench_search.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis build *.egg-info
