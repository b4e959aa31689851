"""Wall time and peak memory of a whole HW1 autograde of the reference solution.

    python bench/bench_hw1.py [--backend bwrap|docker|trusted] [--device cpu|cuda] [--repeat N]

Peak memory: the RUN phase's sandbox peak as the report measures it, and the maximum resident
set of this process (the VERIFY phase runs here) — the budget is 60 s and 2 GB on 2 cores.
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="bwrap")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    for i in range(args.repeat):
        t0 = time.monotonic()
        report = grade(
            ROOT / "assignments" / "hw1",
            ROOT / "assignments" / "hw1" / "reference",
            backend=args.backend,
            seed=args.seed + i,
            device=args.device,
        )
        wall = time.monotonic() - t0
        data = report.to_results_json()
        phases = data.get("phases", {})
        resources = data.get("resources", {})
        sandbox_peak = resources.get("peak_memory_bytes") or 0
        verify_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(
            f"hw1 reference, backend={args.backend}, device={args.device}: score {report.score:g}/{data.get('max_score')}, "
            f"wall {wall:.1f} s (run {phases.get('run_s', float('nan')):.1f} s, verify {phases.get('verify_s', float('nan')):.1f} s), "
            f"peak memory: sandbox {sandbox_peak / 2**20:.0f} MiB, verify process {verify_peak / 2**20:.0f} MiB"
        )
        for name, task in data.get("tasks", {}).items():
            print(
                f"  task {name}: {task.get('status')} {task.get('wall_s')} s, max rss {task.get('max_rss_kb', 0) / 1024:.0f} MiB"
            )


if __name__ == "__main__":
    main()
