"""Reading the sandbox's artifacts as DATA: size-checked, type-sniffed, never unpickled."""

from __future__ import annotations

import json
import re
import stat
import warnings
from pathlib import Path
from typing import Any

MAX_TENSOR_FILE_BYTES = 256 << 20
MAX_JSON_BYTES = 1 << 20
MAX_PNG_BYTES = 16 << 20
MAX_PNG_PIXELS = 4096 * 4096
MAX_SAFETENSORS_HEADER = 100_000_000  # the limit safetensors itself sets
ACCEPTED_SUFFIXES = (".safetensors", ".json", ".png")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$")
# Pickle protocols 2-5 start with 0x80 <protocol>; torch.save writes a zip (PK\x03\x04).
_PICKLE_OR_ZIP = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04")


class CheckFailed(Exception):
    """Raised by a check (or by a loader) to fail it with a message for the student."""

    def __init__(self, message: str, score: float = 0.0) -> None:
        super().__init__(message)
        self.message = message
        self.score = score


class ArtifactMissing(CheckFailed):
    pass


class ArtifactRejected(CheckFailed):
    pass


def artifact_file(out_root: Path, task: str, filename: str, max_bytes: int) -> Path:
    """The path of ``<out>/<task>/<filename>`` after checking it is a plain, small, inside file."""
    stem, _, suffix = filename.rpartition(".")
    if not _NAME.match(task) or not _NAME.match(stem) or f".{suffix}" not in ACCEPTED_SUFFIXES:
        raise ArtifactRejected(f"{task}/{filename}: not an artifact name the grader reads")
    path = out_root / task / filename
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise ArtifactMissing(f"artifact {task}/{filename} was not produced") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise ArtifactRejected(f"artifact {task}/{filename} is not a regular file: rejected")
    if not path.resolve().is_relative_to(out_root.resolve()):
        raise ArtifactRejected(f"artifact {task}/{filename} lies outside the output folder: rejected")
    if info.st_size > max_bytes:
        raise ArtifactRejected(f"artifact {task}/{filename} is {info.st_size} bytes, over the {max_bytes} byte cap")
    return path


def load_tensors(path: Path) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    _refuse_pickle(path)
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, ValueError, OSError) as exc:
        raise ArtifactRejected(f"{path.parent.name}/{path.name} is not a valid safetensors file: {exc}") from None


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ArtifactRejected(f"{path.parent.name}/{path.name} is not valid JSON: {exc}") from None


def load_png(path: Path) -> Any:
    import numpy as np
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format != "PNG":
                    raise ArtifactRejected(f"{path.parent.name}/{path.name} is a {image.format}, not a PNG")
                width, height = image.size
                if width * height > MAX_PNG_PIXELS:
                    raise ArtifactRejected(f"{path.parent.name}/{path.name} is {width}x{height}: too many pixels")
                image.load()
                pixels = image if image.mode in ("L", "RGB", "RGBA") else image.convert("RGB")
                return np.asarray(pixels, dtype=np.uint8).copy()
    except ArtifactRejected:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ArtifactRejected(f"{path.parent.name}/{path.name} is not a readable PNG: {exc}") from None


def sniff_pickle(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4)
    return head.startswith(_PICKLE_OR_ZIP)


def looks_like_safetensors(path: Path) -> bool:
    """An 8-byte little-endian length N that fits in the file, then N bytes of a JSON object.

    That length can itself begin like a pickle (a 1,152-byte header is 80 04 00 …, pickle
    protocol 4), so the sniffer below only runs on files that are not shaped like this. Either
    way nothing is unpickled: this only decides which message a rejected file gets.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        n = int.from_bytes(f.read(8).ljust(8, b"\xff"), "little")
        if not 2 <= n <= min(size - 8, MAX_SAFETENSORS_HEADER):
            return False
        header = f.read(n)
    try:
        return isinstance(json.loads(header.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def _refuse_pickle(path: Path) -> None:
    if not looks_like_safetensors(path) and sniff_pickle(path):
        raise ArtifactRejected(f"{path.parent.name}/{path.name} is a pickle (or torch.save zip), "
                               "which the grader never loads: save tensors with ctx.save_tensors")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def sniff_png(path: Path) -> bool:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PNG_BYTES:
            return False
        with path.open("rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False
