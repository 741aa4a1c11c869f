"""Source errors carry a code from one catalogue: the same English message as
before (logs, ``status``), and a French sentence for the ops alert.

Every error here is raised by the real adapters against loopback servers.
"""

from __future__ import annotations

import gzip
import logging
import re
import socket
import string
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.french import nb
from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.dovecot import PASSWORD, Dovecot
from tests.unit.adapters.test_imap import Mailbox, poll
from tests.unit.adapters.test_imap_fixes import ENV, FakeImap
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.imap import ImapSource
from watchtower.errors import PermanentError, SourceError, TransientError
from watchtower.source_errors_text import SOURCE_ERRORS, source_error_text


def answer(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Callable[[BaseHTTPRequestHandler], None]:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return handle


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer().start()
    yield s
    s.stop()


def make_fetcher(**overrides: Any) -> HttpFetcher:
    values: dict[str, Any] = {
        "timeout": 3.0,
        "connect_timeout": 2.0,
        "politeness_delay": 0.0,
        "trusted_networks": ["127.0.0.0/8"],
    }
    values.update(overrides)
    return HttpFetcher(**values)


def failure(url: str, **fetcher: Any) -> SourceError:
    f = make_fetcher(**fetcher)
    try:
        with pytest.raises(SourceError) as caught:
            f.get(url)
    finally:
        f.close()
    return caught.value


STATUSES = [
    (400, "http_bad_request", "the server rejected the request (400)",
     "le site a rejeté la requête (400)"),
    (401, "http_unauthorized", "the site requires a login (401)",
     "le site demande un identifiant (401)"),
    (403, "http_forbidden", "the site refused access (403)", "le site a refusé l'accès (403)"),
    (404, "http_not_found", "the page does not exist (404)", "la page n'existe pas (404)"),
    (408, "http_timeout", "the server timed out (408)",
     "le site a mis trop de temps à répondre (408)"),
    (410, "http_gone", "the page was removed (410)", "la page a été supprimée (410)"),
    (418, "http_status", "the server answered HTTP 418",
     "le site a répondu par une erreur HTTP 418"),
    (429, "http_rate_limited", "the site asks us to slow down (429)",
     "le site demande de ralentir les vérifications (429)"),
    (500, "http_server_error", "the site has a server error (500)",
     "le site a un problème technique (500)"),
    (503, "http_server_error", "the site has a server error (503)",
     "le site a un problème technique (503)"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "code", "english", "french"), STATUSES)
def test_every_http_status_class_has_a_code_and_two_sentences(
    server: ScriptedServer, status: int, code: str, english: str, french: str
) -> None:
    server.routes["/f"] = answer(status, b"no")
    error = failure(server.url("/f"))
    assert (error.code, error.params) == (code, {"status": status})
    assert (error.message, str(error)) == (english, english)
    assert error.sentence("en") == english
    assert error.sentence("fr") == french


def test_a_silent_server_is_a_timeout_in_seconds_said_the_french_way(
    server: ScriptedServer,
) -> None:
    server.routes["/slow"] = lambda handler: time.sleep(2)
    error = failure(server.url("/slow"), timeout=0.5)
    assert isinstance(error, TransientError)
    said = {
        "timeout": (
            "the server did not answer within 0.5s",
            "le site n'a pas répondu dans les 0,5 s",
        ),
        "timeout_total": (
            "the server took longer than 0.5s to send its answer",
            "le site a mis plus de 0,5 s à envoyer sa réponse",
        ),
    }
    assert error.code is not None
    assert (error.message, error.sentence("fr")) == said[error.code]


@pytest.mark.parametrize("politeness", [0.0, 5.0])
def test_a_fetch_waiting_past_its_deadline_for_the_sites_slot_says_so(
    server: ScriptedServer, politeness: float
) -> None:
    """Hung fetches of the same site hold its slots: the fetch queued behind them
    is not "a slow server" (it never asked it), and a politeness wait then must
    not become a negative sleep (``ValueError``, logged as an adapter crash)."""
    server.routes["/f"] = answer(200, b"<rss/>")
    fetcher = make_fetcher(timeout=0.5, host_wait=0.5, per_host=1, politeness_delay=politeness)
    url = server.url("/f")
    try:
        fetcher.get(url)  # the politeness delay now runs from this fetch
        slot = fetcher._hosts["127.0.0.1"]  # held as by a hung fetch of the site
        slot.acquire()
        held = threading.Timer(1.5, slot.release)
        held.start()
        try:
            with pytest.raises(TransientError) as caught:
                fetcher.get(url)
        finally:
            held.join()
    finally:
        fetcher.close()
    error = caught.value
    assert error.code == "host_busy"
    assert error.message == "waited 0.5s for other fetches from the same site to finish"
    assert error.sentence("fr") == (
        "d'autres lectures du même site ont occupé la connexion pendant 0,5 s"
    )


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    error = failure(f"http://127.0.0.1:{port}/f")
    assert error.code == "connect_refused"
    assert re.fullmatch(r"cannot connect to the server \(.*refused.*\)", error.message)
    assert error.sentence("fr") == "le site a refusé la connexion"


def test_an_unknown_name_is_a_dns_error() -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error = failure("http://flux.acme.invalid/f", resolver=resolver)
    assert error.code == "dns"
    assert error.message == (
        "cannot connect to the server (cannot resolve flux.acme.invalid "
        "([Errno -2] Name or service not known))"
    )
    assert error.sentence("fr") == "le nom du site est introuvable (flux.acme.invalid)"


def test_tls_to_a_server_that_does_not_speak_it(server: ScriptedServer) -> None:
    error = failure(server.url("/f").replace("http://", "https://"))
    assert error.code == "tls_failed"
    assert error.message.startswith("cannot connect to the server (")
    assert error.sentence("fr") == "la connexion sécurisée (TLS) avec le site a échoué"


def test_a_private_address_is_refused(server: ScriptedServer) -> None:
    url = server.url("/f")
    error = failure(url, trusted_networks=[])
    assert error.code == "url_address_refused"
    assert error.message == (
        f"refused to fetch {url}: 127.0.0.1 is a loopback address "
        "(set allow_private = true on the source to permit it)"
    )
    assert error.sentence("fr") == nb(
        "l'adresse 127.0.0.1 n'est pas publique : refusée par sécurité"
    )


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    error = failure("http://intranet.acme.fr/f", resolver=resolver)
    assert error.code == "host_address_refused"
    assert error.message == (
        "refused to connect to intranet.acme.fr: 10.1.2.3 is a private or reserved address "
        "(set allow_private = true on the source to permit it)"
    )
    assert error.sentence("fr") == (
        "intranet.acme.fr mène à une adresse non publique (10.1.2.3), refusée par sécurité"
    )


def test_a_redirect_to_a_private_address_says_it_was_a_redirect(server: ScriptedServer) -> None:
    server.routes["/f"] = answer(302, headers={"Location": "http://10.0.0.1/admin"})
    error = failure(server.url("/f"))
    assert error.code == "redirect_url_refused"
    assert error.message == (
        "refused to fetch http://10.0.0.1/admin: 10.0.0.1 is a private or reserved address "
        "(set allow_private = true on the source to permit it)"
    )
    assert error.sentence("fr") == (
        "le site redirige vers une adresse non publique (10.0.0.1), refusée par sécurité"
    )


def test_a_redirect_to_a_name_on_a_private_address_says_it_was_a_redirect(
    server: ScriptedServer,
) -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        address = "169.254.169.254" if host == "meta.acme.fr" else host
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    server.routes["/f"] = answer(302, headers={"Location": "http://meta.acme.fr/"})
    error = failure(server.url("/f"), resolver=resolver)
    assert error.code == "redirect_host_refused"
    assert error.message.startswith("refused to connect to meta.acme.fr: 169.254.169.254 is a")
    assert error.sentence("fr") == (
        "le site redirige vers une adresse non publique (169.254.169.254), refusée par sécurité"
    )


@pytest.mark.parametrize(
    ("routes", "code", "english", "french"),
    [
        ({"/f": "/f"}, "redirect_loop", "the server redirects in a loop",
         "le site redirige en boucle"),
        ({f"/r{i}" if i else "/f": f"/r{i + 1}" for i in range(7)}, "redirect_too_many",
         "too many redirects (more than 5)", "le site redirige trop de fois (plus de 5)"),
        ({"/f": ""}, "redirect_nowhere", "the server redirected (302) nowhere",
         "le site redirige (302) sans dire vers où"),
    ],
)  # fmt: skip
def test_redirects(
    server: ScriptedServer, routes: dict[str, str], code: str, english: str, french: str
) -> None:
    for path, target in routes.items():
        server.routes[path] = answer(302, headers={"Location": target} if target else {})
    error = failure(server.url("/f"))
    assert (error.code, error.message, error.sentence("fr")) == (code, english, french)


def test_a_response_over_the_cap(server: ScriptedServer) -> None:
    server.routes["/f"] = answer(200, b"x" * 20_000)
    error = failure(server.url("/f"), max_bytes=10_000)
    assert error.code == "too_large"
    assert error.message == "the response is larger than the 10,000 byte limit"
    assert error.sentence("fr") == "la réponse du site dépasse la limite de 10\u00a0000 octets"


def test_a_decompression_bomb_is_over_the_cap(server: ScriptedServer) -> None:
    server.routes["/f"] = answer(
        200, gzip.compress(b"\0" * 5_000_000), {"Content-Encoding": "gzip"}
    )
    error = failure(server.url("/f"), max_bytes=1_000_000)
    assert error.code == "too_large"
    assert (
        error.sentence("fr") == "la réponse du site dépasse la limite de 1\u00a0000\u00a0000 octets"
    )


def test_a_body_that_does_not_decompress(server: ScriptedServer) -> None:
    server.routes["/f"] = answer(200, b"not gzip at all", {"Content-Encoding": "gzip"})
    error = failure(server.url("/f"))
    assert error.message == "the server sent a body that cannot be decompressed"
    assert error.sentence("fr") == "le site a envoyé une réponse compressée illisible"


@pytest.mark.parametrize(
    ("body", "code", "english", "french"),
    [
        (b"<!doctype html><html><body>Bienvenue</body></html>", "feed_is_html",
         "the page is an HTML page, not an RSS/Atom feed",
         "l'adresse mène à une page web, pas à un flux RSS/Atom"),
        (b"<catalog><book/></catalog>", "not_a_feed", "the page is not an RSS/Atom feed",
         "l'adresse n'est pas un flux RSS/Atom"),
        (b"", "feed_unreadable", None, "l'adresse n'est pas un flux RSS/Atom lisible"),
        (b'<!DOCTYPE rss [<!ENTITY a "aaaa">]><rss version="2.0"><channel/></rss>',
         "xml_entities",
         "the feed declares XML entities, which are refused for safety "
         "(entity expansion and external entities)",
         "le flux déclare des entités XML, refusées par sécurité"),
    ],
)  # fmt: skip
def test_feeds_that_cannot_be_read(
    body: bytes, code: str, english: str | None, french: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        parse_feed(body, url="https://acme.fr/flux")
    error = caught.value
    assert error.code == code
    if english is not None:
        assert error.message == english
    else:
        assert error.message.startswith("the page is not a readable RSS/Atom feed (")
    assert error.sentence("fr") == french


def imap_failure(settings: Any, timeout: float = 3.0) -> SourceError:
    fetcher = HttpFetcher(timeout=timeout)
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    try:
        with pytest.raises(SourceError) as caught:
            ImapSource().fetch(settings, SourceState(), ctx)
    finally:
        fetcher.close()
    return caught.value


def test_a_missing_password_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    server = FakeImap("silent")
    try:
        error = imap_failure(server.settings())
    finally:
        server.close()
    assert error.message == f"the environment variable {ENV} is not set"
    assert error.sentence("fr") == nb(
        f"mot de passe introuvable : la variable d'environnement {ENV} n'est pas définie"
    )


def test_a_silent_mail_server_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "secret")
    server = FakeImap("silent")
    try:
        error = imap_failure(server.settings(), timeout=1.0)
    finally:
        server.close()
    assert error.message == "the mail server did not answer within 1s"
    assert error.sentence("fr") == "le serveur de messagerie n'a pas répondu dans les 1 s"


def test_a_mail_server_that_hangs_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "secret")
    server = FakeImap("close")
    try:
        error = imap_failure(server.settings())
    finally:
        server.close()
    assert error.code in ("imap_closed", "imap_closed_reason")
    assert error.message.startswith("the mail server closed the connection")
    assert error.sentence("fr") == "le serveur de messagerie a coupé la connexion"


