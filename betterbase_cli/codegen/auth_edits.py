"""libcst edits `bb auth setup` makes to user modules, keeping their formatting: merge an import
the way isort and ruff write it, and find classes by their ``__tablename__``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY = range(4)


def section(module: str, first_party: str) -> int:
    root = module.split(".")[0]
    if root == "__future__":
        return FUTURE
    if root == first_party:
        return FIRST_PARTY
    if root in sys.stdlib_module_names:
        return STDLIB
    return THIRD_PARTY


def dotted(node: cst.BaseExpression | None) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def _member_key(name: str) -> tuple[int, str]:
    # ruff's isort `order-by-type`: CONSTANTS, then Classes, then everything else.
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower()


def render_from_import(
    module: str, names: Sequence[tuple[str, str | None]], line_length: int, wrap: bool = False
) -> str:
    parts = [f"{n} as {a}" if a else n for n, a in sorted(names, key=lambda x: _member_key(x[0]))]
    one_line = f"from {module} import {', '.join(parts)}"
    if not wrap and len(one_line) <= line_length:
        return one_line
    inner = "".join(f"    {p},\n" for p in parts)
    return f"from {module} import (\n{inner})"


def _import_info(
    statement: cst.BaseStatement, first_party: str
) -> tuple[int, tuple[int, str, int]] | None:
    """(section, sort key) of a top-level import statement, None for anything else."""
    import libcst as cst

    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Import):
        module = dotted(small.names[0].name)
        return section(module, first_party), (0, module.lower(), 0)
    if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
        module = dotted(small.module)
        return section(module, first_party), (1, module.lower(), int(_has_alias(small)))
    return None


def _has_alias(node: cst.ImportFrom) -> bool:
    """isort keeps `from m import a as b` on a line of its own, after `from m import ...`."""
    import libcst as cst

    return not isinstance(node.names, cst.ImportStar) and any(
        alias.asname is not None for alias in node.names
    )


def ensure_import(
    tree: cst.Module,
    module: str,
    names: Sequence[str],
    first_party: str,
    line_length: int,
) -> cst.Module:
    """Make ``from module import names`` (or ``import module`` when names is empty) present,
    merging into an existing import of the module and placing a new one where isort would."""
    import libcst as cst

    body = list(tree.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if not names and isinstance(small, cst.Import):
            if any(dotted(alias.name) == module and alias.asname is None for alias in small.names):
                return tree
        if (
            names
            and isinstance(small, cst.ImportFrom)
            and not small.relative
            and dotted(small.module) == module
            and not isinstance(small.names, cst.ImportStar)
            and not _has_alias(small)
        ):
            present: list[tuple[str, str | None]] = []
            for alias in small.names:
                asname = alias.asname
                as_text = (
                    dotted(asname.name)
                    if asname is not None and isinstance(asname.name, cst.BaseExpression)
                    else None
                )
                present.append((dotted(alias.name), as_text))
            missing = [n for n in names if (n, None) not in present]
            if not missing:
                return tree
            wrapped = small.lpar is not None and "\n" in tree.code_for_node(statement)
            text = render_from_import(
                module, present + [(n, None) for n in missing], line_length, wrapped
            )
            new = cst.parse_statement(text + "\n")
            body[index] = new.with_changes(leading_lines=statement.leading_lines)
            return tree.with_changes(body=body)

    if names:
        text = render_from_import(module, [(n, None) for n in names], line_length)
    else:
        text = f"import {module}"
    new_statement = cst.parse_statement(text + "\n")
    new_section = section(module, first_party)
    new_key = (1 if names else 0, module.lower(), 0)
    infos = [_import_info(s, first_party) for s in body]
    same_keys = {
        i: info[1] for i, info in enumerate(infos) if info is not None and info[0] == new_section
    }
    same = sorted(same_keys)
    blank = cst.EmptyLine()
    if same:
        after = [i for i in same if same_keys[i] > new_key]
        if after:
            position = after[0]
            # The new line takes over the blank lines above the one it now precedes.
            new_statement = new_statement.with_changes(leading_lines=body[position].leading_lines)
            body[position] = body[position].with_changes(leading_lines=[])
        else:
            position = same[-1] + 1
        body.insert(position, new_statement)
        return tree.with_changes(body=body)
    earlier = [i for i, info in enumerate(infos) if info is not None and info[0] < new_section]
    later = [i for i, info in enumerate(infos) if info is not None and info[0] > new_section]
    if earlier:
        position = earlier[-1] + 1
        new_statement = new_statement.with_changes(leading_lines=[blank])
    elif later:
        position = later[0]
        new_statement = new_statement.with_changes(leading_lines=body[position].leading_lines)
        body[position] = body[position].with_changes(leading_lines=[blank])
    else:
        # No imports at all: after the module docstring, if there is one.
        position = 1 if body and _is_docstring(body[0]) else 0
        new_statement = new_statement.with_changes(leading_lines=[blank] if position else [])
        if position < len(body):
            body[position] = body[position].with_changes(leading_lines=[blank])
    body.insert(position, new_statement)
    return tree.with_changes(body=body)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    import libcst as cst

    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def tablenames(tree: cst.Module) -> dict[str, str]:
    """class name -> ``__tablename__`` of every top-level class that sets one."""
    import libcst as cst

    found: dict[str, str] = {}
    for statement in tree.body:
        if not isinstance(statement, cst.ClassDef):
            continue
        for item in statement.body.body:
            if not isinstance(item, cst.SimpleStatementLine):
                continue
            for small in item.body:
                target = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                if (
                    isinstance(target, cst.Name)
                    and target.value == "__tablename__"
                    and isinstance(value, cst.SimpleString)
                ):
                    evaluated = value.evaluated_value
                    if isinstance(evaluated, str):
                        found[statement.name.value] = evaluated
    return found


def class_names(tree: cst.Module) -> set[str]:
    import libcst as cst

    return {s.name.value for s in tree.body if isinstance(s, cst.ClassDef)}


def declarative_base(tree: cst.Module) -> str | None:
    """The name of the class that subclasses DeclarativeBase (the blueprint calls it Base)."""
    import libcst as cst

    for statement in tree.body:
        if isinstance(statement, cst.ClassDef):
            for arg in statement.bases:
                if dotted(arg.value).split(".")[-1] in ("DeclarativeBase", "DeclarativeBaseNoMeta"):
                    return statement.name.value
    return None
