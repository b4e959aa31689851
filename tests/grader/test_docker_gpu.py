"""The GPU's way into a docker sandbox, on the real engine of a machine without a GPU.

The engine records a device request at create time and honours it at start: here the
containers are created (never started) and inspected, so the request that a GPU host would
receive is checked on every CI run. A GPU job that reaches a host which cannot give it a
GPU is the platform's fault, never the student's: it must come back not gradable, saying why.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from grader import grade
from grader.engine import _data_files
from grader.sandbox import SandboxRequest, SandboxUnavailable
from grader.sandbox.docker import LABEL, connect, container_options, default_image
from grader.sandbox.pool import WarmPool
from grader.spec import load_spec

from .conftest import TOY, require_sandbox

pytestmark = pytest.mark.docker


@pytest.fixture
def client() -> Iterator:
    require_sandbox("docker")
    client = connect()
    made: list = []
    client.made = made  # containers to remove afterwards
    yield client
    for container in made:
        container.remove(force=True)


def _host_config(client, request: SandboxRequest, **options) -> dict:
    container = client.containers.create(default_image(), command=["true"], **container_options(request, **options))
    client.made.append(container)
    container.reload()
    return {"host": container.attrs["HostConfig"], "env": container.attrs["Config"]["Env"]}


def _request(tmp_path: Path, *, gpu: bool, fraction: float | None = None) -> SandboxRequest:
    limits = replace(load_spec(TOY).limits, gpu=gpu)
    return SandboxRequest(job_dir=tmp_path, submission_dir=tmp_path, data_files={}, limits=limits,
                          work_dir=tmp_path, device="cuda" if gpu else "cpu", gpu_memory_fraction=fraction)


def test_only_a_gpu_job_asks_the_engine_for_a_gpu(client, tmp_path: Path) -> None:
    cpu = _host_config(client, _request(tmp_path, gpu=False))
    assert not cpu["host"].get("DeviceRequests")
    assert not any(e.startswith("GRADER_GPU") for e in cpu["env"])

    gpu = _host_config(client, _request(tmp_path, gpu=True, fraction=0.25))
    [every] = gpu["host"]["DeviceRequests"]
    assert every["Count"] == -1 and every["Capabilities"] == [["gpu"]]
    assert "GRADER_GPU_MEMORY_FRACTION=0.25" in gpu["env"]

    pinned = _host_config(client, _request(tmp_path, gpu=True), gpu_device_ids=["1"])
    [one] = pinned["host"]["DeviceRequests"]
    assert one["DeviceIDs"] == ["1"] and one["Capabilities"] == [["gpu"]] and not one["Count"]
    # The GPU changes nothing else: the same confinement as any job.
    for key in ("ReadonlyRootfs", "CapDrop", "SecurityOpt", "NetworkMode", "PidsLimit", "Memory", "MemorySwap",
                "NanoCpus", "Privileged", "Devices"):
        assert gpu["host"].get(key) == cpu["host"].get(key), key
    assert gpu["host"]["ReadonlyRootfs"] and gpu["host"]["CapDrop"] == ["ALL"] and gpu["host"]["NetworkMode"] == "none"
    assert not gpu["host"]["Privileged"] and gpu["host"]["Memory"] == gpu["host"]["MemorySwap"] > 0


def _gpu_toy(tmp_path: Path) -> Path:
    assignment = tmp_path / "toy-gpu"
    shutil.copytree(TOY, assignment)
    spec = assignment / "spec.toml"
    spec.write_text(spec.read_text().replace("gpu = false", "gpu = true", 1))
    assert load_spec(assignment).limits.gpu
    return assignment


def _without_gpu_runtime(client) -> None:
    if "nvidia" in (client.info().get("Runtimes") or {}):
        pytest.skip("this engine has the NVIDIA runtime: tests/gpu covers it")


def test_a_gpu_job_on_an_engine_without_gpus_is_not_charged_to_the_student(client, tmp_path: Path) -> None:
    _without_gpu_runtime(client)
    assignment = _gpu_toy(tmp_path)
    results = grade(assignment, assignment / "reference", backend="docker", device="cuda").to_results_json()
    assert results["gradable"] is False and results["failure_kind"] == "infrastructure"
    assert "not yours" in results["output"] and "cannot give a sandbox a GPU" in results["output"]
    left = [c for c in client.containers.list(all=True, filters={"label": LABEL}) if c.attrs["HostConfig"].get("DeviceRequests")]
    assert not left, "the refused container was left behind"


def test_a_gpu_warm_pool_says_why_it_cannot_warm_up(client, tmp_path: Path) -> None:
    _without_gpu_runtime(client)
    spec = load_spec(_gpu_toy(tmp_path))
    with WarmPool(limits=spec.limits, size=1, data_files=_data_files(spec)) as pool:
        results = grade(tmp_path / "toy-gpu", TOY / "reference", backend=pool, device="cuda").to_results_json()
        assert results["failure_kind"] == "infrastructure"
        assert "no warm container could be started" in results["output"]
        assert "cannot give a sandbox a GPU" in results["output"]
        with pytest.raises(SandboxUnavailable):
            pool._take()
