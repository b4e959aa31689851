#!/usr/bin/env python3
"""Submit homework from the command line, and print the server's receipt.

    python submit.py --server https://course.example.edu --course csds600-fall2023 \\
        --assignment hw1 --sources "None" model.py answers.pdf

The token comes from --token, or $COURSE_TOKEN, or is fetched once with --username (the
password is asked for) from /api/auth/token/. Needs only Python 3.9+ and `requests`.
Exit status: 0 accepted, 1 refused by the server (the reason is printed), 2 usage or
connection problems.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from pathlib import Path

import requests

CHUNK = 64 * 1024


class ProgressBody:
    """A multipart/form-data body that reads the files as it is sent and draws a progress bar."""

    def __init__(self, fields: list[tuple[str, str]], files: list[Path], out=sys.stderr):
        self.boundary = uuid.uuid4().hex
        self.parts: list[bytes | Path] = []
        for name, value in fields:
            self.parts.append(self._header(name) + value.encode() + b"\r\n")
        for path in files:
            self.parts.append(self._header("files", path.name))
            self.parts.append(path)
            self.parts.append(b"\r\n")
        self.parts.append(f"--{self.boundary}--\r\n".encode())
        self.total = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in self.parts)
        self.sent = 0
        self.out = out
        self._iter = self._chunks()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _header(self, name: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
            disposition += f'; filename="{safe}"'
            return f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        return f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()

    def _chunks(self):
        for part in self.parts:
            if isinstance(part, Path):
                with open(part, "rb") as f:
                    while chunk := f.read(CHUNK):
                        yield chunk
            else:
                yield part

    def __len__(self) -> int:
        return self.total

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._iter)
            except StopIteration:
                break
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.sent += len(data)
        self._draw()
        return data

    def _draw(self) -> None:
        width = 30
        done = self.sent / self.total if self.total else 1.0
        bar = "#" * int(done * width)
        self.out.write(
            f"\rUploading [{bar:<{width}}] {done * 100:5.1f}%  {self.sent}/{self.total} bytes"
        )
        if self.sent >= self.total:
            self.out.write("\n")
        self.out.flush()


def fetch_token(server: str, username: str) -> str:
    password = os.environ.get("COURSE_PASSWORD") or getpass.getpass(f"Password for {username}: ")
    r = requests.post(
        f"{server}/api/auth/token/", data={"username": username, "password": password}, timeout=30
    )
    if r.status_code != 200:
        raise SystemExit(f"Could not log in as {username}: {r.text}")
    return r.json()["token"]


def print_receipt(receipt: dict, out=sys.stdout) -> None:
    w = out.write
    w("\nRECEIPT — keep this\n")
    w(f"  Receipt number : {receipt['id']}\n")
    w(f"  Assignment     : {receipt['assignment']}\n")
    w(
        f"  Received       : {receipt['received_at_local']}  ({receipt['time_zone']}; server time, the time that counts)\n"
    )
    if receipt.get("emailed_at_local"):
        w(
            f"  Counted at     : {receipt['emailed_at_local']} (email), entered by {receipt['submitted_by']}\n"
        )
    status = receipt["lateness"].replace("_", " ")
    if receipt["lateness"] == "late":
        status += f" — a {float(receipt['late_penalty']) * 100:g}% penalty applies to the score"
    w(f"  Status         : {status}\n")
    w(f"  sha256         : {receipt['sha256']}\n")
    w(f"  Size           : {receipt['size']} bytes\n")
    w("  Files (sha256  size  name):\n")
    for line in receipt["manifest"].splitlines():
        w(f"    {line}\n")
    w(f"  Sources        : {receipt['sources_statement']}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Submit files for an assignment and print the receipt.")
    p.add_argument("files", nargs="+", type=Path, help=".py, .ipynb, .pdf, .zip or .tar.gz files")
    p.add_argument("--server", default=os.environ.get("COURSE_SERVER", "http://localhost:8000"))
    p.add_argument("--course", required=True, help="course slug, e.g. csds600-fall2023")
    p.add_argument("--assignment", required=True, help="assignment slug, e.g. hw1")
    p.add_argument("--sources", help="public sources you used ('None' if none)")
    p.add_argument("--sources-file", type=Path, help="read the sources statement from a file")
    p.add_argument("--token", default=os.environ.get("COURSE_TOKEN"))
    p.add_argument("--username", help="log in to get a token (the password is asked for)")
    args = p.parse_args(argv)

    server = args.server.rstrip("/")
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"No such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.sources_file:
        sources = args.sources_file.read_text(encoding="utf-8")
    elif args.sources is not None:
        sources = args.sources
    else:
        print(
            "Say which public sources you used: --sources 'None' if none (the syllabus asks for it).",
            file=sys.stderr,
        )
        return 2
    try:
        token = args.token or (fetch_token(server, args.username) if args.username else None)
        if not token:
            print("Give --token, set COURSE_TOKEN, or log in with --username.", file=sys.stderr)
            return 2
        body = ProgressBody([("sources_statement", sources)], args.files)
        url = (
            f"{server}/api/courses/{args.course}/assignments/{args.assignment}/submissions/create/"
        )
        r = requests.post(
            url,
            data=body,
            timeout=(30, 600),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": body.content_type,
                "Content-Length": str(len(body)),
            },
        )
    except requests.RequestException as exc:
        print(f"\nCould not reach {server}: {exc}", file=sys.stderr)
        print(
            "If the site is down near the deadline, email your work to the instructor now.",
            file=sys.stderr,
        )
        return 2
    if r.status_code == 201:
        print_receipt(r.json())
        return 0
    try:
        detail = r.json().get("detail", r.text)
    except ValueError:
        detail = r.text[:500]
    print(f"\nNOT SUBMITTED ({r.status_code}): {detail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
