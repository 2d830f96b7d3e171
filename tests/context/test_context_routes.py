"""The static route scanner: prefixes across modules, methods, parameters, auth, warnings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from betterbase_cli.context import routes

Scan = Callable[..., routes.RouteScan]

MAIN = """
from fastapi import FastAPI
from app.routes import api_router

app = FastAPI()
app.include_router(api_router)
"""

AUTH = """
from typing import Annotated
from fastapi import Depends

def current_auth(): ...
def require_auth(): ...
def get_user(): ...
def has_role(*roles): ...

CurrentUser = Annotated[dict, Depends(require_auth)]
"""


def _by_key(result: routes.RouteScan) -> dict[tuple[str, str], routes.Route]:
    return {(r.method, r.path): r for r in result.routes}


def test_prefixes_across_modules_and_the_registry(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": MAIN,
            "app/routes/__init__.py": """
                from fastapi import APIRouter
                from app.routes import posts
                from . import comments as c

                api_router = APIRouter(prefix="/api")
                api_router.include_router(posts.router)
                api_router.include_router(c.router, prefix="/v2")
            """,
            "app/routes/posts.py": """
                import fastapi

                router = fastapi.APIRouter(prefix="/posts", tags=["posts"])

                @router.get("")
                def list_posts(): ...

                @router.get("/{post_id}")
                async def get_post(post_id: int): ...
            """,
            "app/routes/comments.py": """
                from fastapi import APIRouter as R
                PREFIX = "/comments"
                router = R(prefix=PREFIX)

                @router.delete(PREFIX + "/{comment_id}")
                def delete_comment(comment_id: int): ...
            """,
        }
    )
    assert sorted(_by_key(result)) == [
        ("DELETE", "/api/v2/comments/comments/{comment_id}"),
        ("GET", "/api/posts"),
        ("GET", "/api/posts/{post_id}"),
    ]
    route = _by_key(result)[("GET", "/api/posts/{post_id}")]
    assert route.location.path == "app/routes/posts.py" and route.location.line == 10
    assert route.path_params == ("post_id",) and route.tags == ("posts",)
    assert route.function == "get_post" and route.module == "app.routes.posts"
    assert result.warnings == ()


def test_methods_websocket_and_add_api_route(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": """
                from fastapi import FastAPI, WebSocket

                app = FastAPI()

                @app.api_route("/items", methods=["put", "PATCH"])
                def upsert(): ...

                @app.api_route("/plain")
                def plain(): ...

                @app.websocket("/ws")
                async def ws(websocket: WebSocket): ...

                @app.head("/h", include_in_schema=False)
                def h(): ...

                def added(): ...

                app.add_api_route("/added", added, methods=["POST"])
            """
        }
    )
    found = _by_key(result)
    assert sorted(found) == [
        ("GET", "/plain"),
        ("HEAD", "/h"),
        ("PATCH", "/items"),
        ("POST", "/added"),
        ("PUT", "/items"),
        ("WEBSOCKET", "/ws"),
    ]
    assert not found[("WEBSOCKET", "/ws")].include_in_schema
    assert not found[("HEAD", "/h")].include_in_schema
    assert found[("POST", "/added")].location.line == 18


def test_parameters_body_response_and_status(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": """
                from enum import Enum
                from typing import Annotated
                from fastapi import Body, FastAPI, Query, Request, status
                from fastapi.responses import JSONResponse
                from app.schemas.posts import PostCreate, PostRead

                app = FastAPI()

                class Order(str, Enum):
                    asc = "asc"

                @app.post("/posts/{post_id}/copies", status_code=status.HTTP_201_CREATED)
                def copy(
                    post_id: int, request: Request, payload: PostCreate, order: Order = Order.asc,
                    q: Annotated[str | None, Query()] = None, limit: int = 10,
                ) -> PostRead: ...

                @app.put("/many", response_model=list[PostRead], status_code=202)
                def many(items: list[PostCreate], note: Annotated[str, Body()]) -> dict: ...

                @app.get("/raw", response_model=None)
                def raw() -> JSONResponse: ...

                @app.get("/resp")
                def resp() -> JSONResponse: ...
            """
        }
    )
    found = _by_key(result)
    copy = found[("POST", "/posts/{post_id}/copies")]
    assert copy.path_params == ("post_id",)
    assert copy.query_params == ("order", "q", "limit")
    assert copy.body == "PostCreate"
    assert copy.response_model == "PostRead" and copy.status_code == 201
    many = found[("PUT", "/many")]
    assert many.body == "{items: list[PostCreate], note: str}"
    assert many.response_model == "list[PostRead]" and many.status_code == 202
    assert found[("GET", "/raw")].response_model is None
    assert found[("GET", "/resp")].response_model is None
    assert found[("GET", "/resp")].status_code == 200


@pytest.mark.parametrize(
    ("route_source", "router_kwargs", "include_kwargs", "auth", "roles"),
    [
        ("def f(user=Depends(require_auth)): ...", "", "", "required", ()),
        ("def f(user: Annotated[dict, Depends(require_auth)]): ...", "", "", "required", ()),
        ("def f(user: CurrentUser): ...", "", "", "required", ()),
        ("def f(user: Annotated[dict, Depends(get_user)]): ...", "", "", "optional", ()),
        ("def f(): ...", "dependencies=[Depends(require_auth)]", "", "required", ()),
        ("def f(): ...", "", ", dependencies=[Depends(require_auth)]", "required", ()),
        ("def f(user=Depends(guard)): ...", "", "", "required", ()),
        ("def f(): ...", "", "", None, ()),
    ],
    ids=["param", "annotated", "alias", "optional", "router", "include", "transitive", "public"],
)
def test_auth_in_every_place_a_dependency_can_be(
    scan: Scan,
    route_source: str,
    router_kwargs: str,
    include_kwargs: str,
    auth: str | None,
    roles: tuple[str, ...],
) -> None:
    module = f"""
