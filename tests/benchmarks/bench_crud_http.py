"""Benchmark the endpoints `bb generate crud` writes against a hand-written FastAPI baseline.

Same run, same machine, same SQLite file (1,000 rows, a fresh copy per server), one uvicorn
worker each, wrk at 32 connections: GET a page of 20 rows, GET one row by id, POST one row.
The baseline is what a FastAPI tutorial writes: sync endpoints, a SQLAlchemy ORM session per
request and a Pydantic response_model.  Prints req/s, p50 and p99 and the ratios.

    python tests/benchmarks/bench_crud_http.py [--seconds 10] [--postgres URL] [--bun]

--postgres also measures the generated app on that PostgreSQL server (a scratch database is
created and dropped); --bun adds Bun + Hono + bun:sqlite as the reference when `npm` can
install them.  Without wrk (`apt-get install wrk`) a small Python load generator is used and
the output says so.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

PY = sys.executable
BB = str(Path(PY).with_name("bb"))
CONNECTIONS = 32

MODEL = """

class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
"""

BASELINE = '''
"""The hand-written baseline: sync endpoints, ORM session per request, response_model."""
import os
from collections.abc import Iterator

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"], connect_args={"check_same_thread": False})
SessionLocal = sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)


class AuthorIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\\s]+@[^@\\s]+$")


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


app = FastAPI()


@app.get("/api/authors", response_model=list[AuthorOut])
def list_authors(limit: int = 20, session: Session = Depends(get_session)) -> list[Author]:
    if not 1 <= limit <= 100:
        raise HTTPException(400, "limit")
    return list(session.scalars(select(Author).order_by(Author.id).limit(limit)))


@app.get("/api/authors/{author_id}", response_model=AuthorOut)
def get_author(author_id: int, session: Session = Depends(get_session)) -> Author:
    author = session.get(Author, author_id)
    if author is None:
        raise HTTPException(404, "not found")
    return author


@app.post("/api/authors", response_model=AuthorOut, status_code=201)
def create_author(body: AuthorIn, session: Session = Depends(get_session)) -> Author:
    author = Author(name=body.name, email=body.email)
    session.add(author)
    try:
        session.commit()
    except IntegrityError:
        raise HTTPException(409, "duplicate") from None
    return author
'''

BY_ID_LUA = """
math.randomseed(42)
local paths = {}
for i = 1, 1000 do paths[i] = "%s/" .. math.random(1, 1000) end
local n = 0
request = function()
  n = n %% 1000 + 1
  return wrk.format("GET", paths[n])
end
"""

POST_LUA = """
local n = 0
local stamp = tostring(os.time()) .. tostring(math.random(1, 1000000))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local email = 'load' .. stamp .. '.' .. n .. '@example.com'
  local body = '{"name":"Load User ' .. n .. '","email":"' .. email .. '"}'
  return wrk.format(nil, nil, nil, body)
end
"""

BUN_APP = """
import { Hono } from "hono";
import { Database } from "bun:sqlite";
const db = new Database(process.env.DB_PATH);
const list = db.prepare("SELECT id, name, email FROM authors ORDER BY id LIMIT ?");
const one = db.prepare("SELECT id, name, email FROM authors WHERE id = ?");
const insert = db.prepare(
  "INSERT INTO authors (name, email) VALUES (?, ?) RETURNING id, name, email");
