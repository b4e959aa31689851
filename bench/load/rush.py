"""The deadline rush: 500 students each upload a 2 MB submission in the last 120 s before a
deadline, against gunicorn + PostgreSQL + Redis on this machine; then grading drains the queue.

    make bench-load                     # or: .venv/bin/python bench/load/rush.py [options]

The server runs in its own processes (gunicorn, Celery workers); this process only generates
load, over loopback, with httpx's async client. Arrivals are open-loop (each student starts at
their own instant whatever the server is doing), denser towards the deadline.

Reports (stdout and var/bench/load-<time>.json): accepted uploads per second, p50/p99 time to
receipt, lost uploads (a receipt without its row, or a row or blob whose sha256 is not the
hash of the bytes the client sent), 5xx; then grading throughput per worker and the time to
drain the queue with N workers (measured for a bounded window, then projected).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stack  # noqa: E402

ROOT = stack.ROOT
REFERENCE = ROOT / "assignments" / "hw1" / "reference"


def payload(i: int, size: int) -> list[tuple[str, bytes]]:
    """HW1's reference code and a PDF report padded to `size` bytes in all, unique per student."""
    files = [(p.name, p.read_bytes() + f"\n# student {i}\n".encode()) for p in sorted(REFERENCE.glob("*.py"))]
    code = sum(len(d) for _, d in files)
    header = b"%PDF-1.4\n% rush " + str(i).encode() + b"\n"
    files.append(("report.pdf", header + random.Random(i).randbytes(max(0, size - code - len(header)))))
    return files


def arrivals(n: int, window: float, seed: int = 1) -> list[float]:
    """Offsets in [0, window): density grows linearly towards the deadline (t = window·√u)."""
    rng = random.Random(seed)
    return sorted(window * (rng.random() ** 0.5) for _ in range(n))


async def upload(client, url: str, token: str, files, t0: float, offset: float) -> dict:
    await asyncio.sleep(max(0.0, t0 + offset - time.monotonic()))
    sent = {name: hashlib.sha256(data).hexdigest() for name, data in files}
    start = time.monotonic()
    record = {"offset": offset, "sent": sent, "bytes": sum(len(d) for _, d in files)}
    try:
        response = await client.post(
            url,
            headers={"Authorization": f"Token {token}"},
            files=[("files", (name, data, "application/octet-stream")) for name, data in files],
            data={"sources_statement": "Course materials only."},
        )
        record.update(status=response.status_code, seconds=time.monotonic() - start)
        if response.status_code == 201:
            record["receipt"] = response.json()
        else:
            record["body"] = response.text[:300]
    except Exception as exc:  # a connection the server dropped is a failed upload, and counted
        record.update(status=None, seconds=time.monotonic() - start, error=f"{type(exc).__name__}: {exc}")
    return record


async def rush(base: str, course: str, assignment: str, students: list[dict], *, window: float, size: int,
               connections: int) -> list[dict]:
    import httpx

    url = f"{base}/api/courses/{course}/assignments/{assignment}/submissions/create/"
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    timeout = httpx.Timeout(120.0, connect=30.0)
    t0 = time.monotonic() + 1.0
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        tasks = [
            upload(client, url, s["token"], payload(i, size), t0, offset)
            for i, (s, offset) in enumerate(zip(students, arrivals(len(students), window), strict=True))
        ]
        return await asyncio.gather(*tasks)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


VERIFY = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from integrity import store_check
from hub.submissions.models import Submission
receipts = json.load(open(sys.argv[1]))
ids = [r['id'] for r in receipts]
rows = {s.pk: s for s in Submission.objects.filter(pk__in=ids).prefetch_related('files')}
lost = []
for r in receipts:
    row = rows.get(r['id'])
    if row is None or row.sha256 != r['sha256']:
        lost.append(r['id']); continue
    stored = {f.name: f.sha256 for f in row.files.all() if f.kind == 'file'}
    if stored != r['sent']:
        lost.append(r['id'])
