"""Two RSS sources on the local feed server, a forum and a blog, each with one
post about Acmé: the set-up of the tests where a watchtower process dies or
starts while another holds claims (tests/e2e/test_dead_process_leases.py,
tests/e2e/test_start_race.py).

Rounds and drains are an hour apart, so nothing runs but what a test calls.
"""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler

from tests.servers.http import FeedServer


def rss(title: str, guid: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        "<link>https://forum.example.fr/</link>"
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{guid}</link>"
        f"<guid>{guid}</guid></item></channel></rss>"
    ).encode()


FORUM = rss("Acmé ouvre une agence", "post-1")
BLOG = rss("Acmé recrute", "blog-1")


class Hanging:
    """``/forum.rss``: the first request (a process about to be killed, or busy
    fetching) hangs until :attr:`release` is set; later ones answer at once.
    :attr:`requests` counts them all."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        self.requests = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests += 1
        if not self.asked.is_set():
            self.asked.set()
            self.release.wait(60)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(FORUM)))
        handler.end_headers()
        with contextlib.suppress(OSError):  # a killed process's socket
            handler.wfile.write(FORUM)


def forum_and_blog_config(database_url: str, feeds: FeedServer, watchtower: str = "") -> str:
    """The config polling ``/forum.rss`` and ``/blog.rss`` every hour, mentions
    printed on the console; ``watchtower`` adds keys (TOML lines) to its ``[watchtower]``."""
    return f"""
[watchtower]
database_url = "{database_url}"
poll_interval = "1h"
drain_interval = "1h"
default_notify = ["console:#veille"]
{watchtower}

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1h"
allow_private = true

[[sources]]
name = "blog"
kind = "rss"
url = "{feeds.url("/blog.rss")}"
every = "1h"
allow_private = true
"""
