"""Read SQLAlchemy 2.0 models statically (with `ast`, never importing them) into a Schema.

Names are recognised by what they are imported as, so `sa.String`, `String as S` and
`sqlalchemy.types.String` all mean the same.  Whatever the reader does not understand becomes a
problem with file:line:col; nothing is dropped silently.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from betterbase_cli.errors import ConfigError, SchemaError, SchemaParseError
from betterbase_cli.schema import model
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Location,
    Relation,
    Schema,
    Table,
    UniqueConstraint,
)
from betterbase_cli.schema.order import sorted_by_name
from betterbase_cli.schema.pymodule import ModelsModule, module_name, parse_models_file
from betterbase_cli.schema.pyresolve import (
    FinalName,
    Naming,
    NamingError,
    PyClass,
    Resolver,
    naming_from,
    sa_name,
)
from betterbase_cli.schema.pytypes import (
    PYTHON_TYPE_TEXT,
    PYTHON_TYPES,
    SQLALCHEMY_TYPES,
    TYPE_HINT,
)

if TYPE_CHECKING:
    from betterbase_cli.project import Project

__all__ = [
    "ModelsModule",
    "ReadResult",
    "build_schema",
    "parse_models_file",
    "read_models",
    "read_project_schema",
]

INTEGER_TYPES = frozenset({"integer", "bigint", "smallint"})

# ORM attributes that are not columns and carry nothing the schema needs.
NON_COLUMNS = frozenset(
    {
        "column_property",
        "synonym",
        "composite",
        "query_expression",
        "association_proxy",
        "dynamic_loader",
        "comparable_property",
        "hybrid_property",
        "hybrid_method",
    }
)
RELATIONSHIPS = frozenset({"relationship", "relation", "backref"})
COLLECTIONS = frozenset(
    {
        "builtins.list",
        "builtins.set",
        "builtins.frozenset",
        "typing.List",
        "typing.Set",
        "typing.FrozenSet",
        "typing.Sequence",
        "typing.Collection",
        "collections.abc.Sequence",
        "collections.abc.Collection",
        "collections.abc.Set",
    }
)
# Keywords of mapped_column()/Column() that have no effect on the database.
PYTHON_ONLY_KEYWORDS = frozenset(
    {
        "init",
        "repr",
        "default_factory",
        "compare",
        "kw_only",
        "hash",
        "deferred",
        "deferred_group",
        "deferred_raiseload",
        "use_existing_column",
        "doc",
        "key",
        "info",
        "onupdate",
        "server_onupdate",
        "active_history",
        "quote",
        "dataclass_metadata",
        "sort_order",
        "system",
    }
)
ACTIONS = {a.lower(): a for a in model.REFERENTIAL_ACTIONS}


@dataclass(frozen=True)
class ReadResult:
    schema: Schema
    problems: tuple[SchemaParseError, ...]
    sources: dict[str, str]


class _NotUnderstood(Exception):
    """A construct the reader cannot turn into schema; becomes a problem at `node`."""

    def __init__(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint


# --- drafts: tables under construction ----------------------------------------------------------


@dataclass
class _ColumnDraft:
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
    foreign_keys: list[_FKDraft] = field(default_factory=list)


@dataclass
class _FKDraft:
    columns: tuple[str, ...]
    target: tuple[str, tuple[str, ...]] | None  # (table, columns) when known by name
    target_class: tuple[str, str] | None  # (class qualname, attribute) for ForeignKey(User.id)
    name: str | None
    on_delete: str | None
    on_update: str | None
    location: Location


@dataclass
class _RelationDraft:
    name: str
    target_class: str
    many: bool | None
    back_populates: str | None
    location: Location


@dataclass
class _TableDraft:
    name: str
    naming: Naming
    location: Location
    class_name: str | None = None
    module: ModelsModule | None = None
    columns: list[_ColumnDraft] = field(default_factory=list)
    primary_key: tuple[str, ...] | None = None  # from a PrimaryKeyConstraint
    primary_key_name: str | None = None
    foreign_keys: list[_FKDraft] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    comment: str | None = None
    relations: list[_RelationDraft] = field(default_factory=list)

    def column_name(self, key: str) -> str:
        for column in self.columns:
            if column.key == key or column.name == key:
                return column.name
        return key


@dataclass
class _Annotation:
    """A `Mapped[...]` annotation taken apart."""

    module: ModelsModule
    mapped: bool = False
    classvar: bool = False
    optional: bool = False
    inner: ast.expr | None = None
    inner_qual: str | None = None
    alias_qual: str | None = None
    extra: ast.Call | None = None  # mapped_column(...) carried by an Annotated alias


def _loc(module: ModelsModule, node: ast.AST) -> Location:
    return Location(module.rel_path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _const_bool(node: ast.expr, what: str) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise _NotUnderstood(node, f"{what}= must be True or False here")


def _const_int(node: ast.expr, what: str) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    raise _NotUnderstood(node, f"{what} must be a whole number written in the file")


class _Builder:
    """Turns parsed modules into a Schema, collecting problems on the way."""

    def __init__(self, modules: Sequence[ModelsModule]) -> None:
        self.modules = {m.module: m for m in modules}
        self.ordered = list(modules)
        self.resolver = Resolver(self.modules)
        self.problems: dict[tuple[str, int, int, str], SchemaParseError] = {}
        self.tables: list[_TableDraft] = []
        self.enums: dict[str, Enum] = {}
        self.class_tables: dict[str, _TableDraft] = {}  # class qualname -> table
        self.class_names: dict[str, list[str]] = {}  # simple class name -> qualnames
        # per-build memos (keyed by id of nodes and classes that live as long as the build)
        self._namings: dict[int, Naming] = {}
        self._type_maps: dict[int, list[tuple[str, ast.expr, ModelsModule]]] = {}
        self._parsed_annotations: dict[int, ast.expr] = {}

    # -- problems -------------------------------------------------------------------------------

    def problem(
        self, module: ModelsModule, node: ast.AST, message: str, hint: str | None = None
    ) -> None:
        loc = _loc(module, node)
        key = (loc.path, loc.line, loc.col, message)
        if key not in self.problems:
            self.problems[key] = SchemaParseError(loc.path, loc.line, loc.col, message, hint)

    # -- entry ----------------------------------------------------------------------------------

    def build(self) -> ReadResult:
        for module in self.ordered:
            for stmt in module.statements:
                if isinstance(stmt, ast.ClassDef):
                    cls = self.resolver.class_of(module, stmt)
                    self.class_names.setdefault(stmt.name, []).append(cls.qual)
        for module in self.ordered:
            for stmt in module.statements:
                if isinstance(stmt, ast.ClassDef):
                    self._class(self.resolver.class_of(module, stmt))
                else:
                    self._module_table(module, stmt)
        return self._finish()

    # -- classes --------------------------------------------------------------------------------

    def _class(self, cls: PyClass) -> None:
        resolver = self.resolver
        if resolver.is_enum(cls) or resolver.is_declarative_root(cls):
            return
        root = resolver.root_of(cls)
        if root is None:
            if cls.own("__tablename__") is not None:
                assert cls.node is not None
                self.problem(
                    cls.module,
                    cls.node,
                    f"class {cls.name} has __tablename__ but does not inherit a declarative base",
                    hint="inherit from your Base (class Base(DeclarativeBase))",
                )
            return
        abstract = cls.own("__abstract__")
        if isinstance(abstract, ast.Constant) and abstract.value is True:
            return
        assert cls.node is not None
        mro = resolver.mro(cls)
        # Columns come from the class, its mixins and abstract bases, but not from a mapped
        # parent (joined inheritance): those live in the parent's table.
        parents = [c for c in mro[1:] if isinstance(c, PyClass) and self._is_table_class(c)]
        excluded: set[int] = set()
        for parent in parents:
            excluded.update(id(c) for c in resolver.mro(parent) if isinstance(c, PyClass))
        sources = [
            c
            for c in mro
            if isinstance(c, PyClass) and id(c) not in excluded and c is not root
            and c.factory is None
        ]
        naming = self._namings.get(id(root))
        if naming is None:
            naming = self._namings[id(root)] = self._root_naming(root)
        explicit_table = self._lookup(sources, "__table__")
        if explicit_table is not None:
            owner, value = explicit_table
            if isinstance(value, ast.Call) and sa_name(owner.module.qualify(value.func)) == "Table":
                draft = self._table_object(owner.module, value, naming)
                if draft is not None:
                    draft.class_name = cls.name
                    self.class_tables[cls.qual] = draft
            else:
                found = self._module_table_named(owner.module.qualify(value))
                if found is not None:
                    found.class_name = cls.name
                    self.class_tables[cls.qual] = found
                else:
                    self.problem(
                        owner.module,
                        value,
                        "__table__ is not a Table(...) bb can read",
                        hint="write the Table(...) in this file or use __tablename__",
                    )
            return
        tablename = self._tablename(cls, sources)
        if tablename is None:
            if parents:
                self.problem(
                    cls.module,
                    cls.node,
                    f"class {cls.name} uses single-table inheritance, which bb does not read yet",
                    hint="give it a __tablename__ (joined-table inheritance) or merge it into "
                    f"{parents[0].name}",
                )
            else:
                self.problem(
                    cls.module,
                    cls.node,
                    f"mapped class {cls.name} has no __tablename__",
                    hint='add __tablename__ = "..." or mark it __abstract__ = True',
                )
            return
        draft = _TableDraft(
            name=tablename,
            naming=naming,
            location=_loc(cls.module, cls.node),
            class_name=cls.name,
            module=cls.module,
        )
        self.class_tables[cls.qual] = draft
        type_map = self._type_maps.get(id(root))
        if type_map is None:
            type_map = self._type_maps[id(root)] = self._type_annotation_map(root)
        seen: set[str] = set()
        for source in sources:
            for key, annotation, attr_value, node in self._attributes(source):
                if key in seen:
                    continue
                seen.add(key)
                self._attribute(draft, source.module, key, annotation, attr_value, node, type_map)
        args = self._lookup(sources, "__table_args__")
        if args is not None:
            self._table_args(draft, args[0].module, args[1])
        self.tables.append(draft)

    def _is_table_class(self, cls: PyClass) -> bool:
        if self.resolver.root_of(cls) is None or self.resolver.is_declarative_root(cls):
            return False
        abstract = cls.own("__abstract__")
        return not (isinstance(abstract, ast.Constant) and abstract.value is True)

    def _root_naming(self, root: PyClass) -> Naming:
        if root.factory is not None:
            for kw in root.factory.keywords:
                if kw.arg == "metadata":
                    return self._metadata_naming(root.module, kw.value)
            return Naming()
        metadata = root.own("metadata")
        if metadata is None:
            return Naming()
        return self._metadata_naming(root.module, metadata)

    def _metadata_naming(self, module: ModelsModule, node: ast.expr) -> Naming:
        if isinstance(node, ast.Name | ast.Attribute):
            qual = module.qualify(node)
            if isinstance(node, ast.Attribute) and node.attr == "metadata":
                base = self.resolver.cls(module.qualify(node.value))
                if base is not None:
                    return self._root_naming(base)
            found = self.resolver.value(qual)
            if found is not None:
                module, node = found
        return naming_from(module, node, self.resolver)

    def _type_annotation_map(self, root: PyClass) -> list[tuple[str, ast.expr, ModelsModule]]:
        value = root.own("type_annotation_map")
        out: list[tuple[str, ast.expr, ModelsModule]] = []
        if value is None:
            return out
        if not isinstance(value, ast.Dict):
            self.problem(root.module, value, "type_annotation_map is not a dict literal")
            return out
        for key, type_ in zip(value.keys, value.values, strict=False):
            if key is None:
                continue
            qual = (
                root.module.qualify(key)
                if not isinstance(key, ast.Subscript)
                else f"{root.module.qualify(key.value)}[{ast.unparse(key.slice)}]"
            )
            if qual is None:
                self.problem(root.module, key, f"cannot tell what {ast.unparse(key)} is")
                continue
            out.append((qual, type_, root.module))
        return out

    def _lookup(
        self, sources: list[PyClass], attribute: str
    ) -> tuple[PyClass, ast.expr] | None:
        for source in sources:
            value = source.own(attribute)
            if value is not None:
                return source, value
            declared = self._declared_attr(source, attribute)
            if declared is not None:
                return source, declared[1]
        return None

    def _declared_attr(
        self, cls: PyClass, attribute: str
    ) -> tuple[ast.expr | None, ast.expr] | None:
        for stmt in cls.body():
            if isinstance(stmt, ast.FunctionDef) and stmt.name == attribute:
                if not any(self._is_declared_attr(cls.module, d) for d in stmt.decorator_list):
                    return None
                body = [
                    s
                    for s in stmt.body
                    if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                ]
                if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value:
                    return stmt.returns, body[0].value
                raise _NotUnderstood(
                    stmt,
                    f"@declared_attr {attribute} does more than return one expression",
                    hint="bb reads declared_attr functions whose body is a single return",
                )
        return None

    def _is_declared_attr(self, module: ModelsModule, node: ast.expr) -> bool:
        name = sa_name(module.qualify(node))
        return name is not None and name.startswith("declared_attr")

    def _tablename(self, cls: PyClass, sources: list[PyClass]) -> str | None:
        for source in sources:
            value = source.own("__tablename__")
            if value is None:
                try:
                    declared = self._declared_attr(source, "__tablename__")
                except _NotUnderstood as exc:
                    self.problem(source.module, exc.node, exc.message, exc.hint)
                    return None
                if declared is None:
                    continue
                value = declared[1]
                # cls.__name__.lower() / cls.__name__
                text = ast.unparse(value)
                if text == "cls.__name__.lower()":
                    return cls.name.lower()
                if text == "cls.__name__":
                    return cls.name
            name = _const_str(value)
            if name is None:
                self.problem(
                    source.module,
                    value,
                    "__tablename__ is not a string literal",
                    hint='write it as __tablename__ = "name"',
                )
                return None
            return name
        return None

    def _attributes(
        self, cls: PyClass
    ) -> list[tuple[str, ast.expr | None, ast.expr | None, ast.AST]]:
        """(key, annotation, value, node) of every attribute a class body declares."""
        out: list[tuple[str, ast.expr | None, ast.expr | None, ast.AST]] = []
        for stmt in cls.body():
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                out.append((stmt.target.id, stmt.annotation, stmt.value, stmt))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        out.append((target.id, None, stmt.value, stmt))
                    else:
                        self.problem(cls.module, target, "assignment target not understood")
            elif isinstance(stmt, ast.FunctionDef) and any(
                self._is_declared_attr(cls.module, d) for d in stmt.decorator_list
            ):
                if stmt.name.startswith("__"):
                    continue  # __tablename__/__table_args__ are looked up on their own
                try:
                    declared = self._declared_attr(cls, stmt.name)
                except _NotUnderstood as exc:
                    self.problem(cls.module, exc.node, exc.message, exc.hint)
                    continue
                if declared is not None:
                    out.append((stmt.name, declared[0], declared[1], stmt))
        return out

    # -- one attribute --------------------------------------------------------------------------

    def _attribute(
        self,
        draft: _TableDraft,
        module: ModelsModule,
        key: str,
        annotation: ast.expr | None,
        value: ast.expr | None,
        node: ast.AST,
        type_map: list[tuple[str, ast.expr, ModelsModule]],
    ) -> None:
        if key.startswith("__") and key.endswith("__"):
            return
        try:
            ann = self._annotation(module, annotation) if annotation is not None else None
            if ann is not None and ann.classvar:
                return
            call = value if isinstance(value, ast.Call) else None
            what = sa_name(module.qualify(call.func)) if call is not None else None
            if call is not None and what == "deferred" and call.args:
                inner = call.args[0]
                call = inner if isinstance(inner, ast.Call) else None
                what = sa_name(module.qualify(call.func)) if call is not None else None
            if what in RELATIONSHIPS and call is not None:
                draft.relations.append(self._relation(module, key, ann, call, node))
                return
            if what in NON_COLUMNS:
                return
            if what in ("mapped_column", "Column") and call is not None:
                column = self._column(draft, module, key, ann, call, node, type_map, what)
            elif value is None and ann is not None and ann.mapped:
                column = self._column(draft, module, key, ann, None, node, type_map, None)
            elif value is None and ann is not None:
                raise _NotUnderstood(
                    annotation or node,
                    f"{key}: annotation {ast.unparse(annotation or node)} is not Mapped[...]",
                    hint="declare columns as `name: Mapped[type] = mapped_column(...)`",
                )
            elif isinstance(value, ast.Constant) and ann is None:
                return  # a plain class constant
            elif value is not None and ann is not None and not ann.mapped:
                return  # a typed class constant (x: int = 3)
            else:
                assert value is not None
                raise _NotUnderstood(
                    value,
                    f"{key} = {ast.unparse(value)[:60]} is not a column bb understands",
                    hint="use mapped_column(...), Column(...) or relationship(...)",
                )
        except _NotUnderstood as exc:
            self.problem(module, exc.node, exc.message, exc.hint)
            return
        draft.columns.append(column)

    def _annotation(self, module: ModelsModule, node: ast.expr, depth: int = 0) -> _Annotation:
        ann = _Annotation(module)
        self._unwrap(ann, module, node, depth)
        return ann

    def _unwrap(self, ann: _Annotation, module: ModelsModule, node: ast.expr, depth: int) -> None:
        if depth > 10:
            raise _NotUnderstood(node, f"annotation {ast.unparse(node)} nests too deeply")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parsed = self._parsed_annotations.get(id(node))
            if parsed is None:
                try:
                    parsed = ast.parse(node.value, mode="eval").body
                except SyntaxError:
                    raise _NotUnderstood(
                        node, f"annotation {node.value!r} does not parse"
                    ) from None
                for child in ast.walk(parsed):
                    ast.copy_location(child, node)
                self._parsed_annotations[id(node)] = parsed
            self._unwrap(ann, module, parsed, depth + 1)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [node.left, node.right]
            rest = [s for s in sides if not _is_none(s)]
            if len(rest) < len(sides):
                ann.optional = True
            if len(rest) == 1:
                self._unwrap(ann, module, rest[0], depth + 1)
                return
            raise _NotUnderstood(node, f"annotation {ast.unparse(node)} is a union of types")
        if isinstance(node, ast.Subscript):
            qual = module.qualify(node.value)
            short = sa_name(qual)
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if short in ("Mapped", "WriteOnlyMapped", "DynamicMapped") or (
                qual is None and isinstance(node.value, ast.Name) and node.value.id == "Mapped"
            ):
                ann.mapped = True
                self._unwrap(ann, module, args[0], depth + 1)
                return
            if qual in ("typing.Optional", "typing_extensions.Optional"):
                ann.optional = True
                self._unwrap(ann, module, args[0], depth + 1)
                return
            if qual in ("typing.Union", "typing_extensions.Union"):
                rest = [a for a in args if not _is_none(a)]
                if len(rest) < len(args):
                    ann.optional = True
                if len(rest) == 1:
                    self._unwrap(ann, module, rest[0], depth + 1)
                    return
                raise _NotUnderstood(node, f"annotation {ast.unparse(node)} is a union of types")
            if qual in ("typing.Annotated", "typing_extensions.Annotated"):
                for meta in args[1:]:
                    if isinstance(meta, ast.Call) and sa_name(
                        module.qualify(meta.func)
                    ) == "mapped_column":
                        ann.extra = ann.extra or meta
                self._unwrap(ann, module, args[0], depth + 1)
                return
            if qual in ("typing.ClassVar", "typing_extensions.ClassVar"):
                ann.classvar = True
                return
            ann.inner = node
            ann.inner_qual = qual
            return
        if isinstance(node, ast.Name | ast.Attribute):
            qual = module.qualify(node)
            found = self.resolver.value(qual)
            if found is not None and isinstance(found[1], ast.Subscript):
                # a module-level alias such as `intpk = Annotated[int, mapped_column(...)]`
                if ann.alias_qual is None:
                    ann.alias_qual = qual
                self._unwrap(ann, found[0], found[1], depth + 1)
                return
            if sa_name(qual) in ("Mapped",):
                raise _NotUnderstood(node, "Mapped needs a type: Mapped[int]")
            ann.inner = node
            ann.inner_qual = qual
            ann.module = module
            return
        if _is_none(node):
            raise _NotUnderstood(node, "annotation is None")
        ann.inner = node
        ann.inner_qual = None

    # -- columns --------------------------------------------------------------------------------

    def _column(
        self,
        draft: _TableDraft,
        module: ModelsModule,
        key: str,
        ann: _Annotation | None,
        call: ast.Call | None,
        node: ast.AST,
        type_map: list[tuple[str, ast.expr, ModelsModule]],
        kind: str | None,
    ) -> _ColumnDraft:
        args: list[tuple[ModelsModule, ast.expr]] = []
        keywords: dict[str, tuple[ModelsModule, ast.expr]] = {}
        # an Annotated alias's mapped_column(...) comes first; the attribute's own overrides it
        if ann is not None and ann.extra is not None:
            args.extend((ann.module, a) for a in ann.extra.args)
            keywords.update({k.arg: (ann.module, k.value) for k in ann.extra.keywords if k.arg})
        if call is not None:
            for kw in call.keywords:
                if kw.arg is None:
                    raise _NotUnderstood(kw.value, f"{key}: **kwargs cannot be read statically")
            own_args = [(module, a) for a in call.args]
            if own_args and any(_const_str(a) is not None for _, a in own_args[:1]):
                args = [a for a in args if _const_str(a[1]) is None]
            args.extend(own_args)
            keywords.update({k.arg: (module, k.value) for k in call.keywords if k.arg})
        name = key
        type_: ColumnType | None = None
        type_node: tuple[ModelsModule, ast.expr] | None = None
        fks: list[_FKDraft] = []
        autoincrement: bool | str = "auto"
        loc = _loc(module, node)
        for i, (mod, arg) in enumerate(args):
            text = _const_str(arg)
            if text is not None and i == 0:
                name = text
                continue
            if isinstance(arg, ast.Call):
                what = sa_name(mod.qualify(arg.func))
                if what == "ForeignKey":
                    fks.append(self._foreign_key(draft, mod, arg, loc))
                    continue
                if what == "CheckConstraint":
                    draft.checks.append(self._check(draft, mod, arg))
                    continue
                if what in ("Sequence", "Identity"):
                    autoincrement = True
                    continue
                if what in ("Computed", "FetchedValue"):
                    raise _NotUnderstood(arg, f"{key}: {what}(...) is not supported by bb yet")
            if type_node is not None:
                raise _NotUnderstood(arg, f"{key}: argument {ast.unparse(arg)[:40]} not understood")
            type_node = (mod, arg)
        if "type_" in keywords:
            type_node = keywords.pop("type_")
        if "name" in keywords:
            mod, value = keywords.pop("name")
            text = _const_str(value)
            if text is None:
                raise _NotUnderstood(value, f"{key}: name= must be a string literal")
            name = text
        nullable_kw = keywords.pop("nullable", None)
        primary_key = False
        if "primary_key" in keywords:
            primary_key = _const_bool(keywords.pop("primary_key")[1], "primary_key")
        if "autoincrement" in keywords:
            value = keywords.pop("autoincrement")[1]
            choices = (True, False, "auto", "ignore_fk")
            if isinstance(value, ast.Constant) and value.value in choices:
                autoincrement = value.value  # type: ignore[assignment]
            else:
                raise _NotUnderstood(value, f"{key}: autoincrement= not understood")
        unique = index = False
        if "unique" in keywords:
            unique = _const_bool(keywords.pop("unique")[1], "unique")
        if "index" in keywords:
            index = _const_bool(keywords.pop("index")[1], "index")
        server_default = None
        if "server_default" in keywords:
            mod, value = keywords.pop("server_default")
            server_default = None if _is_none(value) else self._server_default(mod, value)
        default = None
        for python_default in ("default", "insert_default"):
            if python_default in keywords:
                default = ast.unparse(keywords.pop(python_default)[1])
        comment = None
        if "comment" in keywords:
            value = keywords.pop("comment")[1]
            comment = _const_str(value)
            if comment is None and not _is_none(value):
                raise _NotUnderstood(value, f"{key}: comment= must be a string literal")
        sort_order = 0
        if "sort_order" in keywords:
            sort_order = _const_int(keywords["sort_order"][1], "sort_order")
        for word, (_mod, value) in keywords.items():
            if word not in PYTHON_ONLY_KEYWORDS:
                raise _NotUnderstood(
                    value,
                    f"{key}: {word}= is not understood by bb",
                    hint="bb reads the mapped_column/Column arguments that change the database; "
                    "remove it or tell us about it",
                )
        python_type: str | None = None
        if ann is not None and ann.inner is not None:
            python_type = self._python_type_text(ann)
        if type_node is not None:
            type_ = self._sa_type(draft, type_node[0], type_node[1], key)
        elif fks:
            pass  # as SQLAlchemy does: a foreign key column takes the type of its target
        elif ann is not None and ann.inner is not None:
            type_ = self._annotation_type(ann, type_map, key)
        else:
            raise _NotUnderstood(
                call or node,
                f"{key}: the column has no type",
                hint="annotate it (Mapped[int]) or pass a type (mapped_column(Integer))",
            )
        # Nullability as SQLAlchemy decides it: explicit nullable=, else the primary key, else
        # the Mapped annotation (mapped_column) or True (Column).
        if nullable_kw is not None:
            nullable = _const_bool(nullable_kw[1], "nullable")
        elif primary_key:
            nullable = False
        elif kind == "Column" or ann is None or not ann.mapped:
            nullable = True
        else:
            nullable = ann.optional
        for fk in fks:
            fk.columns = (name,)
        return _ColumnDraft(
            key=key,
            name=name,
            type=type_,
            nullable=nullable,
            primary_key=primary_key,
            autoincrement=autoincrement,
            server_default=server_default,
            default=default,
            comment=comment,
            python_type=python_type,
            location=loc,
            unique=unique,
            index=index,
            sort_order=sort_order,
            foreign_keys=fks,
        )

    def _python_type_text(self, ann: _Annotation) -> str:
        assert ann.inner is not None
        if ann.inner_qual in PYTHON_TYPE_TEXT and not isinstance(ann.inner, ast.Subscript):
            return PYTHON_TYPE_TEXT[ann.inner_qual]
        enum_cls = self.resolver.cls(ann.inner_qual)
        if enum_cls is not None:
            return enum_cls.name
        return ast.unparse(ann.inner)

    def _annotation_type(
        self,
        ann: _Annotation,
        type_map: list[tuple[str, ast.expr, ModelsModule]],
        key: str,
    ) -> ColumnType:
        assert ann.inner is not None
        inner_key = (
            f"{ann.inner_qual}[{ast.unparse(ann.inner.slice)}]"
            if isinstance(ann.inner, ast.Subscript)
            else ann.inner_qual
        )
        for candidate in (ann.alias_qual, inner_key, ann.inner_qual):
            if candidate is None:
                continue
            for qual, type_node, module in type_map:
                if qual == candidate:
                    return self._sa_type(None, module, type_node, key)
        cls = self.resolver.cls(ann.inner_qual)
        if cls is not None and self.resolver.is_enum(cls):
            return self._enum_from_class(cls, cls.name.lower(), ann.inner, None)
        if ann.inner_qual in PYTHON_TYPES:
            return PYTHON_TYPES[ann.inner_qual]
        raise _NotUnderstood(
            ann.inner,
            f"{key}: bb does not know which column type {ast.unparse(ann.inner)} maps to",
            hint="pass a type explicitly, e.g. mapped_column(String(50)), or add it to "
            "type_annotation_map on your Base; " + TYPE_HINT,
        )

    def _sa_type(
        self, draft: _TableDraft | None, module: ModelsModule, node: ast.expr, key: str
    ) -> ColumnType:
        call = node if isinstance(node, ast.Call) else None
        func = call.func if call is not None else node
        qual = module.qualify(func)
        short = sa_name(qual)
        if short is None and call is None:
            # `Str50 = String(50)` at module level, used as mapped_column(Str50)
            found = self.resolver.value(qual)
            if found is not None:
                return self._sa_type(draft, found[0], found[1], key)
        name = SQLALCHEMY_TYPES.get(short or "")
        if name is None:
            shown = ast.unparse(func)
            raise _NotUnderstood(
                node,
                f"{key}: unknown column type {shown}",
                hint=TYPE_HINT,
            )
        args = call.args if call is not None else []
        kwargs = {k.arg: k.value for k in call.keywords if k.arg} if call is not None else {}
        if name == "enum":
            return self._enum_type(module, node, args, kwargs, key)
        if name == "string":
            length_node = args[0] if args else kwargs.get("length")
            length = None
            if length_node is not None and not _is_none(length_node):
                length = _const_int(length_node, f"{key}: the length")
            return ColumnType("string", length=length)
        if name == "numeric":
            p = args[0] if args else kwargs.get("precision")
            s = args[1] if len(args) > 1 else kwargs.get("scale")
            return ColumnType(
                "numeric",
                precision=_const_int(p, "precision") if p is not None and not _is_none(p) else None,
                scale=_const_int(s, "scale") if s is not None and not _is_none(s) else None,
            )
        if name == "datetime":
            tz = args[0] if args else kwargs.get("timezone")
            return ColumnType(
                "datetime", timezone=_const_bool(tz, "timezone") if tz is not None else False
            )
        return ColumnType(name)

    def _enum_type(
        self,
        module: ModelsModule,
        node: ast.expr,
        args: list[ast.expr],
        kwargs: dict[str, ast.expr],
        key: str,
    ) -> ColumnType:
        name_node = kwargs.get("name")
        enum_name = _const_str(name_node) if name_node is not None else None
        if name_node is not None and enum_name is None:
            raise _NotUnderstood(name_node, f"{key}: Enum name= must be a string literal")
        if len(args) == 1 and not isinstance(args[0], ast.Constant):
            cls = self.resolver.cls(module.qualify(args[0]))
            if cls is None or not self.resolver.is_enum(cls):
                raise _NotUnderstood(
                    args[0],
                    f"{key}: Enum({ast.unparse(args[0])}) is not an enum class of the project",
                    hint="define the enum.Enum class in your models (or a module they import)",
                )
            return self._enum_from_class(
                cls, enum_name or cls.name.lower(), args[0], kwargs.get("values_callable")
            )
        values = []
        for arg in args:
            text = _const_str(arg)
            if text is None:
                raise _NotUnderstood(arg, f"{key}: Enum values must be string literals")
            values.append(text)
        if enum_name is None:
            raise _NotUnderstood(
                node,
                f"{key}: Enum(...) without name=",
                hint='name it, e.g. Enum("draft", "published", name="post_status")',
            )
        return self._register_enum(Enum(enum_name, tuple(values)), module, node)

    def _enum_from_class(
        self, cls: PyClass, enum_name: str, node: ast.expr, values_callable: ast.expr | None
    ) -> ColumnType:
        use_values = False
        if values_callable is not None:
            text = ast.unparse(values_callable).replace(" ", "")
            # lambda x: [e.value for e in x] -- the one values_callable everyone writes
            if text.startswith("lambda") and ".value" in text:
                use_values = True
            else:
                raise _NotUnderstood(values_callable, "values_callable not understood")
        values: list[str] = []
        for stmt in cls.body():
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            for target in targets:
                if not isinstance(target, ast.Name) or target.id.startswith("_"):
                    continue
                if use_values:
                    if not (isinstance(value, ast.Constant) and value.value is not None):
                        raise _NotUnderstood(
                            stmt, f"enum {cls.name}.{target.id}: value is not a literal"
                        )
                    values.append(str(value.value))
                else:
                    values.append(target.id)
        assert cls.node is not None
        enum = Enum(
            enum_name, tuple(values), class_name=cls.name, location=_loc(cls.module, cls.node)
        )
        return self._register_enum(enum, cls.module, node)

    def _register_enum(self, enum: Enum, module: ModelsModule, node: ast.expr) -> ColumnType:
        known = self.enums.get(enum.name)
        if known is not None and known.values != enum.values:
            raise _NotUnderstood(
                node,
                f"enum {enum.name} is declared twice with different values",
                hint=f"values here {list(enum.values)}, elsewhere {list(known.values)}",
            )
        if known is None or (known.class_name is None and enum.class_name is not None):
            self.enums[enum.name] = enum
        return ColumnType("enum", enum=enum.name)

    def _server_default(self, module: ModelsModule, node: ast.expr) -> str:
        text = _const_str(node)
        if text is not None:
            return "'" + text.replace("'", "''") + "'"
        if isinstance(node, ast.Call):
            what = sa_name(module.qualify(node.func)) or ""
            if what in ("text", "literal_column") and node.args:
                raw = _const_str(node.args[0])
                if raw is not None:
                    return raw
            if what == "false" and not node.args:
                return "FALSE"
            if what == "true" and not node.args:
                return "TRUE"
            if what == "null" and not node.args:
                return "NULL"
            if what == "DefaultClause" and node.args:
                return self._server_default(module, node.args[0])
            if what.startswith("func."):
                fname = what[len("func.") :]
                lowered = fname.lower()
                if lowered in ("now", "current_timestamp") and not node.args:
                    return "CURRENT_TIMESTAMP"
                if lowered in ("current_date", "current_time") and not node.args:
                    return lowered.upper()
                rendered = [self._literal_sql(module, a) for a in node.args]
                return f"{fname}({', '.join(rendered)})"
        raise _NotUnderstood(
            node,
            f"server_default={ast.unparse(node)[:60]} not understood",
            hint='use a string ("active"), text("0"), func.now() or sa.false()',
        )

    def _literal_sql(self, module: ModelsModule, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return "'" + node.value.replace("'", "''") + "'"
            if isinstance(node.value, bool):
                return "TRUE" if node.value else "FALSE"
            if isinstance(node.value, int | float):
                return repr(node.value)
        return self._server_default(module, node)

    # -- constraints ----------------------------------------------------------------------------

    def _foreign_key(
        self, draft: _TableDraft, module: ModelsModule, call: ast.Call, loc: Location
    ) -> _FKDraft:
        if not call.args:
            raise _NotUnderstood(call, "ForeignKey() needs a target such as 'users.id'")
        target = call.args[0]
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        fk = _FKDraft(
            columns=(),
            target=None,
            target_class=None,
            name=None,
            on_delete=None,
            on_update=None,
            location=loc,
        )
        text = _const_str(target)
        if text is not None:
            fk.target = self._split_target(target, text)
        elif isinstance(target, ast.Attribute):
            fk.target_class = (module.qualify(target.value) or "", target.attr)
        else:
            raise _NotUnderstood(target, f"ForeignKey target {ast.unparse(target)} not understood")
        self._fk_options(fk, kwargs)
        return fk

    def _split_target(self, node: ast.expr, text: str) -> tuple[str, tuple[str, ...]]:
        parts = text.split(".")
        if len(parts) != 2:
            raise _NotUnderstood(
                node,
                f"ForeignKey target {text!r} is not table.column",
                hint="bb reads targets like 'users.id' (no schema prefix)",
            )
        return parts[0], (parts[1],)

    def _fk_options(self, fk: _FKDraft, kwargs: dict[str, ast.expr]) -> None:
        for word, value in kwargs.items():
            if word in ("ondelete", "onupdate"):
                if _is_none(value):
                    continue
                text = _const_str(value)
                action = ACTIONS.get(" ".join((text or "").lower().split()))
                if action is None:
                    raise _NotUnderstood(
                        value,
                        f"{word}={ast.unparse(value)} is not a referential action",
                        hint=f"use one of {', '.join(model.REFERENTIAL_ACTIONS)}",
                    )
                if word == "ondelete":
                    fk.on_delete = action
                else:
                    fk.on_update = action
            elif word == "name":
                fk.name = _const_str(value)
                if fk.name is None and not _is_none(value):
                    raise _NotUnderstood(value, "ForeignKey name= must be a string literal")
            elif word in ("use_alter", "link_to_name", "info", "comment", "_constraint"):
                continue
            else:
                raise _NotUnderstood(value, f"ForeignKey {word}= is not supported by bb")

    def _check(self, draft: _TableDraft, module: ModelsModule, call: ast.Call) -> CheckConstraint:
        if not call.args:
            raise _NotUnderstood(call, "CheckConstraint() needs an expression")
        sql = call.args[0]
        text = _const_str(sql)
        if text is None and isinstance(sql, ast.Call):
            if sa_name(module.qualify(sql.func)) == "text" and sql.args:
                text = _const_str(sql.args[0])
        if text is None:
            raise _NotUnderstood(
                sql, "CheckConstraint expression must be a string", hint='e.g. "price >= 0"'
            )
        explicit = self._name_kw(call, module)
        expression = text.strip()
        return CheckConstraint(
            self._name(draft, "ck", explicit, (), expression=expression, node=call, module=module),
            expression,
        )

    def _name_kw(self, call: ast.Call, module: ModelsModule | None = None) -> str | None:
        for kw in call.keywords:
            if kw.arg == "name":
                if _is_none(kw.value):
                    return None
                value = kw.value
                if (
                    module is not None
                    and isinstance(value, ast.Call)
                    and sa_name(module.qualify(value.func)) == "conv"
                    and value.args
                ):
                    final = _const_str(value.args[0])
                    if final is not None:
                        return FinalName(final)
                text = _const_str(value)
                if text is None:
                    raise _NotUnderstood(kw.value, "name= must be a string literal")
                return text
        return None

    def _name(
        self,
        draft: _TableDraft,
        kind: str,
        explicit: str | None,
        columns: tuple[str, ...],
        ref_table: str | None = None,
        ref_columns: tuple[str, ...] = (),
        expression: str = "",
        node: ast.AST | None = None,
        module: ModelsModule | None = None,
    ) -> str:
        try:
            return draft.naming.name(
                kind, explicit, draft.name, columns, ref_table, ref_columns, expression
            )
        except NamingError as exc:
            if node is not None and module is not None:
                self.problem(
                    module, node, f"naming convention token %({exc})s cannot be filled in"
                )
            return Naming(()).name(kind, explicit, draft.name, columns, ref_table, ref_columns,
                                   expression)

    def _column_args(self, module: ModelsModule, nodes: list[ast.expr]) -> tuple[str, ...]:
        names: list[str] = []
        for node in nodes:
            text = _const_str(node)
            if text is not None:
                names.append(text)
            elif isinstance(node, ast.Name):
                names.append(node.id)  # a column attribute referenced in the class body
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                names.append(node.attr)  # Model.column or table.c.column
            else:
                raise _NotUnderstood(
                    node,
                    f"{ast.unparse(node)[:60]} is not a column name",
                    hint="bb reads constraints over plain columns (no expressions)",
                )
        return tuple(names)

    def _table_args(self, draft: _TableDraft, module: ModelsModule, node: ast.expr) -> None:
        items: list[ast.expr]
        if isinstance(node, ast.Tuple | ast.List):
            items = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = [node]
        else:
            self.problem(module, node, "__table_args__ is not a tuple or dict literal")
            return
        for item in items:
            try:
                if isinstance(item, ast.Dict):
                    self._table_kwargs(draft, module, item)
                elif isinstance(item, ast.Call):
                    self._table_item(draft, module, item)
                else:
                    raise _NotUnderstood(item, f"{ast.unparse(item)[:60]} not understood")
            except _NotUnderstood as exc:
                self.problem(module, exc.node, exc.message, exc.hint)

    def _table_kwargs(self, draft: _TableDraft, module: ModelsModule, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=False):
            word = _const_str(key)
            if word == "comment":
                draft.comment = _const_str(value)
            elif word in ("extend_existing", "keep_existing", "info", "sqlite_autoincrement"):
                continue
            elif word is not None and word.startswith("mysql_"):
                continue  # engine/charset options: not part of bb's schema
            else:
                raise _NotUnderstood(
                    key or value, f"table option {word or ast.unparse(value)} is not supported"
                )

    def _table_item(self, draft: _TableDraft, module: ModelsModule, call: ast.Call) -> None:
        what = sa_name(module.qualify(call.func))
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if what == "Index":
            name_node = call.args[0] if call.args else kwargs.get("name")
            explicit = _const_str(name_node) if name_node is not None else None
            if name_node is not None and explicit is None and not _is_none(name_node):
                raise _NotUnderstood(name_node, "Index name must be a string literal")
            columns = tuple(
                draft.column_name(c) for c in self._column_args(module, call.args[1:])
            )
            unique = False
            for word, value in kwargs.items():
                if word == "unique":
                    unique = _const_bool(value, "unique")
                elif word not in ("name", "info"):
                    raise _NotUnderstood(value, f"Index {word}= is not supported by bb")
            draft.indexes.append(
                Index(self._name(draft, "ix", explicit, columns, node=call, module=module),
                      columns, unique)
            )
        elif what == "UniqueConstraint":
            columns = tuple(draft.column_name(c) for c in self._column_args(module, call.args))
            self._only(kwargs, {"name", "info"}, "UniqueConstraint")
            explicit = self._name_kw(call, module)
            name = self._name(draft, "uq", explicit, columns, node=call, module=module)
            draft.uniques.append(UniqueConstraint(name, columns))
        elif what == "CheckConstraint":
            self._only(kwargs, {"name", "info"}, "CheckConstraint")
            draft.checks.append(self._check(draft, module, call))
        elif what == "PrimaryKeyConstraint":
            self._only(kwargs, {"name", "info"}, "PrimaryKeyConstraint")
            draft.primary_key = tuple(
                draft.column_name(c) for c in self._column_args(module, call.args)
            )
            draft.primary_key_name = self._name_kw(call, module)
        elif what == "ForeignKeyConstraint":
            if len(call.args) < 2:
                raise _NotUnderstood(call, "ForeignKeyConstraint(columns, refcolumns) expected")
            cols_node, refs_node = call.args[0], call.args[1]
            if not isinstance(cols_node, ast.List | ast.Tuple) or not isinstance(
                refs_node, ast.List | ast.Tuple
            ):
                raise _NotUnderstood(call, "ForeignKeyConstraint columns must be list literals")
            columns = tuple(
                draft.column_name(c) for c in self._column_args(module, list(cols_node.elts))
            )
            targets = []
            for ref in refs_node.elts:
                text = _const_str(ref)
                if text is None:
                    raise _NotUnderstood(ref, "ForeignKeyConstraint targets must be 'table.column'")
                targets.append(self._split_target(ref, text))
            tables = {t for t, _ in targets}
            if len(tables) != 1:
                raise _NotUnderstood(refs_node, "ForeignKeyConstraint targets span tables")
            fk = _FKDraft(
                columns=columns,
                target=(targets[0][0], tuple(c[0] for _, c in targets)),
                target_class=None,
                name=None,
                on_delete=None,
                on_update=None,
                location=_loc(module, call),
            )
            self._fk_options(fk, kwargs)
            draft.foreign_keys.append(fk)
        else:
            raise _NotUnderstood(
                call,
                f"{ast.unparse(call.func)}(...) in the table arguments is not understood",
                hint="bb reads Index, UniqueConstraint, CheckConstraint, PrimaryKeyConstraint "
                "and ForeignKeyConstraint",
            )

    def _only(self, kwargs: dict[str, ast.expr], allowed: set[str], what: str) -> None:
        for word, value in kwargs.items():
            if word not in allowed:
                raise _NotUnderstood(value, f"{what} {word}= is not supported by bb")

    # -- relationships --------------------------------------------------------------------------

    def _relation(
        self,
        module: ModelsModule,
        key: str,
        ann: _Annotation | None,
        call: ast.Call,
        node: ast.AST,
    ) -> _RelationDraft:
        target: str | None = None
        many: bool | None = None
        if call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Lambda):
                arg = arg.body
            text = _const_str(arg)
            if text is not None:
                target = text.split(".")[-1].strip()
            elif isinstance(arg, ast.Name | ast.Attribute):
                target = ast.unparse(arg).split(".")[-1]
        if ann is not None and ann.inner is not None:
            inner = ann.inner
            if isinstance(inner, ast.Subscript):
                if ann.inner_qual in COLLECTIONS:
                    many = True
                    element = inner.slice
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        element = ast.parse(element.value, mode="eval").body
                    if target is None:
                        target = ast.unparse(element).split(".")[-1]
            elif target is None:
                target = ast.unparse(inner).split(".")[-1]
                many = False
            else:
                many = False
        back_populates = None
        for kw in call.keywords:
            if kw.arg == "uselist" and isinstance(kw.value, ast.Constant):
                many = bool(kw.value.value)
            elif kw.arg == "secondary" and many is None:
                many = True
            elif kw.arg == "back_populates":
                back_populates = _const_str(kw.value)
        if target is None:
            raise _NotUnderstood(call, f"{key}: cannot tell which class the relationship targets")
        return _RelationDraft(key, target, many, back_populates, _loc(module, node))

    # -- Table(...) objects ---------------------------------------------------------------------

    def _module_table(self, module: ModelsModule, stmt: ast.stmt) -> None:
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Expr):
            value = stmt.value
        if not isinstance(value, ast.Call) or sa_name(module.qualify(value.func)) != "Table":
            return
        metadata = value.args[1] if len(value.args) > 1 else None
        naming = self._metadata_naming(module, metadata) if metadata is not None else Naming()
        self._table_object(module, value, naming)

    def _module_table_named(self, qual: str | None) -> _TableDraft | None:
        found = self.resolver.value(qual)
        if found is None:
            return None
        module, value = found
        for draft in self.tables:
            if draft.module is module and draft.location == _loc(module, value):
                return draft
        return None

    def _table_object(
        self, module: ModelsModule, call: ast.Call, naming: Naming
    ) -> _TableDraft | None:
        name = _const_str(call.args[0]) if call.args else None
        if name is None:
            self.problem(module, call, "Table(...) needs its name as a string literal first")
            return None
        draft = _TableDraft(name=name, naming=naming, location=_loc(module, call), module=module)
        for item in call.args[2:]:
            try:
                if not isinstance(item, ast.Call):
                    raise _NotUnderstood(item, f"{ast.unparse(item)[:60]} not understood")
                what = sa_name(module.qualify(item.func))
                if what == "Column":
                    key = _const_str(item.args[0]) if item.args else None
                    if key is None:
                        raise _NotUnderstood(item, "Column(...) in a Table needs a name first")
                    draft.columns.append(
                        self._column(draft, module, key, None, item, item, [], "Column")
                    )
                else:
                    self._table_item(draft, module, item)
            except _NotUnderstood as exc:
                self.problem(module, exc.node, exc.message, exc.hint)
        for kw in call.keywords:
            if kw.arg == "comment":
                draft.comment = _const_str(kw.value)
            elif kw.arg in ("extend_existing", "keep_existing", "info", "sqlite_autoincrement"):
                continue
            elif kw.arg and kw.arg.startswith("mysql_"):
                continue
            else:
                self.problem(module, kw.value, f"Table option {kw.arg}= is not supported")
        self.tables.append(draft)
        return draft

    # -- the finish: names, keys, validation ----------------------------------------------------

    def _finish(self) -> ReadResult:
        by_name: dict[str, _TableDraft] = {}
        for draft in self.tables:
            if draft.name in by_name:
                first = by_name[draft.name]
                raise SchemaError(
                    f"two models use the table name {draft.name!r}: "
                    f"{first.class_name or 'Table'} at {first.location} and "
                    f"{draft.class_name or 'Table'} at {draft.location}",
                    hint="rename one of the __tablename__ values",
                )
            by_name[draft.name] = draft
        class_table = {q: d.name for q, d in self.class_tables.items()}
        # foreign keys written as ForeignKey(User.id) point at a class attribute
        for draft in self.tables:
            for column in draft.columns:
                for fk in column.foreign_keys:
                    if fk.target_class is not None:
                        qual, attribute = fk.target_class
                        target = self.class_tables.get(qual)
                        if target is None:
                            raise SchemaError(
                                f"{fk.location}: foreign key target {qual.split('.')[-1]}."
                                f"{attribute} is not a model",
                                hint="point it at a mapped class or write 'table.column'",
                            )
                        fk.target = (target.name, (target.column_name(attribute),))
        # a Column with a ForeignKey and no type takes the type of the column it references
        for _ in range(3):
            for draft in self.tables:
                for column in draft.columns:
                    if column.type is None and column.foreign_keys:
                        fk = column.foreign_keys[0]
                        assert fk.target is not None
                        ref = by_name.get(fk.target[0])
                        if ref is not None:
                            for other in ref.columns:
                                if other.name == fk.target[1][0] and other.type is not None:
                                    column.type = other.type
        tables = [self._table(d, by_name) for d in self.tables]
        del class_table
        return ReadResult(
            schema=Schema(tables=tuple(tables), enums=tuple(self.enums.values())),
            problems=tuple(
                sorted(self.problems.values(), key=lambda p: (p.path, p.line, p.col, p.reason))
            ),
            sources={},
        )

    def _table(self, draft: _TableDraft, by_name: dict[str, _TableDraft]) -> Table:
        columns = sorted(draft.columns, key=lambda c: c.sort_order)  # stable, as SQLAlchemy
        primary_key = draft.primary_key or tuple(c.name for c in columns if c.primary_key)
        fks: list[ForeignKey] = []
        indexes = list(draft.indexes)
        uniques = list(draft.uniques)
        for column in columns:
            if column.unique and column.index:
                indexes.append(
                    Index(self._name(draft, "ix", None, (column.name,)), (column.name,), True)
                )
            elif column.unique:
                uniques.append(
                    UniqueConstraint(self._name(draft, "uq", None, (column.name,)), (column.name,))
                )
            elif column.index:
                indexes.append(Index(self._name(draft, "ix", None, (column.name,)), (column.name,)))
        for fk in [f for c in columns for f in c.foreign_keys] + draft.foreign_keys:
            assert fk.target is not None
            ref_table, ref_columns = fk.target
            ref = by_name.get(ref_table)
            where = fk.location
            if ref is None:
                raise SchemaError(
                    f"{where}: foreign key {draft.name}.{', '.join(fk.columns)} references "
                    f"missing table {ref_table!r}",
                    hint="check the table name in ForeignKey('table.column')",
                )
            for ref_column in ref_columns:
                if not any(c.name == ref_column for c in ref.columns):
                    raise SchemaError(
                        f"{where}: foreign key {draft.name}.{', '.join(fk.columns)} references "
                        f"missing column {ref_table}.{ref_column}",
                        hint=f"{ref_table} has: {', '.join(c.name for c in ref.columns)}",
                    )
            for own in fk.columns:
                if not any(c.name == own for c in columns):
                    raise SchemaError(
                        f"{where}: foreign key column {draft.name}.{own} does not exist",
                        hint="list columns of this table in ForeignKeyConstraint",
                    )
            fks.append(
                ForeignKey(
                    name=self._name(draft, "fk", fk.name, fk.columns, ref_table, ref_columns),
                    columns=fk.columns,
                    ref_table=ref_table,
                    ref_columns=ref_columns,
                    on_delete=fk.on_delete,
                    on_update=fk.on_update,
                )
            )
        autoinc = self._autoincrement_column(columns, primary_key)
        built: list[Column] = []
        for column in columns:
            if column.type is None:
                raise SchemaError(
                    f"{column.location}: {draft.name}.{column.name} has no type and its "
                    "foreign key target has none either",
                    hint="give the column a type",
                )
            in_pk = column.name in primary_key
            built.append(
                Column(
                    name=column.name,
                    type=column.type,
                    nullable=False if in_pk else column.nullable,
                    autoincrement=column.name == autoinc,
                    server_default=column.server_default,
                    comment=column.comment,
                    default=column.default,
                    python_type=column.python_type,
                    location=column.location,
                )
            )
        pk_name: str | None = None
        if primary_key:
            pk_name = self._name(draft, "pk", draft.primary_key_name, primary_key)
            if pk_name == model.primary_key_name(draft.name):
                pk_name = None  # the name bb would give it anyway
        relations = tuple(self._resolve_relation(draft, r) for r in draft.relations)
        return Table(
            name=draft.name,
            columns=tuple(built),
            primary_key=primary_key,
            foreign_keys=sorted_by_name(fks),
            indexes=sorted_by_name(indexes),
            uniques=sorted_by_name(uniques),
            checks=sorted_by_name(draft.checks),
            comment=draft.comment,
            primary_key_name=pk_name,
            class_name=draft.class_name,
            relations=tuple(r for r in relations if r is not None),
            location=draft.location,
        )

    def _autoincrement_column(
        self, columns: list[_ColumnDraft], primary_key: tuple[str, ...]
    ) -> str | None:
        """The column SQLAlchemy would make autoincrementing (Table.autoincrement_column)."""
        pk = [c for c in columns if c.name in primary_key]
        if len(pk) == 1:
            c = pk[0]
            integer = c.type is not None and c.type.name in INTEGER_TYPES
            if c.autoincrement is True:
                return c.name if integer else None
            if c.autoincrement in ("auto", "ignore_fk") and integer:
                if c.default is not None or c.server_default is not None:
                    return None
                if c.foreign_keys and c.autoincrement != "ignore_fk":
                    return None
                return c.name
            return None
        for c in pk:
            if c.autoincrement is True:
                return c.name
        return None

    def _resolve_relation(self, draft: _TableDraft, rel: _RelationDraft) -> Relation | None:
        candidates = self.class_names.get(rel.target_class, [])
        tables = [self.class_tables[q] for q in candidates if q in self.class_tables]
        if len(tables) != 1:
            module = draft.module
            reason = "is not a model" if not tables else "names several models"
            self.problems.setdefault(
                (rel.location.path, rel.location.line, rel.location.col, rel.target_class),
                SchemaParseError(
                    rel.location.path,
                    rel.location.line,
                    rel.location.col,
                    f"relationship {rel.name}: {rel.target_class} {reason}",
                    hint="point relationship() at a mapped class",
                ),
            )
            del module
            return None
        target = tables[0]
        many = rel.many
        if many is None:
            # no annotation: many-to-one when this table holds the foreign key
            holds = any(
                fk.target is not None and fk.target[0] == target.name
                for fk in [f for c in draft.columns for f in c.foreign_keys] + draft.foreign_keys
            )
            many = not holds
        return Relation(rel.name, target.name, many, rel.back_populates)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# --- the public functions -----------------------------------------------------------------------


def build_schema(modules: Sequence[ModelsModule]) -> ReadResult:
    """Resolve classes, mixins, enums and keys across modules into one Schema.

    Raises SchemaError for duplicate table names and foreign keys to a missing table or column.
    """
    result = _Builder(modules).build()
    return replace(result, sources={m.rel_path: m.sha256 for m in modules})


def _module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")
    for base in (root, root / "src"):
        candidate = base.joinpath(*parts)
        if candidate.with_suffix(".py").is_file():
            return candidate.with_suffix(".py")
        if (candidate / "__init__.py").is_file():
            return candidate / "__init__.py"
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_models(paths: Sequence[Path], root: Path) -> ReadResult:
    """Read model files (or package directories) and the project modules they import."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts
            )
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"models file {_rel(path, root)} does not exist",
                hint="create it, or point [schema] paths in betterbase.toml at your models",
            )
    modules: dict[str, ModelsModule] = {}
    queue = list(files)
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0)
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        rel = _rel(path, root)
        module = parse_models_file(path.read_text(encoding="utf-8"), rel)
        modules[rel] = module
        for imported in module.imported_modules:
            if imported.split(".")[0] in ("sqlalchemy", "typing", "datetime", "enum", "uuid"):
                continue
            found = _module_file(root, imported)
            if found is not None and found.resolve() not in seen:
                queue.append(found)
    ordered = [modules[k] for k in sorted(modules)]
    return build_schema(ordered)


def read_project_schema(project: Project, strict: bool = True) -> ReadResult:
    """Read the project's models; with strict, the first problem is raised as SchemaParseError."""
    result = read_models(project.schema_paths, project.root)
    if strict and result.problems:
        first = result.problems[0]
        more = len(result.problems) - 1
        hint = first.hint or ""
        if more:
            hint = f"{hint} ({more} more problem(s) after this one)".strip()
        raise SchemaParseError(first.path, first.line, first.col, first.reason, hint or None)
    return result


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_ = module_name  # re-exported for callers that map paths to modules

