"""Read a project's FastAPI routes statically: scan each module with `ast`, then link them.

Scanning is a pure function of one file's text (so ``--watch`` caches it by content hash);
linking follows imports and ``include_router`` calls from every ``FastAPI()`` app down to the
handlers, adding prefixes and dependencies on the way.  Nothing here imports user code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

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
PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}")
CLASS_LINE = re.compile(r"^class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)", re.MULTILINE)


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
        for name, bases in CLASS_LINE.findall(text)
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
            for line in self.text.splitlines(keepends=True):
                self.line_starts.append(self.line_starts[-1] + len(line))
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
        summary = self.string(kwargs.get("summary")) or _first_line(ast.get_docstring(fn))
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


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0].strip() or None


def scan_module(text: str, rel_path: str) -> ModuleScan:
    """Scan one module's text.  Raises ScanError when it does not parse."""
    return _Scanner(text, rel_path).scan()


# --- linking modules into routes ---------------------------------------------------------------


# A memo entry of make_routes: the RouteDef it was made from, the routes, and the modules (with
# the scan and class index objects) that were consulted; it is valid while those are the same.
_MemoEntry = tuple["ModuleScan", tuple["Route", ...], dict[str, tuple[object, object]]]
RouteMemo = dict[tuple[int, str, str, tuple["DepRef", ...], tuple[str, ...]], _MemoEntry]


