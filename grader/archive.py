"""Safe unpacking: student uploads (folder, .zip, .tar.gz) and the sandbox's output tar stream.

Only regular files and folders are ever created, under ``dest``, with names that are plain
relative paths; sizes and counts are capped while reading (declared sizes can lie). Uploads are
all-or-nothing (``ArchiveError``); the sandbox's output is salvaged member by member and every
rejected member is reported, because a student's bad artifact must fail only its own checks.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

_CHUNK = 1 << 16
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.\- +=,@()\[\]]{1,128}$")


class ArchiveError(ValueError):
    """An upload that cannot be unpacked safely; the message is for the student."""


@dataclass(frozen=True)
class Caps:
    max_files: int = 500
    max_total_bytes: int = 100 << 20
    max_file_bytes: int = 50 << 20
    max_depth: int = 8


@dataclass
class Extracted:
    files: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    rejected_by_name: dict[str, str] = field(default_factory=dict)
    total_bytes: int = 0


def safe_relative(name: str, caps: Caps) -> PurePosixPath:
    """``name`` as a relative path inside the destination, or ArchiveError."""
    if not name or "\x00" in name or "\\" in name:
        raise ArchiveError(f"{name!r}: not a plain file name")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise ArchiveError(f"{name!r}: absolute path")
    parts = [p for p in path.parts if p != "."]
    if not parts or ".." in parts:
        raise ArchiveError(f"{name!r}: leaves the folder ('..')")
    if len(parts) > caps.max_depth:
        raise ArchiveError(f"{name!r}: nested deeper than {caps.max_depth} folders")
    for part in parts:
        if not _SAFE_PART.match(part):
            raise ArchiveError(f"{name!r}: unusual characters in {part!r}")
    return PurePosixPath(*parts)


def unpack_submission(source: Path, dest: Path, caps: Caps = Caps()) -> Extracted:
    """Copy a folder or unpack a .zip / .tar / .tar.gz upload into the empty folder ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        raise ArchiveError(f"{source.name}: a symbolic link, not a submission")
    if source.is_dir():
        return _copy_folder(source, dest, caps)
    if zipfile.is_zipfile(source):
        return _unpack_zip(source, dest, caps)
    if _is_tar(source):
        with tarfile.open(source, mode="r:*") as tar:
            result = _unpack_tar(tar, dest, caps, strict=True)
        return result
    raise ArchiveError(f"{source.name}: not a folder, .zip or .tar.gz")


def unpack_output_stream(stream: IO[bytes], dest: Path, caps: Caps) -> Extracted:
    """Unpack the sandbox's tar stream, keeping what is safe and listing what is not."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            return _unpack_tar(tar, dest, caps, strict=False)
    except tarfile.ReadError as exc:
        result = Extracted()
        result.rejected.append(f"the output stream is not a tar archive ({exc})")
        return result


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _copy_folder(source: Path, dest: Path, caps: Caps) -> Extracted:
    result = Extracted()
    for root, dirs, files in os.walk(source):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(root) / name
            rel = path.relative_to(source).as_posix()
            if name in ("__pycache__", ".git") or "__pycache__/" in rel:
                continue
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"{rel}: symbolic links are not accepted")
            if stat.S_ISDIR(mode):
                (dest / safe_relative(rel, caps)).mkdir(parents=True, exist_ok=True)
            elif stat.S_ISREG(mode):
                with path.open("rb") as f:
                    _write_member(f, rel, dest, caps, result)
            else:
                raise ArchiveError(f"{rel}: not a regular file")
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".git")]
    return result


def _unpack_zip(source: Path, dest: Path, caps: Caps) -> Extracted:
    result = Extracted()
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"{info.filename}: symbolic links are not accepted")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{info.filename}: encrypted")
            if info.is_dir():
                (dest / safe_relative(info.filename.rstrip("/"), caps)).mkdir(parents=True, exist_ok=True)
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # many zips carry no type bits
                raise ArchiveError(f"{info.filename}: not a regular file")
            with archive.open(info) as f:
                _write_member(f, info.filename, dest, caps, result)
    return result


def _unpack_tar(tar: tarfile.TarFile, dest: Path, caps: Caps, strict: bool) -> Extracted:
    result = Extracted()
    try:
        for member in tar:
            try:
                _unpack_tar_member(tar, member, dest, caps, result)
            except ArchiveError as exc:
                if strict:
                    raise
                result.rejected.append(str(exc))
                result.rejected_by_name[member.name.removeprefix("./")] = str(exc)
                if len(result.rejected) > caps.max_files:
                    break
    except (tarfile.TarError, EOFError, OSError) as exc:
        if strict:
            raise ArchiveError(f"damaged archive: {exc}") from None
        result.rejected.append(f"the output stream ends early ({exc}): later artifacts are lost")
    return result


def _unpack_tar_member(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, caps: Caps, result: Extracted) -> None:
    if member.isdir():
        (dest / safe_relative(member.name, caps)).mkdir(parents=True, exist_ok=True)
        return
    if member.issym() or member.islnk():
        raise ArchiveError(f"{member.name}: a link (to {member.linkname!r}), not a file: rejected")
    if not member.isreg():
        raise ArchiveError(f"{member.name}: not a regular file (device, fifo...): rejected")
    if member.size > caps.max_file_bytes:
        raise ArchiveError(f"{member.name}: {member.size} bytes, over the {caps.max_file_bytes} byte cap: rejected")
    f = tar.extractfile(member)
    if f is None:
        raise ArchiveError(f"{member.name}: unreadable")
    _write_member(f, member.name, dest, caps, result)


def _write_member(f: IO[bytes], name: str, dest: Path, caps: Caps, result: Extracted) -> None:
    rel = safe_relative(name, caps)
    if len(result.files) >= caps.max_files:
        raise ArchiveError(f"more than {caps.max_files} files")
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL|O_NOFOLLOW: a duplicate name or a planted link never redirects a write.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := f.read(_CHUNK):
                written += len(chunk)
                if written > caps.max_file_bytes or result.total_bytes + written > caps.max_total_bytes:
                    raise ArchiveError(f"{name}: over the size cap ({caps.max_file_bytes} bytes a file, "
                                       f"{caps.max_total_bytes} in all)")
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    result.total_bytes += written
    result.files.append(rel.as_posix())


def make_readable(folder: Path) -> None:
    """World-readable, read-only modes: the sandbox's user is not the worker's."""
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(Path(root) / name, 0o644)
        del dirs  # walked by os.walk itself


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
