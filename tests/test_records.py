"""betterbase_cli.records behaves as the standard dataclasses for everything bb uses: the same
class is declared with both and every behaviour compared."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from typing import Any, ClassVar

import pytest

from betterbase_cli import records


def declare(dc: Any, field: Any, prefix: str) -> dict[str, type]:
    """A family of classes declared with ``dc``/``field`` (either module's), made module
    globals named ``prefix`` + their name so that they pickle."""

    @dc(frozen=True)
    class Point:
        """A frozen record with a default."""

        x: int
        y: int = 0
        kind: ClassVar[str] = "point"

    @dc(frozen=True)
    class Tagged(Point):
        """Inherits fields; adds some that are not compared or shown."""

        tags: tuple[str, ...] = ()
        note: str | None = field(default=None, compare=False)
        secret: str = field(default="s", repr=False)

    @dc
    class Bag:
        """Mutable, so unhashable; default factories."""

        items: list[int] = field(default_factory=list)
        names: dict[str, int] = field(default_factory=dict)

    @dc(frozen=True, eq=False)
    class Ident:
        """Identity equality and hash."""

        value: int

    @dc(frozen=True)
    class Checked:
        """__post_init__ normalises a frozen field."""

        text: str

        def __post_init__(self) -> None:
            object.__setattr__(self, "text", self.text.strip())

    @dc(frozen=True)
    class OwnMethods:
        """Methods the class defines are kept."""

        a: int

        def __repr__(self) -> str:
            return "mine"

        def __hash__(self) -> int:
            return 7

    @dc(frozen=True)
    class Empty:
        """No fields at all."""

    @dc(frozen=True)
    class Moved(Tagged):
        """Overrides an inherited field's default: the field keeps its place."""

        y: int = 7
        extra: int = 0

    out = {}
    for cls in (Point, Tagged, Bag, Ident, Checked, OwnMethods, Empty, Moved):
        out[cls.__name__] = cls
        cls.__qualname__ = prefix + cls.__name__
        globals()[cls.__qualname__] = cls
    return out


STD = declare(dataclasses.dataclass, dataclasses.field, "Std")
OURS = declare(records.dataclass, records.field, "Ours")

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Point", (1,), {}),
    ("Point", (1, 2), {}),
    ("Point", (), {"x": 3, "y": 4}),
    ("Tagged", (1, 2, ("a",)), {"note": "n", "secret": "x"}),
    ("Tagged", (5,), {}),
    ("Bag", (), {}),
    ("Bag", ([1, 2],), {"names": {"a": 1}}),
    ("Ident", (1,), {}),
    ("Checked", ("  padded  ",), {}),
    ("OwnMethods", (1,), {}),
    ("Empty", (), {}),
    ("Moved", (1, 2, ("t",)), {"extra": 3}),
    ("Moved", (1,), {}),
]