from typing import Annotated
from fastapi import APIRouter, Depends
from app.auth.dependencies import CurrentUser, get_user, require_auth

router = APIRouter({router_kwargs})

def guard(user: CurrentUser) -> None: ...

@router.get("/x")
{route_source}
"""
    result = scan(
        {
            "app/main.py": f"""
                from fastapi import Depends, FastAPI
                from app.auth.dependencies import require_auth
                from app.routes import things

                app = FastAPI()
                app.include_router(things.router{include_kwargs})
            """,
            "app/auth/dependencies.py": AUTH,
            "app/routes/things.py": module,
        }
    )
    (route,) = result.routes
    assert (route.auth, route.roles) == (auth, roles)


def test_has_role_on_the_decorator_gives_roles(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": """
                from fastapi import Depends, FastAPI
                from app.auth import dependencies as auth

                app = FastAPI()

                @app.delete("/x", dependencies=[Depends(auth.has_role("admin", "owner"))])
                def f(): ...
            """,
            "app/auth/dependencies.py": AUTH,
        }
    )
    (route,) = result.routes
    assert (route.auth, route.roles) == ("required", ("admin", "owner"))


def test_what_it_cannot_follow_is_a_warning_with_file_and_line(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": """
                from fastapi import APIRouter, FastAPI
                from app.factory import make_router

                app = FastAPI()
                orphan = APIRouter(prefix="/orphan")
                made = make_router()

                @app.get(compute_path())
                def computed(): ...

                @orphan.get("/x")
                def unmounted(): ...

                @made.get("/y")
                def on_unknown(): ...

                app.include_router(something_else)
            """
        }
    )
    assert result.routes == ()
    messages = [str(w) for w in result.warnings]
    assert any(m.startswith("app/main.py:9:") and "path of route `computed`" in m for m in messages)
    assert any(m.startswith("app/main.py:6:") and "not included in any app" in m for m in messages)
    assert any(m.startswith("app/main.py:16:") and "`on_unknown`" in m for m in messages)
    assert any(m.startswith("app/main.py:18:") and "include_router()" in m for m in messages)


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(routes.ScanError) as caught:
        routes.scan_module("from fastapi import APIRouter\n\ndef broken(:\n", "app/routes/x.py")
    assert (caught.value.path, caught.value.line) == ("app/routes/x.py", 3)


def test_memo_reuses_unchanged_modules_and_sees_changed_ones() -> None:
    main = routes.scan_module(MAIN, "app/main.py")
    registry = routes.scan_module(
        "from fastapi import APIRouter\nfrom app.routes import a\n"
        'api_router = APIRouter(prefix="/api")\napi_router.include_router(a.router)\n',
        "app/routes/__init__.py",
    )
    a1 = routes.scan_module(
        'from fastapi import APIRouter\nrouter = APIRouter()\n@router.get("/a")\ndef a(): ...\n',
        "app/routes/a.py",
    )
    memo: routes.RouteMemo = {}
    first = routes.link_routes([main, registry, a1], "app", memo=memo)
    again = routes.link_routes([main, registry, a1], "app", memo=memo)
    assert again.routes[0] is first.routes[0]  # reused, not rebuilt
    a2 = routes.scan_module(
        'from fastapi import APIRouter\nrouter = APIRouter()\n@router.post("/b")\ndef b(): ...\n',
        "app/routes/a.py",
    )
    changed = routes.link_routes([main, registry, a2], "app", memo=memo)
    assert [(r.method, r.path) for r in changed.routes] == [("POST", "/api/b")]


def test_a_router_made_by_a_project_factory_needs_a_literal_prefix(scan: Scan) -> None:
    result = scan(
        {
            "app/main.py": MAIN,
            "app/rest.py": """
                from fastapi import APIRouter

                def table_router(table: object, prefix: str = "") -> APIRouter:
                    return APIRouter(prefix=prefix)
            """,
            "app/routes/__init__.py": """
                from fastapi import APIRouter
                from app.routes import notes, tags

                api_router = APIRouter(prefix="/api")
                api_router.include_router(notes.router)
                api_router.include_router(tags.router)
            """,
            "app/routes/notes.py": """
                from app.rest import table_router

                router = table_router("notes", prefix="/notes", tags=["notes"])

                @router.get("")
                def list_notes(): ...
            """,
            "app/routes/tags.py": """
                from app.rest import table_router

                router = table_router("tags")

                @router.get("")
                def list_tags(): ...
            """,
        }
    )
    assert [(r.method, r.path, r.tags) for r in result.routes] == [
        ("GET", "/api/notes", ("notes",))
    ]
    (warning,) = result.warnings
    assert str(warning).startswith(
        "app/routes/tags.py:4: router `router` is made by `table_router()`"
    )
