"""Wall time and peak memory of HW2's whole autograde for the reference solution.

    python bench/bench_hw2.py [--backend trusted|bwrap|docker] [--device cpu|cuda] [--repeats 2]

The first grade in a process pays for the held-out features (cached afterwards, as in a
long-lived worker); both are printed. Peak memory: this process (VERIFY) and its children
(the RUN phase), from getrusage.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import grade  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="trusted")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    for i in range(args.repeats):
        t0 = time.perf_counter()
        report = grade(
            ROOT / "assignments" / "hw2",
            ROOT / "assignments" / "hw2" / "reference",
            backend=args.backend,
            seed=1000 + i,
            device=args.device,
        )
        wall = time.perf_counter() - t0
        tasks = ", ".join(
            f"{name} {t.get('wall_s', 0):.1f}s wall/{t.get('cpu_s', 0):.1f}s cpu"
            for name, t in report.tasks.items()
        )
        run = report.resources
        print(
            f"grade {i + 1}: score {report.score:.1f}/{report.max_score:.0f}, wall {wall:.1f} s "
            f"(backend {args.backend}, device {args.device}); RUN phase {run.get('wall_s', 0):.1f} s wall, "
            f"{run.get('cpu_s', 0):.1f} s cpu, peak {run.get('peak_memory_bytes', 0) / 2**20:.0f} MB; tasks: {tasks}"
        )
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS: verify (this process) {self_mb:.0f} MB, largest child (run phase) {child_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
