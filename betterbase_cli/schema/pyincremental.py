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
from typing import Any

from betterbase_cli.errors import SchemaParseError
from betterbase_cli.records import dataclass, field, replace
from betterbase_cli.schema.model import ColumnType, Enum, Location, Table
from betterbase_cli.schema.pydrafts import ColumnDraft, FKDraft, TableDraft, location_of
from betterbase_cli.schema.pymodule import ModelsModule
from betterbase_cli.schema.pyresolve import ENUM_BASES, PyClass
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


class _Node:
    """A class node and what is read off it alone: whether it is a plain model class, the
    names of its bases, the names its text mentions and its header (computed when asked)."""

    def __init__(self, node: ast.ClassDef, text: str | None) -> None:
        self.node = node
        self.model = _is_model_class(node)
        self.bases = _base_names(node)
        self._text = text
        self._words: frozenset[str] | None = None
        self._header: str | None = None

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            text = self._text if self._text is not None else ast.unparse(self.node)
            self._words = frozenset(_WORD.findall(text))
        return self._words

    @property
    def header(self) -> str:
        if self._header is None:
            node = self.node
            bare = ast.ClassDef(
                name=node.name,
                bases=node.bases,
                keywords=node.keywords,
                body=[],
                decorator_list=node.decorator_list,
            )
            self._header = ast.dump(bare)
        return self._header


@dataclass(frozen=True)
class _Needs:
    """What a draft's Table is made from besides the draft (read off the draft once)."""

    draft: TableDraft
    targets: tuple[str, ...]  # tables its foreign keys written by name point at
    by_class: tuple[FKDraft, ...]  # foreign keys written as Class.attr (resolved each build)
    untyped: tuple[ColumnDraft, ...]  # columns that take their type from a foreign key
    enums: tuple[str, ...]  # enum types of its columns

    @staticmethod
    def of(draft: TableDraft) -> _Needs:
        fks = [f for c in draft.columns for f in c.foreign_keys] + draft.foreign_keys
        return _Needs(
            draft,
            tuple(f.target[0] for f in fks if f.target_class is None and f.target is not None),
            tuple(f for f in fks if f.target_class is not None),
            tuple(c for c in draft.columns if c.type is None),
            tuple(
                c.type.enum or ""
                for c in draft.columns
                if c.type is not None and c.type.name == "enum"
            ),
        )


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

    def origins(self) -> dict[int, Table]:
        """id(table of the last build) -> the table it was made from, which stays the same
        object while only its lines move (the renderer reuses its text then)."""
        return {id(real): table for table, _, real in self.real.values()}

    environment: tuple[object, ...] = ()
    generation: int = 0  # bumped whenever the environment changes
    # id(class node) -> what the builder reads off a class node alone (kept while it is reused)
    nodes: dict[int, _Node] = field(default_factory=dict)
    # id(draft) -> what its Table is made from besides the draft itself
    needs: dict[int, _Needs] = field(default_factory=dict)
    # What every class's key was made from at the last build (see _Incremental.signature)
    signature: tuple[Any, ...] = ()


# The enum bases as a class statement names them (`class Status(enum.Enum)`, `(StrEnum)`)
_ENUM_BASES = frozenset(qual.rsplit(".", 1)[-1] for qual in ENUM_BASES)


