"""purepg: a pure-Python PostgreSQL driver (DB-API 2.0) with a sans-IO protocol core."""

__version__ = "0.1.0"
