"""``trusted``: the harness in a plain subprocess. NO ISOLATION: staff's own reference code only."""

from __future__ import annotations

import sys

from grader.sandbox.base import (
    RunOutcome,
    SandboxRequest,
    gpu_env,
    grader_package_dir,
    minimal_env,
    run_process,
)

WARNING = (
    "UNSANDBOXED: the trusted backend runs the submission as a plain subprocess with the "
    "worker's privileges, for staff's own reference solutions only"
)


class TrustedBackend:
    name = "trusted"

    def run(self, request: SandboxRequest) -> RunOutcome:
        print(f"grader: WARNING: {WARNING}", file=sys.stderr, flush=True)
        out_dir = request.work_dir / "sandbox-out"
        tmp_dir = request.work_dir / "sandbox-tmp"
        data_dir = request.work_dir / "sandbox-data"
        for folder in (out_dir, tmp_dir, data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for name, source in request.data_files.items():
            (data_dir / name).symlink_to(source)
        command = [
            sys.executable, "-m", "grader.harness", "--job", str(request.job_dir),
            "--submission", str(request.submission_dir), "--out", str(out_dir),
            "--data", str(data_dir), "--emit-tar",
        ]
        env = minimal_env({
            "PYTHONPATH": str(grader_package_dir().parent),
            "HOME": str(tmp_dir),
            "TMPDIR": str(tmp_dir),
            **gpu_env(request.device),
        })
        outcome = RunOutcome(backend=self.name, sandboxed=False)
        return run_process(command, env=env, request=request, outcome=outcome)


