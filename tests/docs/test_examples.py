"""Every Python example of the documentation and the READMEs runs against a real PostgreSQL
server.

Each page's ```` ```python ```` blocks run in order, in one namespace (a page's examples build
on each other), against ONE PostgreSQL major (the newest selected with ``--pg``), with the
connection parameters in the ``PG*`` environment variables from
``cluster.params("scram-sha-256")`` and ``PGSSLROOTCERT`` the test CA, so that the examples
read naturally (``purepg.connect()``). Pages that start with ``<!-- examples: aws -->`` run
under moto, with the RDS secret ``prod/app-db`` holding the test server's credentials (the
pages say that a real secret is needed). A page that defines a Lambda ``handler(event,
context)`` without calling it gets it called once, with a stand-in context, as the Lambda
runtime would. The READMEs (the root's and each package's, their PyPI pages) are pages too.

Not executed: shell commands (``console`` blocks: the lambda-psycopg build, pip, hatch) and
the few Python blocks written ```` ```{code-block} python ```` with ``:class: no-run``
(they need real AWS resources); `test_only_a_few_python_examples_are_not_run` keeps them few.
"""

from __future__ import annotations

import json
import os
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.cluster import Cluster
from tests.harness.plugin import ClusterPool, selected_majors

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
READMES = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]
NOT_DOCUMENTATION = ("dev", "benchmarks", "_build")  # owned elsewhere / generated
AWS_MARKER = "<!-- examples: aws -->"
SECRET_ID = "prod/app-db"
REGION = "us-east-1"
MAX_NOT_RUN = 3
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass
class Block:
    """One fenced code block of a page."""

    page: str
    line: int
    info: str
    options: list[str]
    code: str

    @property
    def runnable(self) -> bool:
        return self.info == "python"

    @property
    def python_not_run(self) -> bool:
        return self.info == "{code-block} python" and ":class: no-run" in self.options


def code_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a MyST page (directive options split off the code)."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    page = str(path.relative_to(ROOT))
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        fence, info, start = match["fence"], match["info"].strip(), index + 1
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        index += 1
        options = []
        while info.startswith("{") and body and body[0].startswith(":"):
            options.append(body.pop(0).strip())
        blocks.append(Block(page, start, info, options, "\n".join(body) + "\n"))
    return blocks


def documentation_pages() -> list[Path]:
    pages = list(READMES)
    for path in sorted(DOCS.rglob("*.md")):
        if path.relative_to(DOCS).parts[0] not in NOT_DOCUMENTATION:
            pages.append(path)
    return pages


PAGES_WITH_EXAMPLES = [
    path for path in documentation_pages() if any(b.runnable for b in code_blocks(path))
]


def test_pages_with_examples_are_found():
    names = {str(path.relative_to(ROOT)) for path in PAGES_WITH_EXAMPLES}

    assert {"docs/getting-started/purepg.md", "docs/guide/types.md"} <= names
    assert {"docs/guide/lambda.md", "docs/troubleshooting.md"} <= names


def test_every_readme_with_python_has_its_examples_run():
    names = {str(path.relative_to(ROOT)) for path in PAGES_WITH_EXAMPLES}

    assert {"README.md", "packages/purepg/README.md", "packages/pgfacade/README.md"} <= names


def test_only_a_few_python_examples_are_not_run():
    blocks = [block for path in documentation_pages() for block in code_blocks(path)]
    not_run = [f"{b.page}:{b.line}" for b in blocks if b.python_not_run]
    unmarked = [
        f"{b.page}:{b.line}"
        for b in blocks
        if "python" in b.info and not b.runnable and not b.python_not_run
    ]

    assert unmarked == [], "Python blocks must be ```python (run) or carry :class: no-run"
    assert len(not_run) <= MAX_NOT_RUN, not_run


