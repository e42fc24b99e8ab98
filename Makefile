# Two commands do everything:  make lab   and   make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lab test unit browser-test notebooks run-notebooks student student-test grade bench bench-readme claims clean

# Re-install only when pyproject.toml changed since the last install.
# .ci/install.sh: uv (bootstrapped into the venv with pip) when it works, else pip; USE_UV=0 forces pip.
$(STAMP): pyproject.toml
	bash .ci/install.sh $(VENV) $(PYTHON)
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/ruff check gan_helpers tests benchmarks
	$(BIN)/python -m pytest -rs

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not student"

# The widgets in a real JupyterLab: Playwright drives the system chromium (apt-get install -y chromium);
# screenshots in reports/browser/. Skipped, with the reason, when chromium is missing.
browser-test: $(STAMP)
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet playwright
	$(BIN)/python -m pytest tests/test_browser.py -rs -s

# Student version of every notebook (solutions removed, outputs cleared) in student/.
student: $(STAMP)
	$(BIN)/python -m gan_helpers.homework

student-test: $(STAMP)
	$(BIN)/python -m pytest tests/test_homework.py -m student

# Grade a class: SUBMITTED/<student>/<NN_topic>.ipynb -> grades.csv and feedback/<student>.md
# (each submission's solution regions run inside the source notebook, smoke mode, fresh kernel).
# Example: make grade SUBMITTED=submitted GRADES=grades.csv
GRADES ?= grades.csv
grade: $(STAMP)
	@test -n "$(SUBMITTED)" || { echo "usage: make grade SUBMITTED=folder [GRADES=grades.csv]"; exit 2; }
	$(BIN)/python -m gan_helpers.grade "$(SUBMITTED)" --out "$(GRADES)"

# Time-to-quality benchmark; writes reports/bench.md and reports/bench.json.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Rewrite README.md's benchmark section (between the bench:begin / bench:end markers) from reports/bench.json.
bench-readme: $(STAMP)
	$(BIN)/python -m benchmarks.readme

# Claims harness (not part of `make test`: minutes per notebook): run each notebook once per seed
# offset 1..SEEDS and count how often each gh.checks.expect claim holds; writes reports/claims.md
# and reports/claims.json. Example: make claims NOTEBOOKS="05 07" SEEDS=10
NOTEBOOKS ?= 02 03 05 06 07 08
SEEDS     ?= 10
claims: $(STAMP)
	$(BIN)/python -m gan_helpers.claims --notebooks $(NOTEBOOKS) --seeds $(SEEDS)

notebooks: $(STAMP)
	$(BIN)/python -m pytest notebooks

# Re-execute notebooks in place (stored outputs from one clean top-to-bottom run at seed offset 0)
# and write each one's measured "Time to run" line. 00 always goes last: its course map reads the
# others' lines. One notebook (then 00): make run-notebooks RUN=07_mode_collapse.ipynb
RUN ?= $$(ls [0-9][0-9]_*.ipynb | grep -v '^00_')
run-notebooks: $(STAMP)
	cd notebooks && for nb in $(RUN) 00_start_here.ipynb; do \
	  echo "== $$nb"; env -u GAN_COURSE_SEED -u GAN_COURSE_CLAIMS -u GAN_COURSE_SMOKE \
	    ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=900 "$$nb" || exit 1; \
	  ../$(BIN)/python -m gan_helpers.course.catalog "$$nb" || exit 1; done

clean:
	rm -rf $(VENV) student reports build
