"""A large result: every one of 100k rows arrives intact."""

from __future__ import annotations

import hashlib

LARGE_ROWS = 100_000


def test_large_result_returns_every_row_intact(conn):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT g, md5(g::text) FROM generate_series(1, %s) AS g ORDER BY g", (LARGE_ROWS,)
        )
        rows = cur.fetchall()
        digest = hashlib.md5("".join(label for _, label in rows).encode()).hexdigest()
        cur.execute(
            "SELECT md5(string_agg(md5(g::text), '' ORDER BY g)) FROM generate_series(1, %s) AS g",
            (LARGE_ROWS,),
        )
        assert (len(rows), sum(n for n, _ in rows), digest) == (
            LARGE_ROWS,
            LARGE_ROWS * (LARGE_ROWS + 1) // 2,
            cur.fetchone()[0],
        )
