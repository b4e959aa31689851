"""Loaded by pytest before Django is configured: the test environment's defaults."""

import os

os.environ.setdefault("TESTING", "1")
