"""Cross-module name resolution for the static reader: classes, their MRO, and constraint naming."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from betterbase_cli.records import dataclass, field
from betterbase_cli.schema import model
from betterbase_cli.schema.pymodule import ModelsModule

DECLARATIVE_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
ENUM_BASES = frozenset(
    {"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"}
)


def sa_name(qual: str | None) -> str | None:
    """The SQLAlchemy name a qualified name refers to (`String`, `func.now`), else None."""
    if not qual or not qual.startswith("sqlalchemy."):
        return None
    return _sa_name(qual)


@lru_cache(maxsize=4096)
def _sa_name(qual: str) -> str:
    parts = qual.split(".")
    if "func" in parts:
        i = parts.index("func")
        return ".".join(parts[i:])
    if "declared_attr" in parts:
        i = parts.index("declared_attr")
        return ".".join(parts[i:])
    return parts[-1]


@dataclass(eq=False)
class PyClass:
    """A class found in a project module (or a base made by `declarative_base()`)."""

    module: ModelsModule
    name: str
    node: ast.ClassDef | None
    # `Base = declarative_base(...)`: the call that made it
    factory: ast.Call | None = None
    _mro: list[PyClass | str] | None = field(default=None, repr=False)
    _own: dict[str, ast.expr] | None = field(default=None, repr=False)
    _bases: list[PyClass | str] | None = field(default=None, repr=False)
    _root: tuple[PyClass | None] | None = field(default=None, repr=False)
    _flags: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def qual(self) -> str:
        return f"{self.module.module}.{self.name}"

    def body(self) -> list[ast.stmt]:
        return self.node.body if self.node is not None else []

    def own(self, attribute: str) -> ast.expr | None:
        """The value of `attribute = ...` written in this class's body, if any."""
        if self._own is None:
            found: dict[str, ast.expr] = {}
            for stmt in self.body():
                if isinstance(stmt, ast.Assign):
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            found[target.id] = stmt.value
                elif (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and stmt.value is not None
                ):
                    found[stmt.target.id] = stmt.value
            self._own = found
        return self._own.get(attribute)


