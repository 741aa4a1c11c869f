"""The files a reload reads, and the hash that tells whether they changed.

The config file and the rule packs it includes (:func:`pack_files`) are hashed
together (:func:`content_hash`): :class:`~watchtower.reload.Reloader` compares
that hash with the one it applied, and the time a file was saved
(:func:`saved_at`) names the ops notices, the same for every replica.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from watchtower import packs
from watchtower.config import LoadedConfig, load_config
from watchtower.errors import ConfigError

__all__ = ["content_hash", "loaded_hash", "pack_files", "read_text", "saved_at"]


def pack_files(config_text: str) -> list[Path]:
    """The files of the rule packs a config text includes (those on disk)."""
    try:
        includes = tomllib.loads(config_text).get("include", [])
    except tomllib.TOMLDecodeError:
        return []
    if not isinstance(includes, list):
        return []
    folder = packs._folder()
    found = []
    for name in includes:
        if isinstance(name, str):
            path = Path(str(folder / f"{name}.toml"))
            if path.is_file():
                found.append(path.resolve())
    return found


def read_text(path: Path) -> str:
    """The file's text as far as it can be read (a Latin-1 file too: it is hashed, then refused)."""
    try:
        return path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    except OSError:
        return ""


def content_hash(config_path: Path) -> str:
    """Hash of the config file's bytes and of every pack it includes (what a reload
    would read). Bytes, not text: two different unreadable files differ."""
    digest = hashlib.sha256()
    try:
        data = config_path.read_bytes()
    except OSError:
        return "unreadable"
    digest.update(data)
    for path in pack_files(data.decode("utf-8", "replace").removeprefix("\ufeff")):
        digest.update(b"\0" + path.read_bytes())
    return digest.hexdigest()


def loaded_hash(loaded: LoadedConfig) -> str:
    """:func:`content_hash` of the file ``loaded`` was read from, or ``""`` when the
    file no longer gives that configuration.

    The daemon reads its config, then starts (migrations, sources: seconds, or
    minutes waiting for a locked database) before the reloader exists. Hashing
    the file then took an edit saved meanwhile for the running config, and it
    was never applied. The file is read again here, between two hashes (an edit
    during this read is not taken for the content either): the same settings,
    and the hash is the loaded content's; other settings, a broken file or a
    file gone, and ``""`` has the first check reload it.
    """
    before = content_hash(loaded.path)
    # Packs are cached per process: a pack edited since must be read again.
    for cached in (packs.load_pack, packs.pack_names, packs.vocabularies):
        cached.cache_clear()
    try:
        again = load_config(loaded.path)
    except ConfigError:
        return ""
    if again.config != loaded.config or content_hash(loaded.path) != before:
        return ""
    return before


def saved_at(path: Path) -> str:
    """When the file was last written or replaced (the same for every replica reading it)."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return f"{stat.st_mtime_ns}:{stat.st_ctime_ns}"
