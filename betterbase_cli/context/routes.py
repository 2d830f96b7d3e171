"""Read a project's FastAPI routes statically: scan each module with `ast`, then link them.

Scanning is a pure function of one file's text (so ``--watch`` caches it by content hash);
linking follows imports and ``include_router`` calls from every ``FastAPI()`` app down to the
handlers, adding prefixes and dependencies on the way.  Nothing here imports user code.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from operator import attrgetter

from betterbase_cli.records import dataclass, field
from betterbase_cli.schema.model import Location

APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security"}
)
# Marker calls in a parameter's default or Annotated[...] metadata, by where the value comes from.
PARAM_SOURCES = {
    "Query": "query",
    "Path": "path",
    "Header": "header",
    "Cookie": "cookie",
    "Body": "body",
    "Form": "form",
    "File": "form",
}
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
ROUTE_DECORATORS = frozenset((*HTTP_METHODS, "api_route", "websocket"))
# Types FastAPI injects itself: never a body or a query parameter.
INJECTED_PREFIXES = ("fastapi.", "starlette.", "sqlalchemy.")
SCALARS = frozenset(
    {
        "int", "float", "str", "bool", "bytes", "uuid.UUID", "datetime.datetime", "datetime.date",
        "datetime.time", "datetime.timedelta", "decimal.Decimal", "typing.Any", "typing.Literal",
        "typing.Optional", "typing.Union", "None",
    }
)  # fmt: skip
CONTAINERS = frozenset({"list", "set", "tuple", "typing.List", "typing.Set", "typing.Sequence"})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
# The dependencies `bb auth setup` writes in <package>/auth/: how each one protects a route.
AUTH_DEPENDENCIES = {
    "require_auth": "required",
    "has_role": "required",
    "require_session": "required",
    "get_user": "optional",
    "current_auth": "optional",
}
STATUS_NAME = re.compile(r"HTTP_(\d{3})_")
# Line ends as Python counts lines (str.splitlines also splits at a form feed and others).
LINE_END = re.compile(r"\r\n?|\n")
PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}")
# A class statement at the start of a line; matched after a newline (searched for "\nclass"
# much faster than for "^class" in MULTILINE mode), so the text is given a leading "\n".
CLASS_LINE = re.compile(r"\nclass\s+([A-Za-z_]\w*)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class ScanWarning:
    """A construct the scanner saw but could not use: never dropped silently."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class DepRef:
    """A dependency: the qualified name of the callable and literal string arguments (roles)."""

    target: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Param:
    name: str
    source: str  # depends, query, path, header, cookie, body, form, injected, unknown
    annotation: str | None = None  # source text of the type
    type_name: str | None = None  # qualified name of the outer type when it is a plain name
    dep: DepRef | None = None


@dataclass(frozen=True)
class RouterDef:
    kind: str  # "app" or "router"
    prefix: str
    dependencies: tuple[DepRef, ...]
    tags: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class RouteDef:
    router: str  # qualified name of the router or app it was declared on
    methods: tuple[str, ...]  # empty for a websocket
    path: str
    function: str
    line: int
    params: tuple[Param, ...]
    dependencies: tuple[DepRef, ...]
    response_model: str | None
    status_code: int | None
    tags: tuple[str, ...]
    summary: str | None
    include_in_schema: bool
    websocket: bool = False
    extra_body: str | None = None  # a body documented through openapi_extra (read by hand)


@dataclass(frozen=True)
class IncludeDef:
    parent: str  # qualified name of the router or app that includes
    child: str  # qualified name of the router included
    prefix: str
    dependencies: tuple[DepRef, ...]
    tags: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ModuleScan:
    """What one module declares; a pure function of its text and path."""

    module: str
    path: str
    imports: Mapping[str, str]
    routers: Mapping[str, RouterDef]
    routes: tuple[RouteDef, ...]
    includes: tuple[IncludeDef, ...]
    functions: Mapping[str, tuple[Param, ...]]  # module-level function -> its parameters
    aliases: Mapping[str, tuple[DepRef, ...]]  # X = Annotated[T, Depends(f)] -> dependencies
    classes: Mapping[str, tuple[str, ...]]  # module-level class -> qualified base names
    warnings: tuple[ScanWarning, ...]
    uses_fastapi: bool
    # `router = make_router(..., prefix="/x")`: name -> (factory, prefix or None if not literal)
    made: Mapping[str, tuple[str, int, RouterDef | None]] = field(default_factory=dict)
    factories: frozenset[str] = frozenset()  # module-level functions that return an APIRouter


@dataclass(frozen=True)
class Route:
    """One method on one path, as the running app would serve it."""

    method: str  # GET, POST, ... or WEBSOCKET
    path: str
    function: str
    module: str
    location: Location
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body: str | None
    response_model: str | None
    status_code: int | None
    auth: str | None  # "required", "optional" or None
    roles: tuple[str, ...]
    tags: tuple[str, ...]
    summary: str | None
    include_in_schema: bool

    @property
    def sort_key(self) -> tuple[str, str, str, int]:
        return (self.path, self.method, self.location.path, self.location.line)


@dataclass(frozen=True)
class RouteScan:
    routes: tuple[Route, ...]
    warnings: tuple[ScanWarning, ...]


