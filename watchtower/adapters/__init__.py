"""Source adapters; :mod:`watchtower.adapters.registry` lists them."""
