"""What a delivery failure says, in English (logs, ``status``, the outbox row) and
in the configured language (ops notices).

The pattern of :mod:`watchtower.source_errors_text`: each failure an operator
meets (Slack's token refused, a missing scope, a channel the bot cannot post
in, Slack or the SMTP server down, an SMTP login or TLS refused, an Apprise
service refusing its URL…) has a stable ``code`` and one sentence per
language, filled with ``params``. The notifiers build their English
:attr:`~watchtower.errors.DeliveryError.reason` with :func:`delivery_error_text`.

A reason said in the reader's language (from its code, else read back from
its English): :mod:`watchtower.notify.delivery_reason_text`.

French sentences keep what an operator can act on (the server, the reply code,
the setting to check) and quote the remote server's own answer as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchtower.catalogue_text import catalogue_text
from watchtower.source_errors_text import SOURCE_ERRORS

__all__ = ["CHANNEL_HINTS", "DELIVERY_ERRORS", "delivery_error_text"]

_SCOPES = (
    "add it under OAuth & Permissions → Bot Token Scopes (slack-app-manifest.yml lists every "
    "scope watchtower needs), then reinstall the app to the workspace"
)
_SCOPES_FR = (
    "l'ajouter dans OAuth & Permissions → Bot Token Scopes (slack-app-manifest.yml liste "
    "toutes celles dont watchtower a besoin), puis réinstaller l'application dans l'espace "
    "de travail"
)
_INVITE = "invite it with /invite @{bot} in that channel"
_INVITE_FR = "l'inviter avec /invite @{bot} dans ce canal"
# A TLS port (465) waits for a handshake: a plain client hears no greeting.
_NO_GREETING = " (no greeting: if this port expects TLS at once, usually 465, set ssl = true)"
_NO_GREETING_FR = (
    " (aucun message d'accueil : si ce port attend TLS dès la connexion, en général le 465, "
    "mettre ssl = true)"
)
_TLS_HINT_SSL = "does this port expect STARTTLS? (587: ssl = false, starttls = true)"
_TLS_HINT_SSL_FR = "ce port attend-il STARTTLS ? (587 : ssl = false, starttls = true)"
_TLS_HINT = "check the server's TLS setup"
_TLS_HINT_FR = "vérifier la configuration TLS du serveur"

#: code → {language: template}; templates use :meth:`str.format` fields. A
#: ``{reason}`` field is itself a reason, said in the reader's language too.
DELIVERY_ERRORS: dict[str, dict[str, str]] = {
    # Slack (notify/slack_errors.py, notify/slack_api.py)
    "slack_token_refused": {
        "en": "Slack refused the bot token: {error}",
        "fr": "Slack refuse le jeton du bot ({error}) : il est invalide, révoqué ou expiré",
    },
    "slack_missing_scope": {
        "en": "Slack refused the message: missing_scope — the Slack app lacks the scope "
        "{needed}: " + _SCOPES,
        "fr": "Slack refuse le message : il manque à l'application Slack l'autorisation "
        "{needed} ; " + _SCOPES_FR,
    },
    "slack_missing_scope_unnamed": {
        "en": "Slack refused the message: missing_scope — the Slack app lacks a scope: " + _SCOPES,
        "fr": "Slack refuse le message : il manque une autorisation à l'application Slack ; "
        + _SCOPES_FR,
    },
    "slack_refused": {
        "en": "Slack refused the message: {code}",
        "fr": "Slack refuse le message ({code})",
    },
    "slack_rate_limited": {
        "en": "Slack rate limit ({what})",
        "fr": "Slack demande de ralentir les envois ({what})",
    },
    "slack_server_error": {
        "en": "Slack server error ({status})",
        "fr": "Slack a une erreur de serveur ({status})",
    },
    "slack_unavailable": {
        "en": "Slack is unavailable for now ({error})",
        "fr": "Slack est momentanément indisponible ({error})",
    },
    # The host's name not looked up in time (notify/lookups.py): {reason} is the
    # lookup's own, said in the reader's language. Before the {detail} form, which
    # reads the same in English: a reason queued as text is read back as this one.
    "slack_lookup_failed": {
        "en": "cannot reach Slack ({reason})",
        "fr": "impossible de joindre Slack ({reason})",
    },
    "slack_unreachable": {
        "en": "cannot reach Slack ({detail})",
        "fr": "impossible de joindre Slack ({detail})",
    },
    "slack_timeout": {
        "en": "Slack did not answer in time ({detail})",
        "fr": "Slack n'a pas répondu à temps ({detail})",
    },
    "slack_connection_lost": {
        "en": "connection to Slack lost ({detail})",
        "fr": "connexion à Slack perdue ({detail})",
    },
    "slack_client_error": {
        "en": "Slack client error ({detail})",
        "fr": "erreur du client Slack ({detail})",
    },
    "slack_upload_failed": {
        "en": "Slack file upload failed ({detail})",
        "fr": "l'envoi du fichier à Slack a échoué ({detail})",
    },
    "slack_not_in_private_channel": {
        "en": "the bot is not in private channel {channel}: " + _INVITE,
        "fr": "le bot n'est pas membre du canal privé {channel} : " + _INVITE_FR,
    },
    "slack_cannot_join": {
        "en": "the bot is not in channel {channel} and cannot join it ({code}): " + _INVITE,
        "fr": "le bot n'est pas membre du canal {channel} et ne peut pas le rejoindre "
        "({code}) : " + _INVITE_FR,
    },
    # E-mail (notify/email.py)
    "smtp_unavailable": {
        "en": "the SMTP server {server} is not available ({reply})",
        "fr": "le serveur SMTP {server} est indisponible ({reply})",
    },
    "smtp_login_later": {
        "en": "SMTP login failed for now ({reply})",
        "fr": "le service de connexion du serveur SMTP est momentanément indisponible ({reply})",
    },
    "smtp_login_refused": {
        "en": "the SMTP server {server} refused the login ({reply}): "
        "check SMTP_USERNAME and SMTP_PASSWORD",
        "fr": "le serveur SMTP {server} refuse l'identifiant ou le mot de passe ({reply}) : "
        "vérifier SMTP_USERNAME et SMTP_PASSWORD",
    },
    "smtp_login_required": {
        "en": "the SMTP server {server} requires a login ({reply}): "
        "set SMTP_USERNAME and SMTP_PASSWORD",
        "fr": "le serveur SMTP {server} exige une connexion ({reply}) : "
        "renseigner SMTP_USERNAME et SMTP_PASSWORD",
    },
    "smtp_no_auth": {
        "en": "the SMTP server {server} offers no login (AUTH) on this connection",
        "fr": "le serveur SMTP {server} ne propose pas de connexion (AUTH) sur cette liaison",
    },
    "smtp_no_auth_clear": {
        "en": "the SMTP server {server} offers no login (AUTH) on this connection; "
        "it may need starttls = true",
        "fr": "le serveur SMTP {server} ne propose pas de connexion (AUTH) sur cette liaison ; "
        "il faut peut-être starttls = true",
    },
    "smtp_sender_refused": {
        "en": "the SMTP server {server} refuses the sender {sender} ({reply}): "
        "check [email] from and what this login may send as",
        "fr": "le serveur SMTP {server} refuse l'expéditeur {sender} ({reply}) : vérifier "
        "[email] from et les adresses que ce compte a le droit d'utiliser",
    },
    "smtp_clear_password": {
        "en": "refusing to send the SMTP password in clear text to {server}: "
        "set ssl = true (port 465) or starttls = true (port 587)",
        "fr": "envoi du mot de passe SMTP en clair vers {server} refusé : "
        "mettre ssl = true (port 465) ou starttls = true (port 587)",
    },
    "smtp_no_starttls": {
        "en": "the SMTP server {server} does not offer STARTTLS; refusing to send in clear "
        "text (set starttls = false to allow it on a trusted network)",
        "fr": "le serveur SMTP {server} ne propose pas STARTTLS ; envoi en clair refusé "
        "(starttls = false le permet sur un réseau de confiance)",
    },
    "smtp_tls_certificate": {
        "en": "the TLS certificate of {server} cannot be trusted ({detail}): check smtp_host "
        "(it must be a name on the certificate) or the CA (SSL_CERT_FILE)",
        "fr": "le certificat TLS de {server} n'est pas reconnu ({detail}) : vérifier smtp_host "
        "(un nom inscrit sur le certificat) ou l'autorité de certification (SSL_CERT_FILE)",
    },
    "smtp_tls_failed_ssl": {
        "en": "TLS with {server} failed ({detail}): " + _TLS_HINT_SSL,
        "fr": "la connexion sécurisée (TLS) avec {server} a échoué ({detail}) : "
        + _TLS_HINT_SSL_FR,
    },
    "smtp_tls_failed": {
        "en": "TLS with {server} failed ({detail}): " + _TLS_HINT,
        "fr": "la connexion sécurisée (TLS) avec {server} a échoué ({detail}) : " + _TLS_HINT_FR,
    },
    "smtp_timeout": {
        "en": "the SMTP server {server} did not answer within {seconds:g} s",
        "fr": "le serveur SMTP {server} n'a pas répondu dans les {seconds:g} s",
    },
    "smtp_timeout_greeting": {
        "en": "the SMTP server {server} did not answer within {seconds:g} s" + _NO_GREETING,
        "fr": "le serveur SMTP {server} n'a pas répondu dans les {seconds:g} s" + _NO_GREETING_FR,
    },
    "smtp_timeout_data": {
        "en": "the SMTP server {server} did not answer within {seconds:g} s to this message (DATA)",
        "fr": "le serveur SMTP {server} n'a pas répondu dans les {seconds:g} s à ce message",
    },
    "smtp_closed": {
        "en": "the SMTP server {server} closed the connection",
        "fr": "le serveur SMTP {server} a coupé la connexion",
    },
    "smtp_closed_greeting": {
        "en": "the SMTP server {server} closed the connection" + _NO_GREETING,
        "fr": "le serveur SMTP {server} a coupé la connexion" + _NO_GREETING_FR,
    },
    "smtp_closed_data": {
        "en": "the SMTP server {server} closed the connection while the message was being sent",
        "fr": "le serveur SMTP {server} a coupé la connexion pendant l'envoi du message",
    },
    "smtp_lookup_failed": {  # as slack_lookup_failed
        "en": "cannot reach the SMTP server {server} ({reason})",
        "fr": "impossible de joindre le serveur SMTP {server} ({reason})",
    },
    "smtp_unreachable": {
        "en": "cannot reach the SMTP server {server} ({detail})",
        "fr": "impossible de joindre le serveur SMTP {server} ({detail})",
    },
    "smtp_recipient_refused": {
        "en": "the SMTP server refused the recipient: {answers}",
        "fr": "le serveur SMTP refuse le destinataire : {answers}",
    },
    "smtp_relay_denied": {
        "en": "the SMTP relay {server} refuses to relay for this sender ({reply}): check "
        "the relay rules of [email] smtp_host for this machine, or its login "
        "(SMTP_USERNAME, SMTP_PASSWORD, [email] login)",
        "fr": "le relais SMTP {server} refuse de relayer pour cet expéditeur ({reply}) : "
        "vérifier les règles de relais de [email] smtp_host pour cette machine, ou "
        "l'authentification (SMTP_USERNAME, SMTP_PASSWORD, [email] login)",
    },
    "smtp_recipient_deferred": {
        "en": "the SMTP server deferred the recipient: {answers}",
        "fr": "le serveur SMTP refuse le destinataire pour le moment : {answers}",
    },
    "smtp_sender_deferred": {
        "en": "the SMTP server deferred the sender ({reply})",
        "fr": "le serveur SMTP refuse l'expéditeur pour le moment ({reply})",
    },
    "smtp_not_supported": {
        "en": "the SMTP server {server} cannot take this message ({detail})",
        "fr": "le serveur SMTP {server} ne peut pas accepter ce message ({detail})",
    },
    "smtp_failed": {
        "en": "the SMTP server {server} failed ({detail})",
        "fr": "le serveur SMTP {server} a échoué ({detail})",
    },
    # A reply no other reason explains, as smtp_errors.smtp_reply writes it
    "smtp_answer": {
        "en": "SMTP error {status} ({answer})",
        "fr": "le serveur SMTP a répondu par l'erreur {status} ({answer})",
    },
    "smtp_answer_bare": {
        "en": "SMTP error {status}",
        "fr": "le serveur SMTP a répondu par l'erreur {status}",
    },
    # Apprise (notify/apprise.py); {detail} is Apprise's own words
    "apprise_url_refused": {
        "en": "Apprise {scheme}: {detail} The service refused this URL (HTTP {code}): the "
        "webhook was probably deleted or its token revoked. Notifications wait: fix the URL "
        "in the configuration (or the webhook on the service's side).",
        "fr": "le service {scheme} refuse cette adresse (HTTP {code}) : le webhook a "
        "sans doute été supprimé ou son jeton révoqué. Les notifications attendent : corrigez "
        "l'URL dans la configuration (ou le webhook du côté du service). Détail : {detail}",
    },
    "apprise_message_refused": {
        "en": "Apprise {scheme}: {detail} The service refused this message (HTTP {code}): "
        "not retried.",
        "fr": "le service {scheme} refuse ce message (HTTP {code}) : il n'est pas renvoyé. "
        "Détail : {detail}",
    },
    "apprise_failed": {
        "en": "Apprise {scheme}: {detail}",
        "fr": "le service {scheme} a répondu : {detail}",
    },
    "apprise_unusable": {
        "en": "Apprise cannot use this URL (unknown service or missing parts)",
        "fr": "Apprise ne sait pas utiliser cette URL (service inconnu ou éléments manquants)",
    },
    # The outage bookkeeping's prefix (pipeline/target_outages.py): {since} in UTC
    "outage_unreachable": {
        "en": "unreachable since {since}: {reason}",
        "fr": "injoignable depuis le {since} : {reason}",
    },
    "outage_refused": {
        "en": "refused since {since}: {reason}",
        "fr": "adresse refusée depuis le {since} : {reason}",
    },
}

#: What to do about a Slack refusal that concerns one channel ({channel}, {bot}):
#: code → {language: hint}; the English one is :data:`CHANNEL_HINTS`.
_CHANNEL_HINTS: dict[str, dict[str, str]] = {
    "channel_not_found": {
        "en": "the bot sees no channel {channel}: check the name (a renamed channel keeps its "
        "id: write slack:C… in notify to survive renames) or, for a private channel, invite "
        "the bot with /invite @{bot} in it",
        "fr": "le bot ne voit aucun canal {channel} : vérifier le nom (un canal renommé garde "
        "son identifiant : écrire slack:C… dans notify résiste aux renommages) ou, pour un "
        "canal privé, y inviter le bot avec /invite @{bot}",
    },
    "not_in_channel": {  # still not a member after conversations.join
        "en": "the bot is not in channel {channel}: " + _INVITE,
        "fr": "le bot n'est pas membre du canal {channel} : " + _INVITE_FR,
    },
    "is_archived": {
        "en": "channel {channel} is archived: unarchive it or send these notifications to "
        "another channel",
        "fr": "le canal {channel} est archivé : le désarchiver ou envoyer ces notifications "
        "dans un autre canal",
    },
    "restricted_action": {
        "en": "a workspace or channel setting stops the bot from posting in {channel}: ask a "
        "Slack admin to let it post there",
        "fr": "un réglage de l'espace de travail ou du canal empêche le bot de publier dans "
        "{channel} : demander à un administrateur Slack de l'y autoriser",
    },
    "restricted_action_read_only_channel": {
        "en": "only admins may post in {channel}: pick another channel",
        "fr": "seuls les administrateurs peuvent publier dans {channel} : choisir un autre canal",
    },
    "restricted_action_thread_only_channel": {
        "en": "{channel} accepts thread replies only: pick another channel",
        "fr": "{channel} n'accepte que des réponses dans les fils : choisir un autre canal",
    },
    "restricted_action_non_threadable_channel": {
        "en": "{channel} accepts no thread replies",
        "fr": "{channel} n'accepte pas de réponses dans les fils",
    },
    "no_permission": {
        "en": "the bot may not post in {channel}: invite it with /invite @{bot}",
        "fr": "le bot n'a pas le droit de publier dans {channel} : l'inviter avec /invite @{bot}",
    },
}
CHANNEL_HINTS = {code: hint["en"] for code, hint in _CHANNEL_HINTS.items()}
# A notifier's name lookup bounded by its send timeout (notify/lookups.py) fails
# with the sources' sentence: one text, read back in the reader's language.
for _code in ("dns_timeout", "dns_stuck"):
    DELIVERY_ERRORS[_code] = SOURCE_ERRORS[_code]
for _code, _hint in _CHANNEL_HINTS.items():
    # As notify/slack_api.py writes it: Slack's code, then what to do.
    DELIVERY_ERRORS[f"slack_{_code}"] = {
        "en": f"Slack refused the message: {_code} — " + _hint["en"],
        "fr": f"Slack refuse le message ({_code}) : " + _hint["fr"],
    }


def delivery_error_text(code: str, params: Mapping[str, Any], language: str = "en") -> str:
    """The sentence for ``code`` in ``language`` (English when it has none).

    Raises ``KeyError`` for an unknown code or a missing parameter, as
    :func:`~watchtower.source_errors_text.source_error_text` does.
    """
    return catalogue_text(DELIVERY_ERRORS, code, params, language)
