"""The models reader for `bb context --watch`: rebuilds only the tables an edit can have changed.

Files come from `reparse_models_file`, whose unchanged chunks keep their AST nodes (and their
node line numbers) from one save to the next.  A model class is rebuilt only when its own node,
the "environment" (every statement that is not a plain table class: imports, the declarative
base, mixins, enums, module-level names), or the header of a table class it names changed;
otherwise its draft is reused with everything reading it had recorded (problems, enums).
Locations are in node lines until the end, where `LineMap` turns them into file lines, so a
table that only moved down the file is not rebuilt.

The result equals `python_reader.build_schema` on a fresh parse of the same files; the tests
check that over random edit sequences.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from betterbase_cli.errors import SchemaParseError
from betterbase_cli.schema.model import ColumnType, Enum, Location, Table
from betterbase_cli.schema.pydrafts import ColumnDraft, TableDraft, location_of
from betterbase_cli.schema.pymodule import ModelsModule
from betterbase_cli.schema.pyresolve import PyClass
from betterbase_cli.schema.python_reader import ReadResult, _Builder

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ProblemKey = tuple[str, int, int, str]


@dataclass
class _ClassEntry:
    """One model class as last built, and what its build did besides making its draft."""

    node: ast.ClassDef
    key: tuple[Any, ...]
    draft: TableDraft
    untyped: tuple[ColumnDraft, ...]  # columns whose type the finish takes from a foreign key
    problems: tuple[tuple[ProblemKey, SchemaParseError], ...]
    # (enum, module, node, the enum of that name known before) per enum the class registered
    enums: tuple[tuple[Enum, ModelsModule, ast.expr, Enum | None], ...]


@dataclass
class IncrementalState:
    """Kept between builds by the watcher (one per project)."""

    classes: dict[int, _ClassEntry] = field(default_factory=dict)
    # id(draft) -> (draft, what its Table was made from, the Table)
    tables: dict[int, tuple[TableDraft, tuple[Any, ...], Table]] = field(default_factory=dict)
    # id(table in node lines) -> (that table, the chunks of its locations, it in file lines)
    real: dict[int, tuple[Table, frozenset[tuple[str, int] | None], Table]] = field(
        default_factory=dict
    )
    maps: dict[str, dict[int, int]] = field(default_factory=dict)  # path -> chunk -> shift
    environment: tuple[object, ...] = ()
    generation: int = 0  # bumped whenever the environment changes
    words: dict[int, tuple[ast.ClassDef, frozenset[str]]] = field(default_factory=dict)
    headers: dict[int, tuple[ast.ClassDef, str]] = field(default_factory=dict)


def _is_model_class(stmt: ast.stmt) -> bool:
    """A class that assigns __tablename__ in its own body (a plain table class)."""
    if not isinstance(stmt, ast.ClassDef):
        return False
    for item in stmt.body:
        targets: list[ast.expr] = []
        if isinstance(item, ast.Assign):
            targets = item.targets
        elif isinstance(item, ast.AnnAssign):
            targets = [item.target]
        if any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in targets):
            return True
    return False


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        while isinstance(base, ast.Subscript):
            base = base.value
        if isinstance(base, ast.Attribute):
            names.add(base.attr)
        elif isinstance(base, ast.Name):
            names.add(base.id)
    return names


class _Incremental(_Builder):
    def __init__(self, modules: Sequence[ModelsModule], state: IncrementalState) -> None:
        super().__init__(modules)
        self.state = state
        self._models: dict[str, list[ast.ClassDef]] = {}  # simple name -> model class nodes
        self._text: dict[int, str] = {}  # id(statement) -> the text of its chunk
        self._model_ids: set[int] = set()
        environment: list[object] = [m.rel_path for m in modules]
        for module in modules:
            for chunk in module.chunks:
                for stmt in chunk.statements:
                    self._text[id(stmt)] = chunk.text
            for stmt in module.statements:
                if _is_model_class(stmt):
                    assert isinstance(stmt, ast.ClassDef)
                    self._models.setdefault(stmt.name, []).append(stmt)
                    self._model_ids.add(id(stmt))
                else:
                    environment.append(stmt)
        # A model class that is another's base (table inheritance) changes its subclasses'
        # tables: then nothing is reused (rare; correctness first).
        self.reuse = not any(
            name in self._models
            for nodes in self._models.values()
            for node in nodes
            for name in _base_names(node)
        )
        if tuple(environment) != state.environment or not self.reuse:
            state.environment = tuple(environment)
            state.generation += 1
        self._recording: list[Any] | None = None
        self._enum_log: list[tuple[Enum, ModelsModule, ast.expr, Enum | None]] | None = None
        self._classes: dict[int, _ClassEntry] = {}
        self._tables: dict[int, tuple[TableDraft, tuple[Any, ...], Table]] = {}

    # -- per class ------------------------------------------------------------------------------

    def _words(self, node: ast.ClassDef) -> frozenset[str]:
        """The names a class's text mentions (from its chunk: a superset is safe)."""
        hit = self.state.words.get(id(node))
        if hit is None or hit[0] is not node:
            text = self._text.get(id(node))
            hit = (node, frozenset(_WORD.findall(text if text is not None else ast.unparse(node))))
        self._words_used[id(node)] = hit
        return hit[1]

    def _header(self, node: ast.ClassDef) -> str:
        hit = self.state.headers.get(id(node))
        if hit is None or hit[0] is not node:
            header = ast.ClassDef(
                name=node.name,
                bases=node.bases,
                keywords=node.keywords,
                body=[],
                decorator_list=node.decorator_list,
            )
            hit = (node, ast.dump(header))
        self._headers_used[id(node)] = hit
        return hit[1]

    def _key(self, node: ast.ClassDef) -> tuple[Any, ...]:
        named = sorted(self._words(node) & self._models.keys())
        headers = tuple(
            self._header(n) for name in named for n in self._models[name] if n is not node
        )
        return (self.state.generation, headers)

    def build(self) -> ReadResult:
        self._words_used: dict[int, tuple[ast.ClassDef, frozenset[str]]] = {}
        self._headers_used: dict[int, tuple[ast.ClassDef, str]] = {}
        result = super().build()
        self.state.classes = self._classes
        self.state.tables = self._tables
        self.state.words = self._words_used
        self.state.headers = self._headers_used
        return result

    def _class(self, cls: PyClass) -> None:
        node = cls.node
        if not self.reuse or node is None or id(node) not in self._model_ids:
            super()._class(cls)
            return
        key = self._key(node)
        entry = self.state.classes.get(id(node))
        if (
            entry is not None
            and entry.node is node
            and entry.key == key
            and self._replay(entry, cls)
        ):
            self._classes[id(node)] = entry
            return
        tables, problems = len(self.tables), self._recording
        self._recording, self._enum_log = [], []
        try:
            super()._class(cls)
            made = self.tables[tables:]
            if len(made) == 1 and self.class_tables.get(cls.qual) is made[0]:
                draft = made[0]
                self._classes[id(node)] = _ClassEntry(
                    node,
                    key,
                    draft,
                    tuple(c for c in draft.columns if c.type is None),
                    tuple(self._recording),
                    tuple(self._enum_log),
                )
        finally:
            self._recording, self._enum_log = problems, None

    def _replay(self, entry: _ClassEntry, cls: PyClass) -> bool:
        for enum, _, _, known in entry.enums:
            now = self.enums.get(enum.name)
            if (now is None) != (known is None) or (
                now is not None
                and known is not None
                and (now.values, now.class_name) != (known.values, known.class_name)
            ):
                return False
        for enum, module, node, _ in entry.enums:
            self._register_enum(enum, module, node)
        for problem_key, error in entry.problems:
            self.problems.setdefault(problem_key, error)
        for column in entry.untyped:
            column.type = None  # the finish fills it in again from the foreign key's target
        self.class_tables[cls.qual] = entry.draft
        self.tables.append(entry.draft)
        return True

    def problem(
        self, module: ModelsModule, node: ast.AST, message: str, hint: str | None = None
    ) -> None:
        super().problem(module, node, message, hint)
        if self._recording is not None:
            loc = location_of(module, node)
            key = (loc.path, loc.line, loc.col, message)
            self._recording.append((key, self.problems[key]))

    def _register_enum(self, enum: Enum, module: ModelsModule, node: ast.expr) -> ColumnType:
        if self._enum_log is not None:
            self._enum_log.append((enum, module, node, self.enums.get(enum.name)))
        return super()._register_enum(enum, module, node)

    # -- per table ------------------------------------------------------------------------------

    def _table(self, draft: TableDraft, by_name: dict[str, TableDraft]) -> Table:
        if not self.reuse:
            return super()._table(draft, by_name)
        # What the Table is made from besides the draft: the tables its foreign keys point at
        # (the same draft object means the same columns), the types the finish filled in, and
        # the enums of enum columns.
        refs: list[Any] = []
        types: list[Any] = []
        for column in draft.columns:
            types.append(column.type)
            if column.type is not None and column.type.name == "enum":
                known = self.enums.get(column.type.enum or "")
                refs.append((known.values, known.class_name) if known else None)
            for fk in column.foreign_keys:
                refs.append((fk.target, by_name.get(fk.target[0]) if fk.target else None))
        for fk in draft.foreign_keys:
            refs.append((fk.target, by_name.get(fk.target[0]) if fk.target else None))
        key = (tuple(refs), tuple(types))
        hit = self.state.tables.get(id(draft))
        # Relations are resolved (and their problems reported) on every build.
        if hit is not None and hit[0] is draft and hit[1] == key and not draft.relations:
            self._tables[id(draft)] = hit
            return hit[2]
        table = super()._table(draft, by_name)
        self._tables[id(draft)] = (draft, key, table)
        return table


