"""Canonical order of a table's constraints, so equal schemas compare equal whatever the source."""

from __future__ import annotations

from collections.abc import Iterable

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from typing import Protocol, TypeVar

    class _Named(Protocol):
        @property
        def name(self) -> str: ...

    N = TypeVar("N", bound=_Named)


def sorted_by_name(items: Iterable[N]) -> tuple[N, ...]:
    """Constraints and indexes sorted by name: their order carries no meaning in a database."""
    return tuple(sorted(items, key=lambda item: item.name))
