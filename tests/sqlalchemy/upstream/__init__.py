"""SQLAlchemy's own test suites (from its sdist) on ``postgresql+purepg`` and ``+pgfacade``.

``python -m tests.sqlalchemy.upstream.run`` downloads the sdist matching the installed
SQLAlchemy, starts a PostgreSQL cluster and runs the suites with SQLAlchemy's pytest plugin,
`requirements.Requirements` and `plugin`.
"""
