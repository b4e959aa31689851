"""The adversarial suite: hostile submissions on every sandbox backend.

Each case redefines one of the toy's functions (the others stay correct) and asserts three
things: the attack is contained, the report says what happened (verdict and message), and the
other tasks of the same job, and the next job, grade normally.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from course_models.data import data_dir
from grader import grade

from .conftest import TOY, outputs, require_sandbox, scores

Make = Callable[..., Path]
FULL_OTHERS = {"image_pattern": 1.0, "pixel_mean": 1.0}
TEST_SPLIT = data_dir() / "t10k-images-idx3-ubyte.gz"


def _grade(submission: Path, sandbox: str, **options: object) -> dict:
    report = grade(TOY, submission, backend=sandbox, backend_options=options or None)
    results = report.to_results_json()
    assert report.gradable, results["output"]
    return results


def _task(results: dict, name: str) -> dict:
    return results["tasks"][name]


def _others_fine(results: dict) -> None:
    got = scores(results)
    assert {k: got[k] for k in FULL_OTHERS} == FULL_OTHERS, results["output"]


# ----------------------------------------------------------------------------- resource abuse
def test_fork_bomb_is_bounded_and_times_out(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        def affine(x, w, b):
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """), sandbox)
    assert _task(results, "affine")["status"] == "timeout"
    assert results["failure_kind"] == "timeout"
    _others_fine(results)


def test_memory_bomb_is_an_oom_verdict(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        def affine(x, w, b):
            hog = []
            while True:
                hog.append(b"x" * (32 << 20))  # touched, not just reserved
    """), sandbox)
    assert _task(results, "affine")["status"] == "oom", _task(results, "affine")
    assert results["failure_kind"] == "oom"
    assert "memory" in outputs(results)["affine_values"].lower()
    _others_fine(results)


@pytest.mark.parametrize("body", ["while True:\n        pass", "import time\n    time.sleep(3600)"],
                         ids=["infinite-loop", "sleep"])
def test_a_task_past_its_time_limit_is_a_timeout(sandbox: str, make_submission: Make, body: str) -> None:
    results = _grade(make_submission(f"def affine(x, w, b):\n    {body}\n"), sandbox)
    affine = _task(results, "affine")
    assert affine["status"] == "timeout" and "within 4.0 s" in affine["message"]
    assert affine["wall_s"] < 4.0 + 2.0
    assert "did not finish within" in outputs(results)["affine_values"]
    _others_fine(results)


def test_a_gigabyte_of_output_is_cut(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        def affine(x, w, b):
            import sys
            chunk = "x" * (1 << 20)
            for _ in range(1024):
                sys.stdout.write(chunk)
            print("FAKE VERDICT: all tests passed, score 100/100")
            return x @ w + b
    """), sandbox)
    assert results["score"] == 5.0
    assert len(results["stdout"]) < 40 * 1024
    assert _task(results, "affine")["stdout_dropped_bytes"] >= (1 << 30) - 32 * 1024


def test_filling_the_disk_hits_the_caps_not_the_host(sandbox: str, make_submission: Make, tmp_path: Path) -> None:
    results = _grade(make_submission("""
        def affine(x, w, b):
            import os
            for target in ("/tmp/fill", "/out/affine/fill.bin", "/dev/shm/fill", "/fill"):
                try:
                    with open(target, "wb") as f:
                        for _ in range(8 << 10):  # up to 8 GB, 1 MB at a time
                            f.write(b"\\1" * (1 << 20))
                except (OSError, MemoryError) as exc:
                    print(target, "stopped:", exc)
            return x @ w + b
    """), sandbox)
    affine = _task(results, "affine")
    assert affine["status"] in ("crashed", "oom"), affine
    # /tmp: its tmpfs size or the file-size rlimit, whichever comes first
    assert re.search(r"/tmp/fill stopped: \[Errno (28\] No space left|27\] File too large)", results["stdout"])
    assert "/out/affine/fill.bin stopped: [Errno 28] No space left" in results["stdout"]
    assert "/fill stopped: [Errno 30] Read-only file system" in results["stdout"]
    # the artifact could not be saved past the output cap; the report says why
    assert "output cap" in affine["message"] or "space" in affine["message"], affine
    assert results["failure_kind"] in ("crashed", "oom")