@pytest.fixture(scope="session")
def docs_cluster(request: pytest.FixtureRequest, pg_cluster_pool: ClusterPool) -> Cluster:
    """The server of the newest selected PostgreSQL major (one major for the docs)."""
    return pg_cluster_pool.get(max(selected_majors(request.config)))


@pytest.fixture
def pg_environment(docs_cluster: Cluster, monkeypatch, tmp_path) -> dict[str, str]:
    """PG* variables for the cluster's scram-sha-256 role; nothing else of the caller's."""
    from purepg.conninfo import ENVIRONMENT_VARIABLES

    for name in list(os.environ):
        if name.startswith("PG") or name in ("DATABASE_URL",):
            monkeypatch.delenv(name)
    params = docs_cluster.params("scram-sha-256")
    for keyword, value in params.items():
        variable = ENVIRONMENT_VARIABLES[keyword]
        assert variable is not None, keyword
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("PGSSLROOTCERT", str(docs_cluster.pki.ca_cert))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pgpass or ~/.postgresql of the machine
    monkeypatch.chdir(tmp_path)  # files an example writes land here
    return params


@pytest.fixture
def fresh_pgfacade() -> Iterator[None]:
    """No pgfacade connection, secret or token cached across pages."""
    from pgfacade import aws, lambda_runtime

    lambda_runtime.close_all()
    aws.clear_caches()
    yield
    lambda_runtime.close_all()
    aws.clear_caches()


def _register_sqlalchemy_dialects() -> None:
    try:
        from sqlalchemy.dialects import registry
    except ImportError:
        return
    registry.register("postgresql.purepg", "purepg.sqlalchemy_dialect", "PGDialect_purepg")
    registry.register("postgresql.pgfacade", "pgfacade.sqlalchemy_dialect", "PGDialect_pgfacade")


def _aws_secret(params: dict[str, str], monkeypatch) -> Any:
    """moto, with the RDS secret the examples read."""
    moto = pytest.importorskip("moto", reason="moto is not installed in this environment")
    import boto3

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_REGION", REGION),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    mock = moto.mock_aws()
    mock.start()
    secret = {
        "engine": "postgres",
        "username": params["user"],
        "password": params["password"],
        "host": params["host"],
        "port": int(params["port"]),
        "dbname": params["dbname"],
    }
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET_ID, SecretString=json.dumps(secret)
    )
    return mock


class LocalContext:
    """A stand-in for the Lambda context: the one method pgfacade uses."""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def defines_an_uncalled_handler(source: str) -> bool:
    """The page defines ``handler(event, context)`` and never calls it itself."""
    defines = re.search(r"^def handler\(event, context\):", source, re.MULTILINE)
    calls = re.search(r"^(?!def ).*\bhandler\(", source, re.MULTILINE)
    return defines is not None and calls is None


@pytest.mark.parametrize(
    "page", PAGES_WITH_EXAMPLES, ids=[str(p.relative_to(ROOT)) for p in PAGES_WITH_EXAMPLES]
)
def test_page_examples_run(page, pg_environment, fresh_pgfacade, monkeypatch):
    blocks = [block for block in code_blocks(page) if block.runnable]
    source = "\n".join(block.code for block in blocks)
    if "sqlalchemy" in source:
        pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed in this environment")
        _register_sqlalchemy_dialects()
    mock = None
    if page.read_text(encoding="utf-8").startswith(AWS_MARKER):
        mock = _aws_secret(pg_environment, monkeypatch)
    # A real module, as if the page were a script: libraries that look classes' modules up
    # (SQLAlchemy's ORM, dataclasses) find it.
    module = types.ModuleType(f"docs_example_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    try:
        for block in blocks:
            # dont_inherit: not this test module's `from __future__ import annotations`
            code = compile(block.code, f"{block.page}:{block.line}", "exec", dont_inherit=True)
            exec(code, module.__dict__)
        if defines_an_uncalled_handler(source):
            module.handler({"id": 1}, LocalContext())
    finally:
        if mock is not None:
            mock.stop()