const app = new Hono();
app.get("/api/authors", (c) => {
  const limit = Number(c.req.query("limit") ?? 20);
  if (!(limit >= 1 && limit <= 100)) return c.json({ error: "limit" }, 400);
  return c.json(list.all(limit));
});
app.get("/api/authors/:id", (c) => {
  const row = one.get(Number(c.req.param("id")));
  return row ? c.json(row) : c.json({ error: "not found" }, 404);
});
app.post("/api/authors", async (c) => {
  const body = await c.req.json();
  try { return c.json(insert.get(body.name, body.email), 201); }
  catch (e) { return c.json({ error: "duplicate" }, 409); }
});
export default { port: Number(process.env.PORT), fetch: app.fetch };
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def make_project(work: Path) -> Path:
    """A bb project with the authors model and its generated endpoints."""
    subprocess.run(
        [BB, "init", "bench", "--yes", "--no-install", "--no-git", "--no-ai"],
        cwd=work, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    project = work / "bench"
    schema = project / "app" / "db" / "schema.py"
    schema.write_text(schema.read_text() + MODEL)
    subprocess.run(
        [BB, "generate", "crud", "authors"], cwd=project, check=True, stdout=subprocess.DEVNULL
    )
    return project


def seed_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE authors (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
            "email VARCHAR(320) NOT NULL, CONSTRAINT uq_authors_email UNIQUE (email))"
        )
        db.executemany(
            "INSERT INTO authors (name, email) VALUES (?, ?)",
            [(f"Author {i}", f"author{i}@example.com") for i in range(1, 1001)],
        )


def seed_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "CREATE TABLE authors (id SERIAL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
            "email VARCHAR(320) NOT NULL, CONSTRAINT uq_authors_email UNIQUE (email))"
        )
        with db.cursor() as cur:
            cur.executemany(
                "INSERT INTO authors (name, email) VALUES (%s, %s)",
                [(f"Author {i}", f"author{i}@example.com") for i in range(1, 1001)],
            )


_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, script: Path | None) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {m[1]: float(m[2]) * _UNITS[m[3]] for m in _LATENCY.finditer(out)}
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": lat.get("50", float("nan")),
        "p99": lat.get("99", float("nan")),
        "timeouts": float(re.search(r"timeout (\d+)", errors[1])[1]) if errors else 0.0,  # type: ignore[index]
        "non2xx": float(non2xx[1]) if non2xx else 0.0,
    }


def python_load(url: str, seconds: int, kind: str, prefix: str) -> dict[str, float]:
    """The fallback load generator: 32 concurrent keep-alive clients (httpx, asyncio)."""
    import asyncio
    import random

    import httpx

    latencies: list[float] = []
    non2xx = 0

    async def client(n: int) -> None:
        nonlocal non2xx
        rnd = random.Random(n)
        async with httpx.AsyncClient(base_url=url) as http:
            end = time.monotonic() + seconds
            i = 0
            while time.monotonic() < end:
                i += 1
                start = time.perf_counter()
                if kind == "list":
                    r = await http.get(f"{prefix}?limit=20")
                elif kind == "id":
                    r = await http.get(f"{prefix}/{rnd.randint(1, 1000)}")
                else:
                    email = f"py{n}.{i}.{uuid.uuid4().hex[:8]}@example.com"
                    r = await http.post(prefix, json={"name": f"U {i}", "email": email})
                latencies.append((time.perf_counter() - start) * 1000)
                non2xx += r.status_code >= 300

    async def main() -> None:
        await asyncio.gather(*(client(n) for n in range(CONNECTIONS)))

    asyncio.run(main())
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "timeouts": 0.0,
        "non2xx": float(non2xx),
    }


