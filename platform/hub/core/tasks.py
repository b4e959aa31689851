import platform
from pathlib import Path

from celery import shared_task


@shared_task(name="core.platform_probe")
def platform_probe(path: str) -> None:
    """Write the standard library's platform.python_version(): proves a worker process imports it."""
    from celery import current_task

    role = "celery-worker" if current_task and current_task.request.hostname else "caller"
    Path(path).write_text(f"{platform.python_version()} {role}")