def build_schema_incremental(
    modules: Sequence[ModelsModule], state: IncrementalState
) -> ReadResult:
    """`build_schema`, reusing from ``state`` what the modules' unchanged nodes gave last time."""
    result = _Incremental(modules, state).build()
    result = _in_file_lines(result, modules, state)
    return replace(result, sources={m.rel_path: m.sha256 for m in modules})


# --- node lines -> file lines ---------------------------------------------------------------------


def _in_file_lines(
    result: ReadResult, modules: Sequence[ModelsModule], state: IncrementalState
) -> ReadResult:
    by_path = {m.rel_path: m for m in modules if m.lines is not None}
    # The chunks whose lines moved since the last build: only tables with a location in one
    # of them get new locations.
    maps = {
        path: dict(zip(m.lines.starts, m.lines.shifts, strict=True))
        for path, m in by_path.items()
        if m.lines is not None
    }
    moved_chunks = {
        (path, start)
        for path, shifts in maps.items()
        for start, shift in shifts.items()
        if state.maps.get(path, {}).get(start) != shift
    }
    state.maps = maps

    def line_of(location: Location | None) -> int:
        if location is None:
            return 0
        module = by_path.get(location.path)
        return location.line if module is None else module.line(location.line)

    def chunk_of(location: Location | None) -> tuple[str, int] | None:
        if location is None:
            return None
        module = by_path.get(location.path)
        if module is None or module.lines is None:
            return None
        return location.path, module.lines.chunk_of(location.line)

    def moved(thing: Any, location: Location | None, line: int) -> Any:
        if location is None or line == location.line:
            return thing
        return _moved(thing, Location(location.path, line, location.col))

    memo: dict[int, tuple[Table, frozenset[tuple[str, int] | None], Table]] = {}
    tables = []
    for table in result.schema.tables:
        hit = state.real.get(id(table))
        if hit is None or hit[0] is not table or not hit[1].isdisjoint(moved_chunks):
            locations = (table.location, *(c.location for c in table.columns))
            lines = [line_of(loc) for loc in locations]
            real = moved(table, table.location, lines[0])
            columns = tuple(
                moved(c, c.location, line) for c, line in zip(table.columns, lines[1:], strict=True)
            )
            if any(new is not old for new, old in zip(columns, table.columns, strict=True)):
                if real is table:
                    real = _moved(table, table.location)
                object.__setattr__(real, "columns", columns)
            hit = (table, frozenset(chunk_of(loc) for loc in locations), real)
        memo[id(table)] = hit
        tables.append(hit[2])
    state.real = memo
    enums = tuple(moved(e, e.location, line_of(e.location)) for e in result.schema.enums)
    problems = tuple(
        sorted(
            (_real_problem(p, by_path) for p in result.problems),
            key=lambda p: (p.path, p.line, p.col, p.reason),
        )
    )
    schema = replace(result.schema, tables=tuple(tables), enums=enums)
    return replace(result, schema=schema, problems=problems)


def _moved(thing: Any, location: Location | None) -> Any:
    """A copy of a frozen schema object with another location (dataclasses.replace runs
    __init__ again and costs ten times more; a shifted table has a location per column)."""
    if not hasattr(thing, "__dict__"):
        return replace(thing, location=location)
    copy = object.__new__(type(thing))
    copy.__dict__.update(thing.__dict__)
    object.__setattr__(copy, "location", location)
    return copy


def _real_problem(problem: SchemaParseError, by_path: dict[str, ModelsModule]) -> SchemaParseError:
    module = by_path.get(problem.path)
    if module is None:
        return problem
    line = module.line(problem.line)
    if line == problem.line:
        return problem
    return SchemaParseError(problem.path, line, problem.col, problem.reason, problem.hint)


__all__ = ["IncrementalState", "build_schema_incremental"]