def both(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return STD[name](*args, **kwargs), OURS[name](*args, **kwargs)


def outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:
        return ("raised", type(exc).__name__)


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES)
def test_instances_behave_the_same(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    std, ours = both(name, args, kwargs)
    std2, ours2 = both(name, args, kwargs)
    assert repr(ours).removeprefix("Ours") == repr(std).removeprefix("Std")
    assert (ours == ours2) == (std == std2)
    assert (ours != ours2) == (std != std2)
    assert outcome(lambda: hash(ours) == hash(ours2)) == outcome(lambda: hash(std) == hash(std2))
    assert outcome(lambda: setattr(ours, "x", 9)) == outcome(lambda: setattr(std, "x", 9))
    assert outcome(lambda: delattr(ours, "x")) == outcome(lambda: delattr(std, "x"))
    assert [f.name for f in records.fields(ours)] == [f.name for f in dataclasses.fields(std)]
    assert type(ours).__match_args__ == type(std).__match_args__
    assert vars(ours) == vars(std)
    for copied in (pickle.loads(pickle.dumps(ours)), copy.copy(ours), copy.deepcopy(ours)):
        assert vars(copied) == vars(ours)
        assert (copied == ours) == (copy.copy(std) == std)


def test_defaults_and_class_attributes_match() -> None:
    for name in STD:
        std, ours = STD[name], OURS[name]
        for attr in ("x", "y", "tags", "note", "secret", "items", "kind"):
            assert hasattr(ours, attr) == hasattr(std, attr), (name, attr)
            if hasattr(std, attr):
                assert getattr(ours, attr) == getattr(std, attr), (name, attr)
        assert (ours.__hash__ is None) == (std.__hash__ is None), name


def test_factories_give_each_instance_its_own_value() -> None:
    a, b = OURS["Bag"](), OURS["Bag"]()
    a.items.append(1)
    assert b.items == []


def test_comparison_with_other_classes_and_subclasses() -> None:
    point, tagged = OURS["Point"](1, 2), OURS["Tagged"](1, 2)
    std_point, std_tagged = STD["Point"](1, 2), STD["Tagged"](1, 2)
    assert (point == tagged) == (std_point == std_tagged)
    assert (point == (1, 2)) == (std_point == (1, 2))
    assert OURS["Tagged"](1, note="a") == OURS["Tagged"](1, note="b")  # note: compare=False


def test_replace_runs_post_init_and_keeps_other_fields() -> None:
    tagged = OURS["Tagged"](1, 2, ("a",), note="n")
    assert records.replace(tagged, y=5) == STD_equivalent(
        dataclasses.replace(STD["Tagged"](1, 2, ("a",), note="n"), y=5)
    )
    assert records.replace(OURS["Checked"]("a"), text=" b ").text == "b"
    with pytest.raises(TypeError):
        records.replace(tagged, nope=1)


def STD_equivalent(value: Any) -> Any:  # noqa: N802
    """The same values in our class."""
    return OURS[type(value).__name__](**vars(value))


def test_wrong_calls_raise_as_dataclasses_do() -> None:
    for name, args, kwargs in [("Point", (), {}), ("Point", (1, 2, 3), {}), ("Bag", (), {"z": 1})]:
        ours, std = OURS[name], STD[name]
        assert outcome(lambda: ours(*args, **kwargs)) == outcome(lambda: std(*args, **kwargs))  # noqa: B023


def test_unsupported_options_are_refused_at_import() -> None:
    with pytest.raises(TypeError, match="order"):
        records.dataclass(order=True)
    with pytest.raises(TypeError, match="kw_only"):
        records.field(kw_only=True)
    with pytest.raises(TypeError, match="follows default"):

        @records.dataclass
        class Bad:
            """A field without a default after one with a default."""

            a: int = 1
            b: int  # type: ignore[misc]


def test_definitions_refused_or_taken_as_dataclasses_does() -> None:
    """Mutable defaults and frozen/non-frozen mixes are refused; a plain base class's
    attribute is a default."""
    for dc in (dataclasses.dataclass, records.dataclass):
        with pytest.raises(ValueError, match="mutable default"):

            @dc
            class Mutable:
                """A list default."""

                items: list[int] = []

        with pytest.raises(TypeError, match="non-frozen dataclass from a frozen"):

            @dc
            class Thawed(OURS["Point"] if dc is records.dataclass else STD["Point"]):  # type: ignore[misc]
                """Not frozen, from a frozen record."""

        class Plain:
            x = 5

        @dc
        class FromPlain(Plain):
            """Takes its default from the plain base class."""

            x: int

        assert FromPlain().x == 5  # type: ignore[call-arg]


def test_frozen_subclass_of_a_plain_class_may_set_its_own_attributes() -> None:
    class Plain(OURS["Point"]):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(1)
            self.extra = 2

    assert Plain().extra == 2
    with pytest.raises(records.FrozenInstanceError):
        Plain().x = 3


def test_bb_context_and_migrate_do_not_import_dataclasses() -> None:
    """What the module is for: the hot commands load neither dataclasses nor inspect."""
    code = (
        "import sys; import betterbase_cli.context.build, betterbase_cli.migrate.diff; "
        "print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
