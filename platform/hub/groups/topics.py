"""Normal forms of a group's topic, so that one paper is one paper however it is typed."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ARXIV_VERSION = re.compile(r"v\d+$")
TOPIC_KEY_LENGTH = 300
URL_KEY_LENGTH = 500


def text_key(text: str) -> str:
    """Casefolded words joined by single spaces: "GANs: A Survey!" and " gans a  survey" agree."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def topic_key_for(*, kind: str, text: str) -> str:
    words = text_key(text)
    return f"{kind}:{words}"[:TOPIC_KEY_LENGTH] if words else ""


def paper_url_key_for(url: str) -> str:
    """The link without scheme, "www.", fragment or trailing slash; arXiv pdf/abs and versions agree."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    if host in {"arxiv.org", "export.arxiv.org"}:
        host = "arxiv.org"
        path = re.sub(r"^/pdf/", "/abs/", path).removesuffix(".pdf")
        path = _ARXIV_VERSION.sub("", path)
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"[:URL_KEY_LENGTH]
