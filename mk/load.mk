# The deadline-rush load benchmark (bench/load/rush.py); not part of `make bench`: it takes
# about 2 min for the rush and up to 3 min per grading-worker count, and needs PostgreSQL,
# Redis and (for grading) the Docker engine with the grader image.
LOAD_ARGS ?=

.PHONY: bench-load

bench-load: $(STAMP)
	$(PY) bench/load/rush.py $(LOAD_ARGS)