def _is_model_class(stmt: ast.stmt) -> bool:
    """A class that assigns __tablename__ in its own body (a plain table class)."""
    if not isinstance(stmt, ast.ClassDef):
        return False
    if _base_names(stmt) & _ENUM_BASES:
        return False  # an enum is never a table (its members are what tables read of it)
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
    """The models reader's builder, reusing from ``state`` what still holds (see above)."""

    def __init__(self, modules: Sequence[ModelsModule], state: IncrementalState) -> None:
        super().__init__(modules)
        self.state = state
        self._models: dict[str, list[ast.ClassDef]] = {}  # simple name -> model class nodes
        self._nodes: dict[int, _Node] = {}
        environment: list[object] = [m.rel_path for m in modules]
        for module in modules:
            texts = {id(stmt): chunk.text for chunk in module.chunks for stmt in chunk.statements}
            for stmt in module.statements:
                if not isinstance(stmt, ast.ClassDef):
                    environment.append(stmt)
                    continue
                info = state.nodes.get(id(stmt))
                if info is None or info.node is not stmt:
                    info = _Node(stmt, texts.get(id(stmt)))
                self._nodes[id(stmt)] = info
                if info.model:
                    self._models.setdefault(stmt.name, []).append(stmt)
                else:
                    environment.append(stmt)
        state.nodes = self._nodes
        # A model class that is another's base (table inheritance) changes its subclasses'
        # tables: then nothing is reused (rare; correctness first).
        self.reuse = not any(
            name in self._models for info in self._nodes.values() for name in info.bases
        )
        if tuple(environment) != state.environment or not self.reuse:
            state.environment = tuple(environment)
            state.generation += 1
        # While the signature is last build's, every class entry that build kept has the key
        # it would have now (each entry was checked or made then): _reused compares nothing.
        self._signature = self.signature()
        self._keys_hold = self._signature == state.signature
        self._recording: list[Any] | None = None
        self._enum_log: list[tuple[Enum, ModelsModule, ast.expr, Enum | None]] | None = None
        self._classes: dict[int, _ClassEntry] = {}
        self._tables: dict[int, tuple[TableDraft, tuple[Any, ...], Table]] = {}
        self._needs: dict[int, _Needs] = {}

    # -- per class ------------------------------------------------------------------------------

    def signature(self) -> tuple[Any, ...]:
        """What `_key` reads besides a class's own node: the generation, and the model
        classes' names and headers."""
        nodes = self._nodes
        return (
            self.state.generation,
            tuple(
                sorted(
                    (name, tuple(nodes[id(n)].header for n in classes))
                    for name, classes in self._models.items()
                )
            ),
        )

    def _key(self, node: ast.ClassDef) -> tuple[Any, ...]:
        named = sorted(self._nodes[id(node)].words & self._models.keys())
        headers = tuple(
            self._nodes[id(n)].header for name in named for n in self._models[name] if n is not node
        )
        return (self.state.generation, headers)

    def build(self) -> ReadResult:
        """As the base builder, but a model class whose entry still holds is replayed without
        resolving anything."""
        for module in self.ordered:
            for stmt in module.statements:
                if isinstance(stmt, ast.ClassDef):
                    self.class_names.setdefault(stmt.name, []).append(self._qual(module, stmt))
        for module in self.ordered:
            for stmt in module.statements:
                if isinstance(stmt, ast.ClassDef):
                    if not self._reused(module, stmt):
                        self._class(self.resolver.class_of(module, stmt))
                else:
                    self._module_table(module, stmt)
        result = self._finish()
        # (Only a build that got this far: the entries are the ones checked under it.)
        self.state.signature = self._signature
        self.state.classes = self._classes
        self.state.tables = self._tables
        self.state.needs = self._needs
        return result

    def _plain(self, module: ModelsModule, stmt: ast.ClassDef) -> bool:
        """The class is the module's only class of its name (then its qualified name is
        module.Name, as the resolver would say)."""
        return module.classes.get(stmt.name) is stmt and self.modules.get(module.module) is module

    def _qual(self, module: ModelsModule, stmt: ast.ClassDef) -> str:
        if self._plain(module, stmt):
            return f"{module.module}.{stmt.name}"
        return self.resolver.class_of(module, stmt).qual

    def _reused(self, module: ModelsModule, node: ast.ClassDef) -> bool:
        if not self.reuse or not self._nodes[id(node)].model or not self._plain(module, node):
            return False
        entry = self.state.classes.get(id(node))
        if entry is None or entry.node is not node:
            return False
        if not self._keys_hold and entry.key != self._key(node):
            return False
        if not self._replay(entry, f"{module.module}.{node.name}"):
            return False
        self._classes[id(node)] = entry
        return True

    def _class(self, cls: PyClass) -> None:
        node = cls.node
        if not self.reuse or node is None or not self._nodes[id(node)].model:
            super()._class(cls)
            return
        key = self._key(node)
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

    def _replay(self, entry: _ClassEntry, qual: str) -> bool:
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
        self.class_tables[qual] = entry.draft
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

    def _finish(self) -> ReadResult:
        if not self.reuse:
            return super()._finish()
        by_name = self._by_name()
        needs = [self._needs_of(draft) for draft in self.tables]
        # Only drafts that have something to resolve (the base walks every column three times)
        self._resolve_class_targets([n.draft for n in needs if n.by_class])
        # (over the untyped columns alone: the base walks every column of every draft)
        self._column_types_from_targets([c for n in needs for c in n.untyped], by_name)
        return self._result([self._table(d, by_name) for d in self.tables])

    def _needs_of(self, draft: TableDraft) -> _Needs:
        needs = self.state.needs.get(id(draft))
        if needs is None or needs.draft is not draft:
            needs = _Needs.of(draft)
        self._needs[id(draft)] = needs
        return needs

    def _table(self, draft: TableDraft, by_name: dict[str, TableDraft]) -> Table:
        if not self.reuse:
            return super()._table(draft, by_name)
        needs = self._needs[id(draft)]
        # The drafts its foreign keys point at (the same object: the same columns), what the
        # finish resolved and filled in, and its enums.
        enums = [self.enums.get(name) for name in needs.enums]
        key = (
            tuple(by_name.get(name) for name in needs.targets),
            tuple(f.target for f in needs.by_class),
            tuple(by_name.get(f.target[0]) if f.target else None for f in needs.by_class),
            tuple(c.type for c in needs.untyped),
            tuple((e.values, e.class_name) if e else None for e in enums),
        )
        hit = self.state.tables.get(id(draft))
        if hit is not None and hit[0] is draft and hit[1] == key:
            # Relations are resolved (and their problems reported) on every build; while they
            # resolve as last time, the table is the same object (the renderer then keeps its
            # text without hashing it).
            if draft.relations:
                resolved = (self._resolve_relation(draft, r) for r in draft.relations)
                if tuple(r for r in resolved if r is not None) != hit[2].relations:
                    hit = None
            if hit is not None:
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

    # The chunk last looked up per path, as (path, first node line, next chunk's, shift): a
    # table's columns are mostly in the chunk of the one before them.
    last: dict[str, tuple[tuple[str, int] | None, int, int, int]] = {}

    def relocated(thing: Any, chunks: set[tuple[str, int] | None]) -> Any:
        """``thing`` in file lines (itself when its chunk did not move); adds its chunk."""
        location = thing.location
        if location is None:
            chunks.add(None)
            return thing
        path, line = location.path, location.line
        known = last.get(path)
        if known is None or not known[1] <= line < known[2]:
            module = by_path.get(path)
            span = module.lines.span(line) if module is not None and module.lines else None
            if span is None:
                chunks.add(None)
                return thing
            start, end, shift = span
            known = last[path] = ((path, start), start, end, shift)
        chunks.add(known[0])
        if not known[3]:
            return thing
        return _moved(thing, Location(path, line + known[3], location.col))

    memo: dict[int, tuple[Table, frozenset[tuple[str, int] | None], Table]] = {}
    tables = []
    for table in result.schema.tables:
        hit = state.real.get(id(table))
        if hit is None or hit[0] is not table or not hit[1].isdisjoint(moved_chunks):
            chunks: set[tuple[str, int] | None] = set()
            real = relocated(table, chunks)
            columns = [relocated(column, chunks) for column in table.columns]
            if any(new is not old for new, old in zip(columns, table.columns, strict=True)):
                if real is table:
                    real = _moved(table, table.location)
                real.__dict__["columns"] = tuple(columns)
            hit = (table, frozenset(chunks), real)
        memo[id(table)] = hit
        tables.append(hit[2])
    state.real = memo
    enums = tuple(relocated(e, set()) for e in result.schema.enums)
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
    fields = copy.__dict__
    fields.update(thing.__dict__)
    fields["location"] = location  # (a record's fields live in its __dict__, frozen or not)
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
