"""The FastAPI application: GET /health and the routers registered in app/routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.db.session import get_engine
from app.routes import api_router

app = FastAPI(title="blog")
app.include_router(api_router)


@app.get("/health", response_model=None, tags=["health"])
def health(engine: Annotated[Engine, Depends(get_engine)]) -> JSONResponse:
    """200 when the database answers a query, 503 with the reason when it does not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return JSONResponse(
            status_code=503,
            content={"status": "error", "database": "unreachable", "reason": reason},
        )
    return JSONResponse({"status": "ok", "database": "ok"})
