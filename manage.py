#!/usr/bin/env python
"""Django's command-line utility. `platform/` is a source folder, not a package (see DESIGN.md)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    # Appended, not prepended: the standard library's `platform` module must win.
    for path in (str(ROOT / "platform"), str(ROOT)):
        if path not in sys.path:
            sys.path.append(path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
