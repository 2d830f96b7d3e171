"""Read SQLAlchemy 2.0 models statically (with `ast`, never importing them) into a Schema.

Names are recognised by what they are imported as, so `sa.String`, `String as S` and
`sqlalchemy.types.String` all mean the same.  Whatever the reader does not understand becomes a
problem with file:line:col; nothing is dropped silently.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from betterbase_cli.errors import SchemaError, SchemaParseError
from betterbase_cli.records import dataclass, replace
from betterbase_cli.schema import model
from betterbase_cli.schema.model import (
    Column,
    ColumnType,
    ForeignKey,
    Index,
    Relation,
    Schema,
    Table,
    UniqueConstraint,
)
from betterbase_cli.schema.order import sorted_by_name
from betterbase_cli.schema.pydrafts import (
    Annotation,
    ColumnDraft,
    NotUnderstood,
    RelationDraft,
    TableDraft,
    const_str,
    location_of,
)
from betterbase_cli.schema.pymodule import ModelsModule, parse_models_file
from betterbase_cli.schema.pyresolve import (
    Naming,
    PyClass,
    naming_from,
    sa_name,
)
from betterbase_cli.schema.pytableargs import TableArgsReader
from betterbase_cli.schema.sources import walk_models

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
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
# The Python type SQLAlchemy hands back for each bb type (for columns without an annotation).
PYTHON_TYPE_OF = {
    "integer": "int",
    "bigint": "int",
    "smallint": "int",
    "string": "str",
    "text": "str",
    "boolean": "bool",
    "float": "float",
    "double": "float",
    "numeric": "decimal.Decimal",
    "date": "datetime.date",
    "datetime": "datetime.datetime",
    "time": "datetime.time",
    "interval": "datetime.timedelta",
    "uuid": "uuid.UUID",
    "json": "dict[str, Any]",
    "binary": "bytes",
    "enum": "str",
}

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


@dataclass(frozen=True)
class ReadResult:
    schema: Schema
    problems: tuple[SchemaParseError, ...]
    sources: dict[str, str]


class _Builder(TableArgsReader):
    """Turns parsed modules into a Schema, collecting problems on the way."""

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
            if isinstance(c, PyClass)
            and id(c) not in excluded
            and c is not root
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
                self._single_table_subclass(cls, parents[0], sources, root)
            else:
                self.problem(
                    cls.module,
                    cls.node,
                    f"mapped class {cls.name} has no __tablename__",
                    hint='add __tablename__ = "..." or mark it __abstract__ = True',
                )
            return
        draft = TableDraft(
            name=tablename,
            naming=naming,
            location=location_of(cls.module, cls.node),
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

    def _single_table_subclass(
        self, cls: PyClass, parent: PyClass, sources: list[PyClass], root: PyClass
    ) -> None:
        """Single-table inheritance: the subclass's columns go to its parent's table."""
        assert cls.node is not None
        draft = self.class_tables.get(parent.qual)
        if draft is None:
            self.problem(
                cls.module,
                cls.node,
                f"class {cls.name} inherits {parent.name}, whose table bb could not read",
                hint=f"fix {parent.name} first",
            )
            return
        self.class_tables[cls.qual] = draft
        seen = {c.key for c in draft.columns} | {r.name for r in draft.relations}
        type_map = self._type_maps.get(id(root)) or self._type_annotation_map(root)
        for source in sources:
            for key, annotation, attr_value, node in self._attributes(source):
                if key in seen:
                    continue
                seen.add(key)
                self._attribute(draft, source.module, key, annotation, attr_value, node, type_map)

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

    def _lookup(self, sources: list[PyClass], attribute: str) -> tuple[PyClass, ast.expr] | None:
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
                raise NotUnderstood(
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
                except NotUnderstood as exc:
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
            name = const_str(value)
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
                except NotUnderstood as exc:
                    self.problem(cls.module, exc.node, exc.message, exc.hint)
                    continue
                if declared is not None:
                    out.append((stmt.name, declared[0], declared[1], stmt))
        return out

    # -- one attribute --------------------------------------------------------------------------

    def _attribute(
        self,
        draft: TableDraft,
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
                raise NotUnderstood(
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
                raise NotUnderstood(
                    value,
                    f"{key} = {ast.unparse(value)[:60]} is not a column bb understands",
                    hint="use mapped_column(...), Column(...) or relationship(...)",
                )
        except NotUnderstood as exc:
            self.problem(module, exc.node, exc.message, exc.hint)
            return
        draft.columns.append(column)

    # -- relationships --------------------------------------------------------------------------

    def _relation(
        self,
        module: ModelsModule,
        key: str,
        ann: Annotation | None,
        call: ast.Call,
        node: ast.AST,
    ) -> RelationDraft:
        target: str | None = None
        many: bool | None = None
        if call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Lambda):
                arg = arg.body
            text = const_str(arg)
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
                back_populates = const_str(kw.value)
        if target is None:
            raise NotUnderstood(call, f"{key}: cannot tell which class the relationship targets")
        return RelationDraft(key, target, many, back_populates, location_of(module, node))

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

    def _module_table_named(self, qual: str | None) -> TableDraft | None:
        found = self.resolver.value(qual)
        if found is None:
            return None
        module, value = found
        for draft in self.tables:
            if draft.module is module and draft.location == location_of(module, value):
                return draft
        return None

    def _table_object(
        self, module: ModelsModule, call: ast.Call, naming: Naming
    ) -> TableDraft | None:
        name = const_str(call.args[0]) if call.args else None
        if name is None:
            self.problem(module, call, "Table(...) needs its name as a string literal first")
            return None
        where = location_of(module, call)
        draft = TableDraft(name=name, naming=naming, location=where, module=module)
        for item in call.args[2:]:
            try:
                if not isinstance(item, ast.Call):
                    raise NotUnderstood(item, f"{ast.unparse(item)[:60]} not understood")
                what = sa_name(module.qualify(item.func))
                if what == "Column":
                    key = const_str(item.args[0]) if item.args else None
                    if key is None:
                        raise NotUnderstood(item, "Column(...) in a Table needs a name first")
                    draft.columns.append(
                        self._column(draft, module, key, None, item, item, [], "Column")
                    )
                else:
                    self._table_item(draft, module, item)
            except NotUnderstood as exc:
                self.problem(module, exc.node, exc.message, exc.hint)
        for kw in call.keywords:
            if kw.arg == "comment":
                draft.comment = const_str(kw.value)
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
        by_name = self._by_name()
        self._resolve_class_targets(self.tables)
        self._types_from_targets(self.tables, by_name)
        return self._result([self._table(d, by_name) for d in self.tables])

    def _by_name(self) -> dict[str, TableDraft]:
        by_name: dict[str, TableDraft] = {}
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
        return by_name

    def _resolve_class_targets(self, drafts: Sequence[TableDraft]) -> None:
        """Foreign keys written as ForeignKey(User.id) point at a class attribute."""
        for draft in drafts:
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

    def _types_from_targets(
        self, drafts: Sequence[TableDraft], by_name: dict[str, TableDraft]
    ) -> None:
        """A Column with a ForeignKey and no type takes the type of the column it references."""
        self._column_types_from_targets([c for d in drafts for c in d.columns], by_name)

    @staticmethod
    def _column_types_from_targets(
        columns: Sequence[ColumnDraft], by_name: dict[str, TableDraft]
    ) -> None:
        """`_types_from_targets` over these columns, in their order (three passes: a target
        may take its own type from another)."""
        for _ in range(3):
            for column in columns:
                if column.type is None and column.foreign_keys:
                    fk = column.foreign_keys[0]
                    assert fk.target is not None
                    ref = by_name.get(fk.target[0])
                    if ref is not None:
                        for other in ref.columns:
                            if other.name == fk.target[1][0] and other.type is not None:
                                column.type = other.type

    def _result(self, tables: list[Table]) -> ReadResult:
        return ReadResult(
            schema=Schema(tables=tuple(tables), enums=tuple(self.enums.values())),
            problems=tuple(
                sorted(self.problems.values(), key=lambda p: (p.path, p.line, p.col, p.reason))
            ),
            sources={},
        )

    def _table(self, draft: TableDraft, by_name: dict[str, TableDraft]) -> Table:
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
                    python_type=column.python_type or self._python_type_of(column.type),
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

    def _python_type_of(self, type_: ColumnType) -> str:
        """The Python type of a column declared without an annotation (Column(...) style)."""
        if type_.name == "enum" and type_.enum in self.enums:
            return self.enums[type_.enum].class_name or "str"
        return PYTHON_TYPE_OF.get(type_.name, "str")

    def _autoincrement_column(
        self, columns: list[ColumnDraft], primary_key: tuple[str, ...]
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

    def _resolve_relation(self, draft: TableDraft, rel: RelationDraft) -> Relation | None:
        candidates = self.class_names.get(rel.target_class, [])
        tables = [self.class_tables[q] for q in candidates if q in self.class_tables]
        if len(tables) != 1:
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


# --- the public functions -----------------------------------------------------------------------


def build_schema(modules: Sequence[ModelsModule]) -> ReadResult:
    """Resolve classes, mixins, enums and keys across modules into one Schema.

    Raises SchemaError for duplicate table names and foreign keys to a missing table or column.
    """
    result = _Builder(modules).build()
    return replace(result, sources={m.rel_path: m.sha256 for m in modules})


def read_models(paths: Sequence[Path], root: Path) -> ReadResult:
    """Read model files (or package directories) and the project modules they import."""
    return build_schema(walk_models(paths, root, parse_models_file))


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
