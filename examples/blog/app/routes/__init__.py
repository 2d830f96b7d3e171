"""The router registry: `bb generate crud` adds generated routers here; add yours the same way."""

from fastapi import APIRouter

from app.routes import authors, comments, post_tags, posts, tags

api_router = APIRouter(prefix="/api")
api_router.include_router(authors.router)
api_router.include_router(comments.router)
api_router.include_router(post_tags.router)
api_router.include_router(posts.router)
api_router.include_router(tags.router)
