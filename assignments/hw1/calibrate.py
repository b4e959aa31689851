"""Measure the spread of HW1's stochastic checks on the reference solution.

For each seed, runs the real tasks (tasks.py, in-process, with the reference as the submission)
and the real checks (checks.py), and records each stochastic metric:

* ``made_bpd``: held-out bits/dim of the MADE trained by task_train_made;
* ``vae_nll``: held-out negative ELBO (nats/image) of the VAE trained by task_train_vae;
* ``chi2``: chi-square of the MADE sampler's counts (check_made_sample);
* ``gap_iwae5``, ``gap_iwae50``: mean IWAE_5 − ELBO and IWAE_50 − IWAE_5 (check_vae_bound_order).

Usage (from the repository root)::

    python assignments/hw1/calibrate.py --seeds 200 --workers 16 --out calibration.json

then ``--summarise calibration.json`` prints the table that goes into CALIBRATION.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _one(seed: int) -> dict[str, float]:
    import importlib.util

    import torch

    torch.set_num_threads(1)
    for p in (str(ROOT), str(HERE), str(HERE / "reference")):
        if p not in sys.path:
            sys.path.insert(0, p)
    from course_models.data import data_dir
    from grader.harness.context import TaskContext
    from grader.verify.context import CheckContext, TaskStatus

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"hw1_calib_{name}", HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    tasks, checks = load("tasks"), load("checks")
    metrics: dict[str, float] = {"seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        names = ("autoregressive", "vae", "train_made", "train_vae")
        for name in names:
            ctx = TaskContext(
                task=name,
                seed=seed,
                device="cpu",
                out_root=out,
                submission_dir=HERE / "reference",
                data_dir=data_dir(),
                output_bytes=64 << 20,
            )
            t0 = time.monotonic()
            getattr(tasks, f"task_{name}")(ctx)
            metrics[f"time_{name}"] = time.monotonic() - t0
        statuses = {n: TaskStatus("ok", "") for n in names}

        def run(check: str, task: str):
            ctx = CheckContext(
                check=check, task=task, seed=seed, device="cpu", out_root=out, statuses=statuses
            )
            try:
                return getattr(checks, f"check_{check}")(ctx).metrics
            except Exception as exc:  # a failed check: record it, never lose the run
                metrics.setdefault("failed", []).append(f"{check}: {exc}")
                return {}

        nan = math.nan
        metrics["made_bpd"] = run("made_heldout_bpd", "train_made").get("bpd", nan)
        metrics["vae_nll"] = run("vae_heldout_nll", "train_vae").get("neg_elbo_nats", nan)
        metrics["chi2"] = run("made_sample", "autoregressive").get("chi2", nan)
        ctx = CheckContext(
            check="vae_bound_order",
            task="train_vae",
            seed=seed,
            device="cpu",
            out_root=out,
            statuses=statuses,
        )
        order = checks.bound_means(ctx)
        metrics["gap_iwae5"] = order["iwae5"] - order["elbo"]
        metrics["gap_iwae50"] = order["iwae50"] - order["iwae5"]
    return metrics


def summarise(rows: list[dict[str, float]]) -> str:
    from scipy import stats

    sys.path.insert(0, str(ROOT))
    checks_path = HERE / "checks.py"
    text = checks_path.read_text()

    def const(name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + " ="):
                return float(line.split("=")[1].split("#")[0])
        raise KeyError(name)

    failed = [f"seed {r['seed']}: {f}" for r in rows for f in r.get("failed", [])]
    lines = [
        f"{len(rows)} seeds ({min(r['seed'] for r in rows)}..{max(r['seed'] for r in rows)})",
        "",
    ]
    lines.append(
        "| metric | mean | sd | min | max | threshold | z of threshold | P(fail), normal fit |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    spec = {
        "made_bpd": ("MADE_BPD_PASS", "upper"),
        "vae_nll": ("VAE_NLL_PASS", "upper"),
        "chi2": ("SAMPLE_CHI2_MAX", "upper"),
        "gap_iwae5": (None, "lower"),
        "gap_iwae50": (None, "lower"),
    }
    for key, (threshold_name, side) in spec.items():
        values = [r[key] for r in rows]
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        threshold = const(threshold_name) if threshold_name else 0.0
        z = (threshold - mean) / sd if side == "upper" else (mean - threshold) / sd
        p = stats.norm.sf(z)
        if key == "chi2":
            p = stats.chi2.sf(threshold, 15)  # exact reference distribution of the statistic
        lines.append(
            f"| {key} | {mean:.4f} | {sd:.4f} | {min(values):.4f} | {max(values):.4f} | "
            f"{threshold_name or '0'} = {threshold:g} | {z:.1f} | {p:.1e} |"
        )
    times = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if k.startswith("time_")}
    lines += [
        "",
        "mean task seconds per seed (1 thread): "
        + ", ".join(f"{k[5:]} {v:.2f}" for k, v in times.items()),
    ]
    lines += ["", f"checks failed on the reference: {len(failed)}", *failed]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("calibration.json"))
    parser.add_argument("--summarise", type=Path)
    args = parser.parse_args()
    if args.summarise:
        print(summarise(json.loads(args.summarise.read_text())))
        return
    import multiprocessing as mp

    sys.path.insert(0, str(ROOT))

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    t0 = time.monotonic()
    with mp.get_context("spawn").Pool(args.workers) as pool:
        rows = []
        for i, row in enumerate(pool.imap_unordered(_one, seeds)):
            rows.append(row)
            args.out.write_text(json.dumps(rows, indent=1))  # partial results survive a timeout
            if (i + 1) % 20 == 0:
                print(f"{i + 1}/{len(seeds)} seeds, {time.monotonic() - t0:.0f} s", flush=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print(summarise(rows))


if __name__ == "__main__":
    main()
