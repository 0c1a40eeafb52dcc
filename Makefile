# The two commands a new user needs: `make demo` and `make test`. Both set everything up first.
VENV     ?= .venv
PY       := $(VENV)/bin/python
SYMCONV  := $(VENV)/bin/symconv
STAMP    := $(VENV)/.installed
OUT      ?= out
TEX_PKGS := texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern cm-super latexmk poppler-utils

.PHONY: demo test tex setup bench lint clean

setup: $(STAMP)

# torch==2.13.0 comes from the CPU wheel on this machine's disk (see pyproject.toml's test extra).
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

# TeX Live from Debian, installed only when missing and only as root; otherwise say how.
tex:
	@if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
	   && kpsewhich lmodern.sty >/dev/null 2>&1 && kpsewhich type1ec.sty >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing TeX Live from Debian: $(TEX_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PKGS) >/dev/null; \
	else echo "TeX Live is missing; PDFs will not be built. Install it with: sudo apt-get install $(TEX_PKGS)"; fi

test: $(STAMP) tex
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy symconv grader
	$(PY) -m pytest -q tests symconv grader

demo: $(STAMP) tex
	$(SYMCONV) derive --input 5x5 --kernel 3x3
	$(SYMCONV) limits --window 109,92,108,85
	$(SYMCONV) solve --out $(OUT)
	$(SYMCONV) grade examples/submissions --out $(OUT)/grading || [ $$? -eq 3 ]  # 3: graded, answers to review
	$(SYMCONV) grade examples/writeups --out $(OUT)/writeups || [ $$? -eq 3 ]     # students' own write-ups

bench: $(STAMP)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy symconv grader

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
