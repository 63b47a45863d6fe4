"""lambda_psycopg: build psycopg2 statically linked to libpq and OpenSSL for AWS Lambda."""

__version__ = "0.1.0"
