"""What runs INSIDE the sandbox, next to the student's code.

Keep this package small and free of secrets: it is mounted read-only into every sandbox and
everything it does can be observed (and subverted) by the student's code. It imports only the
standard library, torch, numpy, safetensors and Pillow. Nothing it records is a verdict: the
trusted side (``grader.verify``) reads its artifacts as data.
"""

from grader.harness.context import ArtifactError, TaskContext

__all__ = ["ArtifactError", "TaskContext"]
