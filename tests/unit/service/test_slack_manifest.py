"""``slack-app-manifest.yml`` asks for exactly the scopes of the Slack methods watchtower calls."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

yaml = pytest.importorskip("yaml")

# Web API method → the bot scopes it needs (public and private channels).
SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.join": {"channels:join"},
    "conversations.list": {"channels:read", "groups:read"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "reactions.get": {"reactions:read"},
    "users.info": {"users:read"},  # who took an alert, named in its e-mail
    "files_upload_v2": {"files:write"},
    "auth.test": set(),  # any token may ask who it is (the bot's name, for hints)
    "chat.getPermalink": set(),  # no scope: the escalation's link to its Slack alert
}


def called_methods() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "watchtower" / "notify").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""\.call\(\s*["']([a-zA-Z]+\.[a-zA-Z]+)["']""", text))
        found |= set(re.findall(r"client\.(files_upload_v2|chat_\w+|conversations_\w+)\(", text))
    return found


def test_manifest_scopes_match_the_code() -> None:
    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yml").read_text(encoding="utf-8"))
    requested = set(manifest["oauth_config"]["scopes"]["bot"])
    methods = called_methods()
    assert methods, "no Slack call found: did the Slack code move?"
    unknown = methods - set(SCOPES)
    assert not unknown, f"add the scopes of {unknown} to SCOPES and to the manifest"
    needed = set().union(*(SCOPES[m] for m in methods))
    assert requested == needed
