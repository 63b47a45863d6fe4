"""pgfacade: one connect() for AWS Lambda handlers over a static psycopg2 or purepg."""

__version__ = "0.1.0"