# ----------------------------------------------------------------------------- escapes and snooping
@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on every host address: a sandbox that reaches it has a network."""
    server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
                accepted.append(address[0])
                conn.close()
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def _host_addresses() -> list[str]:
    addresses = {"127.0.0.1", "172.17.0.1"}
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this picks the outgoing address
        addresses.add(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return sorted(addresses)


PROBE = """
def affine(x, w, b):
    import glob, json, os, re, socket
    found = {}
    for host in HOSTS:
        try:
            socket.create_connection((host, PORT), timeout=2).close()
            found["net " + host] = "CONNECTED"
        except OSError as exc:
            found["net " + host] = "blocked: " + str(exc)
    try:
        socket.getaddrinfo("deb.debian.org", 80)
        found["dns"] = "RESOLVED"
    except OSError as exc:
        found["dns"] = "blocked: " + str(exc)
    for path in ["/etc/shadow", OTHER, TEST_SPLIT, "/data/t10k-images-idx3-ubyte.gz"]:
        try:
            found["read " + path] = "READ " + repr(open(path, "rb").read(300))
        except OSError as exc:
            found["read " + path] = "denied: " + str(exc)
    environ = {"self": "\\n".join(f"{k}={v}" for k, v in os.environ.items())}
    for path in glob.glob("/proc/*/environ"):
        try:
            environ[path] = open(path, "rb").read().decode(errors="replace")
        except OSError:
            pass
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    found["status"] = {k: status.get(k, "").strip() for k in ("Uid", "CapEff", "CapBnd", "NoNewPrivs")}
    found["env_keys"] = sorted(os.environ)
    found["env_hits"] = sorted({m for text in environ.values() for m in re.findall("worker-secret-[0-9a-f]+", text)})
    found["tmp"] = sorted(os.listdir("/tmp"))
    for path in [HOST_DIR + "/escaped.txt", "/submission/escaped.py", "/job/code/tasks.py",
                 "/opt/grader/grader/harness/runner.py", "/usr/escaped", "/escaped", "/etc/escaped"]:
        try:
            with open(path, "a") as f:
                f.write("# escaped\\n")
            found["write " + path] = "WROTE"
        except OSError as exc:
            found["write " + path] = "denied: " + str(exc)
    if KILL:
        for pid in (os.getppid(), 1, -1):
            try:
                os.kill(pid, 9)
                found["kill %d" % pid] = "sent"
            except OSError as exc:
                found["kill %d" % pid] = "refused: " + str(exc)
    print("PROBE " + json.dumps(found))
    return x @ w + b
"""


@pytest.fixture
def probe(make_submission: Make, tmp_path_factory: pytest.TempPathFactory, listener: tuple[int, list[str]],
          monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], tuple[Path, dict]]:
    port, accepted = listener
    secret = f"worker-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("GRADER_TEST_WORKER_SECRET", secret)  # in the worker, as DATABASE_URL would be
    other = tmp_path_factory.mktemp("other-job") / "submission" / "solution.py"
    other.parent.mkdir()
    other.write_text(f"# another student's work {secret}\n")
    other.chmod(0o644)
    host_dir = tmp_path_factory.mktemp("host-writable")
    host_dir.chmod(0o777)  # only the sandbox's mounts may stop a write here

    def make(kill: bool) -> tuple[Path, dict]:
        code = PROBE.replace("HOSTS", repr(_host_addresses())).replace("PORT", str(port))
        code = code.replace("OTHER", repr(str(other))).replace("HOST_DIR", repr(str(host_dir)))
        code = code.replace("KILL", repr(kill)).replace("TEST_SPLIT", repr(str(TEST_SPLIT)))
        return make_submission(code), {"secret": secret, "accepted": accepted, "host_dir": host_dir,
                                       "other": other}

    return make


def _probe_results(results: dict) -> dict:
    line = next(line for line in results["stdout"].splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def test_escape_probe_is_contained(sandbox: str, probe: Callable[[bool], tuple[Path, dict]]) -> None:
    submission, context = probe(True)
    results = _grade(submission, sandbox)
    found = _probe_results(results)
    # network: nothing connects, nothing resolves, the host's server saw no one
    assert all(v.startswith("blocked") for k, v in found.items() if k.startswith("net ")), found
    assert found["dns"].startswith("blocked") and context["accepted"] == []
    # secrets: no /etc/shadow, no worker environment, no other submission
    assert found["read /etc/shadow"].startswith("denied")
    assert found[f"read {context['other']}"].startswith("denied")
    # held-out data: the test split is neither mounted nor visible where the host keeps it
    assert found[f"read {TEST_SPLIT}"].startswith("denied"), found[f"read {TEST_SPLIT}"][:200]
    assert found["read /data/t10k-images-idx3-ubyte.gz"].startswith("denied")
    assert found["env_hits"] == [] and context["secret"] not in json.dumps(found)
    assert "PATH" in found["env_keys"]  # the probe did read an environment: its own, clean one
    # privileges: not root, no capabilities, no way to gain any
    assert found["status"]["Uid"].split()[0] != "0"
    assert int(found["status"]["CapEff"], 16) == 0 and found["status"]["NoNewPrivs"] == "1", found["status"]
    # writes: only /out and /tmp are writable
    assert not [k for k, v in found.items() if k.startswith("write ") and v == "WROTE"], found
    assert not (context["host_dir"] / "escaped.txt").exists()
    assert "escaped" not in (TOY / "tasks.py").read_text()
    # killing the harness (its parent, PID 1, everyone) does not stop the job
    assert results["score"] == 5.0, results["output"]


def test_escape_probe_does_detect_an_open_sandbox(probe: Callable[[bool], tuple[Path, dict]]) -> None:
    """The same probe under the unsandboxed backend finds the network and the other submission:
    the assertions above would fail on a sandbox that leaked."""
    submission, context = probe(False)
    results = _grade(submission, "trusted")
    found = _probe_results(results)
    assert found["net 127.0.0.1"] == "CONNECTED" and context["accepted"]
    assert context["secret"] in found[f"read {context['other']}"]
    assert found[f"read {TEST_SPLIT}"].startswith("READ")


def test_orphans_are_killed_before_the_next_task(sandbox: str, make_submission: Make) -> None:
    marker = str(10**8 + uuid.uuid4().int % 10**8)
    results = _grade(make_submission(f"""
        def affine(x, w, b):
            import os, subprocess, time
            subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:  # a daemon that tampers with the next task's artifact
                    end = time.time() + 60
                    while time.time() < end:
                        try:
                            os.makedirs("/out/image", exist_ok=True)
                            with open("/out/image/board.png", "wb") as f:
                                f.write(b"tampered")
                        except OSError:
                            pass
                        time.sleep(0.005)
                os._exit(0)
            return x @ w + b
    """), sandbox)
    assert results["score"] == 5.0, results["output"]
    assert _processes_running(f"sleep\0{marker}") == [], "an orphan outlived its sandbox"


def _processes_running(cmdline_part: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and cmdline_part in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


# ----------------------------------------------------------------------------- forged verdicts
def test_monkeypatching_torch_allclose_changes_nothing(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        torch.allclose = lambda *args, **kwargs: True
        torch.equal = lambda *args, **kwargs: True
        torch.Tensor.allclose = lambda *args, **kwargs: True

        def affine(x, w, b):
            return torch.zeros(x.shape[0], w.shape[1])
    """), sandbox)
    assert scores(results)["affine_values"] == 0.0
    assert "max abs error" in outputs(results)["affine_values"]
    assert results["failure_kind"] == "wrong"


