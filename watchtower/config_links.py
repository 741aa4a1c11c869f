"""The symlinks between the config path the operator gave and the file it reads.

A Kubernetes ConfigMap mounts ``watchtower.toml -> ..data/watchtower.toml`` and
``..data -> ..2026_11_27_…``; an update writes a new ``..2026_…`` folder,
renames a new ``..data`` link over the old one and deletes the old folder. A
deploy tool swaps a ``current`` link above the file (``ln -sfn``). Neither
touches the file the daemon read at start: the change is a link in the chain.

So the reloader reads the path as given (resolved at each read, never at start),
and its watcher watches the folder of every link on the way
(:func:`link_chain`), re-computed after each change. An entry is named by its
folder, resolved, and its own name, not followed (:func:`entry`): a change
event names the link itself, not what it points at.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["entry", "link_chain", "watch_folders", "where"]

#: As the kernel (``ELOOP``): a loop of links ends the chain instead of spinning.
MAX_LINKS = 40


def entry(path: Path | str) -> Path:
    """The directory entry ``path`` names: its folder resolved, its last part as is."""
    path = Path(path).absolute()
    return path.parent.resolve() / path.name


def link_chain(path: Path) -> list[Path]:
    """Every entry whose change changes what ``path`` reads: each symlink met while
    resolving it (the file's own, a ``..data`` or a ``current`` folder link), in
    order, then the file at the end (which may not exist).

    Each entry is as :func:`entry` names it, so an event's path can be compared.
    """
    chain: list[Path] = []
    current = Path(path.absolute().anchor)
    todo = list(path.absolute().parts[1:])
    links = 0
    while todo:
        name = todo.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            current = current.parent
            continue
        step = current / name
        if links < MAX_LINKS and step.is_symlink():
            links += 1
            chain.append(step)
            try:
                target = Path(os.readlink(step))
            except OSError:  # replaced between the two calls: the next check sees it
                current = step
                continue
            if target.is_absolute():
                current = Path(target.anchor)
                todo = [*target.parts[1:], *todo]
            else:
                todo = [*target.parts, *todo]
            continue
        current = step
    chain.append(current)
    return chain


def watch_folders(chain: list[Path]) -> set[Path]:
    """The folders to watch (not recursively) for a change to any entry of ``chain``:
    each entry's folder that exists now (a deleted version's folder does not)."""
    return {link.parent for link in chain if link.parent.is_dir()}


def where(path: Path) -> dict[str, str]:
    """Log fields naming the config: the path the operator gave, and the file it
    leads to now when that is elsewhere (a symlink), which says which version ran."""
    fields = {"config": str(path)}
    target = link_chain(path)[-1]
    if target != entry(path):
        fields["target"] = str(target)
    return fields
