"""``dataclass``, ``field``, ``fields`` and ``replace`` for bb's own classes, at a fraction of the
import cost: type checkers see the standard ``dataclasses`` (so mypy checks every class exactly
as before), while at run time the methods are made on first use.

Why: on Python 3.11 ``import dataclasses`` loads ``inspect`` (about 15 ms) and every
``@dataclass`` compiles its methods one ``exec`` at a time (about 1 ms a class).  ``bb context``
and ``bb migrate`` load some 50 such classes before doing any work, so their fresh-process time
was a third imports.  Here decorating a class only lists its fields; ``__eq__``, ``__hash__``
and ``__repr__`` compare and show the fields through ``operator.attrgetter``, and ``__init__`` is
compiled the first time it is called.

The subset bb uses is supported, with the standard semantics: ``frozen``, ``eq``, field
defaults, ``field(default=, default_factory=, compare=, repr=)``, inheritance of fields,
``ClassVar`` annotations (not fields), ``__post_init__``, methods a class defines itself are
kept, and pickling.  Anything else (``order``, ``slots``, ``kw_only``, ``InitVar``) is refused
at import, so a new use cannot silently get different semantics.  tests/test_records.py holds
each of these against the standard module.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import fields as fields
    from dataclasses import replace as replace
else:
    __all__ = ["FrozenInstanceError", "dataclass", "field", "fields", "replace"]

    from operator import attrgetter

    _MISSING = object()

    class FrozenInstanceError(AttributeError):
        """Assigning to a field of a frozen record (as ``dataclasses.FrozenInstanceError``)."""

    class Field:
        """One field: its name and what ``field()`` said of it."""

        __slots__ = ("name", "default", "default_factory", "compare", "repr")

        def __init__(self, default, default_factory, compare, repr):  # noqa: A002
            self.name = ""
            self.default = default
            self.default_factory = default_factory
            self.compare = compare
            self.repr = repr

        def __repr__(self):
            return f"Field(name={self.name!r})"

    def field(*, default=_MISSING, default_factory=_MISSING, compare=True, repr=True, **other):  # noqa: A002
        if other:
            raise TypeError(f"field(): unsupported options {sorted(other)} (see records.py)")
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        return Field(default, default_factory, compare, repr)

    def dataclass(cls=None, /, *, frozen=False, eq=True, **other):
        if other:
            raise TypeError(f"dataclass(): unsupported options {sorted(other)} (see records.py)")

        def wrap(cls):
            return _process(cls, frozen, eq)

        return wrap if cls is None else wrap(cls)

    def fields(class_or_instance):
        """The fields, in order (base classes' first), as objects with ``name`` and ``compare``."""
        try:
            return class_or_instance.__dataclass_fields__
        except AttributeError:
            raise TypeError("must be called with a dataclass type or instance") from None

    def replace(obj, /, **changes):
        """A copy of ``obj`` with ``changes``, made through ``__init__`` (so ``__post_init__``
        runs), as ``dataclasses.replace``."""
        for f in type(obj).__dataclass_fields__:
            if f.name not in changes:
                changes[f.name] = obj.__dict__[f.name]
        return type(obj)(**changes)

    def _process(cls, frozen, eq):
        own = cls.__dict__.get("__annotations__", {})
        inherited = {}
        for base in reversed(cls.__mro__[1:]):
            for f in base.__dict__.get("__dataclass_fields__", ()):
                inherited[f.name] = f
        for name, annotation in own.items():
            text = annotation if isinstance(annotation, str) else repr(annotation)
            if text.startswith(("ClassVar", "typing.ClassVar")):
                continue  # a class attribute, not a field (as dataclasses)
            if "InitVar" in text or "KW_ONLY" in text:
                raise TypeError(f"{cls.__name__}.{name}: {text} is not supported (see records.py)")
            value = getattr(cls, name, _MISSING)  # inherited class attributes count, as there
            if isinstance(value, Field):
                f = value
                if f.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
            else:
                f = Field(value, _MISSING, True, True)
            f.name = name
            if f.default is not _MISSING and type(f.default).__hash__ is None:
                raise ValueError(
                    f"mutable default {type(f.default)} for field {name} is not allowed: "
                    "use default_factory"
                )
            inherited[name] = f
        all_fields = tuple(inherited.values())
        seen_default = False
        for f in all_fields:
            if f.default is not _MISSING or f.default_factory is not _MISSING:
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        cls.__dataclass_fields__ = all_fields
        cls.__match_args__ = tuple(f.name for f in all_fields)
        body = cls.__dict__
        if "__init__" not in body:
            cls.__init__ = _lazy_init(cls)
        if "__repr__" not in body:
            cls.__repr__ = _repr([f.name for f in all_fields if f.repr])
        key = _key([f.name for f in all_fields if f.compare])
        if eq and "__eq__" not in body:
            cls.__eq__ = _eq(key)
        # The standard rule: a class's own __hash__ is kept; eq and frozen hash the compared
        # fields; eq alone makes instances unhashable; no eq keeps identity hashing.
        own_hash = body.get("__hash__", _MISSING)
        explicit = not (own_hash is _MISSING or (own_hash is None and "__eq__" in body))
        if eq and not explicit:
            cls.__hash__ = _hash(key) if frozen else None
        for base in cls.__mro__[1:]:
            if "__dataclass_fields__" in base.__dict__:
                if base.__dict__["__dataclass_frozen__"] != frozen:
                    raise TypeError(
                        "cannot inherit frozen dataclass from a non-frozen one"
                        if frozen
                        else "cannot inherit non-frozen dataclass from a frozen one"
                    )
        if frozen:
            names = frozenset(f.name for f in all_fields)

            # As dataclasses: a subclass that is not a record may set attributes of its own.
            def __setattr__(self, name, value):
                if type(self) is cls or name in names:
                    raise FrozenInstanceError(f"cannot assign to field {name!r}")
                super(cls, self).__setattr__(name, value)

            def __delattr__(self, name):
                if type(self) is cls or name in names:
                    raise FrozenInstanceError(f"cannot delete field {name!r}")
                super(cls, self).__delattr__(name)

            cls.__setattr__ = __setattr__
            cls.__delattr__ = __delattr__
        cls.__dataclass_frozen__ = frozen
        return cls

    def _key(names):
        """The compared fields of an instance, as a tuple (attrgetter: no code to compile)."""
        if len(names) > 1:
            return attrgetter(*names)
        if names:
            get = attrgetter(names[0])
            return lambda self: (get(self),)
        return lambda self: ()

    def _eq(key):
        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented

        return __eq__

    def _hash(key):
        def __hash__(self):
            return hash(key(self))

        return __hash__

    def _repr(names):
        def __repr__(self):
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
            return f"{self.__class__.__qualname__}({shown})"

        return __repr__

    def _lazy_init(cls):
        """A stand-in ``__init__`` that compiles the real one on first call (most classes are
        never instantiated in a run: their objects come from a pickle, or not at all)."""

        def __init__(self, *args, **kwargs):
            real = _compile_init(cls)
            cls.__init__ = real
            real(self, *args, **kwargs)

        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        return __init__

    def _compile_init(cls):
        """``__init__`` for ``cls``'s fields, as dataclasses writes it."""
        all_fields = cls.__dataclass_fields__
        frozen = cls.__dataclass_frozen__
        env = {"_MISSING": _MISSING}
        params, lines = [], ["    _d = self.__dict__"] if frozen else []
        for i, f in enumerate(all_fields):
            if f.default_factory is not _MISSING:
                env[f"_factory_{i}"] = f.default_factory
                params.append(f"{f.name}=_MISSING")
                value = f"_factory_{i}() if {f.name} is _MISSING else {f.name}"
            elif f.default is not _MISSING:
                env[f"_default_{i}"] = f.default
                params.append(f"{f.name}=_default_{i}")
                value = f.name
            else:
                params.append(f.name)
                value = f.name
            target = f"_d[{f.name!r}]" if frozen else f"self.{f.name}"
            lines.append(f"    {target} = {value}")
        if hasattr(cls, "__post_init__"):
            lines.append("    self.__post_init__()")
        source = f"def __init__({', '.join(['self', *params])}):\n" + "\n".join(
            lines or ["    pass"]
        )
        namespace = {}
        exec(compile(source, f"<record {cls.__qualname__}>", "exec"), env, namespace)  # noqa: S102
        function = namespace["__init__"]
        function.__qualname__ = f"{cls.__qualname__}.__init__"
        return function
