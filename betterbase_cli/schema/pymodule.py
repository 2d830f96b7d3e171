"""One models file parsed with `ast`: its classes, module-level names and what each name imports."""

from __future__ import annotations

import ast
import builtins
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from betterbase_cli.errors import SchemaParseError

_BUILTINS = frozenset(dir(builtins))


def module_name(rel_path: str) -> str:
    """The dotted module name of a project path (``app/db/schema.py`` -> ``app.db.schema``).

    A leading ``src/`` is dropped, as a src-layout project imports without it.
    """
    parts = rel_path.split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    last = parts[-1]
    if last.endswith(".py"):
        last = last[:-3]
    parts[-1] = last
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p)


@dataclass(frozen=True, eq=False)
class ModelsModule:
    """What bb needs from one file; pure data, so it can be cached by the text's hash."""

    rel_path: str
    module: str
    sha256: str
    tree: ast.Module = field(repr=False)
    # local name -> qualified name ("S" -> "sqlalchemy.String", "sa" -> "sqlalchemy")
    imports: dict[str, str] = field(default_factory=dict, repr=False)
    # modules imported with `from X import *`
    star_imports: tuple[str, ...] = ()
    classes: dict[str, ast.ClassDef] = field(default_factory=dict, repr=False)
    # module-level `NAME = value` (the last one wins, as at run time)
    assigns: dict[str, ast.expr] = field(default_factory=dict, repr=False)
    # module-level statements in order (for Table(...) objects)
    statements: tuple[ast.stmt, ...] = field(default=(), repr=False)
    # absolute names of every module imported (the reader follows those inside the project)
    imported_modules: tuple[str, ...] = ()

    @property
    def is_package(self) -> bool:
        return self.rel_path.endswith("__init__.py")

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified name a Name/Attribute refers to, or None when it is not a plain name."""
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.imports:
                return self.imports[name]
            if name in self.classes or name in self.assigns:
                return f"{self.module}.{name}"
            for star in self.star_imports:
                if star.startswith("sqlalchemy"):
                    return f"{star}.{name}"
            if name in _BUILTINS:
                return f"builtins.{name}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr}" if base is not None else None
        return None


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module statements, looking into `if`/`try` blocks (TYPE_CHECKING imports, fallbacks)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _top_level(stmt.body)
            yield from _top_level(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top_level(stmt.body)
            for handler in stmt.handlers:
                yield from _top_level(handler.body)
            yield from _top_level(stmt.orelse)
            yield from _top_level(stmt.finalbody)
        else:
            yield stmt


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    base = ".".join(package)
    if name:
        return f"{base}.{name}" if base else name
    return base


@lru_cache(maxsize=256)
def _parse(text: str, rel_path: str) -> ModelsModule:
    try:
        tree = ast.parse(text, filename=rel_path)
    except SyntaxError as exc:
        raise SchemaParseError(
            rel_path,
            exc.lineno or 1,
            exc.offset or 1,
            f"the models do not parse: {exc.msg}",
            hint="fix the Python syntax; bb reads this file as text",
        ) from None
    module = module_name(rel_path)
    is_package = rel_path.endswith("__init__.py")
    imports: dict[str, str] = {}
    stars: list[str] = []
    classes: dict[str, ast.ClassDef] = {}
    assigns: dict[str, ast.expr] = {}
    imported: list[str] = []
    statements = tuple(_top_level(tree.body))
    for stmt in statements:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                imported.append(alias.name)
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports[top] = top
        elif isinstance(stmt, ast.ImportFrom):
            source = (
                _resolve_relative(module, is_package, stmt.level, stmt.module)
                if stmt.level
                else stmt.module or ""
            )
            imported.append(source)
            for alias in stmt.names:
                if alias.name == "*":
                    stars.append(source)
                    continue
                imports[alias.asname or alias.name] = f"{source}.{alias.name}"
                # `from app.db import mixins` imports a module, not a name
                imported.append(f"{source}.{alias.name}")
        elif isinstance(stmt, ast.ClassDef):
            classes[stmt.name] = stmt
            imports.pop(stmt.name, None)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    assigns[target.id] = stmt.value
                    imports.pop(target.id, None)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            if isinstance(stmt.target, ast.Name):
                assigns[stmt.target.id] = stmt.value
                imports.pop(stmt.target.id, None)
    return ModelsModule(
        rel_path=rel_path,
        module=module,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        tree=tree,
        imports=imports,
        star_imports=tuple(stars),
        classes=classes,
        assigns=assigns,
        statements=statements,
        imported_modules=tuple(dict.fromkeys(imported)),
    )


def parse_models_file(text: str, rel_path: str) -> ModelsModule:
    """Parse one models file (pure; cached by content).  A syntax error is a SchemaParseError."""
    return _parse(text, rel_path)