@dataclass
class _Linker:
    scans: Mapping[str, ModuleScan]
    package: str
    classes: Mapping[str, Mapping[str, tuple[str, ...]]]  # module -> class -> base names
    memo: RouteMemo = field(default_factory=dict)
    warnings: list[ScanWarning] = field(default_factory=list)
    routers: dict[str, tuple[ModuleScan, RouterDef]] = field(default_factory=dict)
    # Memos for this link: a few hundred routes use only a handful of distinct names.  Each
    # result keeps the modules it consulted, so routes made from it know what they depend on.
    _resolved: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    _auth: dict[tuple[DepRef, ...], tuple[tuple[str | None, tuple[str, ...]], frozenset[str]]] = (
        field(default_factory=dict)
    )
    _touched: set[str] = field(default_factory=set)
    _used: RouteMemo = field(default_factory=dict)

    def __post_init__(self) -> None:
        for scan in self.scans.values():
            for name, router in scan.routers.items():
                self.routers[f"{scan.module}.{name}"] = (scan, router)
        self.opaque: dict[str, tuple[ModuleScan, str, int]] = {}  # routers with no known prefix
        for scan in self.scans.values():
            for name, (factory, line, made) in scan.made.items():
                module, _, function = self.resolve(factory).rpartition(".")
                maker = self.scans.get(module)
                if maker is None or function not in maker.factories:
                    continue
                if made is None:
                    self.opaque[f"{scan.module}.{name}"] = (scan, function, line)
                else:
                    self.routers[f"{scan.module}.{name}"] = (scan, made)

    def consult(self, module: str) -> ModuleScan | None:
        self._touched.add(module)
        return self.scans.get(module)

    def resolve(self, qualified: str) -> str:
        """Follow imports through scanned modules to where a name is defined."""
        hit = self._resolved.get(qualified)
        if hit is None:
            outer, self._touched = self._touched, set()
            result = self._resolve(qualified)
            hit = self._resolved[qualified] = (result, frozenset(self._touched))
            self._touched = outer
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
        hit = self._auth.get(deps)
        if hit is None:
            outer, self._touched = self._touched, set()
            result = self._auth_of(deps)
            hit = self._auth[deps] = (result, frozenset(self._touched))
            self._touched = outer
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

    def routes_of(
        self,
        scan: ModuleScan,
        owner: str,
        defs: list[RouteDef],
        mount: tuple[str, tuple[DepRef, ...], tuple[str, ...]],
    ) -> tuple[Route, ...]:
        """The routes one module declares on one router at one mount point, memoised across
        links while the modules they consulted are unchanged (one check per module, not route)."""
        key = (id(scan), owner, *mount)
        hit = self.memo.get(key)
        if (
            hit is not None
            and hit[0] is scan
            and all(
                self.scans.get(m) is s and self.classes.get(m) is c for m, (s, c) in hit[2].items()
            )
        ):
            self._used[key] = hit
            return hit[1]
        outer, self._touched = self._touched, {scan.module}
        prefix, deps, tags = mount
        made = tuple(r for d in defs for r in self.make_routes(scan, d, prefix, deps, tags))
        touched: dict[str, tuple[object, object]] = {
            m: (self.scans.get(m), self.classes.get(m)) for m in self._touched
        }
        self._touched = outer
        self._used[key] = (scan, made, touched)
        return made

    def link(self) -> RouteScan:
        children: dict[str, list[tuple[ModuleScan, IncludeDef]]] = {}
        for scan in self.scans.values():
            for include in scan.includes:
                parent = self.resolve(include.parent)
                child = self.resolve(include.child)
                if child in self.opaque:
                    continue  # said once, where the router is made
                if child not in self.routers:
                    self.warnings.append(
                        ScanWarning(
                            scan.path,
                            include.line,
                            f"include_router() of `{include.child}`, which is not an APIRouter "
                            "bb can find; its routes are left out",
                        )
                    )
                    continue
                if parent not in self.routers:
                    self.warnings.append(
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
        own: dict[str, dict[str, tuple[ModuleScan, list[RouteDef]]]] = {}
        skipped: dict[str, int] = {}
        for scan in self.scans.values():
            for route in scan.routes:
                owner = self.resolve(route.router)
                if owner in self.opaque:
                    skipped[owner] = skipped.get(owner, 0) + 1
                    continue
                if owner not in self.routers:
                    if scan.uses_fastapi:
                        self.warnings.append(
                            ScanWarning(
                                scan.path,
                                route.line,
                                f"route `{route.function}` is declared on `{route.router}`, which "
                                "is not a FastAPI app or APIRouter bb can find; left out",
                            )
                        )
                    continue
                group = own.setdefault(owner, {}).setdefault(scan.module, (scan, []))
                group[1].append(route)

        for qualified, count in sorted(skipped.items()):
            scan, function, line = self.opaque[qualified]
            self.warnings.append(
                ScanWarning(
                    scan.path,
                    line,
                    f"router `{qualified.rsplit('.', 1)[-1]}` is made by `{function}()`, so bb "
                    f"cannot tell its prefix and leaves its {count} route(s) out; pass "
                    'prefix="/..." to the call (bb reads a literal prefix)',
                )
            )
        routes: dict[tuple[str, str, str, int], Route] = {}
        reached: set[str] = set()
        apps = sorted(q for q, (_, r) in self.routers.items() if r.kind == "app")
        roots = apps or sorted(
            q
            for q in self.routers
            if not any(q == i.child for v in children.values() for _, i in v)
        )
        for root in roots:
            scan, router = self.routers[root]
            self.walk(root, router.prefix, router.dependencies, router.tags, children, own,
                      routes, reached, (root,))  # fmt: skip
        if not apps and self.routers:
            self.warnings.append(
                ScanWarning(
                    next(iter(self.routers.values()))[0].path,
                    1,
                    "no FastAPI() app found; routes are listed as their routers declare them",
                )
            )
        for qualified, groups in sorted(own.items()):
            count = sum(len(defs) for _, defs in groups.values())
            if qualified not in reached and count:
                scan, router = self.routers[qualified]
                self.warnings.append(
                    ScanWarning(
                        scan.path,
                        router.line,
                        f"router `{qualified.rsplit('.', 1)[-1]}` is not included in any app, so "
                        f"its {count} route(s) are not served (add it with include_router)",
                    )
                )
        ordered = sorted(routes.values(), key=lambda r: r.sort_key)
        warnings = sorted(set(self.warnings), key=lambda w: (w.path, w.line, w.message))
        return RouteScan(tuple(ordered), tuple(warnings))

    def walk(
        self,
        qualified: str,
        prefix: str,
        deps: tuple[DepRef, ...],
        tags: tuple[str, ...],
        children: Mapping[str, list[tuple[ModuleScan, IncludeDef]]],
        own: Mapping[str, dict[str, tuple[ModuleScan, list[RouteDef]]]],
        out: dict[tuple[str, str, str, int], Route],
        reached: set[str],
        stack: tuple[str, ...],
    ) -> None:
        reached.add(qualified)
        for scan, defs in own.get(qualified, {}).values():
            for made in self.routes_of(scan, qualified, defs, (prefix, deps, tags)):
                out[made.sort_key] = made
        for scan, include in children.get(qualified, ()):
            if include.child in stack:
                self.warnings.append(
                    ScanWarning(scan.path, include.line, "a router includes itself; cycle ignored")
                )
                continue
            _, child = self.routers[include.child]
            self.walk(
                include.child,
                prefix + include.prefix + child.prefix,
                deps + include.dependencies + child.dependencies,
                tags + include.tags + child.tags,
                children,
                own,
                out,
                reached,
                (*stack, include.child),
            )

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
    ``memo`` (kept by the caller between links) reuses the routes of unchanged modules.
    """
    by_module = {scan.module: scan for scan in sorted(scans, key=lambda s: s.path)}
    warnings = [w for scan in by_module.values() for w in scan.warnings]
    linker = _Linker(by_module, package, classes or {}, memo if memo is not None else {})
    result = linker.link()
    if memo is not None:
        memo.clear()
        memo.update(linker._used)
    merged = sorted(set(warnings) | set(result.warnings), key=lambda w: (w.path, w.line, w.message))
    return RouteScan(result.routes, tuple(merged))