class Resolver:
    """Finds classes and module-level values by qualified name across the parsed modules."""

    def __init__(self, modules: dict[str, ModelsModule]) -> None:
        self.modules = modules
        self._classes: dict[str, PyClass] = {}
        self._found: dict[str, tuple[ModelsModule, str] | None] = {}
        self._shadowed: dict[int, PyClass] = {}  # id(class statement) -> its class, see class_of

    def find(self, qual: str, depth: int = 0) -> tuple[ModelsModule, str] | None:
        """The (module, name) a qualified name is defined at, following re-exports."""
        if qual in self._found:
            return self._found[qual]
        found = self._find(qual, depth)
        self._found[qual] = found
        return found

    def _find(self, qual: str, depth: int) -> tuple[ModelsModule, str] | None:
        if qual.startswith(("sqlalchemy.", "builtins.", "typing.", "datetime.", "enum.")):
            return None  # never a project module: skip the walk
        parts = qual.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            module = self.modules.get(mod)
            if module is None:
                continue
            if len(parts) - i != 1:
                return None
            name = parts[-1]
            if name in module.classes or name in module.assigns:
                return module, name
            if name in module.imports and depth < 12:
                return self.find(module.imports[name], depth + 1)
            return None
        return None

    def value(self, qual: str | None) -> tuple[ModelsModule, ast.expr] | None:
        """The expression a module-level name was assigned, e.g. a naming-convention dict."""
        if qual is None:
            return None
        found = self.find(qual)
        if found is None:
            return None
        module, name = found
        if name in module.assigns and name not in module.classes:
            return module, module.assigns[name]
        return None

    def cls(self, qual: str | None) -> PyClass | None:
        if qual is None:
            return None
        found = self.find(qual)
        if found is None:
            return None
        module, name = found
        key = f"{module.module}.{name}"
        if key in self._classes:
            return self._classes[key]
        if name in module.classes:
            made = PyClass(module, name, module.classes[name])
        else:
            value = module.assigns[name]
            if not (isinstance(value, ast.Call) and _is_base_factory(module, value)):
                return None
            made = PyClass(module, name, None, factory=value)
        self._classes[key] = made
        return made

    def class_of(self, module: ModelsModule, node: ast.ClassDef) -> PyClass:
        """The class a `class` statement makes.  A name defined twice in a module means the
        last class to the code that follows, but the first was made (and mapped) too: it is
        read from its own statement."""
        made = self.cls(f"{module.module}.{node.name}")
        assert made is not None
        if made.node is node:
            return made
        shadowed = self._shadowed.get(id(node))
        if shadowed is None or shadowed.node is not node:
            shadowed = self._shadowed[id(node)] = PyClass(module, node.name, node)
        return shadowed

    def bases(self, cls: PyClass) -> list[PyClass | str]:
        if cls._bases is not None:
            return cls._bases
        out: list[PyClass | str] = []
        cls._bases = out
        if cls.node is None:
            return out
        for base in cls.node.bases:
            if isinstance(base, ast.Subscript):  # Generic[T], SomeBase[Any]
                base = base.value
            qual = cls.module.qualify(base)
            found = self.cls(qual)
            if found is not None:
                out.append(found)
            else:
                out.append(qual or f"?{ast.unparse(base)}")
        return out

    def mro(self, cls: PyClass) -> list[PyClass | str]:
        """C3 linearisation over project classes; outside classes are leaves named by string."""
        if cls._mro is not None:
            return cls._mro
        cls._mro = [cls]  # guards against cycles while computing
        parents = self.bases(cls)
        seqs: list[list[PyClass | str]] = [
            list(self.mro(p)) if isinstance(p, PyClass) else [p] for p in parents
        ]
        seqs.append(list(parents))
        result: list[PyClass | str] = [cls]
        while True:
            seqs = [s for s in seqs if s]
            if not seqs:
                break
            for seq in seqs:
                head = seq[0]
                if not any(head in s[1:] for s in seqs):
                    break
            else:  # inconsistent hierarchy: fall back to depth-first order
                for seq in seqs:
                    for item in seq:
                        if item not in result:
                            result.append(item)
                break
            result.append(head)
            for s in seqs:
                if s and s[0] is head or (s and s[0] == head):
                    del s[0]
        cls._mro = result
        return result

    def is_declarative_root(self, cls: PyClass) -> bool:
        known = cls._flags.get("root")
        if known is None:
            known = cls.factory is not None or any(
                isinstance(b, str) and sa_name(b) in DECLARATIVE_BASES for b in self.bases(cls)
            )
            cls._flags["root"] = known
        return known

    def root_of(self, cls: PyClass) -> PyClass | None:
        """The declarative base a class descends from (None for mixins and plain classes)."""
        if cls._root is None:
            found = None
            for item in self.mro(cls):
                if isinstance(item, PyClass) and self.is_declarative_root(item):
                    found = item
                    break
            cls._root = (found,)
        return cls._root[0]

    def is_enum(self, cls: PyClass) -> bool:
        known = cls._flags.get("enum")
        if known is None:
            known = any(isinstance(b, str) and b in ENUM_BASES for b in self.mro(cls))
            cls._flags["enum"] = known
        return known


def _is_base_factory(module: ModelsModule, call: ast.Call) -> bool:
    """`declarative_base(...)` or `registry(...).generate_base(...)`."""
    func = call.func
    if sa_name(module.qualify(func)) == "declarative_base":
        return True
    if isinstance(func, ast.Attribute) and func.attr == "generate_base":
        inner = func.value
        if isinstance(inner, ast.Call):
            return sa_name(module.qualify(inner.func)) == "registry"
        return True
    return False


# --- constraint names, as SQLAlchemy's naming conventions would make them ---------------------