class ScanError(Exception):
    """The module does not parse: where, and why."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message


def module_name(rel_path: str) -> tuple[str, bool]:
    """`app/routes/posts.py` -> ("app.routes.posts", False); `app/routes/__init__.py` ->
    ("app.routes", True)."""
    parts = rel_path[: -len(".py")].split("/") if rel_path.endswith(".py") else rel_path.split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def is_candidate(text: str) -> bool:
    """Cheap test for files that can declare routes, routers or their dependencies."""
    return "fastapi" in text or "router" in text


def class_index(text: str) -> dict[str, tuple[str, ...]]:
    """Classes and base names of a file that is not scanned, by regular expression (cheap)."""
    return {
        name: tuple(b.strip().rsplit(".", 1)[-1] for b in bases.split(","))
        for name, bases in CLASS_LINE.findall("\n" + text)
    }


# --- scanning one module -----------------------------------------------------------------------


class _Scanner:
    def __init__(self, text: str, rel_path: str) -> None:
        self.path = rel_path
        self.module, self.is_package = module_name(rel_path)
        try:
            self.tree = ast.parse(text, filename=rel_path)
        except SyntaxError as exc:
            raise ScanError(
                rel_path, exc.lineno or 1, exc.offset or 0, exc.msg or "invalid syntax"
            ) from exc
        # Source text of annotations by slicing, not ast.unparse (which costs more than parsing).
        # Offsets are UTF-8 byte columns, equal to str indexes only for ASCII text.
        self.text = text if text.isascii() else None
        self.line_starts = [0]
        if self.text is not None:
            self.line_starts.extend(m.end() for m in LINE_END.finditer(self.text))
        self._params: dict[int, tuple[Param, ...]] = {}
        self.imports: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.routers: dict[str, RouterDef] = {}
        self.routes: list[RouteDef] = []
        self.includes: list[IncludeDef] = []
        self.functions: dict[str, tuple[Param, ...]] = {}
        self.aliases: dict[str, tuple[DepRef, ...]] = {}
        self.classes: dict[str, tuple[str, ...]] = {}
        self.made: dict[str, tuple[str, int, RouterDef | None]] = {}
        self.defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.warnings: list[ScanWarning] = []
        self.uses_fastapi = False

    def source(self, node: ast.expr) -> str:
        """The node's source text (normalised whitespace when it spans lines)."""
        end_line, end_col = node.end_lineno, node.end_col_offset
        if self.text is None or end_line is None or end_col is None:
            return ast.unparse(node)
        start = self.line_starts[node.lineno - 1] + node.col_offset
        text = self.text[start : self.line_starts[end_line - 1] + end_col]
        return " ".join(text.split()) if "\n" in text else text

    def warn(self, node: ast.AST, message: str) -> None:
        self.warnings.append(ScanWarning(self.path, getattr(node, "lineno", 1), message))

    # names -> qualified names

    def qualify(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, f"{self.module}.{node.id}")
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript):
            return self.qualify(node.value)
        return None

    def _absolute(self, level: int, module: str | None) -> str:
        if level == 0:
            return module or ""
        parts = self.module.split(".")
        keep = len(parts) - level + (1 if self.is_package else 0)
        base = parts[: max(keep, 0)]
        return ".".join([*base, module] if module else base)

    def statements(self, body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
        """Module-level statements, looking inside if/try/with blocks (not functions)."""
        for stmt in body:
            yield stmt
            if isinstance(stmt, ast.If):
                yield from self.statements(stmt.body)
                yield from self.statements(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                yield from self.statements(stmt.body)
                for handler in stmt.handlers:
                    yield from self.statements(handler.body)
                yield from self.statements(stmt.orelse)
                yield from self.statements(stmt.finalbody)
            elif isinstance(stmt, ast.With):
                yield from self.statements(stmt.body)

    # literal values

    def string(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.string(node.left), self.string(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    inner = self.string(value.value)
                    if inner is None or value.format_spec is not None:
                        return None
                    parts.append(inner)
                else:
                    text = self.string(value)
                    if text is None:
                        return None
                    parts.append(text)
            return "".join(parts)
        return None

    def strings(self, node: ast.expr | None) -> tuple[str, ...]:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            found = (self.string(e) for e in node.elts)
            return tuple(s for s in found if s is not None)
        return ()

    def status(self, node: ast.expr | None) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, (ast.Attribute, ast.Name)):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            match = STATUS_NAME.match(name)
            if match:
                return int(match.group(1))
        if node is not None:
            self.warn(node, "status_code is not a number or status.HTTP_*; recorded as unknown")
        return None

    # dependencies

    def is_depends(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and self.qualify(node.func) in DEPENDS

    def dep_of(self, call: ast.Call, annotation: ast.expr | None = None) -> DepRef | None:
        """`Depends(f)` / `Depends(has_role("admin"))` / `x: T = Depends()` -> a DepRef."""
        target = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg == "dependency":
                target = keyword.value
        if target is None:
            target = self._annotation_type(annotation)
        if target is None:
            return None
        if isinstance(target, ast.Call):
            name = self.qualify(target.func)
            roles: list[str] = []
            for arg in target.args:
                text = self.string(arg)
                roles.extend([text] if text is not None else self.strings(arg))
            return DepRef(name, tuple(roles)) if name else None
        name = self.qualify(target)
        return DepRef(name) if name else None

    def dep_list(self, node: ast.expr | None) -> tuple[DepRef, ...]:
        if not isinstance(node, (ast.List, ast.Tuple)):
            return ()
        found = (
            self.dep_of(e) for e in node.elts if isinstance(e, ast.Call) and self.is_depends(e)
        )
        return tuple(d for d in found if d is not None)

    def _annotation_type(self, annotation: ast.expr | None) -> ast.expr | None:
        if (
            isinstance(annotation, ast.Subscript)
            and self.qualify(annotation.value) in ANNOTATED
            and isinstance(annotation.slice, ast.Tuple)
        ):
            return annotation.slice.elts[0]
        return annotation

    def annotated_deps(self, annotation: ast.expr) -> tuple[DepRef, ...]:
        if not (
            isinstance(annotation, ast.Subscript)
            and self.qualify(annotation.value) in ANNOTATED
            and isinstance(annotation.slice, ast.Tuple)
        ):
            return ()
        elts = annotation.slice.elts
        found = (
            self.dep_of(m, elts[0])
            for m in elts[1:]
            if isinstance(m, ast.Call) and self.is_depends(m)
        )
        return tuple(d for d in found if d is not None)

    # parameters

    def params(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Param, ...]:
        found = self._params.get(id(fn))
        if found is None:
            found = self._params[id(fn)] = self._read_params(fn)
        return found

    def _read_params(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Param, ...]:
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        pairs = [
            *zip(positional, defaults, strict=True),
            *zip(args.kwonlyargs, args.kw_defaults, strict=True),
        ]
        return tuple(self.param(arg, default) for arg, default in pairs)

    def param(self, arg: ast.arg, default: ast.expr | None) -> Param:
        annotation = arg.annotation
        text = self.source(annotation) if annotation is not None else None
        markers: list[ast.Call] = []
        inner = annotation
        if (
            isinstance(annotation, ast.Subscript)
            and self.qualify(annotation.value) in ANNOTATED
            and isinstance(annotation.slice, ast.Tuple)
        ):
            inner = annotation.slice.elts[0]
            text = self.source(inner)
            markers = [m for m in annotation.slice.elts[1:] if isinstance(m, ast.Call)]
        if isinstance(default, ast.Call):
            markers.append(default)
        for marker in markers:
            qualified = self.qualify(marker.func) or ""
            if qualified in DEPENDS:
                return Param(arg.arg, "depends", text, dep=self.dep_of(marker, inner))
            short = qualified.rsplit(".", 1)[-1]
            if qualified.startswith("fastapi.") and short in PARAM_SOURCES:
                return Param(arg.arg, PARAM_SOURCES[short], text)
        type_name = self._outer_type(inner)
        if type_name and type_name.startswith(INJECTED_PREFIXES):
            return Param(arg.arg, "injected", text, type_name)
        return Param(arg.arg, "unknown", text, type_name)

    def _outer_type(self, node: ast.expr | None) -> str | None:
        """The qualified name that decides what a parameter is: `X | None` -> X, list[X] -> X."""
        if node is None:
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            for side in (node.left, node.right):
                if not (isinstance(side, ast.Constant) and side.value is None):
                    return self._outer_type(side)
        if isinstance(node, ast.Constant):
            return "None" if node.value is None else None
        if isinstance(node, ast.Subscript):
            outer = self.qualify(node.value) or ""
            builtin = outer.rsplit(".", 1)[-1]
            if outer in CONTAINERS or builtin in ("list", "set", "tuple"):
                return "list"  # FastAPI reads a bare list parameter from the body
            if outer in ("typing.Optional", "typing.Union"):
                options = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                for option in options:
                    if not (isinstance(option, ast.Constant) and option.value is None):
                        return self._outer_type(option)
            return outer
        qualified = self.qualify(node)
        if isinstance(node, ast.Name) and qualified == f"{self.module}.{node.id}":
            if node.id in ("int", "float", "str", "bool", "bytes", "list", "dict", "set"):
                return node.id
        return qualified

    # the module

    def scan(self) -> ModuleScan:
        body = list(self.statements(self.tree.body))
        for stmt in body:
            self.collect_imports(stmt)
        for stmt in body:
            self.collect_definitions(stmt)
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.collect_routes(stmt)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self.collect_call(stmt.value)
        return ModuleScan(
            module=self.module,
            path=self.path,
            imports=self.imports,
            routers=self.routers,
            routes=tuple(self.routes),
            includes=tuple(self.includes),
            functions=self.functions,
            aliases=self.aliases,
            classes=self.classes,
            warnings=tuple(self.warnings),
            uses_fastapi=self.uses_fastapi,
            made=self.made,
            factories=frozenset(
                name
                for name, fn in self.defs.items()
                if fn.returns is not None and self.qualify(fn.returns) in ROUTER_CLASSES
            ),
        )

    def collect_imports(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
                if alias.name.split(".")[0] in ("fastapi", "starlette"):
                    self.uses_fastapi = True
        elif isinstance(stmt, ast.ImportFrom):
            base = self._absolute(stmt.level, stmt.module)
            if base.split(".")[0] in ("fastapi", "starlette"):
                self.uses_fastapi = True
            for alias in stmt.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = f"{base}.{alias.name}"

    def collect_definitions(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.defs[stmt.name] = stmt
            self.functions[stmt.name] = self.params(stmt)
            return
        if isinstance(stmt, ast.ClassDef):
            bases = (self.qualify(b) for b in stmt.bases)
            self.classes[stmt.name] = tuple(b for b in bases if b)
            return
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            return
        if not isinstance(target, ast.Name):
            return
        text = self.string(value)
        if text is not None:
            self.constants[target.id] = text
        elif isinstance(value, ast.Call):
            self.router_definition(target.id, value)
        elif isinstance(value, ast.Subscript):
            deps = self.annotated_deps(value)
            if deps:
                self.aliases[target.id] = deps

    def router_definition(self, name: str, call: ast.Call) -> None:
        qualified = self.qualify(call.func)
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if qualified is None:
            return
        if qualified not in APP_CLASSES and qualified not in ROUTER_CLASSES:
            # Maybe a project function that builds a router; the linker decides.  Its prefix
            # is only known when passed literally.
            prefix = self.string(kwargs.get("prefix"))
            made = None
            if prefix is not None:
                made = RouterDef(
                    "router", prefix, self.dep_list(kwargs.get("dependencies")),
                    self.strings(kwargs.get("tags")), call.lineno,
                )  # fmt: skip
            self.made[name] = (qualified, call.lineno, made)
            return
        prefix = ""
        if "prefix" in kwargs:
            prefix = self.string(kwargs["prefix"]) or ""
            if self.string(kwargs["prefix"]) is None:
                self.warn(call, f"the prefix of `{name}` is not a string bb can read; taken as ''")
        self.routers[name] = RouterDef(
            kind="app" if qualified in APP_CLASSES else "router",
            prefix=prefix,
            dependencies=self.dep_list(kwargs.get("dependencies")),
            tags=self.strings(kwargs.get("tags")),
            line=call.lineno,
        )

    def collect_routes(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in fn.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_DECORATORS
            ):
                continue
            owner = self.qualify(decorator.func.value)
            if owner is not None:
                self.add_route(owner, decorator.func.attr, decorator, fn)

    def add_route(
        self,
        owner: str,
        kind: str,
        call: ast.Call,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        path_node: ast.expr | None = None,
    ) -> None:
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if path_node is None:
            path_node = call.args[0] if call.args else kwargs.get("path")
        path = self.string(path_node)
        if path is None:
            self.warn(call, f"the path of route `{fn.name}` is not a string bb can read; left out")
            return
        websocket = kind in ("websocket", "add_api_websocket_route")
        if websocket:
            methods: tuple[str, ...] = ()
        elif kind in HTTP_METHODS:
            methods = (kind.upper(),)
        else:
            listed = self.strings(kwargs.get("methods"))
            if "methods" in kwargs and not listed:
                self.warn(call, f"the methods of route `{fn.name}` are not literal; taken as GET")
            methods = tuple(sorted({m.upper() for m in listed})) or ("GET",)
        response_model: str | None
        if "response_model" in kwargs:
            node = kwargs["response_model"]
            is_none = isinstance(node, ast.Constant) and node.value is None
            response_model = None if is_none else self.source(node)
        else:
            response_model = self._return_model(fn)
        include = kwargs.get("include_in_schema")
        extra_body = self._extra_body(kwargs.get("openapi_extra"))
        summary = self.string(kwargs.get("summary")) or _first_line(_docstring(fn))
        self.routes.append(
            RouteDef(
                router=owner,
                methods=methods,
                path=path,
                function=fn.name,
                line=fn.lineno,
                params=self.params(fn),
                dependencies=self.dep_list(kwargs.get("dependencies")),
                response_model=None if websocket else response_model,
                status_code=self.status(kwargs["status_code"]) if "status_code" in kwargs else None,
                tags=self.strings(kwargs.get("tags")),
                summary=summary,
                include_in_schema=not (
                    isinstance(include, ast.Constant) and include.value is False
                ),
                websocket=websocket,
                extra_body=extra_body,
            )
        )

    def _extra_body(self, node: ast.expr | None) -> str | None:
        """The body an endpoint reads itself and documents in openapi_extra: the model of a
        `body_schema(Model, many=...)` call (what `bb generate crud` writes), or a requestBody."""
        if node is None:
            return None
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and sub.args:
                func = sub.func
                name = func.attr if isinstance(func, ast.Attribute) else ""
                name = func.id if isinstance(func, ast.Name) else name
                if name.endswith("body_schema"):
                    model = self.source(sub.args[0])
                    many = sub.args[1] if len(sub.args) > 1 else None
                    for keyword in sub.keywords:
                        if keyword.arg == "many":
                            many = keyword.value
                    single = isinstance(many, ast.Constant) and many.value is False
                    return model if single else f"{model} | list[{model}]"
            if isinstance(sub, ast.Constant) and sub.value == "requestBody":
                return "see openapi_extra"
        return None

    def _return_model(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        returns = fn.returns
        if returns is None or (isinstance(returns, ast.Constant) and returns.value is None):
            return None
        outer = self._outer_type(returns) or ""
        if outer.startswith(INJECTED_PREFIXES) or outer == "None":
            return None  # a Response subclass: FastAPI uses no response model
        return self.source(returns)

    def collect_call(self, call: ast.Call) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        method = call.func.attr
        if method not in ("include_router", "add_api_route", "add_api_websocket_route"):
            return
        owner = self.qualify(call.func.value)
        if owner is None:
            return
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if method == "include_router":
            child_node = call.args[0] if call.args else kwargs.get("router")
            child = self.qualify(child_node) if child_node is not None else None
            if child is None:
                self.warn(
                    call, "include_router() of something bb cannot follow; its routes are left out"
                )
                return
            prefix = self.string(kwargs.get("prefix")) if "prefix" in kwargs else ""
            if prefix is None:
                self.warn(
                    call, "the include_router() prefix is not a string bb can read; taken as ''"
                )
            self.includes.append(
                IncludeDef(
                    parent=owner,
                    child=child,
                    prefix=prefix or "",
                    dependencies=self.dep_list(kwargs.get("dependencies")),
                    tags=self.strings(kwargs.get("tags")),
                    line=call.lineno,
                )
            )
            return
        endpoint = call.args[1] if len(call.args) > 1 else kwargs.get("endpoint")
        if not isinstance(endpoint, ast.Name) or endpoint.id not in self.defs:
            self.warn(call, f"{method}() with an endpoint bb cannot find in this module; left out")
            return
        path_node = call.args[0] if call.args else kwargs.get("path")
        self.add_route(owner, method, call, self.defs[endpoint.id], path_node)


def _docstring(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The docstring as ast.get_docstring gives it, but for the indentation of lines after the
    first, which _first_line does not read (get_docstring's cleandoc imports inspect: 12 ms)."""
    if fn.body and isinstance(fn.body[0], ast.Expr):
        value = fn.body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value.expandtabs()
    return None


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0].strip() or None


def scan_module(text: str, rel_path: str) -> ModuleScan:
    """Scan one module's text.  Raises ScanError when it does not parse."""
    return _Scanner(text, rel_path).scan()


# --- linking modules into routes ---------------------------------------------------------------
#
# A link is split by what each part depends on, so that a relink after one saved file redoes
# only what that file can change: the router tree (every module's imports, routers and
# includes), each module's route definitions grouped by router, and the routes of each (module,
# router, mount) group.  A cached part records the modules it consulted and is dropped when one
# of them changes; the result is the same as a link without the memo (the tests check that).

SortKey = tuple[str, str, str, int]
_CACHE_LIMIT = 50_000  # names kept by resolve/auth_of across links: clear them past this
_SWAP_LIMIT = 64  # routes swapped in and out of the last sorted list; past this, sort anew


@dataclass(frozen=True, eq=False)
class _Mount:
    """Where a router is served: the prefix, dependencies and tags gathered from the root down.
    The linker keeps one object per value, so group keys hash and compare by identity."""

    prefix: str
    deps: tuple[DepRef, ...]
    tags: tuple[str, ...]


@dataclass
class _Tree:
    """The routers and where each is mounted, which depends on every module's imports, routers,
    includes and router factories (`_shape`) but not on its routes."""

    routers: dict[str, tuple[ModuleScan, RouterDef]] = field(default_factory=dict)
    opaque: dict[str, tuple[ModuleScan, str, int]] = field(default_factory=dict)  # no prefix
    mounts: list[tuple[str, _Mount]] = field(default_factory=list)  # walk order from the roots
    reached: set[str] = field(default_factory=set)
    warnings: list[ScanWarning] = field(default_factory=list)
    by_value: dict[tuple[str, tuple[DepRef, ...], tuple[str, ...]], _Mount] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class _Owned:
    """One module's route definitions grouped by the router they are declared on."""

    scan: ModuleScan
    tree: _Tree
    groups: dict[str, list[RouteDef]]
    skipped: dict[str, int]  # opaque router -> routes left out
    warnings: list[ScanWarning]
    layout: tuple[object, ...]  # what the link reads besides the route definitions themselves


@dataclass(frozen=True)
class _Group:
    """The routes one module declares on one router at one mount, and the modules consulted."""

    defs: list[RouteDef]
    routes: tuple[Route, ...]
    touched: frozenset[str]


_GroupKey = tuple[str, str, _Mount]  # (module, router, mount)
TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    _K = TypeVar("_K", bound=Hashable)
    _V = TypeVar("_V")
else:
    # Nothing reads the type parameters at run time: Generic[...] is a plain base class here.
    class Generic:
        def __class_getitem__(cls, params: object) -> type:
            return cls

    _K = _V = None


class _Consulted(Generic[_K, _V]):
    """Results kept across links, each with the modules consulted to make it."""

    def __init__(self) -> None:
        self.hits: dict[_K, tuple[_V, frozenset[str]]] = {}
        self.users: dict[str, set[_K]] = {}  # module -> keys of results that consulted it

    def add(self, key: _K, value: _V, touched: frozenset[str]) -> tuple[_V, frozenset[str]]:
        hit = self.hits[key] = (value, touched)
        for module in touched:
            self.users.setdefault(module, set()).add(key)
        return hit

    def forget(self, changed: Iterable[str]) -> None:
        """Drop the results that consulted a changed module (and some that did before)."""
        if len(self.hits) > _CACHE_LIMIT:
            self.hits.clear()
            self.users.clear()
        for module in changed:
            for key in self.users.pop(module, ()):
                self.hits.pop(key, None)


@dataclass
class _LinkState:
    """What one link leaves for the next: its inputs, the cached parts and the sorted routes."""

    package: str = ""
    scans: Mapping[str, ModuleScan] = field(default_factory=dict)
    classes: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    tree: _Tree | None = None
    owned: dict[str, _Owned] = field(default_factory=dict)
    groups: dict[_GroupKey, _Group] = field(default_factory=dict)
    resolved: _Consulted[str, str] = field(default_factory=_Consulted)
    auth: _Consulted[tuple[DepRef, ...], tuple[str | None, tuple[str, ...]]] = field(
        default_factory=_Consulted
    )
    # The routes by sort key, the keys sorted, and the routes in that order.  `exact` says no two
    # groups made routes with the same key (the walk's last one wins then), so a group's routes
    # can be swapped in place; otherwise the next link sorts again.
    by_key: dict[SortKey, Route] = field(default_factory=dict)
    keys: list[SortKey] = field(default_factory=list)
    ordered: list[Route] = field(default_factory=list)
    exact: bool = False
    routes: tuple[Route, ...] | None = None
    warnings: tuple[ScanWarning, ...] = ()


# The caller keeps one between links (an empty dict to start); link_routes keeps its state in it.
RouteMemo = dict[str, _LinkState]
_LAST = "last"


def _shape(scan: ModuleScan) -> tuple[object, ...]:
    """What the router tree reads of a module."""
    return (scan.path, scan.imports, scan.routers, scan.includes, scan.made, scan.factories)


class _Linker:
    def __init__(
        self,
        scans: Mapping[str, ModuleScan],
        package: str,
        classes: Mapping[str, Mapping[str, tuple[str, ...]]],
        last: _LinkState | None,
    ) -> None:
        self.scans = scans
        self.classes = classes  # module -> class -> base names, for modules not scanned
        self.last = last if last is not None and last.package == package else _LinkState()
        self.state = _LinkState(package, scans, classes)
        self.changed = self._changed()
        # Memos of resolve() and auth_of(): a few hundred routes use a handful of distinct names.
        # Each result keeps the modules it consulted, so routes made from it know what they
        # depend on (`_touched` collects them while a group is made).
        self.resolved = self.state.resolved = self.last.resolved
        self.auth = self.state.auth = self.last.auth
        self.resolved.forget(self.changed)
        self.auth.forget(self.changed)
        self._touched: set[str] | None = None

    def _changed(self) -> set[str]:
        """Modules whose scan or class index differs from the last link's.  Most are the same
        objects; an equal one (a comment was edited) is no change: what the last link made of
        the module is reused, so equal is enough wherever a cached part is checked."""
        last = self.last
        changed = {
            m
            for m, scan in self.scans.items()
            if (before := last.scans.get(m)) is not scan and before != scan
        }
        changed.update(m for m in last.scans if m not in self.scans)
        changed.update(
            m
            for m, index in self.classes.items()
            if (old := last.classes.get(m)) is not index and old != index
        )
        changed.update(m for m in last.classes if m not in self.classes)
        return changed

    def consult(self, module: str) -> ModuleScan | None:
        if self._touched is not None:
            self._touched.add(module)
        return self.scans.get(module)

    def resolve(self, qualified: str) -> str:
        """Follow imports through scanned modules to where a name is defined."""
        hit = self.resolved.hits.get(qualified)
        if hit is None:
            touched: set[str] = set()
            outer, self._touched = self._touched, touched
            result = self._resolve(qualified)
            hit = self.resolved.add(qualified, result, frozenset(touched))
            self._touched = outer
        if self._touched is not None:
            self._touched |= hit[1]
        return hit[0]

    def _resolve(self, qualified: str) -> str:
        seen: set[str] = set()
        while qualified not in seen:
            seen.add(qualified)
            module, _, name = qualified.rpartition(".")
            scan = self.consult(module)
            if scan is None:
                return qualified
            target = scan.imports.get(name)
            if target is None or target == qualified:
                return qualified
            qualified = target
        return qualified

    def auth_of(self, deps: tuple[DepRef, ...]) -> tuple[str | None, tuple[str, ...]]:
        hit = self.auth.hits.get(deps)
        if hit is None:
            touched: set[str] = set()
            outer, self._touched = self._touched, touched
            result = self._auth_of(deps)
            hit = self.auth.add(deps, result, frozenset(touched))
            self._touched = outer
        if self._touched is not None:
            self._touched |= hit[1]
        return hit[0]

    def _auth_of(self, deps: Iterable[DepRef]) -> tuple[str | None, tuple[str, ...]]:
        level: str | None = None
        roles: set[str] = set()
        pending = list(deps)
        seen: set[str] = set()
        while pending:
            dep = pending.pop()
            target = self.resolve(dep.target)
            key = f"{target}{dep.args}"
            if key in seen:
                continue
            seen.add(key)
            module, _, name = target.rpartition(".")
            if name in AUTH_DEPENDENCIES and "auth" in module.split("."):
                found = AUTH_DEPENDENCIES[name]
                level = "required" if "required" in (level, found) else found
                if name == "has_role":
                    roles.update(dep.args)
                continue
            scan = self.consult(module)
            for param in scan.functions.get(name, ()) if scan is not None else ():
                if param.dep is not None:
                    pending.append(param.dep)
                elif param.source == "unknown":
                    pending.extend(self.alias_deps(param.type_name))
        return level, tuple(sorted(roles))

    def alias_deps(self, type_name: str | None) -> tuple[DepRef, ...]:
        if not type_name:
            return ()
        target = self.resolve(type_name)
        module, _, name = target.rpartition(".")
        scan = self.consult(module)
        return scan.aliases.get(name, ()) if scan else ()

    def is_query_type(self, type_name: str | None) -> bool:
        if (
            type_name is None
            or type_name in SCALARS
            or type_name.startswith(("datetime.", "uuid."))
        ):
            return True
        target = self.resolve(type_name)
        module, _, name = target.rpartition(".")
        scan = self.consult(module)
        index = scan.classes if scan else self.classes.get(module, {})
        bases = index.get(name)
        if bases is None:
            return False
        return any(b.rsplit(".", 1)[-1] in ("Enum", "StrEnum", "IntEnum") for b in bases)

    # the router tree

    def tree(self) -> _Tree:
        last = self.last.tree
        if (
            last is not None
            and self.last.scans.keys() == self.scans.keys()
            and all(
                _shape(self.scans[m]) == _shape(self.last.scans[m])
                for m in self.changed
                if m in self.scans
            )
        ):
            return last
        tree = _Tree()
        routers, opaque = tree.routers, tree.opaque
        for scan in self.scans.values():
            for name, router in scan.routers.items():
                routers[f"{scan.module}.{name}"] = (scan, router)
        for scan in self.scans.values():
            for name, (factory, line, made) in scan.made.items():
                module, _, function = self.resolve(factory).rpartition(".")
                maker = self.scans.get(module)
                if maker is None or function not in maker.factories:
                    continue
                if made is None:
                    opaque[f"{scan.module}.{name}"] = (scan, function, line)
                else:
                    routers[f"{scan.module}.{name}"] = (scan, made)
        children: dict[str, list[tuple[ModuleScan, IncludeDef]]] = {}
        for scan in self.scans.values():
            for include in scan.includes:
                parent = self.resolve(include.parent)
                child = self.resolve(include.child)
                if child in opaque:
                    continue  # said once, where the router is made
                if child not in routers:
                    tree.warnings.append(
                        ScanWarning(
                            scan.path,
                            include.line,
                            f"include_router() of `{include.child}`, which is not an APIRouter "
                            "bb can find; its routes are left out",
                        )
                    )
                    continue
                if parent not in routers:
                    tree.warnings.append(
                        ScanWarning(
                            scan.path,
                            include.line,
                            f"include_router() on `{include.parent}`, which is not a FastAPI app "
                            "or APIRouter bb can find; left out",
                        )
                    )
                    continue
                children.setdefault(parent, []).append(
                    (scan, IncludeDef(parent, child, include.prefix, include.dependencies,
                                      include.tags, include.line))
                )  # fmt: skip
        apps = sorted(q for q, (_, r) in routers.items() if r.kind == "app")
        roots = apps or sorted(
            q for q in routers if not any(q == i.child for v in children.values() for _, i in v)
        )
        for root in roots:
            _, router = routers[root]
            mount = self.mount(tree, router.prefix, router.dependencies, router.tags)
            self.walk(tree, children, root, mount, (root,))
        if not apps and routers:
            tree.warnings.append(
                ScanWarning(
                    next(iter(routers.values()))[0].path,
                    1,
                    "no FastAPI() app found; routes are listed as their routers declare them",
                )
            )
        return tree

    def mount(
        self, tree: _Tree, prefix: str, deps: tuple[DepRef, ...], tags: tuple[str, ...]
    ) -> _Mount:
        """The one _Mount of this value, the last tree's when it had one (so groups are found)."""
        value = (prefix, deps, tags)
        found = tree.by_value.get(value)
        if found is None:
            last = self.last.tree
            found = last.by_value.get(value) if last is not None else None
            found = tree.by_value[value] = found or _Mount(prefix, deps, tags)
        return found

    def walk(
        self,
        tree: _Tree,
        children: Mapping[str, list[tuple[ModuleScan, IncludeDef]]],
        qualified: str,
        mount: _Mount,
        stack: tuple[str, ...],
    ) -> None:
        tree.mounts.append((qualified, mount))
        tree.reached.add(qualified)
        for scan, include in children.get(qualified, ()):
            if include.child in stack:
                tree.warnings.append(
                    ScanWarning(scan.path, include.line, "a router includes itself; cycle ignored")
                )
                continue
            _, child = tree.routers[include.child]
            inner = self.mount(
                tree,
                mount.prefix + include.prefix + child.prefix,
                mount.deps + include.dependencies + child.dependencies,
                mount.tags + include.tags + child.tags,
            )
            self.walk(tree, children, include.child, inner, (*stack, include.child))

    # each module's routes by router

    def owned(self, scan: ModuleScan, tree: _Tree) -> _Owned:
        hit = self.last.owned.get(scan.module)
        if hit is not None and hit.tree is tree and scan.module not in self.changed:
            return hit
        groups: dict[str, list[RouteDef]] = {}
        skipped: dict[str, int] = {}
        warnings: list[ScanWarning] = []
        for route in scan.routes:
            owner = self.resolve(route.router)
            if owner in tree.opaque:
                skipped[owner] = skipped.get(owner, 0) + 1
            elif owner in tree.routers:
                groups.setdefault(owner, []).append(route)
            elif scan.uses_fastapi:
                warnings.append(
                    ScanWarning(
                        scan.path,
                        route.line,
                        f"route `{route.function}` is declared on `{route.router}`, which "
                        "is not a FastAPI app or APIRouter bb can find; left out",
                    )
                )
        unreached = tuple(len(defs) for owner, defs in groups.items() if owner not in tree.reached)
        layout = (tuple(groups), unreached, tuple(skipped.items()), tuple(warnings))
        return _Owned(scan, tree, groups, skipped, warnings, layout)

    def group(self, key: _GroupKey, scan: ModuleScan, defs: list[RouteDef]) -> _Group:
        """The routes of a group: the last link's while the modules it consulted are unchanged."""
        hit = self.last.groups.get(key)
        if hit is not None and hit.defs == defs and hit.touched.isdisjoint(self.changed):
            return hit  # touched includes the group's own module
        _, _, mount = key
        touched = self._touched = {scan.module}
        made = tuple(
            r for d in defs for r in self.make_routes(scan, d, mount.prefix, mount.deps, mount.tags)
        )
        self._touched = None
        return _Group(defs, made, frozenset(touched))

    def link(self) -> RouteScan:
        tree = self.state.tree = self.tree()
        return self.patch(tree) or self.relink(tree)

    def patch(self, tree: _Tree) -> RouteScan | None:
        """The last link's result with the changed groups remade in place, when the changed
        modules still declare routes on the same routers (the usual save); else None."""
        state, last = self.state, self.last
        if tree is not last.tree or not last.exact or last.routes is None:
            return None
        owned = dict(last.owned)
        for module in self.changed:
            scan = self.scans.get(module)
            if scan is None:
                continue  # a class index: the tree is the same, so the scanned modules are too
            owned[module] = self.owned(scan, tree)
            before = last.owned.get(module)
            if (
                before is None
                or owned[module].layout != before.layout
                or scan.warnings != before.scan.warnings
            ):
                return None
        groups = last.groups
        remade: dict[_GroupKey, _Group] = {}
        for key, group in groups.items():
            if not group.touched.isdisjoint(self.changed):
                module, owner, _ = key
                remade[key] = self.group(key, self.scans[module], owned[module].groups[owner])
        removed = [r for key in remade for r in groups[key].routes]
        added = [r for group in remade.values() for r in group.routes]
        if len(removed) + len(added) <= _SWAP_LIMIT:
            if not self._swap(removed, added):
                return None
            state.by_key, state.keys, state.ordered = last.by_key, last.keys, last.ordered
            groups.update(remade)
        else:
            groups = {**groups, **remade}
            self._sort_anew(groups.values())
            # No two groups made routes with the same key before; if none does now, the order
            # they are walked in does not matter.
            if len(state.by_key) != sum(len(g.routes) for g in groups.values()):
                return None
        state.owned, state.groups = owned, groups
        state.exact, state.warnings = True, last.warnings
        state.routes = tuple(state.ordered) if remade else last.routes
        return RouteScan(state.routes, state.warnings)

    def relink(self, tree: _Tree) -> RouteScan:
        state = self.state
        warnings = [w for scan in self.scans.values() for w in scan.warnings]
        warnings.extend(tree.warnings)
        own: dict[str, list[tuple[ModuleScan, list[RouteDef]]]] = {}
        skipped: dict[str, int] = {}
        for module, scan in self.scans.items():
            owned = state.owned[module] = self.owned(scan, tree)
            warnings.extend(owned.warnings)
            for owner, defs in owned.groups.items():
                own.setdefault(owner, []).append((scan, defs))
            for owner, count in owned.skipped.items():
                skipped[owner] = skipped.get(owner, 0) + count
        for qualified, count in sorted(skipped.items()):
            scan, function, line = tree.opaque[qualified]
            warnings.append(
                ScanWarning(
                    scan.path,
                    line,
                    f"router `{qualified.rsplit('.', 1)[-1]}` is made by `{function}()`, so bb "
                    f"cannot tell its prefix and leaves its {count} route(s) out; pass "
                    'prefix="/..." to the call (bb reads a literal prefix)',
                )
            )
        for qualified, groups in sorted(own.items()):
            if qualified not in tree.reached:
                scan, router = tree.routers[qualified]
                warnings.append(
                    ScanWarning(
                        scan.path,
                        router.line,
                        f"router `{qualified.rsplit('.', 1)[-1]}` is not included in any app, so "
                        f"its {sum(len(defs) for _, defs in groups)} route(s) are not served "
                        "(add it with include_router)",
                    )
                )
        order: list[_Group] = []  # in walk order: for a sort key, the last route made wins
        made = state.groups
        for qualified, mount in tree.mounts:
            for scan, defs in own.get(qualified, ()):
                key = (scan.module, qualified, mount)
                group = made.get(key)
                if group is None:
                    group = made[key] = self.group(key, scan, defs)
                order.append(group)
        self.sort(order)
        assert state.routes is not None
        state.warnings = tuple(sorted(set(warnings), key=lambda w: (w.path, w.line, w.message)))
        return RouteScan(state.routes, state.warnings)

    def sort(self, order: list[_Group]) -> None:
        """The routes sorted: the last link's list with the changed groups' routes swapped."""
        state, last = self.state, self.last
        now, before = state.groups, last.groups
        if last.exact and last.routes is not None:
            removed = [r for k, g in before.items() if now.get(k) is not g for r in g.routes]
            added = [r for k, g in now.items() if before.get(k) is not g for r in g.routes]
            if len(removed) + len(added) <= _SWAP_LIMIT and self._swap(removed, added):
                state.by_key, state.keys, state.ordered = last.by_key, last.keys, last.ordered
                state.exact = True
                state.routes = tuple(last.ordered) if removed or added else last.routes
                return
        self._sort_anew(order)
        # (A group walked twice, a router included twice alike, gives the same routes twice.)
        state.exact = len(state.by_key) == sum(len(g.routes) for g in now.values())
        state.routes = tuple(state.ordered)

    def _sort_anew(self, groups: Iterable[_Group]) -> None:
        """Sort the groups' routes into the state; of two with the same key, the later wins."""
        by_key: dict[SortKey, Route] = {}
        for group in groups:
            for route in group.routes:
                by_key[route.sort_key] = route
        state = self.state
        state.by_key = by_key
        state.keys = sorted(by_key)
        state.ordered = [by_key[k] for k in state.keys]

    def _swap(self, removed: list[Route], added: list[Route]) -> bool:
        """Take the removed routes out of the last sorted list and put the added ones in; False
        when an added route's key is taken (then the walk order decides: sort again)."""
        by_key, keys, ordered = self.last.by_key, self.last.keys, self.last.ordered
        self.last.exact = False  # until the swap is complete: a half-swapped list is no base
        for route in removed:
            key = route.sort_key
            del by_key[key]
            i = bisect_left(keys, key)
            del keys[i], ordered[i]
        for route in added:
            key = route.sort_key
            if key in by_key:
                return False
            by_key[key] = route
            i = bisect_left(keys, key)
            keys.insert(i, key)
            ordered.insert(i, route)
        self.last.exact = True
        return True

    def make_routes(
        self,
        scan: ModuleScan,
        route: RouteDef,
        prefix: str,
        deps: tuple[DepRef, ...],
        tags: tuple[str, ...],
    ) -> Iterator[Route]:
        path = prefix + route.path
        path_params = tuple(PATH_PARAM.findall(path))
        all_deps = list(deps + route.dependencies)
        query: list[str] = []
        body: list[tuple[str, str]] = []
        for param in route.params:
            if param.source == "depends":
                if param.dep is not None:
                    all_deps.append(param.dep)
                continue
            alias = self.alias_deps(param.type_name) if param.source == "unknown" else ()
            if alias:
                all_deps.extend(alias)
            elif param.name in path_params or param.source in ("path", "injected", "header",
                                                                "cookie"):  # fmt: skip
                continue
            elif param.source == "query" or (
                param.source == "unknown" and self.is_query_type(param.type_name)
            ):
                query.append(param.name)
            elif param.source in ("body", "form", "unknown"):
                body.append((param.name, param.annotation or "Any"))
        auth, roles = self.auth_of(tuple(all_deps))
        if route.websocket:
            body_text = None
            query = []
        elif route.extra_body and not body:
            body_text = route.extra_body
        elif len(body) == 1:
            body_text = body[0][1]
        elif body:
            body_text = "{" + ", ".join(f"{n}: {t}" for n, t in body) + "}"
        else:
            body_text = None
        status = route.status_code
        if status is None and not route.websocket:
            status = 200
        for method in route.methods or ("WEBSOCKET",):
            yield Route(
                method=method,
                path=path,
                function=route.function,
                module=scan.module,
                location=Location(scan.path, route.line),
                path_params=path_params,
                query_params=tuple(query),
                body=body_text,
                response_model=route.response_model,
                status_code=status,
                auth=auth,
                roles=roles,
                tags=tuple(dict.fromkeys(tags + route.tags)),
                summary=route.summary,
                include_in_schema=route.include_in_schema and not route.websocket,
            )


def link_routes(
    scans: Iterable[ModuleScan],
    package: str,
    classes: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
    memo: RouteMemo | None = None,
) -> RouteScan:
    """Every route served by the project's FastAPI app(s), with full paths, sorted.

    ``classes`` indexes classes of modules that were not scanned (module -> class -> bases);
    ``memo`` (kept by the caller between links) lets a link redo only what changed since the
    last one: the routes of unchanged modules come back as the same objects.
    """
    by_module = {scan.module: scan for scan in sorted(scans, key=attrgetter("path"))}
    # Taken out while linking: a link that fails leaves an empty memo, not a half-updated one.
    last = memo.pop(_LAST, None) if memo is not None else None
    linker = _Linker(by_module, package, dict(classes or {}), last)
    result = linker.link()
    if memo is not None:
        memo[_LAST] = linker.state
    return result
