"""What ``watchtower --help`` and each command's ``--help`` say beyond the options:
the exit status table and examples, and the formatter that keeps them laid out."""

from __future__ import annotations

import argparse

__all__ = ["EXAMPLES", "EXIT_CODES", "HelpFormatter"]


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-line paragraphs (descriptions); keeps those already laid out
    (examples, the exit status table) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        fill = super()._fill_text
        return "\n\n".join(
            paragraph if "\n" in paragraph else fill(paragraph, width, indent)
            for paragraph in text.split("\n\n")
        )


EXIT_CODES = """exit status:
  0  ok
  1  a failure: the database is unreachable or missing (status), or a migration
     failed; the [watchtower] http address cannot be used; run --once: a source
     failed or a notification was not delivered; status --live: the daemon is
     not live; status: no watchtower seen polling recently while the config has
     sources to poll, or the disk holding a SQLite database is full
  2  invalid configuration or usage (status still shows the database's side);
     run --once: every enabled source is still a placeholder (nothing fetched)
  3  the database schema is newer than this watchtower (migrated by a newer
     version): run the newer version, or `watchtower db downgrade` with it;
     systemd does not restart the service for it"""

#: Examples shown at the end of each command's ``--help``.
EXAMPLES = {
    "": """examples:
  watchtower init                 # writes ./watchtower.toml, the documented example
  watchtower check --config /etc/watchtower/watchtower.toml
  watchtower run --config /etc/watchtower/watchtower.toml
  watchtower status --config /etc/watchtower/watchtower.toml
  watchtower demo
  watchtower --version

Every command that reads a config takes --config PATH (default:
$WATCHTOWER_CONFIG, else ./watchtower.toml); WATCHTOWER_DATABASE_URL overrides
its database_url. Secrets come from the environment: SLACK_BOT_TOKEN,
SMTP_USERNAME, SMTP_PASSWORD. Logs go to stderr.
`watchtower COMMAND --help` shows a command's options and examples.""",
    "init": """examples:
  watchtower init                          # ./watchtower.toml (or $WATCHTOWER_CONFIG)
  watchtower init /etc/watchtower/watchtower.toml
  watchtower init - > watchtower.toml      # to standard output
  docker run --rm watchtower init - > watchtower.toml

Writes config.example.toml as shipped with this watchtower: every key
explained, with its default; its sources are placeholders that `watchtower
check` names until they are replaced. An existing file is never replaced
(exit 2) unless --force; a file that cannot be written (a missing folder, no
permission) exits 1.""",
    "run": """examples:
  watchtower run --config /etc/watchtower/watchtower.toml
  watchtower run --once --log-level WARNING     # from cron: status 1 if anything failed
  watchtower run --log-format json              # JSON lines for a log shipper

The daemon re-reads its config when the file changes and on SIGHUP
(systemctl reload), and stops cleanly on SIGTERM or Ctrl-C.""",
    "check": """examples:
  watchtower check --config watchtower.toml
  WATCHTOWER_CONFIG=/etc/watchtower/watchtower.toml watchtower check

Prints every problem as FILE:LINE: key: message (exit 2), then warnings about
what is valid but probably not meant (exit 0).""",
    "status": """examples:
  watchtower status --config /etc/watchtower/watchtower.toml
  watchtower status --json | jq '.sources[] | select(.state == "failing")'
  watchtower status --live     # Docker HEALTHCHECK: exit 0 only if the daemon is live

Reads only: never creates, migrates or writes the database. Whether the daemon
runs comes from the heartbeat each watchtower process records in the database
(each replica with its host, pid, version, up since and last seen, its last
poll round, a config file it refused; a warning when the running replicas run
different versions), and from its /livez when [watchtower] http is set.
Sources needing a look come first (failing, with since when; silent; never
checked); beyond 20 sources only those are listed (--all lists every one).""",
    "schema": """examples:
  watchtower schema -o watchtower.schema.json
then put `#:schema ./watchtower.schema.json` as the first line of watchtower.toml.""",
    "demo": """examples:
  watchtower demo
  watchtower demo --verbose --duration 60""",
    "db": """examples:
  watchtower db upgrade --config /etc/watchtower/watchtower.toml
  watchtower db backup /var/backups/watchtower/ --config /etc/watchtower/watchtower.toml
  watchtower db vacuum --config /etc/watchtower/watchtower.toml
  watchtower db copy sqlite:////var/lib/watchtower/watchtower.db -c /etc/watchtower/watchtower.toml
  watchtower db downgrade 0004 --config /etc/watchtower/watchtower.toml

backup, restore, vacuum and copy have exit statuses of their own: see
`watchtower db ACTION --help`.""",
    "upgrade": """examples:
  watchtower db upgrade --config /etc/watchtower/watchtower.toml""",
    "downgrade": """examples:
  watchtower db downgrade 0004 --config /etc/watchtower/watchtower.toml""",
    "test-rule": """examples:
  watchtower test-rule crise --text "Acmé, quelle arnaque"
  watchtower test-rule --query 'arnaque OR escroquerie' --file article.txt
  watchtower test-rule crise --stored --since 7d""",
    "noise": """examples:
  watchtower noise
  watchtower noise --since 7d --json | jq '.reports[] | select(.share > 0.2)'

Reads only. An alert is "not relevant" once someone put 🚫, ❌ or 👎 on its
Slack message (the daemon reads the reactions of the alerts it posted, 30
minutes to 48 hours after posting). Paste the suggestion into the brand or
rule, then replay the stored items with the test-rule command it shows.""",
}
