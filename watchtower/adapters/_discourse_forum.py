"""A Discourse forum's JSON API as one poll asks it (see
:mod:`watchtower.adapters.discourse`): its base URL, address policy and API
credentials, and its answers read as JSON objects."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watchtower.adapters.base import FetchContext, Page, SourceState
from watchtower.errors import PermanentError

if TYPE_CHECKING:
    from watchtower.adapters.discourse import DiscourseSettings

__all__ = ["Forum", "load"]

_JSON = "application/json"


@dataclass(frozen=True)
class Forum:
    """The forum's JSON API: its base URL, address policy and API credentials."""

    ctx: FetchContext
    base: str
    allow_private: bool
    credentials: dict[str, str]

    @classmethod
    def of(cls, settings: DiscourseSettings, ctx: FetchContext) -> Forum:
        """The forum of ``settings``; its API key is read from ``api_key_env``
        (a :class:`PermanentError` when that variable is unset or empty)."""
        credentials = {}
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env, "").strip()
            if not key:
                params = {"variable": settings.api_key_env}
                raise PermanentError(code="api_key_env_missing", params=params)
            credentials["Api-Key"] = key
            if settings.api_username:
                credentials["Api-Username"] = settings.api_username
        return cls(ctx, settings.base_url.rstrip("/"), settings.allow_private, credentials)

    def latest(self, state: SourceState) -> Page:
        """``/latest.json``, conditionally (ETag / Last-Modified from ``state``)."""
        response = self.ctx.http.get(
            f"{self.base}/latest.json",
            etag=state.etag,
            last_modified=state.last_modified,
            accept=_JSON,
            allow_private=self.allow_private,
            credentials=self.credentials or None,
        )
        return Page(
            response,
            response.headers.get("etag") or state.etag,
            response.headers.get("last-modified") or state.last_modified,
        )

    def get(self, path: str, what: str) -> dict[str, Any]:
        """The JSON object at ``path`` below the base URL."""
        response = self.ctx.http.get(
            f"{self.base}{path}",
            accept=_JSON,
            allow_private=self.allow_private,
            credentials=self.credentials or None,
        )
        return load(response.content, what)


def load(data: bytes, what: str) -> dict[str, Any]:
    """``data`` as a JSON object; a :class:`PermanentError` in plain words
    (``what`` names the answer) for anything else."""
    try:
        payload = json.loads(data)
    except ValueError as exc:
        params = {"what": what, "reason": str(exc)}
        raise PermanentError(code="forum_not_json", params=params) from None
    except RecursionError:
        raise PermanentError(code="forum_too_deep", params={"what": what}) from None
    if not isinstance(payload, dict):
        raise PermanentError(code="forum_not_object", params={"what": what})
    return payload
