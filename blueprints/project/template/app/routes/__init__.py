"""The router registry: `bb generate crud` adds generated routers here; add yours the same way."""

from fastapi import APIRouter

api_router = APIRouter(prefix="/api")
