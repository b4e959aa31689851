"""A GPU job sees the driver's library path and its devices, and still nothing else of the worker."""

from grader.sandbox.base import gpu_env
from grader.sandbox.bwrap import BwrapBackend


def test_a_cpu_job_gets_no_gpu_variables(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    assert gpu_env("cpu") == {}


def test_a_gpu_job_gets_the_driver_path_and_device_list_only(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("WORKER_SECRET", "s3cret")
    assert gpu_env("cuda") == {"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64", "CUDA_VISIBLE_DEVICES": "0"}


def test_bwrap_passes_the_gpu_variables_only_for_gpu_jobs(monkeypatch, tmp_path):
    from grader.sandbox.base import SandboxRequest
    from grader.spec import Limits

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("WORKER_SECRET", "s3cret")
    for d in ("job", "sub"):
        (tmp_path / d).mkdir()
    limits = Limits(wall_seconds=10, memory_mb=512, cpus=1, pids=16, gpu=True, output_mb=1, log_kb=1)

    def args(device):
        request = SandboxRequest(job_dir=tmp_path / "job", submission_dir=tmp_path / "sub", data_files={},
                                 limits=limits, work_dir=tmp_path, device=device)
        return " ".join(BwrapBackend(cgroups=False).arguments(request))

    assert "--setenv CUDA_VISIBLE_DEVICES 1" in args("cuda")
    assert "CUDA_VISIBLE_DEVICES" not in args("cpu")
    assert "s3cret" not in args("cuda")