_TOKEN = re.compile(r"%\((\w+)\)s")
_COLUMN_TOKEN = re.compile(r"(referred_)?column_(\d+)(_N|N)?_(name|key|label)")
_CONVENTION_KEYS = {
    "Index": "ix",
    "UniqueConstraint": "uq",
    "CheckConstraint": "ck",
    "ForeignKeyConstraint": "fk",
    "PrimaryKeyConstraint": "pk",
}


class FinalName(str):
    """A name written as `conv("...")`: used exactly as given, no convention applied."""

    __slots__ = ()


class NamingError(Exception):
    """A naming-convention token bb cannot fill in."""


@dataclass(frozen=True)
class Naming:
    """The naming convention of one MetaData (SQLAlchemy's default when none is set)."""

    convention: tuple[tuple[str, str], ...] = (("ix", "ix_%(column_0_label)s"),)

    def get(self, kind: str) -> str | None:
        for key, value in self.convention:
            if key == kind:
                return value
        return None

    def _format(
        self,
        template: str,
        table: str,
        columns: tuple[str, ...],
        ref_table: str | None,
        ref_columns: tuple[str, ...],
        constraint_name: str | None,
    ) -> str:
        return _format(template, table, columns, ref_table, ref_columns, constraint_name)

    def name(
        self,
        kind: str,
        explicit: str | None,
        table: str,
        columns: tuple[str, ...],
        ref_table: str | None = None,
        ref_columns: tuple[str, ...] = (),
        expression: str = "",
    ) -> str:
        if isinstance(explicit, FinalName):
            return str(explicit)
        template = self.get(kind)
        uses_name = template is not None and "%(constraint_name)s" in template
        if explicit is not None and not uses_name:
            return explicit
        if template is not None and (explicit is not None or not uses_name):
            return self._format(template, table, columns, ref_table, ref_columns, explicit)
        if kind == "pk":
            return model.primary_key_name(table)
        if kind == "uq":
            return model.unique_name(table, columns)
        if kind == "ix":
            return model.index_name(table, columns)
        if kind == "fk":
            return model.foreign_key_name(table, columns, ref_table or "")
        return model.check_name(table, expression)


@lru_cache(maxsize=8192)
def _format(
    template: str,
    table: str,
    columns: tuple[str, ...],
    ref_table: str | None,
    ref_columns: tuple[str, ...],
    constraint_name: str | None,
) -> str:
    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "table_name":
            return table
        if token == "referred_table_name" and ref_table is not None:
            return ref_table
        if token == "constraint_name" and constraint_name is not None:
            return constraint_name
        column = _COLUMN_TOKEN.fullmatch(token)
        if column:
            referred, index, multi, what = column.groups()
            names = ref_columns if referred else columns
            start = int(index)
            if start >= len(names):
                raise NamingError(token)
            picked = names[start:] if multi else names[start : start + 1]
            if what == "label":
                picked = tuple(f"{ref_table if referred else table}_{n}" for n in picked)
            return ("_" if multi == "_N" else "").join(picked)
        raise NamingError(token)

    return _TOKEN.sub(fill, template)


def naming_from(module: ModelsModule, node: ast.expr | None, resolver: Resolver) -> Naming:
    """The Naming of a `MetaData(naming_convention=...)` call (or the default)."""
    if not isinstance(node, ast.Call):
        return Naming()
    conv: ast.expr | None = None
    for kw in node.keywords:
        if kw.arg == "naming_convention":
            conv = kw.value
    if conv is None:
        return Naming()
    if isinstance(conv, ast.Name | ast.Attribute):
        found = resolver.value(module.qualify(conv))
        if found is None:
            return Naming()
        module, conv = found
    if not isinstance(conv, ast.Dict):
        return Naming()
    pairs: list[tuple[str, str]] = []
    for key, value in zip(conv.keys, conv.values, strict=False):
        if key is None or not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            pairs.append((key.value, value.value))
        else:
            short = _CONVENTION_KEYS.get(sa_name(module.qualify(key)) or "")
            if short:
                pairs.append((short, value.value))
    merged = dict(Naming().convention)
    merged.update(pairs)
    return Naming(tuple(sorted(merged.items())))
