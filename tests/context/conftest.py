"""Fixtures of the context tests: a sample project on disk, and a scanner over inline modules."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from context.sample_project import write_sample_project

from betterbase_cli.context import routes


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A 6-table project with a router per table, auth in every style; every AI target on."""
    root = tmp_path / "sample"
    write_sample_project(root, tables=6)
    return root


Scan = Callable[..., routes.RouteScan]


@pytest.fixture
def scan() -> Scan:
    """scan({"app/main.py": source, ...}) -> the linked routes of those modules."""

    def run(modules: dict[str, str], package: str = "app") -> routes.RouteScan:
        scans = [routes.scan_module(textwrap.dedent(src), rel) for rel, src in modules.items()]
        return routes.link_routes(scans, package)

    return run
