"""Notifiers: Slack, e-mail, console; :mod:`watchtower.notify.registry` lists them."""
