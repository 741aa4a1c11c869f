"""Database engine, tables and queries."""
