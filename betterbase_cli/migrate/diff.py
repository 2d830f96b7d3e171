"""Diff two schemas (the snapshot and the models) into operations in a fixed, deterministic order.

Pass order: renames; drops of dependent constraints; drops of columns and tables (children
first); enums and new tables (parents first, foreign-key cycles broken deterministically, keys to
targets that become unique later deferred); added columns; altered columns (those that tighten
first, then primary-key changes, then those that loosen) and comments; indexes and unique
constraints; checks; foreign keys; finally enum types nothing uses any more.  A primary-key
change that drops a key column moves before the drops.

Renames are never guessed: a dropped and an added table (or column) that look alike yield a
``rename`` question unless ``Decisions`` answers it.  A NOT NULL column without a server default
(added, or made NOT NULL) yields a ``default`` question unless ``Decisions.defaults`` fills it.
When ``DiffResult.questions`` is not empty, ``operations`` assume "not a rename" and "no fill
value": ask, then diff again with the answers before rendering anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal, Protocol, TypeVar

from betterbase_cli.migrate.ops import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    AlterPrimaryKey,
    AlterTableComment,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropUnique,
    Operation,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
)
from betterbase_cli.records import dataclass, field, replace
from betterbase_cli.schema.model import (
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Schema,
    Table,
    primary_key_name,
)

QuestionKind = Literal["rename", "default", "destructive", "narrowing"]
INTEGER_TYPES = ("integer", "bigint", "smallint")
NUMBER_TYPES = (*INTEGER_TYPES, "numeric", "float", "double")


@dataclass(frozen=True)
class Question:
    key: str  # the answer's key: "tags=labels", "users.name=users.full_name", "users.email"
    text: str
    flag: str  # the command-line flag that answers it in a non-interactive run
    kind: QuestionKind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decisions:
    # "old_table" -> "new_table" and "table.old_col" -> "table.new_col"
    renames: Mapping[str, str] = field(default_factory=dict)
    # keys of rename questions answered "no" ("users.nickname=users.locale")
    rejected_renames: frozenset[str] = frozenset()
    # "table.col" -> SQL literal that fills existing rows (NOT NULL without a server default)
    defaults: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DiffResult:
    operations: tuple[Operation, ...]
    questions: tuple[Question, ...]

    @property
    def destructive(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.destructive)

    def __bool__(self) -> bool:
        return bool(self.operations or self.questions)


# --- normalisation -----------------------------------------------------------------------------

_NOW = {
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "func.now()",
    "localtimestamp",
    "localtimestamp()",
    "datetime('now')",
    "getdate()",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CAST_SUFFIX = re.compile(r"^('(?:[^']|'')*'|[^':]+)::[\w\s.\"]+(\[\])?$")


def _strip_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def normalize_default(expression: str | None) -> str | None:
    """One spelling per server default: ``now()`` and ``(CURRENT_TIMESTAMP)`` become
    ``CURRENT_TIMESTAMP``, ``'a'::character varying`` becomes ``'a'``, ``true`` becomes ``TRUE``,
    ``0.00`` becomes ``0``.  Anything else is kept as written (whitespace collapsed)."""
    if expression is None:
        return None
    text = _strip_parens(" ".join(expression.strip().split()))
    cast = _CAST_SUFFIX.match(text)
    if cast:
        text = _strip_parens(cast.group(1).strip())
    lower = text.lower()
    if lower in _NOW:
        return "CURRENT_TIMESTAMP"
    if lower in ("current_date", "current_date()"):
        return "CURRENT_DATE"
    if lower in ("true", "false", "null"):
        return lower.upper()
    if _NUMBER.match(text):
        try:
            number = Decimal(text).normalize()
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            return text
        return format(number, "f")
    if lower.replace(" ", "") in (
        "gen_random_uuid()",
        "uuid_generate_v4()",
        "lower(hex(randomblob(16)))",
        "replace(uuid(),'-','')",
    ):
        return "gen_random_uuid()"
    return text


def normalize_action(action: str | None) -> str | None:
    if action is None:
        return None
    upper = " ".join(action.upper().split())
    return None if upper == "NO ACTION" else upper


def effective_autoincrement(table: Table, column: Column) -> bool:
    """The reader's autoincrement flag (SQLAlchemy's rule), kept only where a database can
    honour it: an integer primary-key column."""
    return (
        column.autoincrement
        and column.name in table.primary_key
        and column.type.name in INTEGER_TYPES
    )


def _canonical_column(table: Table, column: Column) -> Column:
    default = normalize_default(column.server_default)
    if default is not None and default.startswith("'") and column.type.name in NUMBER_TYPES:
        inner = default[1:-1]
        if _NUMBER.match(inner):
            default = normalize_default(inner)  # '0' on a number column is the number 0
    if default == "NULL":
        default = None  # DEFAULT NULL is no default
    autoincrement = effective_autoincrement(table, column)
    nullable = column.nullable and column.name not in table.primary_key
    if (default, autoincrement, nullable) == (
        column.server_default,
        column.autoincrement,
        column.nullable,
    ):
        return column
    return replace(column, server_default=default, autoincrement=autoincrement, nullable=nullable)


def canonical_table(table: Table) -> Table:
    columns = tuple(_canonical_column(table, c) for c in table.columns)
    fks = tuple(
        fk
        if (normalize_action(fk.on_delete), normalize_action(fk.on_update))
        == (fk.on_delete, fk.on_update)
        else replace(
            fk, on_delete=normalize_action(fk.on_delete), on_update=normalize_action(fk.on_update)
        )
        for fk in table.foreign_keys
    )
    checks = tuple(
        c
        if " ".join(c.expression.split()) == c.expression
        else replace(c, expression=" ".join(c.expression.split()))
        for c in table.checks
    )
    pk_name = table.primary_key_name or (
        primary_key_name(table.name) if table.primary_key else None
    )
    if (columns, fks, checks, pk_name) == (
        table.columns,
        table.foreign_keys,
        table.checks,
        table.primary_key_name,
    ):
        return table
    return replace(
        table, columns=columns, foreign_keys=fks, checks=checks, primary_key_name=pk_name
    )


_CANONICAL: dict[int, tuple[Schema, Schema]] = {}


def canonical(schema: Schema) -> Schema:
    """The schema with one spelling for everything that has several (defaults, actions,
    autoincrement, primary-key names), so that equal databases compare equal."""
    cached = _CANONICAL.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    tables = tuple(canonical_table(t) for t in schema.tables)
    result = schema if tables == schema.tables else Schema(tables=tables, enums=schema.enums)
    if len(_CANONICAL) > 64:
        _CANONICAL.clear()
    _CANONICAL[id(schema)] = (schema, result)
    _CANONICAL[id(result)] = (result, result)
    return result


# --- renames -----------------------------------------------------------------------------------


def _type_map(table: Table) -> dict[str, str]:
    return {c.name: str(c.type) for c in table.columns}


def _rename_columns_in(table: Table, mapping: Mapping[str, str]) -> Table:
    if not mapping:
        return table

    def ren(cols: Iterable[str]) -> tuple[str, ...]:
        return tuple(mapping.get(c, c) for c in cols)

    return replace(
        table,
        columns=tuple(replace(c, name=mapping.get(c.name, c.name)) for c in table.columns),
        primary_key=ren(table.primary_key),
        foreign_keys=tuple(replace(fk, columns=ren(fk.columns)) for fk in table.foreign_keys),
        indexes=tuple(replace(i, columns=ren(i.columns)) for i in table.indexes),
        uniques=tuple(replace(u, columns=ren(u.columns)) for u in table.uniques),
    )


def _apply_renames(
    schema: Schema, tables: Mapping[str, str], columns: Mapping[str, Mapping[str, str]]
) -> Schema:
    """``schema`` as the database sees it after the renames (tables keyed by their new names;
    ``columns`` is keyed by new table name)."""
    out = []
    for table in schema.tables:
        new_name = tables.get(table.name, table.name)
        t = _rename_columns_in(replace(table, name=new_name), columns.get(new_name, {}))
        fks = []
        for fk in t.foreign_keys:
            ref = tables.get(fk.ref_table, fk.ref_table)
            ref_map = columns.get(ref, {})
            fks.append(
                replace(
                    fk, ref_table=ref, ref_columns=tuple(ref_map.get(c, c) for c in fk.ref_columns)
                )
            )
        out.append(replace(t, foreign_keys=tuple(fks)))
    return Schema(tables=tuple(out), enums=schema.enums)


# --- ordering ----------------------------------------------------------------------------------


def _order_tables(
    tables: Mapping[str, Table], deferred: set[tuple[str, str]] | None = None
) -> list[str]:
    """Parents before children among ``tables``; foreign keys closing a cycle are recorded in
    ``deferred`` as (table, fk name) and ignored for the ordering.  Stable: ties by name."""
    from graphlib import TopologicalSorter

    names = sorted(tables)
    edges: dict[str, set[str]] = {n: set() for n in names}
    for n in names:
        for fk in tables[n].foreign_keys:
            if fk.ref_table in tables and fk.ref_table != n:
                edges[n].add(fk.ref_table)
    # Break cycles: inside each strongly connected component keep only the edges that point to
    # an earlier name; the others are deferred (created with ALTER TABLE afterwards).
    for component in _components(names, edges):
        if len(component) < 2:
            continue
        for n in sorted(component):
            for fk in sorted(tables[n].foreign_keys, key=lambda f: f.name):
                if fk.ref_table in component and fk.ref_table != n and fk.ref_table > n:
                    edges[n].discard(fk.ref_table)
                    if deferred is not None:
                        deferred.add((n, fk.name))
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for n in names:
        sorter.add(n, *sorted(edges[n]))
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def _components(names: list[str], edges: Mapping[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan), deterministic for sorted input."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            result.append(component)

    for n in names:
        if n not in index:
            visit(n)
    return result


# --- the diff ----------------------------------------------------------------------------------


@dataclass
class _Passes:
    renames: list[Operation] = field(default_factory=list)
    drop_constraints: list[Operation] = field(default_factory=list)
    drops: list[Operation] = field(default_factory=list)
    creates: list[Operation] = field(default_factory=list)
    adds: list[Operation] = field(default_factory=list)
    alters: list[Operation] = field(default_factory=list)
    indexes: list[Operation] = field(default_factory=list)
    checks: list[Operation] = field(default_factory=list)
    foreign_keys: list[Operation] = field(default_factory=list)
    final: list[Operation] = field(default_factory=list)

    def all(self) -> tuple[Operation, ...]:
        return (
            *self.renames,
            *self.drop_constraints,
            *self.drops,
            *self.creates,
            *self.adds,
            *self.alters,
            *self.indexes,
            *self.checks,
            *self.foreign_keys,
            *self.final,
        )


def _fk_def(fk: ForeignKey) -> tuple[object, ...]:
    return (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update)


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def _match_named(
    old: Iterable[N], new: Iterable[N], key: Callable[[N], object]
) -> tuple[list[N], list[N], list[tuple[N, N]]]:
    """(dropped, added, renamed) between two named collections; an old and a new item with the
    same definition and different names are a rename."""
    old_by = {o.name: o for o in old}
    new_by = {n.name: n for n in new}
    dropped = [
        o for name, o in sorted(old_by.items()) if name not in new_by or key(o) != key(new_by[name])
    ]
    added = [
        n for name, n in sorted(new_by.items()) if name not in old_by or key(n) != key(old_by[name])
    ]
    renamed: list[tuple[N, N]] = []
    for o in list(dropped):
        if o.name in new_by:
            continue  # same name, new definition: drop and add
        for n in added:
            if n.name not in old_by and key(n) == key(o):
                renamed.append((o, n))
                dropped.remove(o)
                added.remove(n)
                break
    return dropped, added, renamed


def _is_unique(table: Table, columns: tuple[str, ...]) -> bool:
    return (
        table.primary_key == columns
        or any(u.columns == columns for u in table.uniques)
        or any(i.unique and i.columns == columns for i in table.indexes)
    )


def _not_null_needs_fill(column: Column) -> bool:
    return not column.nullable and column.server_default is None and not column.autoincrement


def diff(old: Schema, new: Schema, decisions: Decisions | None = None) -> DiffResult:
    """The operations that turn a database built from ``old`` into one built from ``new``."""
    decisions = decisions or Decisions()
    old, new = canonical(old), canonical(new)
    questions: list[Question] = []
    passes = _Passes()

    # 1. table renames: decided ones, then questions for look-alikes
    old_names, new_names = set(old.table_names), set(new.table_names)
    gone, fresh = sorted(old_names - new_names), sorted(new_names - old_names)
    table_renames: dict[str, str] = {}
    for o in gone:
        target = decisions.renames.get(o)
        if target in fresh and target not in table_renames.values():
            table_renames[o] = target
    for o in gone:
        if o in table_renames:
            continue
        for n in fresh:
            if n in table_renames.values():
                continue
            key = f"{o}={n}"
            if key in decisions.rejected_renames:
                continue
            if _type_map(old.table(o)) == _type_map(new.table(n)):
                questions.append(
                    Question(
                        key=key,
                        text=f"Was table {o} renamed to {n}? (no: {o} is dropped with its rows "
                        f"and {n} is created empty)",
                        flag=f"--rename {key}",
                        kind="rename",
                        choices=("yes", "no"),
                    )
                )
    for o, n in sorted(table_renames.items()):
        passes.renames.append(RenameTable(o, n))

    # 2. column renames inside every table that survives (under its new name)
    column_renames: dict[str, dict[str, str]] = {}
    for old_table in old.tables:
        new_name = table_renames.get(old_table.name, old_table.name)
        if not new.has_table(new_name):
            continue
        new_table = new.table(new_name)
        dropped_cols = [c for c in old_table.columns if not new_table.has_column(c.name)]
        added_cols = [c for c in new_table.columns if not old_table.has_column(c.name)]
        mapping: dict[str, str] = {}
        for c in dropped_cols:
            for prefix in {new_name, old_table.name}:
                target = decisions.renames.get(f"{prefix}.{c.name}")
                if target is None:
                    continue
                t_table, _, t_col = target.rpartition(".")
                if t_table in (new_name, old_table.name) and any(
                    a.name == t_col for a in added_cols
                ):
                    if t_col not in mapping.values():
                        mapping[c.name] = t_col
        for c in dropped_cols:
            if c.name in mapping:
                continue
            for a in added_cols:
                if a.name in mapping.values() or a.type != c.type:
                    continue
                key = f"{new_name}.{c.name}={new_name}.{a.name}"
                alt = f"{old_table.name}.{c.name}={old_table.name}.{a.name}"
                if key in decisions.rejected_renames or alt in decisions.rejected_renames:
                    continue
                questions.append(
                    Question(
                        key=key,
                        text=f"Was column {new_name}.{c.name} renamed to {a.name}? (no: "
                        f"{c.name} is dropped with its values and {a.name} is added)",
                        flag=f"--rename {key}",
                        kind="rename",
                        choices=("yes", "no"),
                    )
                )
        if mapping:
            column_renames[new_name] = mapping
            for o_col, n_col in sorted(mapping.items()):
                passes.renames.append(RenameColumn(new_name, o_col, n_col))

    mid = canonical(_apply_renames(old, table_renames, column_renames))

    # 3. dropped and created tables
    dropped_tables = {t.name: t for t in mid.tables if not new.has_table(t.name)}
    created_tables = {t.name: t for t in new.tables if not mid.has_table(t.name)}
    drop_deferred: set[tuple[str, str]] = set()
    drop_order = list(reversed(_order_tables(dropped_tables, drop_deferred)))
    for table_name, fk_name in sorted(drop_deferred):
        fk = next(f for f in dropped_tables[table_name].foreign_keys if f.name == fk_name)
        passes.drop_constraints.append(DropForeignKey(table_name, fk))
    for name in drop_order:
        passes.drops.append(DropTable(dropped_tables[name]))

    create_deferred: set[tuple[str, str]] = set()
    order = _order_tables(created_tables, create_deferred)
    # A key to an existing table whose target columns become unique only later in this
    # migration (a new primary key or unique constraint) is added after that change.
    for name, table in created_tables.items():
        for fk in table.foreign_keys:
            if fk.ref_table not in created_tables and mid.has_table(fk.ref_table):
                if not _is_unique(mid.table(fk.ref_table), fk.ref_columns):
                    create_deferred.add((name, fk.name))
    for name in order:
        table = created_tables[name]
        deferred = tuple(sorted(fk for t, fk in create_deferred if t == name))
        passes.creates.append(CreateTable(table, deferred))
        for fk in table.foreign_keys:
            if fk.name in deferred:
                passes.foreign_keys.append(AddForeignKey(name, fk))

    # 4. enums
    old_enums = {e.name: e for e in mid.enums}
    new_enums = {e.name: e for e in new.enums}
    enum_ops: list[Operation] = []
    for name in sorted(new_enums):
        if name not in old_enums:
            enum_ops.append(CreateEnum(new_enums[name]))
        elif old_enums[name].values != new_enums[name].values:
            users = tuple(
                (t.name, c)
                for t in mid.tables
                if t.name not in dropped_tables
                for c in t.columns
                if c.type.name == "enum"
                and c.type.enum == name
                and new.has_table(t.name)
                and new.table(t.name).has_column(c.name)
            )
            enum_ops.append(AlterEnum(name, old_enums[name].values, new_enums[name].values, users))
    passes.creates[:0] = enum_ops
    for name in sorted(old_enums):
        if name not in new_enums:
            passes.final.append(DropEnum(old_enums[name]))

    # 5. surviving tables, one by one in name order
    for new_table in new.tables:
        if new_table.name not in created_tables:
            _diff_table(mid.table(new_table.name), new_table, decisions, questions, passes)
    # enum-typed changes: whether values can be lost depends on the values, not the types
    for i, op in enumerate(passes.alters):
        if isinstance(op, AlterColumn) and op.type_changed:
            lossy = _enum_lossy(op.old.type, op.new.type, old_enums, new_enums)
            if lossy is not None:
                passes.alters[i] = replace(op, lossy=lossy)

    return DiffResult(passes.all(), tuple(questions))


def _enum_lossy(
    old: ColumnType, new: ColumnType, old_enums: Mapping[str, Enum], new_enums: Mapping[str, Enum]
) -> bool | None:
    old_enum = old_enums.get(old.enum or "") if old.name == "enum" else None
    if old_enum is None:
        return None
    new_enum = new_enums.get(new.enum or "") if new.name == "enum" else None
    if new_enum is not None:
        return not set(old_enum.values) <= set(new_enum.values)
    if new.name == "string":
        return new.length is not None and any(len(v) > new.length for v in old_enum.values)
    return None


def _diff_table(
    old: Table,
    new: Table,
    decisions: Decisions,
    questions: list[Question],
    passes: _Passes,
) -> None:
    name = new.name

    def fill_for(column: Column, verb: str) -> str | None:
        key = f"{name}.{column.name}"
        if key in decisions.defaults:
            return decisions.defaults[key]
        questions.append(
            Question(
                key=key,
                text=f"{key} {verb} NOT NULL without a server default: what value should the "
                "existing rows get? (an SQL literal such as '' or 0)",
                flag=f"--default {key}=VALUE",
                kind="default",
            )
        )
        return None

    # columns
    tighten: list[AlterColumn] = []
    loosen: list[AlterColumn] = []
    for column in old.columns:
        if not new.has_column(column.name):
            passes.drops.append(DropColumn(name, column))
    for column in new.columns:
        if not old.has_column(column.name):
            fill = fill_for(column, "is added") if _not_null_needs_fill(column) else None
            passes.adds.append(AddColumn(name, column, fill))
            continue
        before = old.column(column.name)
        if before == column:
            continue
        fill = None
        if before.nullable and not column.nullable:
            fill = fill_for(column, "becomes")
        alter = AlterColumn(name, before, column, fill)
        # A column leaving the primary key can only become nullable once the key is changed;
        # one joining it gets its fill value before.
        (loosen if alter.nullable_changed and column.nullable else tighten).append(alter)
    passes.alters.extend(tighten)

    # primary key
    if old.primary_key != new.primary_key:
        change = AlterPrimaryKey(
            name, old.primary_key, new.primary_key, old.primary_key_name, new.primary_key_name
        )
        if not any(not new.has_column(c) for c in old.primary_key):
            passes.alters.append(change)
        elif all(old.has_column(c) for c in new.primary_key):
            # a key column is dropped: MySQL changes the key first (one statement keeps an
            # AUTO_INCREMENT column keyed)
            passes.drop_constraints.append(change)
        else:
            # ... and the new key needs an added column: drop the key first, add it later
            passes.drop_constraints.append(replace(change, new_columns=(), new_name=None))
            passes.alters.append(replace(change, old_columns=(), old_name=None))
    elif old.primary_key_name != new.primary_key_name and new.primary_key:
        passes.renames.append(
            RenameConstraint(
                name, "primary_key", old.primary_key_name or "", new.primary_key_name or ""
            )
        )
    if old.comment != new.comment:
        passes.alters.append(AlterTableComment(name, old.comment, new.comment))
    passes.alters.extend(loosen)

    # indexes
    ix_dropped, ix_added, ix_renamed = _match_named(
        old.indexes, new.indexes, lambda i: (i.columns, i.unique)
    )
    for o, n in ix_renamed:
        passes.renames.append(RenameIndex(name, o.name, n.name, n))
    for o in ix_dropped:
        passes.drop_constraints.append(DropIndex(name, o))
    for n in ix_added:
        passes.indexes.append(CreateIndex(name, n))

    # unique constraints
    uq_dropped, uq_added, uq_renamed = _match_named(old.uniques, new.uniques, lambda u: u.columns)
    for uq_o, uq_n in uq_renamed:
        passes.renames.append(RenameConstraint(name, "unique", uq_o.name, uq_n.name))
    for uq_o in uq_dropped:
        passes.drop_constraints.append(DropUnique(name, uq_o))
    for uq_n in uq_added:
        passes.indexes.append(AddUnique(name, uq_n))

    # checks
    ck_dropped, ck_added, ck_renamed = _match_named(old.checks, new.checks, lambda c: c.expression)
    for ck_o, ck_n in ck_renamed:
        passes.renames.append(RenameConstraint(name, "check", ck_o.name, ck_n.name))
    for ck_o in ck_dropped:
        passes.drop_constraints.append(DropCheck(name, ck_o))
    for ck_n in ck_added:
        passes.checks.append(AddCheck(name, ck_n))

    # foreign keys
    fk_dropped, fk_added, fk_renamed = _match_named(old.foreign_keys, new.foreign_keys, _fk_def)
    for fk_o, fk_n in fk_renamed:
        passes.renames.append(RenameConstraint(name, "foreign_key", fk_o.name, fk_n.name))
    for fk_o in fk_dropped:
        passes.drop_constraints.append(DropForeignKey(name, fk_o))
    for fk_n in fk_added:
        passes.foreign_keys.append(AddForeignKey(name, fk_n))


def destructive_questions(operations: Iterable[Operation]) -> tuple[Question, ...]:
    """One question per operation that can destroy data, answered by ``--allow-destructive``."""
    out = []
    for op in operations:
        if not op.destructive:
            continue
        narrowing = isinstance(op, AlterColumn) and op.narrowing
        out.append(
            Question(
                key=op.describe(),
                text=f"{op.describe()}: this can destroy data. Go ahead?",
                flag="--allow-destructive",
                kind="narrowing" if narrowing else "destructive",
                choices=("yes", "no"),
            )
        )
    return tuple(out)


def enums_by_name(schema: Schema) -> dict[str, Enum]:
    return {e.name: e for e in schema.enums}
