"""The ops notice of a SQLite file deleted or replaced under the daemon.

:mod:`watchtower.storage.sqlite_file` sees it (the main file, its ``-wal`` or
its ``-shm``) and refuses every write from then on, the outbox included: the
notice is sent by the ``ops_notify`` notifiers themselves
(:mod:`watchtower.ops_direct`), once per process, in the config's language, with
what the operator does now (put the copy the daemon saved in place, or restore
a backup).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from watchtower.catalogue_text import catalogue_text
from watchtower.ops_direct import send_direct
from watchtower.storage.outbox_queries import notice_payload
from watchtower.storage.sqlite_file import DatabaseFileLost

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = ["LOST_TEXT", "LostFileNotice", "file_lost"]

log = logging.getLogger("watchtower.database")

#: The notice ({file}: the file deleted or replaced, the database's path, its
#: ``-wal`` or its ``-shm``; {path}: the database's path; {saved}: the copy the daemon wrote, or
#: what to restore instead).
LOST_TEXT: dict[str, dict[str, str]] = {
    "subject": {
        "en": "watchtower stopped: its database file was deleted or replaced",
        "fr": "watchtower arrêté : son fichier de base de données a été supprimé ou remplacé",
    },
    "body": {
        "en": "The file {file} was deleted or replaced while watchtower ran. Nothing is "
        "polled or sent any more (it would be lost with the old file). {saved}",
        "fr": "Le fichier {file} a été supprimé ou remplacé pendant que watchtower tournait. "
        "Plus rien n'est relevé ni envoyé (ce serait perdu avec l'ancien fichier). {saved}",
    },
    "saved": {
        "en": "A copy of it as watchtower last wrote it is in {saved}: stop watchtower, "
        "move that copy to {path}, then start watchtower again.",
        "fr": "Une copie, telle que watchtower l'a écrite en dernier, est dans {saved} : "
        "arrêtez watchtower, remettez cette copie à la place de {path}, puis relancez-le.",
    },
    "restore": {
        "en": "No copy could be saved: stop watchtower, restore {path} from your last "
        "backup, then start it again (on an empty database it would announce recent "
        "items again).",
        "fr": "Aucune copie n'a pu être enregistrée : arrêtez watchtower, restaurez {path} "
        "depuis votre dernière sauvegarde, puis relancez-le (sur une base vide, il "
        "annoncerait de nouveau les mentions récentes).",
    },
}


def file_lost(exc: BaseException) -> DatabaseFileLost | None:
    """The :class:`DatabaseFileLost` ``exc`` is, or was raised from (None: another error)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, DatabaseFileLost):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class LostFileNotice:
    """Tells ``ops_notify`` once per process that the database file was lost."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._told = False

    def failed(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the file was deleted or replaced; if so, tell ops (once)."""
        lost = file_lost(exc)
        if lost is None:
            return False
        with self._lock:
            first, self._told = not self._told, True
        if first:
            self._tell(lost)
        return True

    def _tell(self, lost: DatabaseFileLost) -> None:
        config = self.app.loaded.config
        if not config.watchtower.ops_notify:
            log.error("database file lost: no ops_notify target, nobody is told")
            return
        lang = config.watchtower.language
        fields = {"path": lost.path, "file": lost.file, "saved": lost.saved or ""}
        then = catalogue_text(LOST_TEXT, "saved" if lost.saved else "restore", fields, lang)
        payload = notice_payload(
            catalogue_text(LOST_TEXT, "subject", fields, lang),
            catalogue_text(LOST_TEXT, "body", {**fields, "saved": then}, lang),
            "critical",
        )
        send_direct(self.app, payload, "database file lost", lost.hint)
