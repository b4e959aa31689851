"""Unpacking uploads and the sandbox's output: only plain files, inside, within caps."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader.archive import ArchiveError, Caps, unpack_output_stream, unpack_submission


def _zip(path: Path, members: dict[str, bytes], symlink: tuple[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink[0])
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, symlink[1])
    return path


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]], path: Path | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if path else "w") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    if path:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_zip_upload_is_unpacked(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"solution.py": b"x = 1\n", "pkg/util.py": b""})
    result = unpack_submission(archive, tmp_path / "out")
    assert sorted(result.files) == ["pkg/util.py", "solution.py"]
    assert (tmp_path / "out" / "solution.py").read_bytes() == b"x = 1\n"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "a/../../evil.py", "a\\..\\evil.py"])
def test_zip_slip_is_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "s.zip", {name: b"boom"})
    with pytest.raises(ArchiveError):
        unpack_submission(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_symlink_in_zip_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"solution.py": b""}, symlink=("link.py", "/etc/passwd"))
    with pytest.raises(ArchiveError, match="symbolic link"):
        unpack_submission(archive, tmp_path / "out")


def test_tar_gz_with_device_or_link_is_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("dev")
    device.type = tarfile.CHRTYPE
    link = tarfile.TarInfo("solution.py")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    for member in (device, link):
        path = tmp_path / f"{member.name}.tar.gz"
        _tar([member], path)
        with pytest.raises(ArchiveError):
            unpack_submission(path, tmp_path / f"out-{member.name}")


def test_zip_bomb_stops_at_the_size_cap(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("solution.py", b"\0" * (8 << 20))  # 8 MB of zeros compress to a few KB
    assert archive.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match="size cap"):
        unpack_submission(archive, tmp_path / "out", Caps(max_file_bytes=1 << 20))
    assert not (tmp_path / "out" / "solution.py").exists()


def test_too_many_files_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {f"f{i}.py": b"" for i in range(20)})
    with pytest.raises(ArchiveError, match="more than 10 files"):
        unpack_submission(archive, tmp_path / "out", Caps(max_files=10))


def test_folder_with_a_symlink_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "solution.py").write_text("")
    os.symlink("/etc/passwd", folder / "passwd.py")
    with pytest.raises(ArchiveError, match="symbolic link"):
        unpack_submission(folder, tmp_path / "out")


def test_output_stream_keeps_good_members_and_lists_bad_ones(tmp_path: Path) -> None:
    link = tarfile.TarInfo("affine/affine.safetensors")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    huge = tarfile.TarInfo("image/huge.png")
    huge.size = 10 << 30  # declared only: the stream ends right after the header
    data = _tar([("stats/stats.json", b"{}"), link, ("../escape.json", b"{}")])
    result = unpack_output_stream(io.BytesIO(data), tmp_path / "out", Caps(max_file_bytes=1 << 20))
    assert result.files == ["stats/stats.json"]
    assert "a link" in result.rejected_by_name["affine/affine.safetensors"]
    assert any("leaves the folder" in r for r in result.rejected)
    assert not (tmp_path / "out" / "affine" / "affine.safetensors").exists()
    assert not (tmp_path / "escape.json").exists()
    lying = huge.tobuf(format=tarfile.PAX_FORMAT) + b"\0" * 1024  # a header, no data behind it
    result = unpack_output_stream(io.BytesIO(lying), tmp_path / "out2", Caps(max_file_bytes=1 << 20))
    assert "over the" in result.rejected_by_name["image/huge.png"]


def test_truncated_output_stream_is_salvaged(tmp_path: Path) -> None:
    data = _tar([("a/one.json", b"1"), ("b/two.json", b"2" * 5000)])
    result = unpack_output_stream(io.BytesIO(data[:3000]), tmp_path / "out", Caps())
    assert result.files == ["a/one.json"]
    assert any("ends early" in r for r in result.rejected)
