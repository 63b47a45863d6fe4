"""``python -m lambda_psycopg``."""

from __future__ import annotations

import sys

from lambda_psycopg.cli import main

sys.exit(main())
