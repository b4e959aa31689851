"""Reference PyTorch implementations of the course's model families, and its metrics.

Trusted code: the grader's VERIFY phase compares student artifacts with these.
"""
