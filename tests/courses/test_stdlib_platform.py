"""`platform/` is a source folder, not a package: the standard library's module must still win."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
    env["DEBUG"] = "1"
    return env


def test_no_package_named_platform():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_in_a_django_process():
    code = (
        "import django, platform; django.setup(); "
        "from django.conf import settings; settings.INSTALLED_APPS; "
        "print(platform.python_version(), platform.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**_env(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, check=True,
    ).stdout
    version, path = out.split()
    assert version == ".".join(map(str, sys.version_info[:3]))
    assert "site-packages" not in path and str(ROOT) not in path


def test_stdlib_platform_in_manage_py():
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", "import platform; print(platform.python_version())"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, check=True,
    ).stdout
    assert out.strip() == ".".join(map(str, sys.version_info[:3]))


@pytest.mark.slow
def test_stdlib_platform_in_a_celery_worker(tmp_path):
    """A real worker process runs a task that calls platform.python_version()."""
    broker = tmp_path / "broker"
    (broker / "out").mkdir(parents=True)
    env = {
        **_env(),
        "CELERY_BROKER_URL": "filesystem://",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = tmp_path / "result.txt"
    # The worker's own process sends the task to itself, then stops once the task has written
    # its result (a watcher thread polls for the file with a deadline).
    script = f"""
import os, threading, time
from config.celery import app
app.conf.broker_transport_options = {{"data_folder_in": {str(broker / 'out')!r}, "data_folder_out": {str(broker / 'out')!r}, "control_folder": {str(broker / 'control')!r}}}
from hub.core.tasks import platform_probe
platform_probe.apply_async(args=[{str(result)!r}], queue="probe")

def stop_when_done():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not os.path.exists({str(result)!r}):
        time.sleep(0.1)
    os._exit(0 if os.path.exists({str(result)!r}) else 3)

threading.Thread(target=stop_when_done, daemon=True).start()
app.worker_main(["worker", "-Q", "probe", "-P", "solo", "--loglevel=WARNING", "--without-mingle", "--without-gossip"])
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    version, name = result.read_text().split()
    assert version == ".".join(map(str, sys.version_info[:3]))
    assert name == "celery-worker"
