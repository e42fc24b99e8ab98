# Two commands do everything:  make lab   and   make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lab test unit notebooks run-notebooks student student-test bench claims clean

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -c "import torch, torchvision; print('torch', torch.__version__, '| torchvision', torchvision.__version__)"
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not student"

# Student version of every notebook (solutions removed, outputs cleared) in student/.
student: $(STAMP)
	$(BIN)/python -m gan_helpers.homework

student-test: $(STAMP)
	$(BIN)/python -m pytest tests/test_homework.py -m student

# Time-to-quality benchmark; writes reports/bench.md and reports/bench.json.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Claims harness (not part of `make test`: minutes per notebook): run each notebook once per seed
# offset 1..SEEDS and count how often each gh.checks.expect claim holds; writes reports/claims.md
# and reports/claims.json. Example: make claims NOTEBOOKS="05 07" SEEDS=10
NOTEBOOKS ?= 03 05 06 07
SEEDS     ?= 10
claims: $(STAMP)
	$(BIN)/python -m gan_helpers.claims --notebooks $(NOTEBOOKS) --seeds $(SEEDS)

notebooks: $(STAMP)
	$(BIN)/python -m pytest notebooks

# Re-execute every notebook in place (stored outputs from one clean top-to-bottom run).
# 00 goes last: its course map reads the other notebooks.
run-notebooks: $(STAMP)
	cd notebooks && for nb in $$(ls [0-9][0-9]_*.ipynb | grep -v '^00_') 00_start_here.ipynb; do \
	  echo "== $$nb"; ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=900 "$$nb" || exit 1; done

clean:
	rm -rf $(VENV) student reports build
