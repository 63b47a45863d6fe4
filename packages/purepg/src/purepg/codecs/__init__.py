"""Conversion between PostgreSQL wire values and Python objects.

`registry.Registry` maps type OIDs and Python types to the codec functions of one module per
type family (`numeric`, `text`, `binary`, `datetime`, ...), imported on first use.
"""