def measure(
    label: str,
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    port: int,
    seconds: int,
    scripts: dict[str, Path],
) -> dict[str, dict[str, float]]:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        wait_ready(port, proc)
        base = f"http://127.0.0.1:{port}"
        routes = {
            "GET list": (f"{base}/api/authors?limit=20", None, "list"),
            "GET by id": (base, scripts["id"], "id"),
            "POST": (f"{base}/api/authors", scripts["post"], "post"),
        }
        results: dict[str, dict[str, float]] = {}
        for route, (url, script, kind) in routes.items():
            if shutil.which("wrk"):
                wrk(url, 3, script)  # warm-up
                results[route] = wrk(url, seconds, script)
            else:
                python_load(base, 2, kind, "/api/authors")
                results[route] = python_load(base, seconds, kind, "/api/authors")
            r = results[route]
            print(
                f"  {label:<34} {route:<10} {r['rps']:9.0f} req/s   p50 {r['p50']:7.2f} ms"
                f"   p99 {r['p99']:8.2f} ms   timeouts {r['timeouts']:.0f}   "
                f"non-2xx {r['non2xx']:.0f}",
                flush=True,
            )
        return results
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this server")
    parser.add_argument("--bun", action="store_true", help="add Bun + Hono as the reference")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: using the Python load generator (lower ceilings)")
    work = Path(tempfile.mkdtemp(prefix="bb-bench-crud-"))
    try:
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> None:
    project = make_project(work)
    seed = work / "seed.db"
    seed_sqlite(seed)
    prefix = "/api/authors"
    scripts = {"id": work / "byid.lua", "post": work / "post.lua"}
    scripts["id"].write_text(BY_ID_LUA % prefix)
    scripts["post"].write_text(POST_LUA)
    (work / "baseline.py").write_text(BASELINE)
    uvicorn = [PY, "-m", "uvicorn", "--no-access-log", "--workers", "1", "--loop", "asyncio",
               "--http", "h11", "--host", "127.0.0.1"]  # fmt: skip
    results: dict[str, dict[str, dict[str, float]]] = {}
    print(f"wrk -t1 -c{CONNECTIONS} -d{args.seconds}s, after a 3 s warm-up; 1,000 rows")

    def sqlite_env(name: str) -> tuple[dict[str, str], int]:
        db = work / f"{name}.db"
        shutil.copy(seed, db)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        return env, free_port()

    env, port = sqlite_env("baseline")
    results["baseline"] = measure(
        "FastAPI + ORM + response_model", [*uvicorn, "--port", str(port), "baseline:app"],
        work, env, port, args.seconds, scripts,
    )  # fmt: skip
    env, port = sqlite_env("generated")
    results["generated"] = measure(
        "bb generate crud (SQLite)", [*uvicorn, "--port", str(port), "app.main:app"],
        project, env, port, args.seconds, scripts,
    )  # fmt: skip
    if args.postgres:
        import psycopg

        name = f"bb_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            seed_postgres(url.replace("+psycopg", ""))
            port = free_port()
            env = {**os.environ, "DATABASE_URL": url}
            results["generated-pg"] = measure(
                "bb generate crud (PostgreSQL)", [*uvicorn, "--port", str(port), "app.main:app"],
                project, env, port, args.seconds, scripts,
            )  # fmt: skip
        finally:
            with psycopg.connect(args.postgres.replace("+psycopg", ""), autocommit=True) as a:
                a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.bun:
        bun_dir = work / "bun"
        bun_dir.mkdir()
        installed = subprocess.run(
            ["npm", "install", "--silent", "bun", "hono"], cwd=bun_dir, capture_output=True
        )
        bun = bun_dir / "node_modules" / ".bin" / "bun"
        if installed.returncode == 0 and bun.exists():
            (bun_dir / "app.ts").write_text(textwrap.dedent(BUN_APP))
            env, port = sqlite_env("bun")
            env.update(DB_PATH=str(work / "bun.db"), PORT=str(port), NODE_ENV="production")
            results["bun"] = measure(
                "Bun + Hono + bun:sqlite", [str(bun), "run", "app.ts"],
                bun_dir, env, port, args.seconds, scripts,
            )  # fmt: skip
        else:
            print("  (bun + hono could not be installed from npm; reference skipped)")
    print("\nratios to the baseline (req/s):")
    for key in [k for k in results if k != "baseline"]:
        parts = [
            f"{route} {results[key][route]['rps'] / results['baseline'][route]['rps']:5.1f}x"
            for route in results[key]
        ]
        print(f"  {key:<14} " + "   ".join(parts))


if __name__ == "__main__":
    main()
