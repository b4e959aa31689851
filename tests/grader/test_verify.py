"""The trusted side reads artifacts as data: pickles, links, bombs and oversize are refused."""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save, save_file

from grader.verify import ArtifactMissing, ArtifactRejected, CheckContext, TaskStatus


class _Boom:
    def __reduce__(self):  # what unpickling would run
        return (os.system, ("touch /tmp/grader-test-unpickled",))


def _context(out: Path) -> CheckContext:
    return CheckContext(check="c", task="t", seed=1, device="cpu", out_root=out,
                        statuses={"t": TaskStatus("ok", "")})


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "out" / "t").mkdir(parents=True)
    return tmp_path / "out"


def test_safetensors_round_trip(out: Path) -> None:
    save_file({"y": torch.arange(3.0)}, str(out / "t" / "y.safetensors"))
    assert torch.equal(_context(out).load_tensors("y")["y"], torch.arange(3.0))
    assert torch.equal(_context(out).load_tensors("t", "y")["y"], torch.arange(3.0))


def test_a_pickle_named_safetensors_is_never_unpickled(out: Path) -> None:
    (out / "t" / "y.safetensors").write_bytes(pickle.dumps({"y": _Boom()}))
    with pytest.raises(ArtifactRejected, match="pickle"):
        _context(out).load_tensors("y")
    torch.save({"y": torch.zeros(2)}, out / "t" / "z.safetensors")
    with pytest.raises(ArtifactRejected, match="pickle"):
        _context(out).load_tensors("z")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickles_of_every_protocol_are_refused_by_name(out: Path, protocol: int) -> None:
    (out / "t" / "y.safetensors").write_bytes(pickle.dumps({"y": _Boom()}, protocol=protocol))
    with pytest.raises(ArtifactRejected, match="is a pickle"):
        _context(out).load_tensors("y")


@pytest.mark.parametrize("header_bytes", [0x280, 0x380, 0x480, 0x580])
def test_a_safetensors_header_whose_length_reads_like_a_pickle_is_loaded(out: Path, header_bytes: int) -> None:
    """The 8-byte header length 0x0480 is b"\\x80\\x04…", pickle protocol 4's first bytes."""
    for n in range(1, 2000):
        tensors = {"k" * n: torch.arange(2.0), "x": torch.ones(3)}
        data = save(tensors)
        if int.from_bytes(data[:8], "little") == header_bytes:
            break
    else:
        pytest.fail(f"no key length gives a {header_bytes}-byte header")
    assert data[:2] == bytes([0x80, header_bytes >> 8])
    (out / "t" / "y.safetensors").write_bytes(data)
    loaded = _context(out).load_tensors("y")
    assert torch.equal(loaded["x"], torch.ones(3)) and torch.equal(loaded["k" * n], torch.arange(2.0))


def test_garbage_safetensors_is_rejected(out: Path) -> None:
    (out / "t" / "y.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ArtifactRejected, match="not a valid safetensors"):
        _context(out).load_tensors("y")


def test_symlinked_artifact_is_rejected(out: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"answer": 42}')
    os.symlink(secret, out / "t" / "y.json")
    with pytest.raises(ArtifactRejected, match="not a regular file"):
        _context(out).load_json("y")


def test_missing_artifact_says_so(out: Path) -> None:
    with pytest.raises(ArtifactMissing, match="was not produced"):
        _context(out).load_json("nothing")


def test_oversized_json_is_rejected_unread(out: Path) -> None:
    with (out / "t" / "big.json").open("wb") as f:
        f.truncate(64 << 20)  # sparse: costs nothing on disk
    with pytest.raises(ArtifactRejected, match="over the"):
        _context(out).load_json("big")


def test_json_nan_is_rejected(out: Path) -> None:
    (out / "t" / "n.json").write_text('{"x": NaN}')
    with pytest.raises(ArtifactRejected, match="not valid JSON"):
        _context(out).load_json("n")
    (out / "t" / "ok.json").write_text(json.dumps({"x": [1, 2]}))
    assert _context(out).load_json("ok") == {"x": [1, 2]}


def test_png_decompression_bomb_is_rejected(out: Path) -> None:
    image = Image.new("L", (20000, 20000))  # 400 Mpixels of zeros: a few hundred KB as PNG
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    (out / "t" / "bomb.png").write_bytes(buffer.getvalue())
    with pytest.raises(ArtifactRejected):
        _context(out).load_png("bomb")


def test_png_round_trip_and_attachment(out: Path) -> None:
    pixels = (np.arange(64, dtype=np.uint8).reshape(8, 8)) * 3
    Image.fromarray(pixels).save(out / "t" / "g.png")
    ctx = _context(out)
    assert np.array_equal(ctx.load_png("g"), pixels)
    ctx.add_artifact("grid", ctx.artifact_path("g.png"))
    assert ctx.attached == [("grid", out / "t" / "g.png")]
    (out / "t" / "fake.json").write_text("{}")
    with pytest.raises(ArtifactRejected, match="only PNG"):
        ctx.add_artifact("fake", out / "t" / "fake.json")


def test_names_cannot_walk_out_of_the_output_folder(out: Path) -> None:
    with pytest.raises(ArtifactRejected):
        _context(out).load_json("..", "secret")
