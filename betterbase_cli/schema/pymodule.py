"""One models file parsed with `ast`: its classes, module-level names and what each name imports."""

from __future__ import annotations

import ast
import builtins
import hashlib
import sys
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

from betterbase_cli.errors import SchemaParseError
from betterbase_cli.records import dataclass, field

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


@dataclass(frozen=True)
class Chunk:
    """Top-level statements of a file and the lines up to the next chunk (--watch re-parses only
    the chunks an edit touched).  Its nodes keep the line numbers they were parsed with
    (``vstart`` is their first line); `LineMap` says where those lines are now."""

    text: str
    vstart: int  # line number of the chunk's first line in its nodes
    statements: tuple[ast.stmt, ...]
    line_count: int  # lines of text (a last line without "\n" counts)


@dataclass(frozen=True)
class LineMap:
    """Node line numbers -> lines in the file, for a module assembled from chunks parsed at
    different times.  Chunks own disjoint ranges of node lines (``starts`` ascending)."""

    starts: tuple[int, ...]
    shifts: tuple[int, ...]  # add to a node line of the chunk starting at starts[i]

    def real(self, line: int) -> int:
        i = bisect_right(self.starts, line) - 1
        return line + self.shifts[i] if i >= 0 else line

    def span(self, line: int) -> tuple[int, int, int] | None:
        """(first node line, the next chunk's first node line, shift) of the chunk a node line
        belongs to; None before every chunk."""
        i = bisect_right(self.starts, line) - 1
        if i < 0:
            return None
        end = self.starts[i + 1] if i + 1 < len(self.starts) else sys.maxsize
        return self.starts[i], end, self.shifts[i]


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
    # --watch: the file's chunks and where their node lines are now (None: nodes carry the
    # file's own line numbers)
    chunks: tuple[Chunk, ...] = field(default=(), repr=False)
    lines: LineMap | None = field(default=None, repr=False)
    next_line: int = 0  # first node line no chunk uses (for the next re-parsed chunk)

    def line(self, node_line: int) -> int:
        """The file's line number of a node line."""
        return node_line if self.lines is None else self.lines.real(node_line)

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


def _syntax_error(exc: SyntaxError, rel_path: str) -> SchemaParseError:
    return SchemaParseError(
        rel_path,
        exc.lineno or 1,
        exc.offset or 1,
        f"the models do not parse: {exc.msg}",
        hint="fix the Python syntax; bb reads this file as text",
    )


@lru_cache(maxsize=256)
def _parse(text: str, rel_path: str) -> ModelsModule:
    try:
        tree = ast.parse(text, filename=rel_path)
    except SyntaxError as exc:
        raise _syntax_error(exc, rel_path) from None
    return _assemble(rel_path, text, tree.body)


def _assemble(
    rel_path: str,
    text: str,
    body: Sequence[ast.stmt],
    chunks: tuple[Chunk, ...] = (),
    lines: LineMap | None = None,
    next_line: int = 0,
) -> ModelsModule:
    module = module_name(rel_path)
    is_package = rel_path.endswith("__init__.py")
    imports: dict[str, str] = {}
    stars: list[str] = []
    classes: dict[str, ast.ClassDef] = {}
    assigns: dict[str, ast.expr] = {}
    imported: list[str] = []
    statements = tuple(_top_level(list(body)))
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
        tree=ast.Module(body=list(body), type_ignores=[]),
        imports=imports,
        star_imports=tuple(stars),
        classes=classes,
        assigns=assigns,
        statements=statements,
        imported_modules=tuple(dict.fromkeys(imported)),
        chunks=chunks,
        lines=lines,
        next_line=next_line,
    )


def parse_models_file(text: str, rel_path: str) -> ModelsModule:
    """Parse one models file (pure; cached by content).  A syntax error is a SchemaParseError."""
    return _parse(text, rel_path)


# --- re-parsing only what an edit touched (--watch) ---------------------------------------------


