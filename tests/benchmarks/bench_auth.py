"""Benchmark the generated auth: sign-in latency (Argon2id dominates) and what session validation
adds to a protected GET compared with the same GET unprotected, on SQLite, in one run.

    python tests/benchmarks/bench_auth.py [--requests 2000] [--sign-ins 30]

A project is made from the blueprint with `bb auth setup`; a router with the same query served
open and behind require_auth is added (sync endpoints, as user code usually is, and async ones,
as `bb generate crud` writes them), served by uvicorn.  One keep-alive client sends the requests
one at a time, open and protected interleaved so machine noise hits both alike; the figure to
read is the difference of the medians.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

BENCH_ROUTES = '''\
"""Benchmark routes: the same query, open and behind require_auth."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.dependencies import require_auth
from app.db.schema import Note, User
from app.db.session import get_session

router = APIRouter(prefix="/bench")
Db = Annotated[Session, Depends(get_session)]


@router.get("/open")
def open_(db: Db) -> dict[str, int]:
    return {"notes": db.scalar(select(func.count()).select_from(Note)) or 0}


@router.get("/protected")
def protected(db: Db, user: Annotated[User, Depends(require_auth)]) -> dict[str, int]:
    return {"notes": db.scalar(select(func.count()).select_from(Note)) or 0}


@router.get("/open-async")
async def open_async(db: Db) -> dict[str, int]:
    return {"notes": db.scalar(select(func.count()).select_from(Note)) or 0}


@router.get("/protected-async")
async def protected_async(db: Db, user: Annotated[User, Depends(require_auth)]) -> dict[str, int]:
    return {"notes": db.scalar(select(func.count()).select_from(Note)) or 0}
'''

SERVER = """\
from app.db.schema import Base
from app.db.session import engine
from app.main import app
from app.routes import bench

app.include_router(bench.router)
Base.metadata.create_all(engine)
"""

ARGON2 = """\
import statistics, sys, time
from app.auth import passwords
runs = int(sys.argv[1])
stored = passwords.hash_password("correct horse battery staple")
hashes, verifies = [], []
for _ in range(runs):
    t = time.perf_counter(); passwords.hash_password("correct horse battery staple")
    hashes.append(time.perf_counter() - t)
    t = time.perf_counter(); passwords.verify_password("correct horse battery staple", stored)
    verifies.append(time.perf_counter() - t)
print(f"Argon2id t={passwords.ARGON2_TIME_COST}, m={passwords.ARGON2_MEMORY_COST_KIB} KiB, "
      f"p={passwords.ARGON2_PARALLELISM}: hash median {statistics.median(hashes) * 1000:.1f} ms, "
      f"verify median {statistics.median(verifies) * 1000:.1f} ms")
"""

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[float, int, bytes]:
    """Seconds, status and body of one request on a kept-alive connection."""
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    start = time.perf_counter()
    conn.request(method, path, body=data, headers=all_headers)
    response = conn.getresponse()
    payload = response.read()
    return time.perf_counter() - start, response.status, payload


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): robust on a busy machine,
    where wall-clock latency mostly measures the wait for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench(project: Path, requests: int, sign_ins: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{project / 'bench.db'}",
        "AUTH_RATE_LIMIT": "off",
        "AUTH_SECRET": "b" * 64,
    }
    subprocess.run([sys.executable, "-c", ARGON2, str(sign_ins)], cwd=project, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_app:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=project, env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        credentials = {"email": "bench@example.com", "password": PASSWORD}
        _, status, _ = request(conn, "POST", "/api/auth/sign-up", credentials)
        assert status == 201, status
        signed_in, unknown = [], []
        token = ""
        for n in range(sign_ins):
            seconds, status, payload = request(conn, "POST", "/api/auth/sign-in", credentials)
            assert status == 200, payload
            signed_in.append(seconds)
            token = json.loads(payload)["token"]
            ghost = {"email": f"ghost{n}@example.com", "password": PASSWORD}
            seconds, status, _ = request(conn, "POST", "/api/auth/sign-in", ghost)
            assert status == 401
            unknown.append(seconds)
        print(f"sign-in, right password: median {ms(signed_in):.1f} ms over {sign_ins}")
        print(
            f"sign-in, unknown email:  median {ms(unknown):.1f} ms (a dummy hash keeps them alike)"
        )
        auth = {"Authorization": f"Bearer {token}"}
        for kind, label in (("", "sync endpoints"), ("-async", "async endpoints")):
            opened: list[float] = []
            protected: list[float] = []
            for n in range(requests + 200):  # the first 200 of each warm up
                a, status_a, _ = request(conn, "GET", f"/bench/open{kind}")
                b, status_b, _ = request(conn, "GET", f"/bench/protected{kind}", headers=auth)
                assert status_a == status_b == 200
                if n >= 200:
                    opened.append(a)
                    protected.append(b)
            cpu = {}
            for path, headers in ((f"/bench/open{kind}", {}), (f"/bench/protected{kind}", auth)):
                before = cpu_seconds(server.pid)
                for _ in range(requests):
                    request(conn, "GET", path, headers=headers)
                cpu[path] = (cpu_seconds(server.pid) - before) / requests * 1000
            cpu_open, cpu_protected = cpu.values()
            print(f"server CPU per GET ({label}): open {cpu_open:.3f} ms, protected "
                  f"{cpu_protected:.3f} ms: session validation costs "
                  f"{cpu_protected - cpu_open:.3f} ms of CPU")  # fmt: skip
            overhead = ms(protected) - ms(opened)
            print(f"GET open vs protected ({label}): median {ms(opened):.3f} ms vs "
                  f"{ms(protected):.3f} ms: session validation adds {overhead:.3f} ms "
                  f"({statistics.median(protected) / statistics.median(opened):.2f}x)")  # fmt: skip
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sign-ins", type=int, default=20)
    args = parser.parse_args()

    from betterbase_cli import scaffold
    from betterbase_cli.codegen.auth import setup_auth
    from betterbase_cli.project import load_project

    with tempfile.TemporaryDirectory(prefix="bb-bench-auth-") as tmp:
        project = Path(tmp) / "shop"
        for item in scaffold.render(scaffold.Answers(project_name="shop")):
            path = project / item.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item.content)
        setup_auth(load_project(project))
        (project / "app/routes/bench.py").write_text(BENCH_ROUTES)
        (project / "bench_app.py").write_text(SERVER)
        print(f"Python {sys.version.split()[0]}, SQLite, uvicorn (1 worker), one keep-alive "
              f"client, {args.requests} requests per endpoint")  # fmt: skip
        bench(project, args.requests, args.sign_ins)


if __name__ == "__main__":
    main()
