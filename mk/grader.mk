# The grader's targets. Included by the main Makefile, which defines PY (the venv's python).
PY ?= .venv/bin/python

.PHONY: grader-image grader-test grader-test-adversarial grader-bench grader-lint

# Build the CPU grader image offline (debootstrap + local wheelhouse); reused when its inputs
# are unchanged. Tags grader-cpu:<hash of inputs> and grader-cpu:latest.
grader-image:
	docker/build-grader-image.sh

# The grader's whole suite: unit tests, grade() on every backend, the adversarial suite.
# With CI=true a missing Docker engine, image or bwrap fails the run instead of skipping.
grader-test:
	$(PY) -m pytest tests/grader -q

grader-test-adversarial:
	$(PY) -m pytest tests/grader/test_adversarial.py -q

# Sandbox overhead against a direct run, and the warm pool's dequeue-to-student-code latency.
grader-bench:
	$(PY) bench/bench_sandbox.py

grader-lint:
	$(PY) -m ruff check grader tests/grader bench/bench_sandbox.py
	$(PY) -m mypy grader
