"""The static models reader: model sources in, exact Schema out; bad input as file:line:col."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from betterbase_cli.errors import ConfigError, SchemaError, SchemaParseError
from betterbase_cli.project import Project
from betterbase_cli.schema.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Relation,
    Schema,
    Table,
    UniqueConstraint,
)
from betterbase_cli.schema.python_reader import (
    build_schema,
    parse_models_file,
    read_models,
    read_project_schema,
)

PRELUDE = """\
from __future__ import annotations

import datetime
import enum
import uuid
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import ForeignKey, String, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass

"""


def read(source: str, prelude: bool = True) -> Schema:
    text_ = (PRELUDE if prelude else "") + textwrap.dedent(source)
    result = build_schema([parse_models_file(text_, "app/models.py")])
    assert result.problems == (), [str(p) for p in result.problems]
    return result.schema


def problems(source: str) -> list[str]:
    text_ = PRELUDE + textwrap.dedent(source)
    result = build_schema([parse_models_file(text_, "app/models.py")])
    return [str(p) for p in result.problems]


def line_of(source: str, needle: str) -> int:
    """The 1-based line of `needle` in PRELUDE + source (what the reader reports)."""
    full = PRELUDE + textwrap.dedent(source)
    for number, line in enumerate(full.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


INT = ColumnType("integer")
PK = Column("id", INT, nullable=False, autoincrement=True)

CASES = {
    "plain": (
        """
        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(String(100))
            bio: Mapped[Optional[str]]
            nick: Mapped[str | None] = mapped_column(String(20))
            age: Mapped[int] = mapped_column(nullable=True)
        """,
        Schema(
            tables=(
                Table(
                    "users",
                    (
                        PK,
                        Column("name", ColumnType("string", length=100), nullable=False),
                        Column("bio", ColumnType("string")),
                        Column("nick", ColumnType("string", length=20)),
                        Column("age", INT),
                    ),
                    primary_key=("id",),
                ),
            )
        ),
    ),
    "aliases and server defaults": (
        """
        from sqlalchemy import Boolean as B
        from sqlalchemy import false, true

        class Flag(Base):
            __tablename__ = "flags"
            id: Mapped[uuid.UUID] = mapped_column(
                primary_key=True, server_default=func.gen_random_uuid()
            )
            on: Mapped[bool] = mapped_column(B, server_default=true())
            off: Mapped[bool] = mapped_column(server_default=sa.false())
            at: Mapped[datetime.datetime] = mapped_column(
                sa.DateTime(timezone=True), server_default=func.now()
            )
            day: Mapped[datetime.date] = mapped_column(server_default=text("CURRENT_DATE"))
            state: Mapped[str] = mapped_column(server_default="it's")
            n: Mapped[int] = mapped_column(sa.BigInteger, server_default=text("0"), default=5)
        """,
        Schema(
            tables=(
                Table(
                    "flags",
                    (
                        Column(
                            "id",
                            ColumnType("uuid"),
                            nullable=False,
                            server_default="gen_random_uuid()",
                        ),
                        Column("on", ColumnType("boolean"), nullable=False, server_default="TRUE"),
                        Column(
                            "off", ColumnType("boolean"), nullable=False, server_default="FALSE"
                        ),
                        Column(
                            "at",
                            ColumnType("datetime", timezone=True),
                            nullable=False,
                            server_default="CURRENT_TIMESTAMP",
                        ),
                        Column(
                            "day", ColumnType("date"), nullable=False, server_default="CURRENT_DATE"
                        ),
                        Column(
                            "state", ColumnType("string"), nullable=False, server_default="'it''s'"
                        ),
                        Column("n", ColumnType("bigint"), nullable=False, server_default="0"),
                    ),
                    primary_key=("id",),
                ),
            )
        ),
    ),
    "foreign keys, unique, index, self reference": (
        """
        class Node(Base):
            __tablename__ = "nodes"
            id: Mapped[int] = mapped_column(primary_key=True)
            parent_id: Mapped[int | None] = mapped_column(
                ForeignKey("nodes.id", ondelete="set null", onupdate="CASCADE")
            )
            code: Mapped[str] = mapped_column(String(8), unique=True)
            slug: Mapped[str] = mapped_column(String(8), index=True)
            key: Mapped[str] = mapped_column(String(8), unique=True, index=True)
            children: Mapped[list[Node]] = relationship(back_populates="parent")
            parent: Mapped[Optional[Node]] = relationship(back_populates="children")
        """,
        Schema(
            tables=(
                Table(
                    "nodes",
                    (
                        PK,
                        Column("parent_id", INT),
                        Column("code", ColumnType("string", length=8), nullable=False),
                        Column("slug", ColumnType("string", length=8), nullable=False),
                        Column("key", ColumnType("string", length=8), nullable=False),
                    ),
                    primary_key=("id",),
                    foreign_keys=(
                        ForeignKey(
                            "fk_nodes_parent_id_nodes",
                            ("parent_id",),
                            "nodes",
                            ("id",),
                            on_delete="SET NULL",
                            on_update="CASCADE",
                        ),
                    ),
                    indexes=(
                        Index("ix_nodes_key", ("key",), unique=True),
                        Index("ix_nodes_slug", ("slug",)),
                    ),
                    uniques=(UniqueConstraint("uq_nodes_code", ("code",)),),
                ),
            )
        ),
    ),
    "table args, composite key, enums": (
        """
        class Status(enum.Enum):
            DRAFT = "d"
            LIVE = "l"

        class Membership(Base):
            __tablename__ = "memberships"
            user_id: Mapped[int]
            group_id: Mapped[int]
            status: Mapped[Status]
            kind: Mapped[str] = mapped_column(sa.Enum("a", "b", name="membership_kind"))
            __table_args__ = (
                sa.PrimaryKeyConstraint("user_id", "group_id", name="membership_pk"),
                sa.Index("ix_m_kind", "kind", "status", unique=True),
                sa.UniqueConstraint("user_id", "kind"),
                sa.CheckConstraint("user_id > 0", name="ck_m_user"),
                {"comment": "who is in which group"},
            )
        """,
        Schema(
            tables=(
                Table(
                    "memberships",
                    (
                        Column("user_id", INT, nullable=False),
                        Column("group_id", INT, nullable=False),
                        Column("status", ColumnType("enum", enum="status"), nullable=False),
                        Column("kind", ColumnType("enum", enum="membership_kind"), nullable=False),
                    ),
                    primary_key=("user_id", "group_id"),
                    primary_key_name="membership_pk",
                    indexes=(Index("ix_m_kind", ("kind", "status"), unique=True),),
                    uniques=(UniqueConstraint("uq_memberships_user_id_kind", ("user_id", "kind")),),
                    checks=(CheckConstraint("ck_m_user", "user_id > 0"),),
                    comment="who is in which group",
                ),
            ),
            enums=(Enum("status", ("DRAFT", "LIVE")), Enum("membership_kind", ("a", "b"))),
        ),
    ),
    "classic Column style and Table objects": (
        """
        from sqlalchemy import Column, Integer, Table

        class Tag(Base):
            __tablename__ = "tags"
            id = Column(Integer, primary_key=True)
            label = Column(String(30), nullable=False)
            note = Column("remark", sa.Text)

        tag_links = Table(
            "tag_links",
            Base.metadata,
            Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
            Column("other_id", Integer, primary_key=True),
        )
        """,
        Schema(
            tables=(
                Table(
                    "tags",
                    (
                        PK,
                        Column("label", ColumnType("string", length=30), nullable=False),
                        Column("remark", ColumnType("text")),
                    ),
                    primary_key=("id",),
                ),
                Table(
                    "tag_links",
                    (
                        Column("tag_id", INT, nullable=False),
                        Column("other_id", INT, nullable=False),
                    ),
                    primary_key=("tag_id", "other_id"),
                    foreign_keys=(
                        ForeignKey(
                            "fk_tag_links_tag_id_tags",
                            ("tag_id",),
                            "tags",
                            ("id",),
                            on_delete="CASCADE",
                        ),
                    ),
                ),
            )
        ),
    ),
    "mixins and abstract bases": (
        """
        class Stamp:
            created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())

        class Model(Base):
            __abstract__ = True
            id: Mapped[int] = mapped_column(primary_key=True)

        class Post(Stamp, Model):
            __tablename__ = "posts"
            title: Mapped[str]
        """,
        Schema(
            tables=(
                Table(
                    "posts",
                    (
                        Column("title", ColumnType("string"), nullable=False),
                        Column(
                            "created_at",
                            ColumnType("datetime"),
                            nullable=False,
                            server_default="CURRENT_TIMESTAMP",
                        ),
                        PK,
                    ),
                    primary_key=("id",),
                ),
            )
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reads_models(name: str) -> None:
    source, expected = CASES[name]
    assert read(source) == expected


def test_locations_python_types_and_relations() -> None:
    source = CASES["foreign keys, unique, index, self reference"][0]
    table = read(source).table("nodes")
    assert table.class_name == "Node"
    assert table.location is not None and table.location.path == "app/models.py"
    assert table.location.line == line_of(source, "class Node")
    parent = table.column("parent_id")
    assert parent.python_type == "int"
    assert parent.location is not None and parent.location.line == line_of(source, "parent_id:")
    assert parent.location.col == 5
    assert set(table.relations) == {
        Relation("children", "nodes", True, "parent"),
        Relation("parent", "nodes", False, "children"),
    }


def test_python_type_text_and_default_source() -> None:
    schema = read(
        """
        class Status(enum.Enum):
            A = 1

        class T(Base):
            __tablename__ = "t"
            id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
            at: Mapped[Optional[datetime.datetime]]
            s: Mapped[Status | None]
        """
    )
    table = schema.table("t")
    assert [c.python_type for c in table.columns] == ["uuid.UUID", "datetime.datetime", "Status"]
    assert table.column("id").default == "uuid.uuid4"
    assert table.column("id").autoincrement is False  # not an integer
    assert schema.enum("status").class_name == "Status"


def test_integer_primary_key_autoincrement_follows_sqlalchemy() -> None:
    schema = read(
        """
        class A(Base):
            __tablename__ = "a"
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

        class B(Base):
            __tablename__ = "b"
            id: Mapped[int] = mapped_column(ForeignKey("a.id"), primary_key=True)

        class C(Base):
            __tablename__ = "c"
            x: Mapped[int] = mapped_column(primary_key=True)
            y: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
        """
    )
    assert not schema.table("a").column("id").autoincrement
    assert not schema.table("b").column("id").autoincrement
    assert [c.autoincrement for c in schema.table("c").columns] == [False, True]


def test_type_annotation_map_on_the_base() -> None:
    schema = read(
        """
        from typing import Any
        from sqlalchemy import JSON, Numeric
        import decimal

        class Base(DeclarativeBase):
            type_annotation_map = {
                str: String(255), dict[str, Any]: JSON, decimal.Decimal: Numeric(10, 2)
            }

        class T(Base):
            __tablename__ = "t"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]
            data: Mapped[dict[str, Any]]
            price: Mapped[decimal.Decimal]
        """
    )
    types = [str(c.type) for c in schema.table("t").columns]
    assert types == ["integer", "string(255)", "json", "numeric(10, 2)"]


def test_naming_convention_of_the_base_is_applied() -> None:
    schema = read(
        """
        from sqlalchemy import MetaData

        class Base(DeclarativeBase):
            metadata = MetaData(naming_convention={
                "uq": "%(table_name)s_%(column_0_name)s_key",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "pk": "%(table_name)s_pkey",
            })

        class T(Base):
            __tablename__ = "t"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = mapped_column(unique=True)
            __table_args__ = (sa.CheckConstraint("id > 0", name="positive"),)
        """
    )
    table = schema.table("t")
    assert table.uniques == (UniqueConstraint("t_email_key", ("email",)),)
    assert table.checks == (CheckConstraint("ck_t_positive", "id > 0"),)
    assert table.primary_key_name == "t_pkey"


# --- bad input -------------------------------------------------------------------------------


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(SchemaParseError) as info:
        parse_models_file("class A(Base):\n    x: Mapped[int] = (\n", "app/db/schema.py")
    assert info.value.path == "app/db/schema.py"
    assert info.value.line == 2
    assert "do not parse" in info.value.message


def test_unknown_column_type_is_named_with_a_hint() -> None:
    source = """
    from sqlalchemy.dialects.postgresql import ARRAY

    class T(Base):
        __tablename__ = "t"
        id: Mapped[int] = mapped_column(primary_key=True)
        tags: Mapped[list[str]] = mapped_column(ARRAY(String))
        blob: Mapped[memoryview]
    """
    found = problems(source)
    tags_line = line_of(source, "tags:")
    blob_line = line_of(source, "blob:")
    assert any(
        p.startswith(f"app/models.py:{tags_line}:") and "unknown column type ARRAY" in p
        for p in found
    ), found
    assert any(p.startswith(f"app/models.py:{blob_line}:") and "memoryview" in p for p in found), (
        found
    )
    result = build_schema([parse_models_file(PRELUDE + textwrap.dedent(source), "app/models.py")])
    assert all(p.hint for p in result.problems)


def test_constructs_not_understood_are_problems_not_silence() -> None:
    found = problems(
        """
        def make():
            return mapped_column()

        class T(Base):
            __tablename__ = "t"
            id: Mapped[int] = mapped_column(primary_key=True)
            a: Mapped[int] = make()
            b: int
            c: Mapped[int] = mapped_column(server_default=5)
            d: Mapped[int] = mapped_column(ForeignKey("t.id", ondelete="EXPLODE"))
            __table_args__ = (sa.Index("ix", sa.func.lower("x")),)
        """
    )
    text_ = "\n".join(found)
    for expected in (
        "a = make() is not a column",
        "annotation int is not Mapped",
        "server_default=5 not understood",
        "ondelete='EXPLODE' is not a referential action",
        "is not a column name",
    ):
        assert expected in text_, found


def test_foreign_key_to_missing_table_or_column() -> None:
    with pytest.raises(SchemaError, match="missing table 'userz'"):
        read(
            """
            class P(Base):
                __tablename__ = "p"
                id: Mapped[int] = mapped_column(primary_key=True)
                user_id: Mapped[int] = mapped_column(ForeignKey("userz.id"))
            """
        )
    with pytest.raises(SchemaError, match=r"missing column p\.uid") as info:
        read(
            """
            class P(Base):
                __tablename__ = "p"
                id: Mapped[int] = mapped_column(primary_key=True)
                parent_id: Mapped[int] = mapped_column(ForeignKey("p.uid"))
            """
        )
    assert "app/models.py:" in info.value.message


def test_two_models_with_the_same_table_name() -> None:
    with pytest.raises(SchemaError, match="two models use the table name 'users'"):
        read(
            """
            class A(Base):
                __tablename__ = "users"
                id: Mapped[int] = mapped_column(primary_key=True)

            class B(Base):
                __tablename__ = "users"
                id: Mapped[int] = mapped_column(primary_key=True)
            """
        )


def test_a_class_name_used_twice_in_a_module_reads_both_classes() -> None:
    """Python makes (and SQLAlchemy maps) both classes; the name then means the last one."""
    source = """
        class Note(Base):
            __tablename__ = "notes"
            id: Mapped[int] = mapped_column(primary_key=True)

        class Note(Base):
            __tablename__ = "notes"
            id: Mapped[int] = mapped_column(primary_key=True)
        """
    first = line_of(source, "class Note")
    with pytest.raises(SchemaError) as info:
        read(source)
    assert f"Note at app/models.py:{first}:1 and Note at app/models.py:{first + 4}:1" in str(
        info.value.message
    )
    schema = read(source.replace('"notes"', '"drafts"', 1))
    assert {t.name for t in schema.tables} == {"drafts", "notes"}
    assert schema.table("drafts").location.line == first  # type: ignore[union-attr]


def _project(tmp_path: Path, models: str) -> Project:
    (tmp_path / "app" / "db").mkdir(parents=True)
    (tmp_path / "app" / "db" / "schema.py").write_text(models)
    return Project(root=tmp_path, config={})


def test_read_project_schema_strict_raises_the_first_problem(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        PRELUDE
        + textwrap.dedent(
            """
            class T(Base):
                __tablename__ = "t"
                id: Mapped[int] = mapped_column(primary_key=True)
                x: Mapped[int] = mapped_column(sa.Computed("id + 1"))
            """
        ),
    )
    lenient = read_project_schema(project, strict=False)
    assert len(lenient.problems) == 1
    assert lenient.schema.table("t").column_names == ("id",)
    assert set(lenient.sources) == {"app/db/schema.py"}
    with pytest.raises(SchemaParseError) as info:
        read_project_schema(project)
    assert str(info.value).startswith("app/db/schema.py:")


def test_missing_models_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_models([tmp_path / "nope.py"], tmp_path)


def test_package_directory_is_read(tmp_path: Path) -> None:
    pkg = tmp_path / "app" / "models"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(PRELUDE)
    (pkg / "things.py").write_text(
        "from sqlalchemy.orm import Mapped, mapped_column\n"
        "from app.models.base import Base\n\n\n"
        "class Thing(Base):\n"
        '    __tablename__ = "things"\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    )
    result = read_models([pkg], tmp_path)
    assert result.schema.table_names == ("things",)
    assert set(result.sources) == {
        "app/models/__init__.py",
        "app/models/base.py",
        "app/models/things.py",
    }


def test_the_default_schema_may_be_named_but_no_other() -> None:
    schema = read(
        """
        class T(Base):
            __tablename__ = "t"
            __table_args__ = {"schema": "public"}
            id: Mapped[int] = mapped_column(primary_key=True)
        """
    )
    assert schema.table_names == ("t",)
    found = problems(
        """
        class T(Base):
            __tablename__ = "t"
            __table_args__ = {"schema": "audit"}
            id: Mapped[int] = mapped_column(primary_key=True)
        """
    )
    assert any("table option schema is not supported" in p for p in found), found


def test_classic_columns_get_a_python_type_from_their_sql_type() -> None:
    schema = read(
        """
        from sqlalchemy import Column, Integer, Numeric

        class Kind(enum.Enum):
            A = "a"

        class T(Base):
            __tablename__ = "t"
            id = Column(Integer, primary_key=True)
            price = Column(Numeric(10, 2))
            kind = Column(sa.Enum(Kind))
            label = Column(sa.Enum("x", "y", name="label"))
        """
    )
    table = schema.table("t")
    assert [c.python_type for c in table.columns] == ["int", "decimal.Decimal", "Kind", "str"]