def _lines(text: str) -> list[str]:
    """The text's lines with their endings, split on "\\n" only (as the tokenizer counts lines;
    str.splitlines would also split on form feeds and other separators)."""
    parts = text.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _group(lines: list[str], body: Sequence[ast.stmt], vshift: int) -> list[Chunk]:
    """Cut parsed lines into chunks at statement starts that no earlier statement spans.

    ``body`` holds the statements of ``lines`` with their line numbers raised by ``vshift``.
    The first chunk starts at the first line (comments and blank lines before a statement
    belong to it); each chunk runs to the next chunk's first line.
    """
    groups: list[tuple[int, list[ast.stmt]]] = []  # (first line, statements), 1-based
    reach = 0
    for stmt in body:
        first = stmt.lineno - vshift
        decorators = getattr(stmt, "decorator_list", ())
        if decorators:
            first = min(first, *(d.lineno - vshift for d in decorators))
        if groups and first <= reach:
            groups[-1][1].append(stmt)
        else:
            groups.append((first, [stmt]))
        reach = max(reach, (stmt.end_lineno or stmt.lineno) - vshift)
    if not groups:
        return [Chunk("".join(lines), 1 + vshift, (), len(lines))] if lines else []
    if groups[0][0] != 1:
        groups[0] = (1, groups[0][1])
    chunks = []
    for i, (first, statements) in enumerate(groups):
        end = groups[i + 1][0] if i + 1 < len(groups) else len(lines) + 1
        text = "".join(lines[first - 1 : end - 1])
        chunks.append(Chunk(text, first + vshift, tuple(statements), end - first))
    return chunks


def _chunked(rel_path: str, text: str, chunks: list[Chunk], next_line: int) -> ModelsModule:
    starts: list[tuple[int, int]] = []
    real = 1
    for chunk in chunks:
        starts.append((chunk.vstart, real - chunk.vstart))
        real += chunk.line_count
    starts.sort()
    lines = LineMap(tuple(s for s, _ in starts), tuple(d for _, d in starts))
    body = [stmt for chunk in chunks for stmt in chunk.statements]
    return _assemble(rel_path, text, body, tuple(chunks), lines, next_line)


def _parse_chunked(text: str, rel_path: str) -> ModelsModule:
    whole = _parse(text, rel_path)
    lines = _lines(text)
    return _chunked(rel_path, text, _group(lines, whole.tree.body, 0), len(lines) + 1)


def reparse_models_file(text: str, rel_path: str, previous: ModelsModule | None) -> ModelsModule:
    """parse_models_file for a file whose ``previous`` version was parsed by this function:
    re-parses only the chunks the edit touched and keeps the others' nodes (same objects, so
    what the reader derived from them can be reused).

    The chunks before and after the edit are whole statements whose text did not change, so
    the file parses exactly as the edited region parsed alone between them.  When the region
    does not parse alone (an indented first line, an `else:`), the whole file is parsed.
    """
    if previous is None or not previous.chunks:
        return _parse_chunked(text, rel_path)
    old = previous.chunks
    # Unchanged chunks at the start: each in its place in the new text and ending a line ...
    first, begin = 0, 0
    while first < len(old):
        chunk = old[first]
        if not chunk.text.endswith("\n") or not text.startswith(chunk.text, begin):
            break
        begin += len(chunk.text)
        first += 1
    # ... and at the end: each in its place and starting a line, after those at the start.
    after, end = len(old), len(text)
    while after > first:
        chunk = old[after - 1]
        start = end - len(chunk.text)
        if start < begin or not text.startswith(chunk.text, start):
            break
        if start > 0 and text[start - 1] != "\n":
            break
        end = start
        after -= 1
    region = _lines(text[begin:end])
    if region:
        try:
            tree = ast.parse("".join(region), filename=rel_path)
        except SyntaxError:
            return _parse_chunked(text, rel_path)  # raises the error with the file's own lines
        body = tree.body
    else:
        body = []
    vshift = previous.next_line - 1
    if vshift:
        for stmt in body:
            ast.increment_lineno(stmt, vshift)
    middle = _group(region, body, vshift)
    chunks = [*old[:first], *middle, *old[after:]]
    return _chunked(rel_path, text, chunks, previous.next_line + len(region) + 1)
