"""watchtower: a brand-mention monitoring daemon.

Sources (feeds, forums, reviews, e-mail digests) → match brands and rules →
Slack and e-mail notifications through a persistent outbox.
"""

from __future__ import annotations

#: The one place the version is written: the package metadata reads it at build
#: time (pyproject.toml, ``[tool.setuptools.dynamic]``), and the daemon reports it
#: in its start log line, its heartbeat row (``watchtower status``), ``/metrics``
#: (``watchtower_build_info``), its User-Agent and ``watchtower --version``. Read
#: from the code, not from installed metadata, so a source checkout or an editable
#: install never reports a stale number. Bump it for each release (semantic
#: versioning: a new migration or config key is at least a minor version).
__version__ = "0.10.0"

__all__ = ["__version__"]
