"""Backends: each makes one driver follow the facade's contract (types, errors, paramstyle)."""
