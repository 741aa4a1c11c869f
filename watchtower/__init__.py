"""watchtower: a brand-mention monitoring daemon.

Sources (feeds, forums, reviews, e-mail digests) → match brands and rules →
Slack and e-mail notifications through a persistent outbox.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
