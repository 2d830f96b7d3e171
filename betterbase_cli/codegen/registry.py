"""Register generated routers in the project's router registry (``app/routes/__init__.py``)
with libcst, keeping the user's formatting; running it again adds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from betterbase_cli.codegen import auth_edits
from betterbase_cli.errors import SchemaParseError, SourceError

if TYPE_CHECKING:
    import libcst as cst


def _parse(path: Path, text: str) -> cst.Module:
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise SchemaParseError(
            path,
            exc.raw_line,
            exc.raw_column + 1,
            "cannot parse the router registry",
            hint="fix the syntax error, then run the command again",
        ) from None


def register_routers(
    path: Path,
    text: str,
    package: str,
    modules: Sequence[str],
    prefix: str,
    line_length: int = 100,
    routes_module: str | None = None,
) -> str:
    """The registry with ``from <routes package> import <module>`` and
    ``<router>.include_router(<module>.router)`` for each module not yet registered, and the
    ``APIRouter(prefix=...)`` set to ``prefix`` (betterbase.toml's [api] prefix)."""
    import libcst as cst

    tree = _parse(path, text)
    router_name: str | None = None
    last_include: int | None = None
    registered: set[str] = set()
    body = list(tree.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and isinstance(small.value, cst.Call)
                and auth_edits.dotted(small.value.func).split(".")[-1] == "APIRouter"
                and isinstance(small.targets[0].target, cst.Name)
                and router_name is None
            ):
                router_name = small.targets[0].target.value
                last_include = index if last_include is None else last_include
                body[index] = statement.with_changes(
                    body=[_with_prefix(s, prefix) if s is small else s for s in statement.body]
                )
            if (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and auth_edits.dotted(small.value.func).endswith(".include_router")
            ):
                last_include = index
                if small.value.args:
                    target = auth_edits.dotted(small.value.args[0].value)
                    if target.endswith(".router"):
                        registered.add(target.removesuffix(".router"))
    if router_name is None or last_include is None:
        raise SourceError(
            path,
            1,
            1,
            "no `api_router = APIRouter(...)` found",
            hint="keep the router registry of the blueprint, or register the generated "
            "routers yourself with include_router",
        )
    missing = [m for m in sorted(modules) if m not in registered]
    for offset, module in enumerate(missing):
        include = cst.parse_statement(f"{router_name}.include_router({module}.router)\n")
        body.insert(last_include + 1 + offset, include)
    tree = tree.with_changes(body=body)
    routes_package = routes_module or f"{package}.routes"
    if missing:
        merged = _merge_import(tree, routes_package, missing, line_length)
        if merged is not None:
            tree = merged
        else:
            tree = auth_edits.ensure_import(tree, routes_package, missing, package, line_length)
    code: str = tree.code
    return code


def _merge_import(
    tree: cst.Module, module: str, names: Sequence[str], line_length: int = 100
) -> cst.Module | None:
    """Add ``names`` to an existing ``from module import ...`` in place (sorted, keeping its
    comments and layout); None when there is no such import to extend."""
    import libcst as cst

    body = list(tree.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if (
            not isinstance(small, cst.ImportFrom)
            or small.relative
            or auth_edits.dotted(small.module) != module
            or isinstance(small.names, cst.ImportStar)
        ):
            continue
        aliases = list(small.names)
        present = {auth_edits.dotted(a.name) for a in aliases}
        new = [cst.ImportAlias(name=cst.Name(n)) for n in names if n not in present]
        if not new:
            return tree
        multiline = small.lpar is not None and "\n" in tree.code_for_node(statement)
        combined = sorted([*aliases, *new], key=lambda a: auth_edits.dotted(a.name).lower())
        if multiline:
            separator = aliases[0].comma if aliases and aliases[0].comma else None
            last = aliases[-1].comma
            combined = [
                a.with_changes(comma=separator or cst.MaybeSentinel.DEFAULT) for a in combined
            ]
            combined[-1] = combined[-1].with_changes(comma=last)
        else:
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            combined = [a.with_changes(comma=comma) for a in combined[:-1]] + [
                combined[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            ]
        line = statement.with_changes(body=[small.with_changes(names=combined)])
        if not multiline and len(tree.code_for_node(line).splitlines()[-1]) > line_length:
            # Too long for one line: the parenthesised form ruff's isort writes.
            text = auth_edits.render_from_import(
                module, [(auth_edits.dotted(a.name), None) for a in combined], line_length, True
            )
            wrapped = cst.parse_statement(text + "\n")
            assert isinstance(wrapped, cst.SimpleStatementLine)
            line = wrapped.with_changes(
                leading_lines=statement.leading_lines,
                trailing_whitespace=statement.trailing_whitespace,
            )
        body[index] = line
        return tree.with_changes(body=body)
    return None


def _with_prefix(small: cst.BaseSmallStatement, prefix: str) -> cst.BaseSmallStatement:
    """The ``APIRouter(...)`` assignment with ``prefix=`` equal to ``prefix``."""
    import libcst as cst

    assert isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
    call = small.value
    literal = cst.SimpleString(
        repr(prefix).replace("'", '"') if '"' not in prefix else repr(prefix)
    )
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "prefix":
            current = arg.value
            if isinstance(current, cst.SimpleString) and current.evaluated_value == prefix:
                return small
            args[index] = arg.with_changes(value=literal)
            return small.with_changes(value=call.with_changes(args=args))
    if not prefix:
        return small
    new_arg = cst.Arg(
        keyword=cst.Name("prefix"),
        value=literal,
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    if args:
        args[-1] = args[-1].with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    return small.with_changes(value=call.with_changes(args=[*args, new_arg]))
