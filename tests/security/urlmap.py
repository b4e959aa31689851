"""The URL configuration as a flat list, and concrete URLs built from it.

The authorization matrix walks `django.urls.get_resolver()` with this, so an endpoint added to
any `urls.py` shows up here without anyone remembering to list it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*(?:\([^()]*\)[^()]*)*\)")


@dataclass(frozen=True)
class Endpoint:
    key: str  # "namespace:name", or "namespace:<route>" for an unnamed pattern
    route: str  # the full pattern, prefixes joined
    params: tuple[str, ...]
    callback: object

    @property
    def namespace(self) -> str:
        return self.key.split(":", 1)[0] if ":" in self.key else ""

    def build(self, values: dict) -> str:
        """A concrete path for this pattern with `values` for its parameters (KeyError names a
        parameter no fixture provides)."""
        path = _ROUTE_PARAM.sub(lambda m: str(values[m["name"]]), self.route)
        path = _REGEX_PARAM.sub(lambda m: str(values[m["name"]]), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
        return "/" + path


def _params(route: str) -> tuple[str, ...]:
    return tuple(m["name"] for m in _ROUTE_PARAM.finditer(route)) + tuple(
        m["name"] for m in _REGEX_PARAM.finditer(route)
    )


def endpoints(resolver: URLResolver | None = None) -> list[Endpoint]:
    out: list[Endpoint] = []

    def walk(res: URLResolver, prefix: str, namespace: str) -> None:
        for p in res.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                label = p.name or f"<{route}>"
                key = f"{namespace}:{label}" if namespace else label
                out.append(Endpoint(key=key, route=route, params=_params(route), callback=p.callback))

    walk(resolver or get_resolver(), "", "")
    return out
