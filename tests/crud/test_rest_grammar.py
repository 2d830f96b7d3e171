"""The REST grammar of the generated endpoints, over HTTP, on SQLite and on PostgreSQL: the
simple forms, the PostgREST forms, writes, errors, and a corpus of bad and hostile input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

OBJECT = {"Accept": "application/vnd.pgrst.object+json"}


@pytest.fixture(scope="module")
def http(api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def library(http: httpx.Client) -> dict[str, Any]:
    """Two authors and four books, made through the API itself."""
    tag = uuid.uuid4().hex[:8]
    authors = http.post(
        "/authors",
        json=[
            {"name": "Ann", "email": f"ann-{tag}@example.com"},
            {"name": "Bob", "email": f"bob-{tag}@example.com"},
        ],
    )
    assert authors.status_code == 201, authors.text
    ann, bob = authors.json()
    books = http.post(
        "/books",
        json=[
            {"title": f"Alpha {tag}", "author_id": ann["id"], "pages": 100, "price": "9.50",
             "extra": {"tags": ["a", "b"]}, "published_on": "2020-05-01"},
            {"title": f"Beta {tag}", "author_id": ann["id"], "pages": 300, "status": "published"},
            {"title": f"gamma {tag}", "author_id": bob["id"], "pages": None, "in_print": False},
            {"title": f"Delta, the (best) {tag}", "author_id": None, "pages": 200},
        ],
    )  # fmt: skip
    assert books.status_code == 201, books.text
    return {"tag": tag, "ann": ann, "bob": bob, "books": books.json()}


def titles(response: httpx.Response) -> list[str]:
    assert response.status_code in (200, 206), response.text
    return [row["title"].rsplit(" ", 1)[0] for row in response.json()]


def mine(library: dict[str, Any], **params: str) -> dict[str, str]:
    return {"title": f"like.*{library['tag']}", **params}


# --- reading -----------------------------------------------------------------------------------


def test_list_is_an_array_in_primary_key_order(http: httpx.Client, library: dict[str, Any]) -> None:
    assert titles(http.get("/books", params=mine(library))) == [
        "Alpha", "Beta", "gamma", "Delta, the (best)"
    ]  # fmt: skip


def test_get_by_id_and_404(http: httpx.Client, library: dict[str, Any]) -> None:
    book = library["books"][0]
    response = http.get(f"/books/{book['id']}")
    assert response.status_code == 200
    assert response.json() == book
    assert response.json()["extra"] == {"tags": ["a", "b"]}
    assert response.json()["in_print"] is True
    assert response.json()["published_on"] == "2020-05-01"
    missing = http.get("/books/987654321")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message", "details", "hint"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"pages": "gt.150"}, ["Beta", "Delta, the (best)"]),
        ({"pages": "gte.100", "order": "pages.desc"}, ["Beta", "Delta, the (best)", "Alpha"]),
        ({"pages": "lt.200"}, ["Alpha"]),
        ({"pages": "lte.200", "status": "neq.published"}, ["Alpha", "Delta, the (best)"]),
        ({"pages": "eq.300"}, ["Beta"]),
        ({"pages": "300"}, ["Beta"]),  # the simple form
        ({"pages": "is.null"}, ["gamma"]),
        ({"pages": "not.is.null", "in_print": "is.false"}, []),
        ({"in_print": "is.false"}, ["gamma"]),
        ({"pages": "in.(100,200)"}, ["Alpha", "Delta, the (best)"]),
        ({"pages": "not.in.(100,200)"}, ["Beta"]),
        ({"status": "eq.published"}, ["Beta"]),
        ({"status": "like.pub*"}, ["Beta"]),
        ({"extra": "like.*tags*"}, ["Alpha"]),
        ({"extra": "neq.x", "pages": "lt.150"}, ["Alpha"]),
        ({"or": "(pages.eq.100,status.eq.published)"}, ["Alpha", "Beta"]),
        (
            {"or": "(pages.eq.100,and(pages.gt.150,status.eq.draft))"},
            ["Alpha", "Delta, the (best)"],
        ),
        ({"and": "(pages.gt.50,pages.lt.250)"}, ["Alpha", "Delta, the (best)"]),
        ({"not.or": "(pages.is.null,pages.gt.150)"}, ["Alpha"]),
        ({"or": "(not.and(pages.gte.100,pages.lte.200),in_print.is.false)"}, ["Beta", "gamma"]),
        ({"price": "gte.9.5"}, ["Alpha"]),
        ({"published_on": "lt.2021-01-01"}, ["Alpha"]),
        ({"sort": "pages:desc", "pages": "not.is.null"}, ["Beta", "Delta, the (best)", "Alpha"]),
        ({"order": "pages.asc.nullsfirst"}, ["gamma", "Alpha", "Delta, the (best)", "Beta"]),
        ({"order": "pages.desc.nullslast"}, ["Beta", "Delta, the (best)", "Alpha", "gamma"]),
        ({"order": "in_print.asc,pages.desc"}, ["gamma", "Beta", "Delta, the (best)", "Alpha"]),
        ({"limit": "2", "offset": "1"}, ["Beta", "gamma"]),
    ],
)
def test_filters_and_order(
    http: httpx.Client, library: dict[str, Any], params: dict[str, str], expected: list[str]
) -> None:
    assert titles(http.get("/books", params=mine(library, **params))) == expected


def test_like_is_case_sensitive_and_ilike_is_not(
    http: httpx.Client, library: dict[str, Any]
) -> None:
    tag = library["tag"]
    assert titles(http.get("/books", params={"title": f"like.g*{tag}"})) == ["gamma"]
    assert titles(http.get("/books", params={"title": f"like.G*{tag}"})) == []
    assert titles(http.get("/books", params={"title": f"ilike.G*{tag}"})) == ["gamma"]


def test_quoted_values_with_reserved_characters(
    http: httpx.Client, library: dict[str, Any]
) -> None:
    title = f"Delta, the (best) {library['tag']}"
    response = http.get("/books", params={"title": f'in.("{title}","x,y")'})
    assert titles(response) == ["Delta, the (best)"]
    response = http.get("/books", params={"or": f'(title.eq."{title}",pages.eq.-1)'})
    assert titles(response) == ["Delta, the (best)"]


def test_select_with_renames_and_embedding_both_ways(
    http: httpx.Client, library: dict[str, Any]
) -> None:
    ann = library["ann"]
    one = http.get(
        "/books",
        params=mine(library, select="name:title,writer:authors(name)", limit="1"),
    )
    assert one.json() == [{"name": f"Alpha {library['tag']}", "writer": {"name": "Ann"}}]
    orphan = http.get(
        "/books", params=mine(library, select="id,authors(name)", author_id="is.null")
    )
    assert orphan.json()[0]["authors"] is None
    many = http.get(
        "/authors",
        params={"id": f"eq.{ann['id']}", "select": "name,books(title,pages)"},
    )
    rows = many.json()
    assert [r["name"] for r in rows] == ["Ann"]
    assert sorted(b["pages"] for b in rows[0]["books"]) == [100, 300]
    inner = http.get("/authors", params={"id": f"in.({ann['id']},{library['bob']['id']})",
                                         "select": "name,reviews:books!inner(title)"})  # fmt: skip
    assert inner.status_code == 200 and len(inner.json()) == 2
    unknown = http.get("/books", params={"select": "title,publishers(name)"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "PGRST200"


def test_count_range_and_content_range(http: httpx.Client, library: dict[str, Any]) -> None:
    counted = http.get("/books", params=mine(library, limit="2"), headers={"Prefer": "count=exact"})
    assert counted.status_code == 206
    assert counted.headers["content-range"] == "0-1/4"
    ranged = http.get("/books", params=mine(library), headers={"Range": "1-2"})
    assert titles(ranged) == ["Beta", "gamma"]
    assert ranged.headers["content-range"] == "1-2/*"
    everything = http.get("/books", params=mine(library), headers={"Prefer": "count=exact"})
    assert everything.status_code == 200
    assert everything.headers["content-range"] == "0-3/4"
    empty = http.get(
        "/books", params=mine(library, pages="eq.-5"), headers={"Prefer": "count=exact"}
    )
    assert empty.json() == [] and empty.headers["content-range"] == "*/0"


def test_single_object_or_406(http: httpx.Client, library: dict[str, Any]) -> None:
    one = http.get("/books", params=mine(library, pages="eq.300"), headers=OBJECT)
    assert one.status_code == 200
    assert one.json()["title"].startswith("Beta")
    assert http.get("/books", params=mine(library), headers=OBJECT).status_code == 406
    none = http.get("/books", params=mine(library, pages="eq.-1"), headers=OBJECT)
    assert none.status_code == 406
    assert none.json()["code"] == "PGRST116"


def test_page_size_default_and_cap(http: httpx.Client, library: dict[str, Any]) -> None:
    http.post("/reviews", json=[{"book_id": library["books"][0]["id"], "stars": 3}] * 25)
    assert len(http.get("/reviews").json()) == 20  # [api] page_size
    assert len(http.get("/reviews", params={"limit": "5000"}).json()) >= 25  # capped at 1000


# --- writing -----------------------------------------------------------------------------------


def test_insert_one_and_many_with_return_modes(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    one = http.post("/books", json={"title": f"One {tag}"})
    assert one.status_code == 201
    row = one.json()[0]
    assert row["status"] == "draft" and row["in_print"] is True  # model defaults applied
    minimal = http.post(
        "/books", json={"title": f"Min {tag}"}, headers={"Prefer": "return=minimal"}
    )
    assert minimal.status_code == 201 and minimal.content == b""
    headers_only = http.post(
        "/books", json={"title": f"Hdr {tag}"}, headers={"Prefer": "return=headers-only"}
    )
    assert headers_only.status_code == 201
    assert headers_only.headers["location"].startswith("/books?id=eq.")
    picked = http.post(
        "/books",
        params={"select": "title", "columns": '"title","pages"'},
        json=[{"title": f"Col1 {tag}", "pages": 1}, {"title": f"Col2 {tag}", "pages": 2}],
    )
    assert picked.json() == [{"title": f"Col1 {tag}"}, {"title": f"Col2 {tag}"}]
    single = http.post("/books", json={"title": f"Obj {tag}"}, headers=OBJECT)
    assert single.json()["title"] == f"Obj {tag}"


def test_upsert_merge_and_ignore(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"up-{tag}@example.com"
    first = http.post("/authors", json={"name": "Up", "email": email}).json()[0]
    merged = http.post(
        "/authors",
        params={"on_conflict": "email"},
        json=[{"name": "Up 2", "email": email}, {"name": "New", "email": f"new-{tag}@example.com"}],
        headers={"Prefer": "resolution=merge-duplicates"},
    )
    assert merged.status_code == 201, merged.text
    rows = merged.json()
    assert rows[0]["id"] == first["id"] and rows[0]["name"] == "Up 2"
    by_key = http.post(
        "/authors",
        json={"id": first["id"], "name": "Up 3", "email": email},
        headers={"Prefer": "resolution=merge-duplicates"},
    )
    assert by_key.json()[0]["name"] == "Up 3"
    ignored = http.post(
        "/authors",
        json={"id": first["id"], "name": "Ignored", "email": email},
        headers={"Prefer": "resolution=ignore-duplicates"},
    )
    assert ignored.status_code == 201 and ignored.json() == []
    assert http.get(f"/authors/{first['id']}").json()["name"] == "Up 3"
    not_unique = http.post(
        "/authors", params={"on_conflict": "name"}, json={"name": "x", "email": f"x{tag}@e.io"},
        headers={"Prefer": "resolution=merge-duplicates"},
    )  # fmt: skip
    assert not_unique.status_code == 400


def test_update_and_delete_by_filter_and_by_id(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = http.post("/books", json=[{"title": f"U1 {tag}"}, {"title": f"U2 {tag}"}]).json()
    updated = http.patch(
        "/books", params={"title": f"like.*{tag}", "select": "title,pages"}, json={"pages": 7}
    )
    assert updated.status_code == 200
    assert updated.json() == [
        {"title": f"U1 {tag}", "pages": 7},
        {"title": f"U2 {tag}", "pages": 7},
    ]
    one = http.patch(f"/books/{rows[0]['id']}", json={"status": "published"})
    assert one.json()["status"] == "published"
    assert http.patch("/books/987654321", json={"pages": 1}).status_code == 404
    minimal = http.patch(
        "/books", params={"id": f"eq.{rows[1]['id']}"}, json={"pages": 8},
        headers={"Prefer": "return=minimal"},
    )  # fmt: skip
    assert minimal.status_code == 204
    deleted = http.delete("/books", params={"title": f"like.*{tag}"})
    assert sorted(r["id"] for r in deleted.json()) == sorted(r["id"] for r in rows)
    assert http.delete(f"/books/{rows[0]['id']}").status_code == 404
    book = http.post("/books", json={"title": f"R {tag}"}).json()[0]
    review = http.post("/reviews", json={"book_id": book["id"], "stars": 4}).json()[0]
    gone = http.delete(
        "/reviews", params={"id": f"eq.{review['id']}", "select": "stars,book:books(title)"}
    )
    assert gone.json() == [{"stars": 4, "book": {"title": f"R {tag}"}}]
    assert http.get(f"/reviews/{review['id']}").status_code == 404


def test_updated_at_moves_on_update(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    author = http.post("/authors", json={"name": "T", "email": f"t{tag}@e.io"}).json()[0]
    assert author["created_at"] and author["updated_at"]
    changed = http.patch(f"/authors/{author['id']}", json={"name": "T2"}).json()
    assert changed["updated_at"] >= author["updated_at"]
    assert changed["created_at"] == author["created_at"]


def test_uuid_primary_keys(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    row = http.post("/tags", json={"label": f"t-{tag}"}).json()[0]
    assert str(uuid.UUID(row["id"])) == row["id"]
    assert http.get(f"/tags/{row['id']}").json() == row
    assert http.get("/tags", params={"id": f"eq.{row['id']}"}).json() == [row]
    assert http.get("/tags/not-a-uuid").status_code == 400
    assert http.delete(f"/tags/{row['id']}").status_code == 200


# --- errors ------------------------------------------------------------------------------------


def test_unique_and_foreign_key_violations_are_409(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    body = {"name": "D", "email": f"d{tag}@e.io"}
    assert http.post("/authors", json=body).status_code == 201
    duplicate = http.post("/authors", json=body)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "23505"
    dangling = http.post("/books", json={"title": "x", "author_id": 987654321})
    assert dangling.status_code == 409
    assert dangling.json()["code"] == "23503"
    author = http.post("/authors", json={"name": "E", "email": f"e{tag}@e.io"}).json()[0]
    http.post("/books", json={"title": "child", "author_id": author["id"]})
    assert http.delete(f"/authors/{author['id']}").status_code == 409


BAD_QUERIES = [
    {"nope": "eq.1"},
    {"pages": "between.1"},
    {"pages": "match.^1"},
    {"title": "fts.word"},
    {"pages": "eq.ten"},
    {"pages": "in.(1,2"},
    {"pages": "in.1,2"},
    {"pages": "in.(1,x)"},
    {"pages": "is.maybe"},
    {"pages": "is.true"},
    {"pages": "like.1*"},
    {"price": "eq.NaN"},
    {"pages": "eq.99999999999999999999999"},
    {"published_on": "gt.yesterday"},
    {"status": "eq.archived"},
    {"or": "(pages.eq.1"},
    {"or": "pages.eq.1"},
    {"or": "(pages.eq.1,)"},
    {"or": "(pages)"},
    {"or": "(nope.eq.1)"},
    {"and": "(pages.eq.1,or(pages.eq.2)"},
    {"limit": "ten"},
    {"limit": "-1"},
    {"offset": "-1"},
    {"offset": "1.5"},
    {"order": "nope"},
    {"order": "pages.sideways"},
    {"order": "pages;DROP TABLE books"},
    {"order": "pages desc"},
    {"select": "nope"},
    {"select": "title,(SELECT 1)"},
    {"select": "title::text"},
    {"select": "title,authors(books(title))"},
    {"select": 'title"; DROP TABLE books; --'},
    {'title" = title OR "1': "eq.1"},
    {"title;DROP TABLE books": "eq.1"},
    {"pages": "eq.1); DROP TABLE books; --"},
    {"books.title": "eq.x"},
    {"on_conflict": "nope"},
    {"columns": "nope"},
]


@pytest.mark.parametrize("params", BAD_QUERIES, ids=[str(p) for p in BAD_QUERIES])
def test_bad_and_hostile_queries_are_400(
    http: httpx.Client, library: dict[str, Any], params: dict[str, str]
) -> None:
    response = http.get("/books", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["message"]
    # No effect: the table and its rows are still there.
    assert len(titles(http.get("/books", params=mine(library)))) == 4


def test_string_values_are_never_sql(http: httpx.Client, library: dict[str, Any]) -> None:
    for value in ("' OR '1'='1", "x'); DROP TABLE books; --", "%' OR 1=1 --", '"; --'):
        response = http.get("/books", params={"title": f"eq.{value}"})
        assert response.status_code == 200 and response.json() == []
        assert http.get("/books", params={"title": f"like.{value}"}).json() == []
    assert len(titles(http.get("/books", params=mine(library)))) == 4


BAD_BODIES: list[Any] = [
    {"title": "x", "nope": 1},
    {"id": 5, "title": "x"},
    {"title": None},
    {"title": 5},
    {"title": "x" * 201},
    {"title": "x", "pages": "many"},
    {"title": "x", "pages": 99999999999999999999999},
    {"title": "x", "status": "archived"},
    {"title": "x", "price": "cheap"},
    {"title": "x", "published_on": "soon"},
    {},
    [{"title": "ok"}, {"title": "x", "nope": 1}],
    "just a string",
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=[repr(b)[:40] for b in BAD_BODIES])
def test_bad_bodies_are_rejected_without_effect(http: httpx.Client, body: Any) -> None:
    before = http.get("/books", params={"select": "id"}, headers={"Prefer": "count=exact"})
    response = http.post("/books", json=body)
    assert response.status_code in (400, 422), response.text
    assert set(response.json()) == {"code", "message", "details", "hint"}
    after = http.get("/books", params={"select": "id"}, headers={"Prefer": "count=exact"})
    assert after.headers["content-range"] == before.headers["content-range"]


def test_malformed_json_is_422(http: httpx.Client) -> None:
    response = http.post(
        "/books", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_patch_and_delete_without_a_filter_are_refused(
    http: httpx.Client, library: dict[str, Any]
) -> None:
    for response in (http.patch("/books", json={"pages": 1}), http.delete("/books")):
        assert response.status_code == 400
        assert "filter" in response.json()["message"]
    assert len(titles(http.get("/books", params=mine(library)))) == 4


def test_patch_body_rules(http: httpx.Client, library: dict[str, Any]) -> None:
    key = library["books"][0]["id"]
    assert http.patch(f"/books/{key}", json={"id": 1}).status_code == 422
    assert http.patch(f"/books/{key}", json={"title": None}).status_code == 422
    assert http.patch(f"/books/{key}", json=[{"pages": 1}]).status_code == 422
    assert http.patch(f"/books/{key}", json={"pages": "x"}).status_code == 422
