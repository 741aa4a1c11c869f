"""The notification texts, in French (the default) and English: one key, one
template, read through :func:`watchtower.notify._text.t` (the wording code is
in :mod:`watchtower.notify._text`). A new key goes in both languages.

French templates are written with plain spaces ("Source en panne : {name}"),
easy to read and edit: :func:`~watchtower.notify._text.t` gives them their
no-break spaces before ``: ; ! ?`` and inside « » before the values go in."""

from __future__ import annotations

__all__ = ["LANGUAGE_NAMES", "STRINGS"]

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "source": "Source",
        "brand": "Marque",
        "brands": "Marques",
        "terms": "Termes",
        "rule": "Règle",
        "published": "Publié le",
        "published_label": "Publication",
        "open": "Ouvrir",
        "severity.info": "Mention",
        "severity.notice": "Info",
        "severity.warning": "À surveiller",
        "severity.critical": "CRITIQUE",
        "subject": "[veille] {severity} – {brands} : {title}",
        "language": "Langue",
        "untitled": "(sans titre)",
        "date_format": "%d/%m/%Y à %H:%M",
        "date_only_format": "%d/%m/%Y",
        "colon": " : ",
        "notice_subject": "[veille] {severity} – {title}",
        "rating": "Note",
        # counted texts: <key>_one and <key>_other, chosen by _text.plural
        "reviews_one": "{count} avis",
        "reviews_other": "{count} avis",
        "author": "Auteur",
        "app_version": "Version de l'appli",
        "reviewed": "Avis sur",
        "mentions_one": "{count} mention",
        "mentions_other": "{count} mentions",
        # alerting (grouping, quiet hours, digests, story threads, spikes)
        "day_one": "{count} jour",
        "day_other": "{count} jours",
        "also_seen": "Aussi vu sur {site}",
        # a later sighting at a place the story was already seen at (its own site
        # republishing the page under a new address): not "Aussi vu sur" its own site
        "republished_on": "Republié sur {site} (nouvelle adresse)",
        "republished": "Republié sur {site}",  # an item without an address: its source
        "source_down": "Source en panne : {name}",
        "source_down_body_one": "La vérification a échoué. Dernière erreur : {error}",
        "source_down_body": "{failures} échecs consécutifs. Dernière erreur : {error}",
        "source_silent": "Source silencieuse : {name}",
        "source_silent_body": "Aucun nouvel élément depuis le {since}, alors qu'il y a d'habitude "
        "{gap} entre deux éléments. Le flux a peut-être changé d'adresse ou de format.",
        "source_up": "Source rétablie : {name}",
        "source_up_body": "La source fonctionne de nouveau.",
        "edited_on": "Modifié sur {site}",
        # A story's counter: the distinct sites it was seen on (see docs/dedup.md).
        "seen_on": "Vu sur {count} sites",
        "seen_on_one": "Vu sur {count} site",
        "more": "… et {count} de plus",
        "cut_message": "… (suite tronquée)",
        # a summary too long for one Slack message or for Gmail: what it leaves out, counted
        "more_mentions_one": "… et {count} mention de plus",
        "more_mentions_other": "… et {count} mentions de plus",
        "more_brands_one": "{count} marque",
        "more_brands_other": "{count} marques",
        # a Slack message cut where nothing countable was left out
        "cut": "… la suite ne tient pas dans un message Slack",
        "read_more": "Lire la suite",
        "group_title": "{mentions} · {what}",
        "quiet_title": "Pendant les heures calmes : {mentions}",
        "digest_title": "Résumé {period} : {mentions}",
        "sent_apart_one": "🚨 En plus, {count} alerte critique envoyée dès son arrivée.",
        "sent_apart_other": "🚨 En plus, {count} alertes critiques envoyées dès leur arrivée.",
        "digest_daily": "quotidien",
        "digest_hourly": "horaire",
        # a weekly digest (digest = "weekly mon 08:30"): its title names the week
        "digest_weekly": "hebdomadaire",
        "digest_title_week": "Résumé {period}, {week} : {mentions}",
        "digest_week": "semaine du {first} au {last} {month}",
        "digest_week_span": "semaine du {first} au {last}",
        "day_month_year": "{day} {month} {year}",
        "chart_title": "Mentions par marque",
        # the morning digest e-mail (email_digest.digest_email)
        "digest_critical_one": "{count} alerte critique",
        "digest_critical_other": "{count} alertes critiques",
        "stories_one": "{count} sujet",
        "stories_other": "{count} sujets",
        "digest_period": "Du {start} au {end}",
        "digest_more": "… et {count} de plus ({stories})",
        # a digest with no mention (digest.due_digests): the day was quiet, or critical only
        "digest_nothing": "rien à signaler",
        "sent_apart_only_one": "🚨 {count} alerte critique envoyée dès son arrivée.",
        "sent_apart_only_other": "🚨 {count} alertes critiques envoyées dès leur arrivée.",
        "digest_watching_one": "watchtower veille toujours : {count} source suivie",
        "digest_watching_other": "watchtower veille toujours : {count} sources suivies",
        "digest_failing_none": "aucune en panne",
        "digest_failing": "dont {count} en panne",
        "months": "janvier février mars avril mai juin juillet août septembre octobre "
        "novembre décembre",
        "day_month": "{day} {month}",
        "day_month_time": "{day} {month} à {time}",
        # a period across the new year (a weekly digest of 28 December)
        "day_month_year_time": "{day} {month} {year} à {time}",
        # a weekly digest's mentions per day (digest_text.week_bars), Monday first
        "weekdays": "lun. mar. mer. jeu. ven. sam. dim.",
        "weekday_day": "{weekday} {day}",
        "digest_days": "Mentions par jour",
        "digest_day_critical": "dont 🚨 {count}",
        "spike_title": "Pic de mentions : {name}",
        # the digest's own morning, shown as an 8th day (Monday before 08:30)
        "digest_day_before": "avant {time}",
        "spike_stats": "{mentions} sur {window} (d'habitude {baseline})",
        "calm_title": "Retour au calme : {name}",
        # the count runs from the spike window's start, before the alert: "en tout", not "depuis"
        "calm_since": "Pic commencé vers {start}, signalé le {when} : {mentions} en tout.",
        "top_sources": "Principales sources",
        "top_terms": "Termes",
        "examples": "Exemples",
        # "je prends" is one of slack_ack.ACK_PHRASES: a French reader types French.
        "ack_hint": "Pour prendre l'alerte en charge : réagissez avec ✅ ou répondez "
        "« je prends » dans le fil.",
        # A spike alert outside Slack (Teams, Telegram, the console): acks are read in Slack only.
        "ack_hint_elsewhere": "Pour prendre l'alerte en charge : réagissez avec ✅ ou répondez "
        "« je prends » dans le fil de son message Slack, sinon elle est escaladée après "
        "{timeout}.",
        "escalated": "Escalade : personne n'a pris en charge l'alerte en {timeout}.",
        "escalation_prefix": "ESCALADE – ",
        # the on-call people, as plain text: a <@…> in #direction would ping them again
        "paged_no_answer": "Prévenu sans réponse : {who}",
        # posted in the alert's thread when someone takes it (slack_ack)
        "ack_taken": "✅ Pris en charge par {who} à {time} : pas d'escalade.",
        "ack_someone": "quelqu'un",
        # a review in a digest: who wrote it and the start of what they said
        "digest_review": "{author} : « {excerpt} »",
        "digest_review_quote": "« {excerpt} »",
        "digest_review_by": "par {author}",
        "original_alert": "Alerte initiale",
        # where a copy of the alert went, for people ("slack:#crise" is config syntax)
        "target_slack": "Slack {address}",
        "target_email": "e-mail à {address}",
        "target_console": "console",
        "original_sent": "{target} le {when}",
        "original_failed": "{target} (non remise)",
        "original_waiting": "{target} (pas encore remise)",
        "original_link": "Ouvrir l'alerte initiale dans Slack",
        "ops_auth_subject": "Slack est en pause : {reason}",
        "ops_auth_body": "Les notifications Slack sont conservées et repartiront dès que "
        "le service aura un jeton de bot valide (SLACK_BOT_TOKEN). Cause : {reason}",
        # E-mail paused (login refused, TLS not trusted, sender refused): for
        # alerting.target_disabled to pick when the kind is "email".
        "ops_auth_email_subject": "L'e-mail est en pause : {reason}",
        "ops_auth_email_body": "Les e-mails sont conservés et repartiront dès que le serveur "
        "SMTP les acceptera (section [email], SMTP_USERNAME, SMTP_PASSWORD). Cause : {reason}",
        # Slack or the SMTP server unreachable for a while: nothing to fix here.
        "ops_down_subject": "Slack est injoignable : {reason}",
        "ops_down_body": "Les notifications Slack sont conservées et repartiront d'elles-mêmes "
        "dès que Slack répondra ; watchtower réessaie jusqu'à toutes les 10 min. Cause : {reason}",
        "ops_down_email_subject": "Le serveur d'e-mail est injoignable : {reason}",
        "ops_down_email_body": "Les e-mails sont conservés et repartiront d'eux-mêmes dès que le "
        "serveur SMTP répondra ; watchtower réessaie jusqu'à toutes les 10 min. Cause : {reason}",
        "ops_down_service_subject": "Service injoignable : {target}",
        "ops_down_service_body": "Les notifications pour {target} sont conservées et "
        "repartiront d'elles-mêmes dès qu'il répondra ; watchtower réessaie jusqu'à toutes "
        "les 10 min. Cause : {reason}",
        "ops_back_service_subject": "{target} fonctionne à nouveau",
        "ops_back_service_body": "Les notifications en attente pour {target} repartent.",
        # An Apprise service refused its URL (401/403/404/410): only a new URL helps,
        # and a reload sends what waits there (watchtower.pipeline.readdress).
        "ops_refused_service_subject": "Adresse refusée : {target} — corrigez l'URL dans la "
        "configuration",
        # {count} after a label: the caller passes no number to agree with
        "ops_refused_service_body": "Notifications en attente : {count}. Elles partiront vers la "
        "nouvelle adresse après rechargement (SIGHUP, ou à l'enregistrement du fichier) ; si "
        "le webhook est rétabli à la même adresse, elles partiront d'elles-mêmes. Cause : {reason}",
        # A Slack channel refuses the bot (not invited, archived, not found): fixed in
        # Slack; what waits there goes by itself at the next try after the fix.
        "ops_refused_channel_subject": "Canal Slack fermé au bot : {target}",
        # {count} after a label: the caller passes no number to agree with
        "ops_refused_channel_body": "Notifications en attente : {count}. Elles partiront "
        "d'elles-mêmes dès que le bot pourra y publier ; watchtower réessaie jusqu'à toutes "
        "les 10 min. Cause : {reason}",
        "ops_back_subject": "{kind} fonctionne à nouveau",
        "ops_back_email_subject": "L'envoi d'e-mails fonctionne à nouveau",
        "ops_back_email_body": "Les e-mails en attente repartent.",
        "ops_back_body": "Les notifications en attente repartent.",
        "ops_failed_subject": "Notifications perdues pour {target}",
        "ops_failed_body": "Notifications non livrées à {target}, qui ne seront pas renvoyées : "
        "{count}. Dernière erreur : {reason}",
        # Sent directly, not through the outbox: the database cannot take a row.
        "ops_db_full_subject": "La base de données de watchtower est pleine",
        "ops_db_full_body": "watchtower ne peut plus rien enregistrer ({database}) : les sources "
        "ne sont plus relevées et les nouvelles mentions attendent. Rien de ce qui est déjà "
        "enregistré n'est perdu. Libérez de l'espace disque : tout reprend de soi-même, sans "
        "redémarrage. Cause : {reason}",
    },
    "en": {
        "source": "Source",
        "brand": "Brand",
        "brands": "Brands",
        "terms": "Terms",
        "rule": "Rule",
        "published": "Published",
        "published_label": "Published",
        "open": "Open",
        "severity.info": "Mention",
        "severity.notice": "Info",
        "severity.warning": "Watch",
        "severity.critical": "CRITICAL",
        "subject": "[watchtower] {severity} – {brands}: {title}",
        "language": "Language",
        "untitled": "(untitled)",
        "date_format": "%Y-%m-%d %H:%M",
        "date_only_format": "%Y-%m-%d",
        "colon": ": ",
        "notice_subject": "[watchtower] {severity} – {title}",
        "rating": "Rating",
        "reviews_one": "{count} review",
        "reviews_other": "{count} reviews",
        "author": "Author",
        "app_version": "App version",
        "reviewed": "Review of",
        "mentions_one": "{count} mention",
        "mentions_other": "{count} mentions",
        "day_one": "{count} day",
        "day_other": "{count} days",
        "also_seen": "Also seen on {site}",
        "republished_on": "Republished on {site} (new address)",
        "republished": "Republished on {site}",
        "source_down": "Source down: {name}",
        "source_down_body_one": "The check failed. Last error: {error}",
        "source_down_body": "{failures} failures in a row. Last error: {error}",
        "source_silent": "Source silent: {name}",
        "source_silent_body": "Nothing new since {since}, while items usually come {gap} apart. "
        "The feed may have moved or changed format.",
        "source_up": "Source back: {name}",
        "source_up_body": "The source works again.",
        "edited_on": "Edited on {site}",
        "seen_on": "Seen on {count} sites",
        "seen_on_one": "Seen on {count} site",
        "more": "… and {count} more",
        "cut_message": "… (cut)",
        "more_mentions_one": "… and {count} more mention",
        "more_mentions_other": "… and {count} more mentions",
        "more_brands_one": "{count} brand",
        "more_brands_other": "{count} brands",
        "cut": "… the rest does not fit in one Slack message",
        "read_more": "Read more",
        "group_title": "{mentions} · {what}",
        "quiet_title": "During quiet hours: {mentions}",
        "digest_title": "{period} digest: {mentions}",
        "sent_apart_one": "🚨 Also {count} critical alert, sent as it came.",
        "sent_apart_other": "🚨 Also {count} critical alerts, sent as they came.",
        "digest_daily": "Daily",
        "digest_hourly": "Hourly",
        "digest_weekly": "Weekly",
        "digest_title_week": "{period} digest, {week}: {mentions}",
        "digest_week": "week of {month} {first}–{last}",
        "digest_week_span": "week of {first} – {last}",
        "day_month_year": "{month} {day}, {year}",
        "chart_title": "Mentions per brand",
        "digest_critical_one": "{count} critical alert",
        "digest_critical_other": "{count} critical alerts",
        "stories_one": "{count} story",
        "stories_other": "{count} stories",
        "digest_period": "From {start} to {end}",
        "digest_more": "… and {count} more ({stories})",
        "digest_nothing": "nothing to report",
        "sent_apart_only_one": "🚨 {count} critical alert, sent as it came.",
        "sent_apart_only_other": "🚨 {count} critical alerts, sent as they came.",
        "digest_watching_one": "watchtower is still watching: {count} source",
        "digest_watching_other": "watchtower is still watching: {count} sources",
        "digest_failing_none": "none failing",
        "digest_failing": "{count} failing",
        "months": "January February March April May June July August September October "
        "November December",
        "day_month": "{month} {day}",
        "day_month_time": "{month} {day} at {time}",
        "day_month_year_time": "{month} {day}, {year} at {time}",
        "weekdays": "Mon Tue Wed Thu Fri Sat Sun",
        "weekday_day": "{weekday} {day}",
        "digest_days": "Mentions per day",
        "digest_day_critical": "incl. 🚨 {count}",
        "spike_title": "Mention spike: {name}",
        "spike_stats": "{mentions} in {window} (usually {baseline})",
        "calm_title": "Back to normal: {name}",
        "calm_since": "Spike began around {start}, reported on {when}: {mentions} in all.",
        "top_sources": "Top sources",
        "top_terms": "Terms",
        "examples": "Examples",
        "ack_hint": 'React with ✅ or reply "ack" in the thread to take charge.',
        "digest_day_before": "before {time}",
        "ack_hint_elsewhere": 'To take charge of the alert, react with ✅ or reply "ack" in '
        "the thread of its Slack message, or it is escalated after {timeout}.",
        "escalated": "Escalation: nobody took charge of the alert within {timeout}.",
        "escalation_prefix": "ESCALATION – ",
        "paged_no_answer": "Paged, no answer: {who}",
        "ack_taken": "✅ Taken by {who} at {time}: no escalation.",
        "ack_someone": "someone",
        "digest_review": '{author}: "{excerpt}"',
        "digest_review_quote": '"{excerpt}"',
        "digest_review_by": "by {author}",
        "original_alert": "Original alert",
        "target_slack": "Slack {address}",
        "target_email": "e-mail to {address}",
        "target_console": "console",
        "original_sent": "{target} on {when}",
        "original_failed": "{target} (not delivered)",
        "original_waiting": "{target} (not delivered yet)",
        "original_link": "Open the original alert in Slack",
        "ops_auth_subject": "Slack is paused: {reason}",
        "ops_auth_body": "Slack notifications are kept and will go out once the service "
        "has a valid bot token (SLACK_BOT_TOKEN). Cause: {reason}",
        "ops_auth_email_subject": "E-mail is paused: {reason}",
        "ops_auth_email_body": "E-mails are kept and will go out once the SMTP server accepts "
        "them ([email] section, SMTP_USERNAME, SMTP_PASSWORD). Cause: {reason}",
        "ops_down_subject": "Slack is unreachable: {reason}",
        "ops_down_body": "Slack notifications are kept and will go out by themselves once "
        "Slack answers; watchtower tries again up to every 10 min. Cause: {reason}",
        "ops_down_email_subject": "The mail server is unreachable: {reason}",
        "ops_down_email_body": "E-mails are kept and will go out by themselves once the SMTP "
        "server answers; watchtower tries again up to every 10 min. Cause: {reason}",
        "ops_down_service_subject": "Service unreachable: {target}",
        "ops_down_service_body": "Notifications for {target} are kept and will go out by "
        "themselves once it answers; watchtower tries again up to every 10 min. Cause: {reason}",
        "ops_back_service_subject": "{target} works again",
        "ops_back_service_body": "The waiting notifications for {target} are going out.",
        "ops_refused_service_subject": "Address refused: {target} — fix the URL in the "
        "configuration",
        "ops_refused_service_body": "Notifications waiting: {count}. They will go to the new "
        "address after a reload (SIGHUP, or when the file is saved); if the webhook is "
        "restored at the same address, they go out by themselves. Cause: {reason}",
        "ops_refused_channel_subject": "Slack channel closed to the bot: {target}",
        "ops_refused_channel_body": "Notifications waiting: {count}. They will go out by "
        "themselves once the bot can post there; watchtower tries again up to every 10 min. "
        "Cause: {reason}",
        "ops_back_subject": "{kind} works again",
        "ops_back_email_subject": "E-mail delivery works again",
        "ops_back_email_body": "The waiting e-mails are going out.",
        "ops_back_body": "The waiting notifications are going out.",
        "ops_failed_subject": "Notifications lost for {target}",
        "ops_failed_body": "Notifications that could not be delivered to {target} and will "
        "not be retried: {count}. Last error: {reason}",
        "ops_db_full_subject": "The watchtower database is full",
        "ops_db_full_body": "watchtower cannot store anything ({database}): sources are not "
        "read and new mentions wait. Nothing already stored is lost. Free some disk space: "
        "everything resumes by itself, no restart needed. Cause: {reason}",
    },
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "fr": "français",
        "en": "anglais",
        "de": "allemand",
        "es": "espagnol",
        "it": "italien",
        "nl": "néerlandais",
        "pt": "portugais",
    },
    "en": {
        "fr": "French",
        "en": "English",
        "de": "German",
        "es": "Spanish",
        "it": "Italian",
        "nl": "Dutch",
        "pt": "Portuguese",
    },
}
