"""What a source error says, in English (logs, ``status``, metrics) and in French (ops alerts).

One catalogue: each common failure has a stable ``code`` and one sentence per
language, filled with the error's ``params``. :class:`~watchtower.errors.SourceError`
builds its English ``message`` from here, and the ops alert of
:mod:`watchtower.source_alerts` asks for the configured language, so the two
never drift. Rare failures carry no code: they keep a free English sentence,
which the ops alert then shows as it is.

English sentences quote technical details (an OS error, a parser's complaint);
the French ones, read by a community manager, keep only what helps: the status,
the delay, the address. Numbers and French spacing: :mod:`watchtower.catalogue_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchtower.catalogue_text import catalogue_text

__all__ = ["LANGUAGES", "SOURCE_ERRORS", "source_error_text"]

LANGUAGES = ("en", "fr")

_CONNECT = "cannot connect to the server ({reason})"
_NETWORK = "network error ({reason})"
_REFUSED_URL = "refused to fetch {url}: {problem}"
_REFUSED_HOST = "refused to connect to {host}: {problem}"

#: code → {language: template}; templates use :meth:`str.format` fields.
SOURCE_ERRORS: dict[str, dict[str, str]] = {
    # HTTP status classes (adapters/_http.py classify)
    "http_bad_request": {
        "en": "the server rejected the request ({status})",
        "fr": "le site a rejeté la requête ({status})",
    },
    "http_unauthorized": {
        "en": "the site requires a login ({status})",
        "fr": "le site demande un identifiant ({status})",
    },
    "http_forbidden": {
        "en": "the site refused access ({status})",
        "fr": "le site a refusé l'accès ({status})",
    },
    "http_not_found": {
        "en": "the page does not exist ({status})",
        "fr": "la page n'existe pas ({status})",
    },
    "http_gone": {
        "en": "the page was removed ({status})",
        "fr": "la page a été supprimée ({status})",
    },
    "http_rate_limited": {
        "en": "the site asks us to slow down ({status})",
        "fr": "le site demande de ralentir les vérifications ({status})",
    },
    "http_timeout": {
        "en": "the server timed out ({status})",
        "fr": "le site a mis trop de temps à répondre ({status})",
    },
    "http_server_error": {
        "en": "the site has a server error ({status})",
        "fr": "le site a un problème technique ({status})",
    },
    "http_status": {
        "en": "the server answered HTTP {status}",
        "fr": "le site a répondu par une erreur HTTP {status}",
    },
    # Redirects
    "redirect_nowhere": {
        "en": "the server redirected ({status}) nowhere",
        "fr": "le site redirige ({status}) sans dire vers où",
    },
    "redirect_loop": {
        "en": "the server redirects in a loop",
        "fr": "le site redirige en boucle",
    },
    "redirect_too_many": {
        "en": "too many redirects (more than {limit})",
        "fr": "le site redirige trop de fois (plus de {limit})",
    },
    "redirect_url_refused": {
        "en": _REFUSED_URL,
        "fr": "le site redirige vers une adresse non publique ({address}), refusée par sécurité",
    },
    "redirect_host_refused": {
        "en": _REFUSED_HOST,
        "fr": "le site redirige vers une adresse non publique ({address}), refusée par sécurité",
    },
    # A Location the client cannot request (adapters/_urls.py)
    "redirect_invalid": {
        "en": "the server redirected to an invalid URL ({reason})",
        "fr": "le site redirige vers une adresse invalide",
    },
    # Addresses refused before connecting (adapters/_net.py address_problem)
    "url_address_refused": {
        "en": _REFUSED_URL,
        "fr": "l'adresse {address} n'est pas publique : refusée par sécurité",
    },
    "host_address_refused": {
        "en": _REFUSED_HOST,
        "fr": "{host} mène à une adresse non publique ({address}), refusée par sécurité",
    },
    # A source URL the client cannot request (adapters/_urls.py)
    "url_invalid": {
        "en": "the address is not a valid URL ({reason})",
        "fr": "l'adresse de la source n'est pas une URL valide : à corriger dans la configuration",
    },
    "scheme_refused": {
        "en": "refused to fetch {scheme}:// URL; only http(s)",
        "fr": "seules les adresses http(s) peuvent être lues",
    },
    # Timeouts and the network
    "timeout": {
        "en": "the server did not answer within {seconds:g}s",
        "fr": "le site n'a pas répondu dans les {seconds:g} s",
    },
    "host_busy": {
        "en": "waited {seconds:g}s for other fetches from the same site to finish",
        "fr": "d'autres lectures du même site ont occupé la connexion pendant {seconds:g} s",
    },
    "timeout_total": {
        "en": "the server took longer than {seconds:g}s to send its answer",
        "fr": "le site a mis plus de {seconds:g} s à envoyer sa réponse",
    },
    "dns": {"en": _CONNECT, "fr": "le nom du site est introuvable ({host})"},
    # Lookups bounded by the fetch's deadline (adapters/_resolve.py)
    "dns_timeout": {
        "en": "the DNS lookup of {host} did not answer within {seconds:g}s",
        "fr": "la recherche du nom {host} (DNS) n'a pas abouti dans les {seconds:g} s",
    },
    "dns_stuck": {
        "en": "{count} DNS lookups are not answering: {host} was not looked up",
        "fr": "{count} recherches de noms (DNS) restent sans réponse : {host} n'a pas été cherché",
    },
    "connect_refused": {"en": _CONNECT, "fr": "le site a refusé la connexion"},
    "connect_reset": {"en": _CONNECT, "fr": "le site a coupé la connexion"},
    "connect_failed": {"en": _CONNECT, "fr": "impossible de se connecter au site"},
    "tls_certificate": {
        "en": _CONNECT,
        "fr": "le certificat de sécurité (TLS) du site n'est pas valide",
    },
    "tls_failed": {"en": _CONNECT, "fr": "la connexion sécurisée (TLS) avec le site a échoué"},
    "network_reset": {"en": _NETWORK, "fr": "le site a coupé la connexion pendant sa réponse"},
    "network_closed": {"en": _NETWORK, "fr": "le site a fermé la connexion sans répondre"},
    "network_error": {"en": _NETWORK, "fr": "la connexion avec le site a été interrompue"},
    # Bodies
    "too_large": {
        "en": "the response is larger than the {limit:,} byte limit",
        "fr": "la réponse du site dépasse la limite de {limit:,} octets",
    },
    "bad_compression": {
        "en": "the server sent a body that cannot be decompressed",
        "fr": "le site a envoyé une réponse compressée illisible",
    },
    "unsupported_compression": {
        "en": "the server used an unsupported compression ({encoding})",
        "fr": "le site utilise une compression non prise en charge ({encoding})",
    },
    # Feeds and other formats
    "xml_entities": {
        "en": "the feed declares XML entities, which are refused for safety "
        "(entity expansion and external entities)",
        "fr": "le flux déclare des entités XML, refusées par sécurité",
    },
    "xml_unreadable": {
        "en": "the page is not readable XML ({reason})",
        "fr": "la page n'est pas un document XML lisible",
    },
    "feed_unreadable": {
        "en": "the page is not a readable RSS/Atom feed ({reason})",
        "fr": "l'adresse n'est pas un flux RSS/Atom lisible",
    },
    "feed_is_html": {
        "en": "the page is an HTML page, not an RSS/Atom feed",
        "fr": "l'adresse mène à une page web, pas à un flux RSS/Atom",
    },
    "not_a_feed": {
        "en": "the page is not an RSS/Atom feed",
        "fr": "l'adresse n'est pas un flux RSS/Atom",
    },
    "forum_not_json": {
        "en": "the forum did not answer with JSON for {what} ({reason})",
        "fr": "le forum n'a pas répondu en JSON ({what})",
    },
    "forum_not_object": {
        "en": "the forum's answer for {what} is not a JSON object",
        "fr": "la réponse du forum n'a pas le format attendu ({what})",
    },
    "appstore_not_json": {
        "en": "the App Store review feed is not valid JSON",
        "fr": "le flux d'avis de l'App Store n'est pas du JSON valide",
    },
    "no_reviews": {
        "en": "the page carries no schema.org reviews (JSON-LD): "
        "a new layout, a consent or bot-check page?",
        "fr": "la page ne contient plus d'avis lisibles : nouvelle mise en page, "
        "page de consentement ou vérification anti-robot ?",
    },
    "html_no_match": {
        "en": "no element on the page matches item = {selector!r}",
        "fr": "aucun élément de la page ne correspond à item = {selector!r}",
    },
    # Discourse
    "api_key_env_missing": {
        "en": "the environment variable {variable} (the forum's API key) is not set",
        "fr": "clé d'API du forum introuvable : la variable d'environnement {variable} "
        "n'est pas définie",
    },
    # IMAP
    "password_env_missing": {
        "en": "the environment variable {variable} is not set",
        "fr": "mot de passe introuvable : la variable d'environnement {variable} n'est pas définie",
    },
    "imap_login_refused": {
        "en": "the mail server refused the login ({reason})",
        "fr": "le serveur de messagerie a refusé l'identifiant ou le mot de passe",
    },
    "imap_timeout": {
        "en": "the mail server did not answer within {seconds:g}s",
        "fr": "le serveur de messagerie n'a pas répondu dans les {seconds:g} s",
    },
    "imap_connect_refused": {
        "en": "the mail server refused the connection on port {port}",
        "fr": "le serveur de messagerie a refusé la connexion (port {port})",
    },
    "imap_closed": {
        "en": "the mail server closed the connection",
        "fr": "le serveur de messagerie a coupé la connexion",
    },
    "imap_closed_reason": {
        "en": "the mail server closed the connection ({reason})",
        "fr": "le serveur de messagerie a coupé la connexion",
    },
    "imap_folder_missing": {
        "en": "the folder {folder} cannot be opened on the mail server ({reason}); "
        "its folders: {folders}",
        "fr": "le dossier {folder} est introuvable ou inaccessible sur le serveur de messagerie "
        "(renommé ou supprimé ?) ; dossiers présents : {folders}",
    },
    "imap_error": {
        "en": "the mail server answered with an error ({reason})",
        "fr": "le serveur de messagerie a répondu par une erreur",
    },
    "imap_tls_failed": {
        "en": "TLS with the mail server failed ({reason})",
        "fr": "la connexion sécurisée (TLS) avec le serveur de messagerie a échoué",
    },
    "imap_dns": {
        "en": "cannot resolve the mail server {host} ({reason})",
        "fr": "le nom du serveur de messagerie est introuvable ({host})",
    },
    "imap_unreachable": {
        "en": "cannot talk to the mail server ({reason})",
        "fr": "impossible de joindre le serveur de messagerie",
    },
    "imap_starttls_port": {
        "en": 'port 993 expects TLS from the first byte: use tls = "implicit", '
        "or port = 143 with STARTTLS",
        "fr": "le port 993 attend une connexion chiffrée dès le premier échange : "
        'mettre tls = "implicit", ou port = 143 avec STARTTLS',
    },
    "imap_login_not_ascii": {
        "en": "the user name or password has characters outside ASCII, which IMAP can "
        "send only with AUTHENTICATE PLAIN, and this mail server does not offer it",
        "fr": "l'identifiant ou le mot de passe contient des caractères accentués ou "
        "spéciaux, que ce serveur de messagerie ne sait pas recevoir",
    },
    "imap_encoding": {
        "en": "a command to the mail server could not be encoded ({kind})",
        "fr": "une commande n'a pas pu être envoyée au serveur de messagerie "
        "(caractères non pris en charge)",
    },
    # IMAP with OAuth 2.0 (adapters/_oauth.py): the token endpoint, then the login
    "oauth_invalid_client": {
        "en": "the token server {host} refused to give an access token ({status}, "
        "invalid_client{said}): check client_id and the secret in {variable}",
        "fr": "la messagerie ({host}) refuse l'application : vérifier client_id et son "
        "secret (variable {variable}), peut-être expiré ou révoqué",
    },
    "oauth_invalid_grant": {
        "en": "the token server {host} refused to give an access token ({status}, "
        "invalid_grant{said}): the refresh token in {variable} was revoked or has "
        "expired: create a new one",
        "fr": "la messagerie ({host}) refuse le jeton de renouvellement (variable "
        "{variable}) : révoqué ou expiré, il faut en créer un nouveau",
    },
    "oauth_refused": {
        "en": "the token server {host} refused to give an access token ({status}{error}"
        "{said}): {fix}",
        "fr": "la messagerie ({host}) refuse de donner un jeton d'accès ({status}) : "
        "vérifier token_url, client_id, tenant et scope",
    },
    "oauth_server_error": {
        "en": "the token server {host} failed ({status}); the mailbox is read again later",
        "fr": "le serveur d'authentification de la messagerie ({host}) est en panne "
        "({status}) ; nouvel essai plus tard",
    },
    "oauth_timeout": {
        "en": "the token server {host} did not answer within {seconds:g}s",
        "fr": "le serveur d'authentification de la messagerie ({host}) n'a pas répondu "
        "dans les {seconds:g} s",
    },
    "oauth_unreachable": {
        "en": "cannot reach the token server {host} ({reason})",
        "fr": "impossible de joindre le serveur d'authentification de la messagerie ({host})",
    },
    "oauth_bad_answer": {
        "en": "the token server {host} {problem}: check token_url",
        "fr": "la réponse du serveur d'authentification ({host}) n'est pas un jeton "
        "d'accès : vérifier token_url",
    },
    "imap_token_refused": {
        "en": "the mail server refused the access token for {user} ({reason}): check that "
        "the app may read this mailbox (Microsoft 365: IMAP.AccessAsApp granted, its "
        "service principal given access with Add-MailboxPermission; Google: scope "
        "https://mail.google.com/, the user who consented)",
        "fr": "le serveur de messagerie refuse le jeton d'accès pour {user} : l'application "
        "n'a pas (ou plus) accès à cette boîte, droits à donner par l'administrateur",
    },
    "imap_no_xoauth2": {
        "en": 'the mail server does not offer AUTHENTICATE XOAUTH2: use auth = "password", '
        "or check host",
        "fr": "ce serveur de messagerie n'accepte pas la connexion OAuth 2.0 : vérifier "
        'host, ou mettre auth = "password"',
    },
    "ca_file_missing": {
        "en": "the CA file {path} does not exist",
        "fr": "le fichier de certificats (ca_file) {path} est introuvable",
    },
    "ca_file_unreadable": {
        "en": "the CA file {path} cannot be read as PEM certificates ({reason})",
        "fr": "le fichier de certificats (ca_file) {path} est illisible : "
        "il doit contenir des certificats au format PEM",
    },
    # Names and nesting
    "host_no_address": {
        "en": "refused to connect to {host}: no address",
        "fr": "le nom {host} ne mène à aucune adresse",
    },
    "reviews_too_deep": {
        "en": "the reviews are nested too deeply to read",
        "fr": "les avis de la page sont imbriqués trop profondément pour être lus",
    },
    "appstore_too_deep": {
        "en": "the App Store review feed is nested too deeply to read",
        "fr": "le flux d'avis de l'App Store est imbriqué trop profondément pour être lu",
    },
    "forum_too_deep": {
        "en": "the forum's answer for {what} is nested too deeply to read",
        "fr": "la réponse du forum est imbriquée trop profondément pour être lue ({what})",
    },
    # Bugs: the English names the exception; the French says who can fix it.
    "adapter_crashed": {
        "en": "internal error: {error}",
        "fr": "erreur interne de watchtower en lisant cette source "
        "(à signaler à l'équipe technique)",
    },
    "processing_failed": {
        "en": "internal error while processing items: {error}",
        "fr": "erreur interne de watchtower en traitant les articles de cette source "
        "(à signaler à l'équipe technique)",
    },
}


def source_error_text(code: str, params: Mapping[str, Any], language: str = "en") -> str:
    """The sentence for ``code`` in ``language`` (English when it has none).

    Raises ``KeyError`` for an unknown code or a missing parameter: a raise site
    that does not match the catalogue fails its tests, not an operator's alert.
    """
    return catalogue_text(SOURCE_ERRORS, code, params, language)
