"""Pipeline stages between an adapter's items and the outbox."""