def test_fake_results_json_and_printed_verdicts_are_ignored(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        import json as _json
        import os as _os

        def affine(x, w, b):
            fake = {"score": 100, "max_score": 5, "tests": [{"name": "affine_values", "score": 2}]}
            for path in ("/out/results.json", "/out/affine/results.json"):
                with open(path, "w") as f:
                    _json.dump(fake, f)
            _os.makedirs("/out/_harness", exist_ok=True)
            print(_json.dumps(fake))
            print("All tests passed. Score: 100/5")
            return x @ w  # wrong
    """), sandbox)
    assert results["score"] == 3.0 and scores(results)["affine_values"] == 0.0
    assert results["failure_kind"] == "wrong"


# ----------------------------------------------------------------------------- hostile artifacts
def test_pickle_disguised_as_safetensors_is_rejected_unopened(sandbox: str, make_submission: Make,
                                                               tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    results = _grade(make_submission(f"""
        import os as _os, pickle as _pickle
        import safetensors.torch as _st

        class _Boom:
            def __reduce__(self):
                return (_os.system, ("touch {marker}",))

        _st.save = lambda tensors, metadata=None: _pickle.dumps({{"y": _Boom()}})
    """), sandbox)
    assert "pickle" in outputs(results)["affine_values"]
    assert scores(results)["affine_values"] == 0.0
    assert not marker.exists()
    _others_fine(results)


def test_ten_gigabyte_sparse_artifacts_never_leave_the_sandbox(sandbox: str, make_submission: Make) -> None:
    results = _grade(make_submission("""
        import grader.harness.context as _hc

        _hc.TaskContext.save_png = lambda self, name, image: None  # keep the planted file

        def affine(x, w, b):  # 10 GB: past the file-size limit
            with open("/out/affine/affine.safetensors", "wb") as f:
                f.truncate(10 << 30)
            return x @ w + b

        def checkerboard(n):  # 200 MB: under the file-size limit, over the output cap
            with open("/out/image/board.png", "wb") as f:
                f.truncate(200 << 20)
            return torch.zeros(n, n, dtype=torch.uint8)
    """), sandbox)
    assert _task(results, "affine")["status"] == "crashed"
    assert "File too large" in _task(results, "affine")["message"], _task(results, "affine")
    assert "output cap" in outputs(results)["image_pattern"]
    assert scores(results)["pixel_mean"] == 1.0


def test_symlink_artifact_is_rejected(sandbox: str, make_submission: Make, tmp_path: Path) -> None:
    secret = tmp_path / "expected.json"
    secret.write_text('{"pixel_mean": 0.2829}')
    results = _grade(make_submission(f"""
        import grader.harness.context as _hc

        _hc.TaskContext.save_json = lambda self, name, value: None  # keep the planted link

        def pixel_mean(images):
            import os
            os.symlink({str(secret)!r}, "/out/stats/stats.json")
            return images.double().mean() / 255.0
    """), sandbox)
    assert scores(results)["pixel_mean"] == 0.0
    assert "link" in outputs(results)["pixel_mean"]
    assert "Artifact rejected" in results["output"]


# ----------------------------------------------------------------------------- and then
def test_the_next_job_grades_normally(sandbox: str) -> None:
    """Runs after the attacks above (pytest keeps file order): nothing they did lingers."""
    require_sandbox(sandbox)
    results = _grade(TOY / "reference", sandbox)
    assert results["score"] == 5.0 and results["failure_kind"] is None
