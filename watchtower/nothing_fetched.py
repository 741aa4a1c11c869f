"""Why a config leaves ``run --once`` no source to fetch, in one line.

``run --once`` is for cron and timers: a run that fetched nothing must not look
like a run that found nothing. Every enabled source still a placeholder
(:mod:`watchtower.placeholders`: the untouched ``watchtower init`` example) is a
config to edit, and ``run --once`` exits 2 as for an invalid config: running it
again changes nothing. No enabled source at all (no ``[[sources]]``, or each
``enabled = false``) is the operator's own choice, a run that only delivers
what waits in the outbox (after a crash, with the sources paused): the run says
so and its exit status is what the delivery made it.

The daemon (``run``) keeps running in both cases and polls a source as soon as a
reload brings a real one (:mod:`watchtower.poll_placeholders` says it once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchtower.placeholders import Placeholder, placeholder_names

if TYPE_CHECKING:
    from watchtower.adapters.base import SourceSettings

__all__ = ["NothingFetched", "listed_names", "nothing_fetched"]

#: Source names a line lists before "and N more".
SHOWN_NAMES = 8


@dataclass(frozen=True, slots=True)
class NothingFetched:
    """Why no source of a config is fetched."""

    #: One line for the operator, naming the sources and the file to edit.
    message: str
    #: The config must be edited (placeholders); else nothing was meant to be fetched.
    config_to_edit: bool


def nothing_fetched(sources: Sequence[SourceSettings], config: str) -> NothingFetched | None:
    """Why ``run --once`` with ``sources`` (those of the file ``config``) fetches
    no source; ``None`` when it fetches one or more."""
    enabled = [source for source in sources if source.enabled]
    held = placeholder_names(enabled)
    if len(held) < len(enabled):
        return None
    if held:
        them = "it" if len(held) == 1 else "them"
        return NothingFetched(
            f"no source fetched: {_placeholders_text(held)}; edit {them} in {config}",
            config_to_edit=True,
        )
    only_delivered = "the run only delivered waiting notifications"
    if len(sources) == 1:
        paused = f"the source of {config} is paused (enabled = false: {sources[0].name})"
    elif sources:
        names = listed_names([source.name for source in sources])
        paused = f"all {len(sources)} sources of {config} are paused (enabled = false: {names})"
    else:
        paused = f"{config} has no [[sources]]"
    return NothingFetched(f"no source fetched: {paused}; {only_delivered}", config_to_edit=False)


#: What the placeholder sources still have, for one source and for several: all
#: the example's values, all hosts reserved for documentation, or both kinds.
_STILL = {
    (True, False): ("the example's placeholder address", "the example's placeholder addresses"),
    (False, True): ("a host reserved for documentation", "hosts reserved for documentation"),
    (True, True): ("", "placeholder addresses, the example's or reserved for documentation"),
}


def _placeholders_text(held: dict[str, Placeholder]) -> str:
    """``"2 sources still have the example's placeholder addresses (a, b)"``:
    how many of ``held`` (:func:`~watchtower.placeholders.placeholder_names`),
    which placeholders, and their names."""
    kinds = (any(f.example for f in held.values()), any(not f.example for f in held.values()))
    one, several = _STILL[kinds]
    if len(held) == 1:
        return f"1 source still has {one} ({listed_names(list(held))})"
    return f"{len(held)} sources still have {several} ({listed_names(list(held))})"


def listed_names(names: list[str]) -> str:
    """``"a, b, c"``, or the first :data:`SHOWN_NAMES` and ``"and N more"``."""
    shown = ", ".join(names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown
