"""The static reader's column half: annotations, mapped_column()/Column(), types, defaults, keys."""

from __future__ import annotations

import ast

from betterbase_cli.schema import model
from betterbase_cli.schema.model import CheckConstraint, ColumnType, Enum, Location
from betterbase_cli.schema.pydrafts import (
    Annotation,
    BuilderState,
    ColumnDraft,
    FKDraft,
    NotUnderstood,
    TableDraft,
    const_bool,
    const_int,
    const_str,
    is_none,
    location_of,
)
from betterbase_cli.schema.pymodule import ModelsModule
from betterbase_cli.schema.pyresolve import FinalName, Naming, NamingError, PyClass, sa_name
from betterbase_cli.schema.pytypes import (
    PYTHON_TYPE_TEXT,
    PYTHON_TYPES,
    SQLALCHEMY_TYPES,
    TYPE_HINT,
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


class ColumnReader(BuilderState):
    """Reads one column (or the pieces of one: type, default, foreign key, check)."""

    def _annotation(self, module: ModelsModule, node: ast.expr, depth: int = 0) -> Annotation:
        ann = Annotation(module)
        self._unwrap(ann, module, node, depth)
        return ann

    def _unwrap(self, ann: Annotation, module: ModelsModule, node: ast.expr, depth: int) -> None:
        if depth > 10:
            raise NotUnderstood(node, f"annotation {ast.unparse(node)} nests too deeply")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parsed = self._parsed_annotations.get(id(node))
            if parsed is None:
                try:
                    parsed = ast.parse(node.value, mode="eval").body
                except SyntaxError:
                    raise NotUnderstood(node, f"annotation {node.value!r} does not parse") from None
                for child in ast.walk(parsed):
                    ast.copy_location(child, node)
                self._parsed_annotations[id(node)] = parsed
            self._unwrap(ann, module, parsed, depth + 1)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [node.left, node.right]
            rest = [s for s in sides if not is_none(s)]
            if len(rest) < len(sides):
                ann.optional = True
            if len(rest) == 1:
                self._unwrap(ann, module, rest[0], depth + 1)
                return
            raise NotUnderstood(node, f"annotation {ast.unparse(node)} is a union of types")
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
                rest = [a for a in args if not is_none(a)]
                if len(rest) < len(args):
                    ann.optional = True
                if len(rest) == 1:
                    self._unwrap(ann, module, rest[0], depth + 1)
                    return
                raise NotUnderstood(node, f"annotation {ast.unparse(node)} is a union of types")
            if qual in ("typing.Annotated", "typing_extensions.Annotated"):
                for meta in args[1:]:
                    if (
                        isinstance(meta, ast.Call)
                        and sa_name(module.qualify(meta.func)) == "mapped_column"
                    ):
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
                raise NotUnderstood(node, "Mapped needs a type: Mapped[int]")
            ann.inner = node
            ann.inner_qual = qual
            ann.module = module
            return
        if is_none(node):
            raise NotUnderstood(node, "annotation is None")
        ann.inner = node
        ann.inner_qual = None

    # -- columns --------------------------------------------------------------------------------

    def _column(
        self,
        draft: TableDraft,
        module: ModelsModule,
        key: str,
        ann: Annotation | None,
        call: ast.Call | None,
        node: ast.AST,
        type_map: list[tuple[str, ast.expr, ModelsModule]],
        kind: str | None,
    ) -> ColumnDraft:
        args: list[tuple[ModelsModule, ast.expr]] = []
        keywords: dict[str, tuple[ModelsModule, ast.expr]] = {}
        # an Annotated alias's mapped_column(...) comes first; the attribute's own overrides it
        if ann is not None and ann.extra is not None:
            args.extend((ann.module, a) for a in ann.extra.args)
            keywords.update({k.arg: (ann.module, k.value) for k in ann.extra.keywords if k.arg})
        if call is not None:
            for kw in call.keywords:
                if kw.arg is None:
                    raise NotUnderstood(kw.value, f"{key}: **kwargs cannot be read statically")
            own_args = [(module, a) for a in call.args]
            if own_args and any(const_str(a) is not None for _, a in own_args[:1]):
                args = [a for a in args if const_str(a[1]) is None]
            args.extend(own_args)
            keywords.update({k.arg: (module, k.value) for k in call.keywords if k.arg})
        name = key
        type_: ColumnType | None = None
        type_node: tuple[ModelsModule, ast.expr] | None = None
        fks: list[FKDraft] = []
        autoincrement: bool | str = "auto"
        loc = location_of(module, node)
        for i, (mod, arg) in enumerate(args):
            text = const_str(arg)
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
                    raise NotUnderstood(arg, f"{key}: {what}(...) is not supported by bb yet")
            if type_node is not None:
                raise NotUnderstood(arg, f"{key}: argument {ast.unparse(arg)[:40]} not understood")
            type_node = (mod, arg)
        if "type_" in keywords:
            type_node = keywords.pop("type_")
        if "name" in keywords:
            mod, value = keywords.pop("name")
            text = const_str(value)
            if text is None:
                raise NotUnderstood(value, f"{key}: name= must be a string literal")
            name = text
        nullable_kw = keywords.pop("nullable", None)
        primary_key = False
        if "primary_key" in keywords:
            primary_key = const_bool(keywords.pop("primary_key")[1], "primary_key")
        if "autoincrement" in keywords:
            value = keywords.pop("autoincrement")[1]
            choices = (True, False, "auto", "ignore_fk")
            if isinstance(value, ast.Constant) and value.value in choices:
                autoincrement = value.value  # type: ignore[assignment]
            else:
                raise NotUnderstood(value, f"{key}: autoincrement= not understood")
        unique = index = False
        if "unique" in keywords:
            unique = const_bool(keywords.pop("unique")[1], "unique")
        if "index" in keywords:
            index = const_bool(keywords.pop("index")[1], "index")
        server_default = None
        if "server_default" in keywords:
            mod, value = keywords.pop("server_default")
            server_default = None if is_none(value) else self._server_default(mod, value)
        default = None
        for python_default in ("default", "insert_default"):
            if python_default in keywords:
                default = ast.unparse(keywords.pop(python_default)[1])
        comment = None
        if "comment" in keywords:
            value = keywords.pop("comment")[1]
            comment = const_str(value)
            if comment is None and not is_none(value):
                raise NotUnderstood(value, f"{key}: comment= must be a string literal")
        sort_order = 0
        if "sort_order" in keywords:
            sort_order = const_int(keywords["sort_order"][1], "sort_order")
        for word, (_mod, value) in keywords.items():
            if word not in PYTHON_ONLY_KEYWORDS:
                raise NotUnderstood(
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
            raise NotUnderstood(
                call or node,
                f"{key}: the column has no type",
                hint="annotate it (Mapped[int]) or pass a type (mapped_column(Integer))",
            )
        # Nullability as SQLAlchemy decides it: explicit nullable=, else the primary key, else
        # the Mapped annotation (mapped_column) or True (Column).
        if nullable_kw is not None:
            nullable = const_bool(nullable_kw[1], "nullable")
        elif primary_key:
            nullable = False
        elif kind == "Column" or ann is None or not ann.mapped:
            nullable = True
        else:
            nullable = ann.optional
        for fk in fks:
            fk.columns = (name,)
        return ColumnDraft(
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

    def _python_type_text(self, ann: Annotation) -> str:
        assert ann.inner is not None
        if ann.inner_qual in PYTHON_TYPE_TEXT and not isinstance(ann.inner, ast.Subscript):
            return PYTHON_TYPE_TEXT[ann.inner_qual]
        enum_cls = self.resolver.cls(ann.inner_qual)
        if enum_cls is not None:
            return enum_cls.name
        return ast.unparse(ann.inner)

    def _annotation_type(
        self,
        ann: Annotation,
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
        raise NotUnderstood(
            ann.inner,
            f"{key}: bb does not know which column type {ast.unparse(ann.inner)} maps to",
            hint="pass a type explicitly, e.g. mapped_column(String(50)), or add it to "
            "type_annotation_map on your Base; " + TYPE_HINT,
        )

    def _sa_type(
        self, draft: TableDraft | None, module: ModelsModule, node: ast.expr, key: str
    ) -> ColumnType:
        call = node if isinstance(node, ast.Call) else None
        if (
            call is not None
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "with_variant"
        ):
            # BigInteger().with_variant(Integer, "sqlite"): the main type is the schema's
            return self._sa_type(draft, module, call.func.value, key)
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
            raise NotUnderstood(
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
            if length_node is not None and not is_none(length_node):
                length = const_int(length_node, f"{key}: the length")
            return ColumnType("string", length=length)
        if name == "numeric":
            p = args[0] if args else kwargs.get("precision")
            s = args[1] if len(args) > 1 else kwargs.get("scale")
            return ColumnType(
                "numeric",
                precision=const_int(p, "precision") if p is not None and not is_none(p) else None,
                scale=const_int(s, "scale") if s is not None and not is_none(s) else None,
            )
        if name == "datetime":
            tz = args[0] if args else kwargs.get("timezone")
            return ColumnType(
                "datetime", timezone=const_bool(tz, "timezone") if tz is not None else False
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
        enum_name = const_str(name_node) if name_node is not None else None
        if name_node is not None and enum_name is None:
            raise NotUnderstood(name_node, f"{key}: Enum name= must be a string literal")
        if len(args) == 1 and not isinstance(args[0], ast.Constant):
            cls = self.resolver.cls(module.qualify(args[0]))
            if cls is None or not self.resolver.is_enum(cls):
                raise NotUnderstood(
                    args[0],
                    f"{key}: Enum({ast.unparse(args[0])}) is not an enum class of the project",
                    hint="define the enum.Enum class in your models (or a module they import)",
                )
            return self._enum_from_class(
                cls, enum_name or cls.name.lower(), args[0], kwargs.get("values_callable")
            )
        values = []
        for arg in args:
            text = const_str(arg)
            if text is None:
                raise NotUnderstood(arg, f"{key}: Enum values must be string literals")
            values.append(text)
        if enum_name is None:
            raise NotUnderstood(
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
                raise NotUnderstood(values_callable, "values_callable not understood")
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
                        raise NotUnderstood(
                            stmt, f"enum {cls.name}.{target.id}: value is not a literal"
                        )
                    values.append(str(value.value))
                else:
                    values.append(target.id)
        assert cls.node is not None
        enum = Enum(
            enum_name,
            tuple(values),
            class_name=cls.name,
            location=location_of(cls.module, cls.node),
        )
        return self._register_enum(enum, cls.module, node)

    def _register_enum(self, enum: Enum, module: ModelsModule, node: ast.expr) -> ColumnType:
        known = self.enums.get(enum.name)
        if known is not None and known.values != enum.values:
            raise NotUnderstood(
                node,
                f"enum {enum.name} is declared twice with different values",
                hint=f"values here {list(enum.values)}, elsewhere {list(known.values)}",
            )
        if known is None or (known.class_name is None and enum.class_name is not None):
            self.enums[enum.name] = enum
        return ColumnType("enum", enum=enum.name)

    def _server_default(self, module: ModelsModule, node: ast.expr) -> str:
        text = const_str(node)
        if text is not None:
            return "'" + text.replace("'", "''") + "'"
        if isinstance(node, ast.Call):
            what = sa_name(module.qualify(node.func)) or ""
            if what in ("text", "literal_column") and node.args:
                raw = const_str(node.args[0])
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
        raise NotUnderstood(
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
        self, draft: TableDraft, module: ModelsModule, call: ast.Call, loc: Location
    ) -> FKDraft:
        if not call.args:
            raise NotUnderstood(call, "ForeignKey() needs a target such as 'users.id'")
        target = call.args[0]
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        fk = FKDraft(
            columns=(),
            target=None,
            target_class=None,
            name=None,
            on_delete=None,
            on_update=None,
            location=loc,
        )
        text = const_str(target)
        if text is not None:
            fk.target = self._split_target(target, text)
        elif isinstance(target, ast.Attribute):
            fk.target_class = (module.qualify(target.value) or "", target.attr)
        else:
            raise NotUnderstood(target, f"ForeignKey target {ast.unparse(target)} not understood")
        self._fk_options(fk, kwargs)
        return fk

    def _split_target(self, node: ast.expr, text: str) -> tuple[str, tuple[str, ...]]:
        parts = text.split(".")
        if len(parts) != 2:
            raise NotUnderstood(
                node,
                f"ForeignKey target {text!r} is not table.column",
                hint="bb reads targets like 'users.id' (no schema prefix)",
            )
        return parts[0], (parts[1],)

    def _fk_options(self, fk: FKDraft, kwargs: dict[str, ast.expr]) -> None:
        for word, value in kwargs.items():
            if word in ("ondelete", "onupdate"):
                if is_none(value):
                    continue
                text = const_str(value)
                action = ACTIONS.get(" ".join((text or "").lower().split()))
                if action is None:
                    raise NotUnderstood(
                        value,
                        f"{word}={ast.unparse(value)} is not a referential action",
                        hint=f"use one of {', '.join(model.REFERENTIAL_ACTIONS)}",
                    )
                if word == "ondelete":
                    fk.on_delete = action
                else:
                    fk.on_update = action
            elif word == "name":
                fk.name = const_str(value)
                if fk.name is None and not is_none(value):
                    raise NotUnderstood(value, "ForeignKey name= must be a string literal")
            elif word in ("use_alter", "link_to_name", "info", "comment", "_constraint"):
                continue
            else:
                raise NotUnderstood(value, f"ForeignKey {word}= is not supported by bb")

    def _check(self, draft: TableDraft, module: ModelsModule, call: ast.Call) -> CheckConstraint:
        if not call.args:
            raise NotUnderstood(call, "CheckConstraint() needs an expression")
        sql = call.args[0]
        text = const_str(sql)
        if text is None and isinstance(sql, ast.Call):
            if sa_name(module.qualify(sql.func)) == "text" and sql.args:
                text = const_str(sql.args[0])
        if text is None:
            raise NotUnderstood(
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
                if is_none(kw.value):
                    return None
                value = kw.value
                if (
                    module is not None
                    and isinstance(value, ast.Call)
                    and sa_name(module.qualify(value.func)) == "conv"
                    and value.args
                ):
                    final = const_str(value.args[0])
                    if final is not None:
                        return FinalName(final)
                text = const_str(value)
                if text is None:
                    raise NotUnderstood(kw.value, "name= must be a string literal")
                return text
        return None

    def _name(
        self,
        draft: TableDraft,
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
                self.problem(module, node, f"naming convention token %({exc})s cannot be filled in")
            return Naming(()).name(
                kind, explicit, draft.name, columns, ref_table, ref_columns, expression
            )
