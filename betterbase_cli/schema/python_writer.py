"""Write a Schema as a models file in the blueprint's style (Mapped/mapped_column, enums, Base).

The output is the user's source of truth from then on, so it reads like hand-written code:
defaults that SQLAlchemy infers are left out, and everything else is spelled out so that
reading it back gives the same Schema.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

from betterbase_cli.records import dataclass
from betterbase_cli.schema import model
from betterbase_cli.schema.model import Column, ColumnType, Enum, ForeignKey, Schema, Table

LINE = 100
INDENT = "    "

NAMING_CONVENTION = (
    ("pk", "pk_%(table_name)s"),
    ("ix", "ix_%(table_name)s_%(column_0_N_name)s"),
    ("uq", "uq_%(table_name)s_%(column_0_N_name)s"),
    ("ck", "ck_%(table_name)s_%(constraint_name)s"),
    ("fk", "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s"),
)

HEADER = '''"""The models: the single source of truth for tables.

Imported from an existing SQL schema by `bb import sql`; this file is now yours to edit.
Change the classes below, then run `bb migrate` to write and apply a migration.
bb reads this file as text (it never imports it), so keep models in plain SQLAlchemy 2.0 style.
"""'''

# bb type -> the Python annotation of a column of that type
_PYTHON = {
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
}
_STDLIB = {
    "decimal.Decimal": "decimal",
    "datetime.date": "datetime",
    "datetime.datetime": "datetime",
    "datetime.time": "datetime",
    "datetime.timedelta": "datetime",
    "uuid.UUID": "uuid",
}
# Names a column attribute must not take: Declarative's own, and what the module imports.
_RESERVED = frozenset(
    {
        "metadata",
        "registry",
        "int",
        "str",
        "bool",
        "float",
        "bytes",
        "dict",
        "list",
        "Any",
        "datetime",
        "decimal",
        "enum",
        "uuid",
        "Mapped",
        "mapped_column",
    }
)


class _Imports:
    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.names: dict[str, set[str]] = {}

    def add(self, module: str, name: str | None = None) -> None:
        if name is None:
            self.modules.add(module)
        else:
            self.names.setdefault(module, set()).add(name)

    def render(self) -> str:
        sections = ["from __future__ import annotations"]
        stdlib = [f"import {m}" for m in sorted(self.modules)]
        if "typing" in self.names:
            stdlib.append(_from_import("typing", self.names["typing"]))
        if stdlib:
            sections.append("\n".join(stdlib))
        third = [
            _from_import(m, self.names[m]) for m in sorted(self.names) if m.startswith("sqlalchemy")
        ]
        sections.append("\n".join(third))
        return "\n\n".join(sections)


def _isort_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then functions
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _from_import(module: str, names: Iterable[str]) -> str:
    ordered = sorted(names, key=_isort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= LINE:
        return line
    body = "".join(f"{INDENT}{n},\n" for n in ordered)
    return f"from {module} import (\n{body})"


def _camel(name: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    if text[0].isdigit():
        text = f"T{text}"
    return text


def _singular(word: str) -> str:
    lowered = word.lower()
    if lowered.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if lowered.endswith(("sses", "shes", "ches", "xes", "zes", "uses")):
        return word[:-2]
    if lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")) and len(word) > 1:
        return word[:-1]
    return word


def _py_str(text: str) -> str:
    """A Python string literal, double-quoted as ruff format prefers."""
    if '"' in text and "'" not in text:
        return repr(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class _S:
    """A string literal argument (with an optional `name=` before it) that may wrap."""

    value: str
    prefix: str = ""
    suffix: str = ""

    def flat(self) -> str:
        return f"{self.prefix}{_py_str(self.value)}{self.suffix}"

    def wrapped(self, indent: int) -> str:
        """The literal as implicitly joined pieces in parentheses, each line within LINE."""
        width = max(20, LINE - indent - len(INDENT) - 2)
        pieces: list[str] = []
        current = ""
        for word in re.split(r"(?<= )", self.value):
            if current and len(_py_str(current + word)) > width:
                pieces.append(current)
                current = ""
            current += word
        pieces.append(current)
        pad = " " * (indent + len(INDENT))
        body = "".join(f"{pad}{_py_str(p)}\n" for p in pieces)
        return f"{self.prefix}(\n{body}{' ' * indent}){self.suffix}"


@dataclass(frozen=True)
class _C:
    """A call to render, so long argument lists can wrap at any depth."""

    name: str
    args: tuple[str | _S | _C, ...]

    def flat(self) -> str:
        return f"{self.name}({', '.join(_flat(a) for a in self.args)})"


def _flat(arg: str | _S | _C) -> str:
    return arg if isinstance(arg, str) else arg.flat()


def _render(call: _C, start: int, base: int) -> str:
    """`call` starting at column `start` of a statement indented `base`: one line if it fits,
    else one argument per line (wrapping nested calls the same way)."""
    one = call.flat()
    if start + len(one) <= LINE:
        return one
    inner = base + len(INDENT)
    lines = []
    for arg in call.args:
        if isinstance(arg, _C):
            text = _render(arg, inner, inner)
        elif isinstance(arg, _S):
            flat = arg.flat()
            text = flat if inner + len(flat) + 1 <= LINE else arg.wrapped(inner)
        else:
            text = arg
        lines.append(f"{' ' * inner}{text},\n")
    return f"{call.name}(\n{''.join(lines)}{' ' * base})"


def _members(enum: Enum) -> list[str]:
    """Member names: the values themselves where they are plain identifiers, else made up."""
    out: list[str] = []
    for value in enum.values:
        plain = (
            value.isidentifier()
            and not keyword.iskeyword(value)
            and not value.startswith("_")
            and value not in ("name", "value", "mro")
        )
        member = value
        if not plain:
            member = re.sub(r"\W+", "_", value).strip("_").upper() or "EMPTY"
            if member[0].isdigit() or keyword.iskeyword(member):
                member = f"V_{member}"
        while member in out or (not plain and member in enum.values):
            member = f"{member}_"
        out.append(member)
    return out


class _Writer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.imports = _Imports()
        self.imports.add("sqlalchemy", "MetaData")
        self.imports.add("sqlalchemy.orm", "DeclarativeBase")
        self.taken: set[str] = {"Base", "NAMING_CONVENTION"} | _SQLALCHEMY_NAMES
        self.enum_classes: dict[str, str] = {}
        self.table_classes: dict[str, str] = {}
        for table in schema.tables:
            self.table_classes[table.name] = self._claim(
                table.class_name or _camel(_singular(table.name)), "Model"
            )
        for enum in schema.enums:
            self.enum_classes[enum.name] = self._claim(enum.class_name or _camel(enum.name), "Enum")

    def _claim(self, wanted: str, suffix: str) -> str:
        name = wanted
        n = 2
        while name in self.taken:
            name = f"{wanted}{suffix}" if n == 2 else f"{wanted}{suffix}{n}"
            n += 1
        self.taken.add(name)
        return name

    # -- the file -------------------------------------------------------------------------------

    def render(self) -> str:
        blocks: list[str] = []
        convention = "".join(f"    {_py_str(k)}: {_py_str(v)},\n" for k, v in NAMING_CONVENTION)
        blocks.append(
            "# Constraint names that bb and SQLAlchemy agree on, so migrations can always drop "
            "what they made.\n"
            f"NAMING_CONVENTION = {{\n{convention}}}"
        )
        blocks.append(
            "class Base(DeclarativeBase):\n"
            "    metadata = MetaData(naming_convention=NAMING_CONVENTION)"
        )
        for enum in self.schema.enums:
            blocks.append(self._enum(enum))
        for table in self.schema.tables:
            blocks.append(self._table(table))
        body = "\n\n\n".join(blocks)
        return f"{HEADER}\n\n{self.imports.render()}\n\n{body}\n"

    def _enum(self, enum: Enum) -> str:
        self.imports.add("enum")
        name = self.enum_classes[enum.name]
        lines = [f"class {name}(enum.Enum):"]
        for member, value in zip(_members(enum), enum.values, strict=True):
            lines.append(f"    {member} = {_py_str(value)}")
        if not enum.values:
            lines.append("    pass")
        return "\n".join(lines)

    def _by_value(self, enum: Enum) -> bool:
        """True when members cannot be named after their values (SQLAlchemy stores names)."""
        return _members(enum) != list(enum.values)

    # -- one table ------------------------------------------------------------------------------

    def _table(self, table: Table) -> str:
        lines = [f"class {self.table_classes[table.name]}(Base):"]
        if table.comment is None:
            pass
        lines.append(f"    __tablename__ = {_py_str(table.name)}")
        lines.append("")
        pk_inline = self._pk_inline(table)
        attributes: set[str] = set()
        for column in table.columns:
            attribute = self._attribute(column.name, attributes)
            attributes.add(attribute)
            lines.append(self._column(table, column, attribute, pk_inline))
        args = self._table_args(table, pk_inline)
        if args:
            lines.append("")
            lines.append("    __table_args__ = (")
            lines.extend(f"        {a}," for a in args)
            lines.append("    )")
        return "\n".join(lines)

    def _attribute(self, name: str, used: set[str]) -> str:
        attribute = name
        if (
            not name.isidentifier()
            or keyword.iskeyword(name)
            or name.startswith("_")
            or name in _RESERVED
            or name in self.taken
        ):
            attribute = re.sub(r"\W+", "_", name).strip("_") or "column"
            if attribute[0].isdigit():
                attribute = f"c_{attribute}"
            if keyword.iskeyword(attribute) or attribute in _RESERVED or attribute in self.taken:
                attribute = f"{attribute}_"
        while attribute in used:
            attribute = f"{attribute}_"
        return attribute

    def _pk_inline(self, table: Table) -> bool:
        """Whether primary_key=True on the columns says it all (order and name included)."""
        if not table.primary_key or table.primary_key_name is not None:
            return False
        in_order = [c.name for c in table.columns if c.name in table.primary_key]
        return tuple(in_order) == table.primary_key

    def _annotation(self, column: Column, nullable: bool) -> str:
        t = column.type
        if t.name == "enum":
            assert t.enum is not None
            text = self.enum_classes[t.enum]
        else:
            text = _PYTHON[t.name]
            if text in _STDLIB:
                self.imports.add(_STDLIB[text])
            if t.name == "json":
                self.imports.add("typing", "Any")
        return f"Mapped[{text} | None]" if nullable else f"Mapped[{text}]"

    def _type(self, table: Table, column: Column) -> str | None:
        """The SQLAlchemy type to pass, or None when SQLAlchemy infers the same one."""
        t = column.type
        fk = self._single_fk(table, column)
        if fk is not None:
            target = self.schema.table(fk.ref_table).column(fk.ref_columns[0])
            if target.type == t:
                return None  # a foreign key column takes its target's type
            # SQLAlchemy ignores the annotation of a foreign key column: spell the type out
            plain = _PLAIN_TYPES.get(t.name)
            if self._type_expr(t) is None and plain is not None:
                self.imports.add("sqlalchemy", plain)
                return plain
        return self._type_expr(t)

    def _type_expr(self, t: ColumnType) -> str | None:
        sa = self.imports.add
        if t.name == "integer":
            return None
        if t.name in ("bigint", "smallint", "text", "float", "double", "json"):
            name = {
                "bigint": "BigInteger",
                "smallint": "SmallInteger",
                "text": "Text",
                "float": "Float",
                "double": "Double",
                "json": "JSON",
            }[t.name]
            sa("sqlalchemy", name)
            return name
        if t.name == "string":
            if t.length is None:
                return None
            sa("sqlalchemy", "String")
            return f"String({t.length})"
        if t.name == "numeric":
            if t.precision is None:
                return None
            sa("sqlalchemy", "Numeric")
            scale = f", {t.scale}" if t.scale is not None else ""
            return f"Numeric({t.precision}{scale})"
        if t.name == "datetime":
            if not t.timezone:
                return None
            sa("sqlalchemy", "DateTime")
            return "DateTime(timezone=True)"
        if t.name == "enum":
            assert t.enum is not None
            enum = self.schema.enum(t.enum)
            sa("sqlalchemy", "Enum")
            args = [self.enum_classes[t.enum], f"name={_py_str(t.enum)}"]
            if self._by_value(enum):
                args.append("values_callable=lambda e: [m.value for m in e]")
            return f"Enum({', '.join(args)})"
        return None  # boolean, date, time, interval, uuid, binary: the annotation says it

    def _single_fk(self, table: Table, column: Column) -> ForeignKey | None:
        for fk in table.foreign_keys:
            if fk.columns == (column.name,) and len(fk.ref_columns) == 1:
                return fk
        return None

    def _fk_inline(self, table: Table, fk: ForeignKey) -> bool:
        return len(fk.columns) == 1 and len(fk.ref_columns) == 1

    def _fk_name_default(self, table: Table, fk: ForeignKey) -> bool:
        return fk.name == (f"fk_{table.name}_{'_'.join(fk.columns)}_{fk.ref_table}")

    def _column(self, table: Table, column: Column, attribute: str, pk_inline: bool) -> str:
        in_pk = column.name in table.primary_key
        nullable = column.nullable and not in_pk
        args: list[str | _S | _C] = []
        if attribute != column.name:
            args.append(_py_str(column.name))
        type_expr = self._type(table, column)
        if type_expr is not None:
            args.append(type_expr)
        fk = self._single_fk(table, column)
        if fk is not None:
            self.imports.add("sqlalchemy", "ForeignKey")
            fk_args: list[str | _C] = [_py_str(f"{fk.ref_table}.{fk.ref_columns[0]}")]
            if fk.on_delete:
                fk_args.append(f"ondelete={_py_str(fk.on_delete)}")
            if fk.on_update:
                fk_args.append(f"onupdate={_py_str(fk.on_update)}")
            if not self._fk_name_default(table, fk):
                fk_args.append(f"name={_py_str(fk.name)}")
            args.append(_C("ForeignKey", tuple(fk_args)))
        if in_pk and pk_inline:
            args.append("primary_key=True")
        expected = self._expected_autoincrement(table, column, fk)
        if column.autoincrement != expected:
            args.append(f"autoincrement={column.autoincrement}")
        if column.nullable and in_pk:
            pass  # a primary key column is NOT NULL whatever it says
        if self._unique_inline(table, column):
            args.append("unique=True")
        if self._index_inline(table, column) is not None:
            index = self._index_inline(table, column)
            assert index is not None
            if index.unique:
                args.append("unique=True")
            args.append("index=True")
        if column.server_default is not None:
            args.append(f"server_default={self._server_default(column.server_default)}")
        if column.comment is not None:
            args.append(_S(column.comment, prefix="comment="))
        self.imports.add("sqlalchemy.orm", "Mapped")
        annotation = self._annotation(column, nullable)
        head = f"    {attribute}: {annotation}"
        if not args:
            return head
        self.imports.add("sqlalchemy.orm", "mapped_column")
        return f"{head} = {_render(_C('mapped_column', tuple(args)), len(head) + 3, 4)}"

    def _expected_autoincrement(self, table: Table, column: Column, fk: ForeignKey | None) -> bool:
        """What the reader infers without an autoincrement= argument (SQLAlchemy's "auto")."""
        if table.primary_key != (column.name,):
            return False
        if column.type.name not in ("integer", "bigint", "smallint"):
            return False
        return column.server_default is None and fk is None

    def _unique_inline(self, table: Table, column: Column) -> bool:
        if self._index_inline(table, column) is not None:
            return False  # unique=True with index=True would make one unique index instead
        return any(
            u.columns == (column.name,) and u.name == f"uq_{table.name}_{column.name}"
            for u in table.uniques
        )

    def _index_inline(self, table: Table, column: Column) -> model.Index | None:
        for index in table.indexes:
            if index.columns == (column.name,) and index.name == f"ix_{table.name}_{column.name}":
                return index
        return None

    def _server_default(self, value: str) -> str:
        if value == "CURRENT_TIMESTAMP":
            self.imports.add("sqlalchemy", "func")
            return "func.now()"
        if value == "TRUE":
            self.imports.add("sqlalchemy", "true")
            return "true()"
        if value == "FALSE":
            self.imports.add("sqlalchemy", "false")
            return "false()"
        if (
            len(value) >= 2
            and value[0] == value[-1] == "'"
            and "'" not in value[1:-1].replace("''", "")
        ):
            return _py_str(value[1:-1].replace("''", "'"))
        self.imports.add("sqlalchemy", "text")
        return f"text({_py_str(value)})"

    def _table_args(self, table: Table, pk_inline: bool) -> list[str]:
        calls: list[_C | _S | str] = []
        sa = self.imports.add
        if table.primary_key and not pk_inline:
            sa("sqlalchemy", "PrimaryKeyConstraint")
            args: list[str | _C] = [_py_str(c) for c in table.primary_key]
            if table.primary_key_name is not None:
                args.append(f"name={_py_str(table.primary_key_name)}")
            calls.append(_C("PrimaryKeyConstraint", tuple(args)))
        for fk in table.foreign_keys:
            if self._single_fk_of(table, fk):
                continue
            sa("sqlalchemy", "ForeignKeyConstraint")
            cols = "[" + ", ".join(_py_str(c) for c in fk.columns) + "]"
            refs = "[" + ", ".join(_py_str(f"{fk.ref_table}.{c}") for c in fk.ref_columns) + "]"
            args = [cols, refs]
            if fk.on_delete:
                args.append(f"ondelete={_py_str(fk.on_delete)}")
            if fk.on_update:
                args.append(f"onupdate={_py_str(fk.on_update)}")
            if not self._fk_name_default(table, fk):
                args.append(f"name={_py_str(fk.name)}")
            calls.append(_C("ForeignKeyConstraint", tuple(args)))
        for unique in table.uniques:
            if len(unique.columns) == 1 and self._unique_inline(
                table, table.column(unique.columns[0])
            ):
                continue
            sa("sqlalchemy", "UniqueConstraint")
            args = [_py_str(c) for c in unique.columns]
            if unique.name != f"uq_{table.name}_{'_'.join(unique.columns)}":
                args.append(f"name={_py_str(unique.name)}")
            calls.append(_C("UniqueConstraint", tuple(args)))
        for index in table.indexes:
            if (
                len(index.columns) == 1
                and self._index_inline(table, table.column(index.columns[0])) is index
            ):
                continue
            sa("sqlalchemy", "Index")
            args = [_py_str(index.name), *(_py_str(c) for c in index.columns)]
            if index.unique:
                args.append("unique=True")
            calls.append(_C("Index", tuple(args)))
        for check in table.checks:
            sa("sqlalchemy", "CheckConstraint")
            prefix = f"ck_{table.name}_"
            if check.name.startswith(prefix) and len(check.name) > len(prefix):
                name = _py_str(check.name[len(prefix) :])
            else:
                sa("sqlalchemy.sql.naming", "conv")
                name = f"conv({_py_str(check.name)})"
            calls.append(_C("CheckConstraint", (_S(check.expression), f"name={name}")))
        if table.comment is not None:
            calls.append(_S(table.comment, prefix=f"{{{_py_str('comment')}: ", suffix="}"))
        out = []
        for c in calls:
            if isinstance(c, _C):
                out.append(_render(c, 8, 8))
            elif isinstance(c, _S):
                flat = c.flat()
                out.append(flat if 8 + len(flat) + 1 <= LINE else c.wrapped(8))
            else:
                out.append(c)
        return out

    def _single_fk_of(self, table: Table, fk: ForeignKey) -> bool:
        if not (len(fk.columns) == 1 and len(fk.ref_columns) == 1):
            return False
        column = table.column(fk.columns[0])
        return self._single_fk(table, column) is fk


# The SQLAlchemy type each bb type is spelled as when it must be explicit.
_PLAIN_TYPES = {
    "integer": "Integer",
    "string": "String",
    "numeric": "Numeric",
    "datetime": "DateTime",
    "boolean": "Boolean",
    "date": "Date",
    "time": "Time",
    "interval": "Interval",
    "uuid": "Uuid",
    "binary": "LargeBinary",
}

# Names the generated module may import from SQLAlchemy; classes must not shadow them.
_SQLALCHEMY_NAMES = frozenset(
    {
        "BigInteger",
        "Boolean",
        "Date",
        "Integer",
        "Interval",
        "LargeBinary",
        "Time",
        "Uuid",
        "CheckConstraint",
        "DateTime",
        "Double",
        "Enum",
        "Float",
        "ForeignKey",
        "ForeignKeyConstraint",
        "Index",
        "JSON",
        "MetaData",
        "Numeric",
        "PrimaryKeyConstraint",
        "SmallInteger",
        "String",
        "Text",
        "UniqueConstraint",
        "DeclarativeBase",
        "Mapped",
        "Any",
        "func",
        "text",
        "true",
        "false",
        "conv",
        "mapped_column",
        "datetime",
        "decimal",
        "enum",
        "uuid",
    }
)


def render_models(schema: Schema) -> str:
    """A complete, deterministic models file for `schema`."""
    return _Writer(schema).render()