report = store_check(submission_ids=ids)
print(json.dumps({'receipts': len(receipts), 'rows': len(rows), 'lost': lost, 'store': report}))
"""

QUEUE = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from django.db.models import Count
from hub.grading.models import GradingJob
print(json.dumps(dict(GradingJob.objects.values_list('status').annotate(n=Count('pk')))))
"""


def queue_counts(env) -> dict:
    return json.loads(stack.run_python(env, "-c", QUEUE).stdout.strip().splitlines()[-1])


def drain(env, *, workers: int, seconds: float, logs: Path) -> dict:
    """Run `workers` worker processes (concurrency 1 each) for `seconds` and count finished jobs."""
    before = queue_counts(env)
    procs = [stack.start_worker(env, queues="cpu", name=f"bench{k}", log=logs / f"worker{k}.log")
             for k in range(workers)]
    t0 = time.monotonic()
    samples = []
    try:
        while time.monotonic() - t0 < seconds:
            time.sleep(min(10.0, max(0.0, seconds - (time.monotonic() - t0))))
            counts = queue_counts(env)
            samples.append((round(time.monotonic() - t0, 1), counts))
            if not counts.get("queued") and not counts.get("running"):
                break
    finally:
        for p in procs:
            stack.stop(p, timeout=60)
    elapsed = time.monotonic() - t0
    after = queue_counts(env)
    finished = sum(after.get(s, 0) - before.get(s, 0) for s in ("done", "failed_infrastructure"))
    per_worker = finished / elapsed / workers if elapsed else 0.0
    remaining = after.get("queued", 0) + after.get("running", 0)
    return {
        "workers": workers, "seconds": round(elapsed, 1), "finished": finished, "before": before, "after": after,
        "jobs_per_minute_per_worker": round(per_worker * 60, 2),
        "projected_drain_seconds": round((remaining + finished) / (per_worker * workers), 0) if per_worker else None,
        "samples": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--window", type=float, default=120.0, help="seconds before the deadline")
    parser.add_argument("--size", type=int, default=2 * 1024 * 1024, help="bytes per submission")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=100, help="client connection limit")
    parser.add_argument("--grading-workers", default="1,2", help="N for each drain run, e.g. 1,2")
    parser.add_argument("--drain-seconds", type=float, default=180.0, help="per drain run; 0 skips grading")
    parser.add_argument("--redis-db", type=int, default=13, help="a Redis database of its own")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and store")
    args = parser.parse_args()
    if not stack.pg_available():
        print("PostgreSQL is not answering on 127.0.0.1:5432", file=sys.stderr)
        return 2

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = ROOT / "var" / "bench" / f"load-{stamp}"
    work.mkdir(parents=True)
    dbname = "coursehub_rush"
    broker = f"redis://127.0.0.1:6379/{args.redis_db}"
    env = stack.app_env(database_url=stack.scratch_database(dbname), store=work / "store", broker=broker,
                        SANDBOX_BACKEND=os.environ.get("SANDBOX_BACKEND", "docker"))
    subprocess_flush(broker)
    result: dict = {"machine": {"cpus": os.cpu_count()}, "args": vars(args)}
    web = None
    try:
        stack.migrate(env)
        seed_file = work / "seed.json"
        stack.run_python(env, "bench/load/seed.py", "--students", str(args.students),
                         "--due-in", str(args.window + 15), "--out", str(seed_file))
        seed = json.loads(seed_file.read_text())
        port = stack.free_port()
        web = stack.start_gunicorn(env, port=port, workers=args.web_workers, log=work / "gunicorn.log")
        print(f"rush: {args.students} uploads of {args.size / 2**20:.1f} MiB over {args.window:.0f} s "
              f"-> gunicorn ({args.web_workers} workers) on 127.0.0.1:{port}", flush=True)
        t0 = time.monotonic()
        records = asyncio.run(rush(f"http://127.0.0.1:{port}", seed["course"], seed["assignment"], seed["students"],
                                   window=args.window, size=args.size, connections=args.connections))
        wall = time.monotonic() - t0
        stack.stop(web)
        web = None

        accepted = [r for r in records if r.get("status") == 201]
        receipts = [{"id": r["receipt"]["id"], "sha256": r["receipt"]["sha256"], "sent": r["sent"]} for r in accepted]
        (work / "receipts.json").write_text(json.dumps(receipts))
        check = json.loads(stack.run_python(env, "-c", VERIFY, str(work / "receipts.json")).stdout.strip().splitlines()[-1])
        times = [r["seconds"] for r in accepted]
        last = max((r["offset"] + r["seconds"] for r in accepted), default=0.0)
        result["rush"] = {
            "uploads": len(records),
            "accepted": len(accepted),
            "server_errors": sum(1 for r in records if (r.get("status") or 0) >= 500),
            "failed_without_status": sum(1 for r in records if r.get("status") is None),
            "other_status": sorted({r["status"] for r in records if r.get("status") not in (201, None)}),
            "accepted_per_second_over_window": round(len(accepted) / max(last, 1e-9), 2),
            "p50_seconds": round(percentile(times, 50), 3),
            "p99_seconds": round(percentile(times, 99), 3),
            "max_seconds": round(max(times, default=float("nan")), 3),
            "mean_seconds": round(statistics.fmean(times), 3) if times else None,
            "peak_accepted_per_second": peak_rate(accepted),
            "megabytes": round(sum(r["bytes"] for r in accepted) / 2**20, 1),
            "wall_seconds": round(wall, 1),
            "lost": check["lost"],
            "store_check": {k: check["store"][k] for k in ("submissions", "files", "missing", "mismatched", "bad_manifests", "ok")},
        }
        print(json.dumps(result["rush"], indent=2), flush=True)
        result["errors_sample"] = [r for r in records if r.get("status") != 201][:5]

        result["drain"] = []
        if args.drain_seconds > 0:
            for n in [int(x) for x in args.grading_workers.split(",") if x]:
                requeue_running(env)
                run = drain(env, workers=n, seconds=args.drain_seconds, logs=work)
                result["drain"].append(run)
                print(json.dumps({k: v for k, v in run.items() if k != "samples"}), flush=True)
    finally:
        if web is not None:
            stack.stop(web)
        (work / "result.json").write_text(json.dumps(result, indent=2, default=str))
        print(f"results: {work / 'result.json'}")
        if not args.keep:
            stack.drop_database(dbname)
            import shutil

            shutil.rmtree(work / "store", ignore_errors=True)
            shutil.rmtree(work / "grading", ignore_errors=True)
    rush_ok = result.get("rush", {})
    return 0 if rush_ok and not rush_ok["lost"] and not rush_ok["server_errors"] and rush_ok["store_check"]["ok"] else 1


def peak_rate(accepted: list[dict]) -> int:
    """Most receipts completed within any one second."""
    ends = sorted(int(r["offset"] + r["seconds"]) for r in accepted)
    return max((ends.count(s) for s in set(ends)), default=0)


def subprocess_flush(broker: str) -> None:
    """Empty this benchmark's own Redis database (never another one)."""
    import redis

    redis.Redis.from_url(broker).flushdb()


REQUEUE = """
import sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from hub.grading.models import GradingJob
GradingJob.objects.filter(status='running').update(status='queued', lease_expires_at=None)
from hub.grading.jobs import jobs_sweep
from django.utils import timezone
from datetime import timedelta
jobs_sweep(now=timezone.now() + timedelta(hours=1))
"""


def requeue_running(env) -> None:
    """Between drain runs: jobs a stopped worker left running go back to the queue, and every
    queued job gets its wake-up message again (what the sweeper does once leases run out)."""
    stack.run_python(env, "-c", REQUEUE)


if __name__ == "__main__":
    sys.exit(main())
