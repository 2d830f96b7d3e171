"""A link that reuses the last one (the memo ``--watch`` keeps) equals a link from scratch.

Files are scanned the way the context reader does, again only when their text changed, so the
memo sees the same scan objects for unchanged modules and reuses what it can; after every edit
its result must be exactly what a fresh ``link_routes`` makes of the same scans.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from context.sample_project import write_sample_project
from hypothesis import given, settings
from hypothesis import strategies as st

from betterbase_cli.context import routes

Files = dict[str, str]
Edit = Callable[[Files], None]


@dataclass
class Relinker:
    """Scans changed files and links them with a memo kept across edits, and from scratch."""

    cache: dict[str, tuple[str, routes.ModuleScan | None, dict[str, tuple[str, ...]]]] = field(
        default_factory=dict
    )
    memo: routes.RouteMemo = field(default_factory=dict)

    def link(self, files: Files) -> tuple[routes.RouteScan, routes.RouteScan]:
        scans: list[routes.ModuleScan] = []
        classes: dict[str, dict[str, tuple[str, ...]]] = {}
        for rel in set(self.cache) - set(files):
            del self.cache[rel]
        for rel, text in sorted(files.items()):
            hit = self.cache.get(rel)
            if hit is None or hit[0] != text:
                if routes.is_candidate(text):
                    hit = (text, routes.scan_module(text, rel), {})
                else:
                    hit = (text, None, routes.class_index(text))
                self.cache[rel] = hit
            if hit[1] is not None:
                scans.append(hit[1])
            else:
                classes[routes.module_name(rel)[0]] = hit[2]
        incremental = routes.link_routes(scans, "app", classes, self.memo)
        return incremental, routes.link_routes(scans, "app", classes)

    def check(self, files: Files) -> routes.RouteScan:
        incremental, fresh = self.link(files)
        assert list(incremental.routes) == list(fresh.routes)
        assert list(incremental.warnings) == list(fresh.warnings)
        return incremental


def read_tree(root: Path) -> Files:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


# --- edits of the sample project -----------------------------------------------------------------


def replace(rel: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(files: Files) -> None:
        assert old in files[rel], (rel, old)
        files[rel] = files[rel].replace(old, new, count)

    return edit


def append(rel: str, text: str) -> Edit:
    def edit(files: Files) -> None:
        files[rel] += text

    return edit


def delete(rel: str) -> Edit:
    def edit(files: Files) -> None:
        del files[rel]

    return edit


def move_route(source: str, target: str, function: str) -> Edit:
    """Cut a decorated function out of one router module and paste it at the end of another."""

    def edit(files: Files) -> None:
        pattern = re.compile(rf"\n@\w+\.[^\n]*\ndef {function}\(.*?(?=\n\n\n|\Z)", re.DOTALL)
        found = pattern.search(files[source])
        assert found, function
        files[source] = files[source][: found.start()] + files[source][found.end() :]
        files[target] += "\n" + found.group(0) + "\n"

    return edit


POSTS, COMMENTS, TAGS = "app/routes/posts.py", "app/routes/comments.py", "app/routes/tags.py"
REGISTRY, MAIN, AUTH = "app/routes/__init__.py", "app/main.py", "app/auth/dependencies.py"

SAMPLE_EDITS: dict[str, Edit] = {
    "append a route": append(POSTS, '\n\n@router.get("/extra")\ndef extra() -> None: ...\n'),
    "add a parameter to the first route (lines shift)": replace(
        POSTS, "    limit: int = 20,\n", "    limit: int = 20,\n    offset: int = 0,\n"
    ),
    "a comment above the router (its line shifts)": replace(
        POSTS, "router = APIRouter(", "# the posts\nrouter = APIRouter("
    ),
    "change a route's path": replace(POSTS, '@router.get("/{item_id}")', '@router.get("/one")'),
    "change the registry's prefix": replace(REGISTRY, 'prefix="/api"', 'prefix="/v1"'),
    "prefix an include_router": replace(
        REGISTRY, "include_router(posts.router)", 'include_router(posts.router, prefix="/p")'
    ),
    "drop an include_router": replace(REGISTRY, "api_router.include_router(tags.router)\n", ""),
    "a comment in the registry": replace(REGISTRY, '"""The router registry."""', "# registry"),
    "a router prefix": replace(COMMENTS, 'prefix="/comments"', 'prefix="/notes"'),
    "router dependencies": replace(
        TAGS, 'tags=["tags"]', 'tags=["tags"], dependencies=[Depends(require_auth)]'
    ),
    "rename a router": lambda files: files.update(
        {POSTS: files[POSTS].replace("router", "posts_router")}
    ),
    "the registry follows the rename": replace(REGISTRY, "posts.router", "posts.posts_router"),
    "move a route to another module": move_route(POSTS, COMMENTS, "get_posts"),
    "delete a router module": delete(TAGS),
    "CurrentUser becomes optional auth": replace(
        AUTH, "Depends(require_auth)]\n", "Depends(get_user)]\n"
    ),
    "a request body class becomes an Enum (query parameter)": replace(
        "app/schemas/posts.py",
        "class PostsCreate(BaseModel):",
        "from enum import Enum\n\n\nclass PostsCreate(str, Enum):",
    ),
    "Order is no longer an Enum": replace(COMMENTS, "class Order(str, Enum):", "class Order:"),
    "include_router moves into create_app()": replace(
        MAIN,
        'app = FastAPI(title="sample")\napp.include_router(api_router)\n',
        'app = FastAPI(title="sample")\n\n\ndef create_app() -> FastAPI:\n'
        "    app.include_router(api_router)\n    return app\n",
    ),
    "a route on a router nobody includes": append(
        MAIN,
        "\n\nfrom fastapi import APIRouter\n\nlost = APIRouter()\n\n\n"
        '@lost.get("/lost")\ndef lost_route() -> None: ...\n',
    ),
    "a comment in the auth module": append(AUTH, "\n# end\n"),
    "a router served twice at the same paths": append(
        REGISTRY, 'api_router.include_router(comments.router, tags=["again"])\n'
    ),
    "an edit while it is": append(COMMENTS, '\n\n@router.get("/more")\ndef more() -> None: ...\n'),
}


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("incremental") / "big"
    write_sample_project(root, tables=60)
    return read_tree(root)


@pytest.mark.parametrize("name", list(SAMPLE_EDITS))
def test_each_edit_alone_then_undone(sample_files: Files, name: str) -> None:
    relinker = Relinker()
    relinker.check(sample_files)
    files = dict(sample_files)
    SAMPLE_EDITS[name](files)
    relinker.check(files)
    relinker.check(sample_files)


def test_every_edit_in_a_row(sample_files: Files) -> None:
    relinker = Relinker()
    files = dict(sample_files)
    relinker.check(files)
    for name, edit in SAMPLE_EDITS.items():
        edit(files)
        relinker.check(files)
        if name == "move a route to another module":
            move_route(COMMENTS, POSTS, "get_posts")(files)
            relinker.check(files)
    relinker.check(sample_files)


def test_a_router_save_keeps_the_other_routes_as_they_were(sample_files: Files) -> None:
    relinker = Relinker()
    before = relinker.check(sample_files)
    files = dict(sample_files)
    for i in range(3):  # a few saves in a row, as in --watch
        files[POSTS] = sample_files[POSTS] + f'\n\n@router.get("/extra{i}")\ndef extra{i}(): ...\n'
        after = relinker.check(files)
        old = {r.sort_key: r for r in before.routes if r.module != "app.routes.posts"}
        new = {r.sort_key: r for r in after.routes if r.module != "app.routes.posts"}
        assert old.keys() == new.keys()
        assert all(new[key] is route for key, route in old.items())
        assert [r.path for r in after.routes].count(f"/api/posts/extra{i}") == 1
        before = after


def test_an_auth_change_remakes_the_routes_that_use_it(sample_files: Files) -> None:
    relinker = Relinker()
    before = relinker.check(sample_files)
    files = dict(sample_files)
    SAMPLE_EDITS["CurrentUser becomes optional auth"](files)
    after = relinker.check(files)
    changed = [(b, a) for b, a in zip(before.routes, after.routes, strict=True) if b != a]
    assert changed and all(b.auth == "required" and a.auth == "optional" for b, a in changed)


def test_a_form_feed_line_does_not_shift_the_source_of_annotations() -> None:
    """Scanning, not linking, but in the same file: str.splitlines counts a form feed as a line
    end, Python does not."""
    source = (
        "from fastapi import APIRouter\nrouter = APIRouter()\n\x0c\n\r\n"
        '@router.post("/a")\ndef a(payload: Payload): ...\n'
    )
    (route,) = routes.scan_module(source, "app/routes/x.py").routes
    assert route.params[0].annotation == "Payload"


# --- generated projects --------------------------------------------------------------------------

PARAMS = (
    "",
    "q: int = 0",
    "o: Order",
    "k: Kind",
    "user: CurrentUser",
    "item_id: int",
    "g=Depends(guard)",
)
# app/deps.py: `guard` re-exported from app.auth, or a function with or without auth of its own.
GUARDS = {
    "require_auth": "from fastapi import Depends\nfrom app.auth import require_auth as guard\n",
    "get_user": "from fastapi import Depends\nfrom app.auth import get_user as guard\n",
    "function": "from fastapi import Depends\nfrom app.auth import require_auth\n\n"
    "def guard(user=Depends(require_auth)): ...\n",
    "plain": "def guard(): ...\n",  # not scanned: no fastapi in it
}
PATHS = ("", "/{item_id}", "/z", "?")  # ?: a path bb cannot read (a warning of the scan)
PREFIXES = ("", "/x", "/in")  # "/in" is also where a router includes its child: same paths twice
NAMES = ("a", "b", "c")


@dataclass
class Module:
    """A router module of a generated project."""

    exists: bool = True
    var: str = "router"
    prefix: str = ""
    auth: bool = False
    enum: bool = True
    child: str | None = None  # another router module this one includes
    borrow: str | None = None  # another router module this one declares a route on
    made: str = ""  # "literal" or "opaque": the router is made by app.rest.table_router()
    stacked: bool = False  # the first route also answers on "/in" + its path (same line)
    padding: int = 0  # comment lines at the top: everything below moves down
    routes: list[tuple[str, str, str]] = field(
        default_factory=lambda: [("get", "", "o: Order, k: Kind"), ("post", "", "g=Depends(guard)")]
    )

    def source(self, name: str) -> str:
        parts = ["# pad"] * self.padding + [
            "from enum import Enum\n"
            "from fastapi import APIRouter, Depends\n"
            "from app.auth import CurrentUser, require_auth\n"
            "from app.schemas import Kind\n"
            "from app.deps import guard\n"
            "from app.rest import table_router\n"
            + (f"from app.routes import {self.child}\n" if self.child else "")
            + (f"from app.routes.{self.borrow} import router as borrowed\n" if self.borrow else "")
        ]
        deps = ", dependencies=[Depends(require_auth)]" if self.auth else ""
        if self.made == "literal":
            parts.append(f'{self.var} = table_router(prefix="{self.prefix}")')
        elif self.made == "opaque":
            parts.append(f"{self.var} = table_router()")
        else:
            parts.append(f'{self.var} = APIRouter(prefix="{self.prefix}"{deps})')
        parts.append("class Order(str, Enum):\n    a = 'a'" if self.enum else "class Order: ...")
        for i, (method, path, param) in enumerate(self.routes):
            literal = "str(1)" if path == "?" else f'"{path}"'
            stack = f'@{self.var}.{method}("/in{path}")\n' if self.stacked and i == 0 else ""
            parts.append(f"{stack}@{self.var}.{method}({literal})\ndef {name}_{i}({param}): ...")
        if self.borrow:
            parts.append(f'@borrowed.get("/borrowed")\ndef {name}_borrowed(): ...')
        if self.child:
            parts.append(
                f'{self.var}.include_router({self.child}.router, prefix="/in", tags=["in"])'
            )
        return "\n\n".join(parts) + "\n"


@dataclass
class Project:
    modules: dict[str, Module] = field(default_factory=lambda: {n: Module() for n in NAMES})
    api_prefix: str = "/api"
    included: dict[str, str] = field(default_factory=lambda: {n: "" for n in NAMES})
    main: str = "top"  # top, factory or direct
    kind_enum: bool = False
    optional_user: bool = False
    guard: str = "require_auth"
    typed_factory: bool = True  # table_router() says it returns an APIRouter

    def files(self) -> Files:
        out = {
            f"app/routes/{name}.py": module.source(name)
            for name, module in self.modules.items()
            if module.exists
        }
        registry = ["from fastapi import APIRouter", f"from app.routes import {', '.join(NAMES)}"]
        registry.append(f'api_router = APIRouter(prefix="{self.api_prefix}")')
        registry += [
            f'api_router.include_router({name}.router, prefix="{prefix}")'
            for name, prefix in self.included.items()
        ]
        out["app/routes/__init__.py"] = "\n".join(registry) + "\n"
        app = "from fastapi import FastAPI\nfrom app.routes import api_router, a\n\n"
        if self.main == "factory":
            app += "def create_app():\n    app = FastAPI()\n    app.include_router(api_router)\n"
        else:
            app += "app = FastAPI()\napp.include_router(api_router)\n"
            app += '@app.get("/health")\ndef health(): ...\n'
        if self.main == "direct":
            app += 'app.include_router(a.router, prefix="/direct")\n'
        out["app/main.py"] = app
        user = "get_user" if self.optional_user else "require_auth"
        out["app/auth.py"] = (
            "from typing import Annotated\nfrom fastapi import Depends\n\n"
            "def get_user(): ...\ndef require_auth(user=Depends(get_user)): ...\n\n"
            f"CurrentUser = Annotated[dict, Depends({user})]\n"
        )
        out["app/deps.py"] = GUARDS[self.guard]
        returns = " -> APIRouter" if self.typed_factory else ""
        out["app/rest.py"] = (
            f"from fastapi import APIRouter\n\ndef table_router(prefix=''){returns}:\n"
            "    return APIRouter(prefix=prefix)\n"
        )
        out["app/schemas.py"] = (
            "from enum import Enum\n\nclass Kind(str, Enum):\n    a = 'a'\n"
            if self.kind_enum
            else "class Kind:\n    pass\n"
        )
        return out


def edit_project(data: st.DataObject, project: Project) -> None:
    """One random edit of a generated project."""
    draw = data.draw
    module = project.modules[draw(st.sampled_from(NAMES))]
    route = st.tuples(
        st.sampled_from(("get", "post")), st.sampled_from(PATHS), st.sampled_from(PARAMS)
    )
    kind = draw(
        st.sampled_from(
            (
                "add route", "remove route", "edit route", "move route", "pad", "prefix", "auth",
                "rename", "child", "enum", "exists", "include", "include prefix", "api prefix",
                "main", "kind", "optional user", "guard", "borrow", "made", "typed factory",
                "stacked",
            )
        )
    )  # fmt: skip
    if kind == "add route":
        module.routes.insert(draw(st.integers(0, len(module.routes))), draw(route))
    elif kind in ("remove route", "edit route", "move route") and module.routes:
        index = draw(st.integers(0, len(module.routes) - 1))
        if kind == "edit route":
            module.routes[index] = draw(route)
        else:
            moved = module.routes.pop(index)
            if kind == "move route":
                project.modules[draw(st.sampled_from(NAMES))].routes.append(moved)
    elif kind == "pad":
        module.padding = draw(st.integers(0, 3))
    elif kind == "prefix":
        module.prefix = draw(st.sampled_from(PREFIXES))
    elif kind == "auth":
        module.auth = not module.auth
    elif kind == "rename":
        module.var = "api" if module.var == "router" else "router"
    elif kind == "child":
        module.child = draw(st.sampled_from((None, *NAMES)))
    elif kind == "enum":
        module.enum = not module.enum
    elif kind == "exists":
        module.exists = not module.exists
    elif kind == "include":
        name = draw(st.sampled_from(NAMES))
        if project.included.pop(name, None) is None:
            project.included[name] = draw(st.sampled_from(PREFIXES))
    elif kind == "include prefix" and project.included:
        name = draw(st.sampled_from(sorted(project.included)))
        project.included[name] = draw(st.sampled_from(PREFIXES))
    elif kind == "api prefix":
        project.api_prefix = draw(st.sampled_from(("/api", "/v2", "")))
    elif kind == "main":
        project.main = draw(st.sampled_from(("top", "factory", "direct")))
    elif kind == "kind":
        project.kind_enum = not project.kind_enum
    elif kind == "optional user":
        project.optional_user = not project.optional_user
    elif kind == "guard":
        project.guard = draw(st.sampled_from(sorted(GUARDS)))
    elif kind == "borrow":
        module.borrow = draw(st.sampled_from((None, *NAMES)))
    elif kind == "made":
        module.made = draw(st.sampled_from(("", "literal", "opaque")))
    elif kind == "typed factory":
        project.typed_factory = not project.typed_factory
    elif kind == "stacked":
        module.stacked = not module.stacked


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_edits_of_a_small_project(data: st.DataObject) -> None:
    # With no swap limit every changed route is swapped into the last sorted list; with 0 they
    # are sorted anew: both ways must agree with a fresh link.
    limit = data.draw(st.sampled_from((routes._SWAP_LIMIT, 0)))
    with mock.patch.object(routes, "_SWAP_LIMIT", limit):
        edit_randomly(data)


def edit_randomly(data: st.DataObject) -> None:
    project = Project()
    # Sometimes b is served twice at the same paths (through a, and from the registry): the
    # walk's last route wins, which the memo cannot patch in place.
    project.modules["a"].child = data.draw(st.sampled_from((None, "b")))
    project.included["b"] = data.draw(st.sampled_from(PREFIXES))
    relinker = Relinker()
    relinker.check(project.files())
    for _ in range(data.draw(st.integers(1, 15))):
        edit_project(data, project)
        relinker.check(project.files())
