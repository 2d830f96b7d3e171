"""The static reader's table-argument half: __table_args__ and the items of Table(...)."""

from __future__ import annotations

import ast

from betterbase_cli.schema.model import Index, UniqueConstraint
from betterbase_cli.schema.pycolumns import ColumnReader
from betterbase_cli.schema.pydrafts import (
    FKDraft,
    NotUnderstood,
    TableDraft,
    const_bool,
    const_str,
    is_none,
    location_of,
)
from betterbase_cli.schema.pymodule import ModelsModule
from betterbase_cli.schema.pyresolve import sa_name


class TableArgsReader(ColumnReader):
    """Reads Index, UniqueConstraint, CheckConstraint, PrimaryKeyConstraint and
    ForeignKeyConstraint items and the table options dict."""

    def _column_args(self, module: ModelsModule, nodes: list[ast.expr]) -> tuple[str, ...]:
        names: list[str] = []
        for node in nodes:
            text = const_str(node)
            if text is not None:
                names.append(text)
            elif isinstance(node, ast.Name):
                names.append(node.id)  # a column attribute referenced in the class body
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                names.append(node.attr)  # Model.column or table.c.column
            else:
                raise NotUnderstood(
                    node,
                    f"{ast.unparse(node)[:60]} is not a column name",
                    hint="bb reads constraints over plain columns (no expressions)",
                )
        return tuple(names)

    def _table_args(self, draft: TableDraft, module: ModelsModule, node: ast.expr) -> None:
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
                    raise NotUnderstood(item, f"{ast.unparse(item)[:60]} not understood")
            except NotUnderstood as exc:
                self.problem(module, exc.node, exc.message, exc.hint)

    def _table_kwargs(self, draft: TableDraft, module: ModelsModule, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=False):
            word = const_str(key)
            if word == "comment":
                draft.comment = const_str(value)
            elif word in ("extend_existing", "keep_existing", "info", "sqlite_autoincrement"):
                continue
            elif word is not None and word.startswith("mysql_"):
                continue  # engine/charset options: not part of bb's schema
            elif word == "schema" and const_str(value) in ("public", "main"):
                continue  # the default schema, named
            else:
                raise NotUnderstood(
                    key or value, f"table option {word or ast.unparse(value)} is not supported"
                )

    def _table_item(self, draft: TableDraft, module: ModelsModule, call: ast.Call) -> None:
        what = sa_name(module.qualify(call.func))
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if what == "Index":
            name_node = call.args[0] if call.args else kwargs.get("name")
            explicit = const_str(name_node) if name_node is not None else None
            if name_node is not None and explicit is None and not is_none(name_node):
                raise NotUnderstood(name_node, "Index name must be a string literal")
            columns = tuple(draft.column_name(c) for c in self._column_args(module, call.args[1:]))
            unique = False
            for word, value in kwargs.items():
                if word == "unique":
                    unique = const_bool(value, "unique")
                elif word not in ("name", "info"):
                    raise NotUnderstood(value, f"Index {word}= is not supported by bb")
            draft.indexes.append(
                Index(
                    self._name(draft, "ix", explicit, columns, node=call, module=module),
                    columns,
                    unique,
                )
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
                raise NotUnderstood(call, "ForeignKeyConstraint(columns, refcolumns) expected")
            cols_node, refs_node = call.args[0], call.args[1]
            if not isinstance(cols_node, ast.List | ast.Tuple) or not isinstance(
                refs_node, ast.List | ast.Tuple
            ):
                raise NotUnderstood(call, "ForeignKeyConstraint columns must be list literals")
            columns = tuple(
                draft.column_name(c) for c in self._column_args(module, list(cols_node.elts))
            )
            targets = []
            for ref in refs_node.elts:
                text = const_str(ref)
                if text is None:
                    raise NotUnderstood(ref, "ForeignKeyConstraint targets must be 'table.column'")
                targets.append(self._split_target(ref, text))
            tables = {t for t, _ in targets}
            if len(tables) != 1:
                raise NotUnderstood(refs_node, "ForeignKeyConstraint targets span tables")
            fk = FKDraft(
                columns=columns,
                target=(targets[0][0], tuple(c[0] for _, c in targets)),
                target_class=None,
                name=None,
                on_delete=None,
                on_update=None,
                location=location_of(module, call),
            )
            self._fk_options(fk, kwargs)
            draft.foreign_keys.append(fk)
        else:
            raise NotUnderstood(
                call,
                f"{ast.unparse(call.func)}(...) in the table arguments is not understood",
                hint="bb reads Index, UniqueConstraint, CheckConstraint, PrimaryKeyConstraint "
                "and ForeignKeyConstraint",
            )

    def _only(self, kwargs: dict[str, ast.expr], allowed: set[str], what: str) -> None:
        for word, value in kwargs.items():
            if word not in allowed:
                raise NotUnderstood(value, f"{what} {word}= is not supported by bb")
