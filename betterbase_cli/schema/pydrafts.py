"""Tables under construction while the static reader walks the models, and small AST helpers."""

from __future__ import annotations

import ast

from betterbase_cli.errors import SchemaParseError
from betterbase_cli.records import dataclass, field
from betterbase_cli.schema.model import (
    CheckConstraint,
    ColumnType,
    Enum,
    Index,
    Location,
    UniqueConstraint,
)
from betterbase_cli.schema.pymodule import ModelsModule
from betterbase_cli.schema.pyresolve import Naming, Resolver

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from collections.abc import Sequence


class NotUnderstood(Exception):
    """A construct the reader cannot turn into schema; becomes a problem at `node`."""

    def __init__(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint


# --- drafts: tables under construction ----------------------------------------------------------


@dataclass
class ColumnDraft:
    key: str
    name: str
    type: ColumnType | None  # None: taken from the foreign key's target
    nullable: bool
    primary_key: bool
    autoincrement: bool | str  # True, False, "auto", "ignore_fk"
    server_default: str | None
    default: str | None
    comment: str | None
    python_type: str | None
    location: Location
    unique: bool = False
    index: bool = False
    sort_order: int = 0
    foreign_keys: list[FKDraft] = field(default_factory=list)


@dataclass
class FKDraft:
    columns: tuple[str, ...]
    target: tuple[str, tuple[str, ...]] | None  # (table, columns) when known by name
    target_class: tuple[str, str] | None  # (class qualname, attribute) for ForeignKey(User.id)
    name: str | None
    on_delete: str | None
    on_update: str | None
    location: Location


@dataclass
class RelationDraft:
    name: str
    target_class: str
    many: bool | None
    back_populates: str | None
    location: Location


@dataclass
class TableDraft:
    name: str
    naming: Naming
    location: Location
    class_name: str | None = None
    module: ModelsModule | None = None
    columns: list[ColumnDraft] = field(default_factory=list)
    primary_key: tuple[str, ...] | None = None  # from a PrimaryKeyConstraint
    primary_key_name: str | None = None
    foreign_keys: list[FKDraft] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    comment: str | None = None
    relations: list[RelationDraft] = field(default_factory=list)

    def column_name(self, key: str) -> str:
        for column in self.columns:
            if column.key == key or column.name == key:
                return column.name
        return key


@dataclass
class Annotation:
    """A `Mapped[...]` annotation taken apart."""

    module: ModelsModule
    mapped: bool = False
    classvar: bool = False
    optional: bool = False
    inner: ast.expr | None = None
    inner_qual: str | None = None
    alias_qual: str | None = None
    extra: ast.Call | None = None  # mapped_column(...) carried by an Annotated alias


def location_of(module: ModelsModule, node: ast.AST) -> Location:
    return Location(module.rel_path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def const_bool(node: ast.expr, what: str) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise NotUnderstood(node, f"{what}= must be True or False here")


def const_int(node: ast.expr, what: str) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    raise NotUnderstood(node, f"{what} must be a whole number written in the file")


def is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class BuilderState:
    """What every part of the reader shares: the modules, the resolver, what was found."""

    def __init__(self, modules: Sequence[ModelsModule]) -> None:
        self.modules = {m.module: m for m in modules}
        self.ordered = list(modules)
        self.resolver = Resolver(self.modules)
        self.problems: dict[tuple[str, int, int, str], SchemaParseError] = {}
        self.tables: list[TableDraft] = []
        self.enums: dict[str, Enum] = {}
        self.class_tables: dict[str, TableDraft] = {}  # class qualname -> table
        self.class_names: dict[str, list[str]] = {}  # simple class name -> qualnames
        # per-build memos (keyed by id of nodes and classes that live as long as the build)
        self._namings: dict[int, Naming] = {}
        self._type_maps: dict[int, list[tuple[str, ast.expr, ModelsModule]]] = {}
        self._parsed_annotations: dict[int, ast.expr] = {}

    # -- problems -------------------------------------------------------------------------------

    def problem(
        self, module: ModelsModule, node: ast.AST, message: str, hint: str | None = None
    ) -> None:
        loc = location_of(module, node)
        key = (loc.path, loc.line, loc.col, message)
        if key not in self.problems:
            self.problems[key] = SchemaParseError(loc.path, loc.line, loc.col, message, hint)