def test_a_refused_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "mot-de-passe-été")  # sent with AUTHENTICATE PLAIN, refused
    server = FakeImap("plain")
    try:
        error = imap_failure(server.settings())
    finally:
        server.close()
    assert error.message == (
        "the mail server refused the login ([AUTHENTICATIONFAILED] Authentication failed.)"
    )
    assert error.sentence("fr") == (
        "le serveur de messagerie a refusé l'identifiant ou le mot de passe"
    )


@pytest.fixture
def mailbox(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(ENV, PASSWORD)
    return Mailbox(dovecot_server)


def test_a_refused_login_on_dovecot(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "wrong")
    with pytest.raises(PermanentError) as caught:
        poll(mailbox.settings(), SourceState())
    assert caught.value.code == "imap_login_refused"
    assert caught.value.message.startswith("the mail server refused the login (")
    assert caught.value.sentence("fr") == (
        "le serveur de messagerie a refusé l'identifiant ou le mot de passe"
    )


def test_a_missing_folder_on_dovecot(mailbox: Mailbox) -> None:
    with pytest.raises(TransientError) as caught:
        poll(mailbox.settings(folder="Veille"), SourceState())
    assert caught.value.code == "imap_folder_missing"
    assert caught.value.message.startswith(
        "the folder Veille cannot be opened on the mail server ("
    )
    assert caught.value.sentence("fr") == nb(
        "le dossier Veille est introuvable ou inaccessible sur le serveur de messagerie "
        "(renommé ou supprimé ?) ; dossiers présents : INBOX"
    )


def test_errors_without_a_code_keep_their_english_sentence() -> None:
    error = PermanentError("port 993 expects TLS from the first byte")
    assert error.code is None and error.params == {}
    assert error.sentence("fr") == "port 993 expects TLS from the first byte"


def test_an_error_has_a_message_or_a_code_not_both() -> None:
    with pytest.raises(TypeError):
        PermanentError("x", code="redirect_loop")
    with pytest.raises(TypeError):
        PermanentError()


@pytest.mark.parametrize("code", sorted(SOURCE_ERRORS))
def test_the_catalogue_speaks_both_languages(code: str) -> None:
    templates = SOURCE_ERRORS[code]
    assert set(templates) == {"en", "fr"}
    fields = {
        language: {name for _, name, _, _ in string.Formatter().parse(text) if name}
        for language, text in templates.items()
    }
    sample = dict.fromkeys(fields["en"] | fields["fr"], 1)
    assert source_error_text(code, sample, "fr") != source_error_text(code, sample, "en")
