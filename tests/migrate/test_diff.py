"""The diff: questions instead of guesses, a fixed pass order, stable ordering of tables."""

from __future__ import annotations

import pytest

from betterbase_cli.migrate.diff import (
    Decisions,
    canonical,
    destructive_questions,
    diff,
    normalize_default,
)
from betterbase_cli.migrate.ops import (
    AddColumn,
    AddForeignKey,
    AlterColumn,
    AlterEnum,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RenameColumn,
    RenameConstraint,
    RenameTable,
    is_narrowing,
    summary,
)
from betterbase_cli.records import replace
from betterbase_cli.schema.model import (
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    Schema,
    Table,
)

INT = ColumnType("integer")


def s(n: int | None = None) -> ColumnType:
    return ColumnType("string", length=n)


def table(name: str, *columns: Column, **kw: object) -> Table:
    cols = (Column("id", INT, False, autoincrement=True), *columns)
    return Table(name, cols, ("id",), **kw)  # type: ignore[arg-type]


def fk(table_name: str, col: str, ref: str, on_delete: str | None = None) -> ForeignKey:
    return ForeignKey(f"fk_{table_name}_{col}_{ref}", (col,), ref, ("id",), on_delete)


USERS = table("users", Column("name", s(100), False))


def test_unchanged_schema_gives_nothing() -> None:
    schema = Schema((USERS,))
    assert diff(schema, schema).operations == ()
    assert not diff(schema, schema)


def test_python_side_default_and_column_order_are_not_schema() -> None:
    a = table("users", Column("a", INT), Column("b", s(10), default="'x'"))
    b = table("users", Column("b", s(10), default="'y'"), Column("a", INT))
    assert diff(Schema((a,)), Schema((b,))).operations == ()


def test_a_look_alike_column_is_a_question_never_a_guess() -> None:
    old = Schema((USERS,))
    new = Schema((table("users", Column("full_name", s(100), False)),))
    result = diff(old, new)
    rename = [q for q in result.questions if q.kind == "rename"]
    assert [q.key for q in rename] == ["users.name=users.full_name"]
    assert rename[0].flag == "--rename users.name=users.full_name"
    assert not any(isinstance(op, RenameColumn) for op in result.operations)

    decided = diff(old, new, Decisions(renames={"users.name": "users.full_name"}))
    assert decided.questions == ()
    assert decided.operations == (RenameColumn("users", "name", "full_name"),)

    rejected = diff(
        old,
        new,
        Decisions(
            rejected_renames=frozenset({"users.name=users.full_name"}),
            defaults={"users.full_name": "''"},
        ),
    )
    assert rejected.questions == ()
    assert [type(op) for op in rejected.operations] == [DropColumn, AddColumn]


def test_two_candidates_give_two_questions() -> None:
    old = Schema((table("users", Column("nick", s(50))),))
    new = Schema((table("users", Column("alias", s(50)), Column("handle", s(50))),))
    keys = sorted(q.key for q in diff(old, new).questions)
    assert keys == ["users.nick=users.alias", "users.nick=users.handle"]


def test_a_different_type_is_not_a_rename_candidate() -> None:
    old = Schema((table("users", Column("nick", s(50))),))
    new = Schema((table("users", Column("age", INT)),))
    assert diff(old, new).questions == ()


def test_table_rename_question_and_decision() -> None:
    tags = table("tags", Column("label", s(50), False))
    labels = replace(tags, name="labels")
    result = diff(Schema((tags,)), Schema((labels,)))
    assert [q.key for q in result.questions] == ["tags=labels"]
    assert result.questions[0].flag == "--rename tags=labels"
    decided = diff(Schema((tags,)), Schema((labels,)), Decisions(renames={"tags": "labels"}))
    assert decided.operations[0] == RenameTable("tags", "labels")
    assert not any(op.destructive for op in decided.operations)


def test_not_null_without_default_asks_for_a_fill_value() -> None:
    old = Schema((USERS,))
    new = Schema((table("users", Column("name", s(100), False), Column("email", s(255), False)),))
    result = diff(old, new)
    assert [(q.key, q.kind, q.flag) for q in result.questions] == [
        ("users.email", "default", "--default users.email=VALUE")
    ]
    decided = diff(old, new, Decisions(defaults={"users.email": "''"}))
    assert decided.operations == (AddColumn("users", new.tables[0].columns[2], "''"),)


def test_a_server_default_needs_no_question() -> None:
    new = Schema(
        (
            table(
                "users", Column("name", s(100), False), Column("n", INT, False, server_default="0")
            ),
        )
    )
    assert diff(Schema((USERS,)), new).questions == ()


def test_setting_not_null_asks_for_the_value_of_existing_nulls() -> None:
    old = Schema((table("users", Column("email", s(255))),))
    new = Schema((table("users", Column("email", s(255), False)),))
    assert [q.key for q in diff(old, new).questions] == ["users.email"]
    op = diff(old, new, Decisions(defaults={"users.email": "''"})).operations[0]
    assert isinstance(op, AlterColumn) and op.fill == "''" and not op.destructive


def test_tables_are_created_parents_first_and_dropped_children_first() -> None:
    users = USERS
    posts = table(
        "posts", Column("user_id", INT, False), foreign_keys=(fk("posts", "user_id", "users"),)
    )
    comments = table(
        "a_comments",  # sorts first by name, must still come last
        Column("post_id", INT, False),
        foreign_keys=(fk("a_comments", "post_id", "posts", "CASCADE"),),
    )
    full = Schema((users, posts, comments))
    created = [
        op.table.name for op in diff(Schema(), full).operations if isinstance(op, CreateTable)
    ]
    assert created == ["users", "posts", "a_comments"]
    dropped = [
        op.table.name for op in diff(full, Schema((users,))).operations if isinstance(op, DropTable)
    ]
    assert dropped == ["a_comments", "posts"]


def test_a_foreign_key_cycle_is_broken_deterministically() -> None:
    teams = table(
        "teams", Column("captain_id", INT), foreign_keys=(fk("teams", "captain_id", "players"),)
    )
    players = table(
        "players", Column("team_id", INT), foreign_keys=(fk("players", "team_id", "teams"),)
    )
    ops = diff(Schema(), Schema((teams, players))).operations
    assert [type(op) for op in ops] == [CreateTable, CreateTable, AddForeignKey]
    first = ops[0]
    assert isinstance(first, CreateTable) and first.deferred_foreign_keys == (
        "fk_players_team_id_teams",
    )
    assert ops == diff(Schema(), Schema((players, teams))).operations
    dropped = diff(Schema((teams, players)), Schema()).operations
    assert isinstance(dropped[0], DropForeignKey)
    assert [type(op) for op in dropped[1:]] == [DropTable, DropTable]


PASS = {
    RenameTable: 0,
    RenameConstraint: 0,
    RenameColumn: 0,
    DropForeignKey: 1,
    DropIndex: 1,
    DropColumn: 2,
    DropTable: 2,
    CreateEnum: 3,
    AlterEnum: 3,
    CreateTable: 3,
    AddColumn: 4,
    AlterColumn: 5,
    CreateIndex: 6,
    AddForeignKey: 8,
    DropEnum: 9,
}


def test_the_pass_order_is_fixed() -> None:
    old = Schema(
        (
            table(
                "users",
                Column("name", s(100), False),
                Column("old", INT),
                Column("kind", ColumnType("enum", enum="k")),
            ),
            table("tags", Column("label", s(50)), indexes=(Index("ix_tags_label", ("label",)),)),
            table("gone", Column("x", INT)),
        ),
        (Enum("k", ("a", "b")), Enum("dead", ("x",))),
    )
    new = Schema(
        (
            table(
                "people",
                Column("full_name", s(100)),
                Column("new", s(5)),
                Column("kind", ColumnType("enum", enum="k")),
                Column("team_id", INT),
                foreign_keys=(fk("people", "team_id", "teams"),),
            ),
            table(
                "tags", Column("label", s(50)), indexes=(Index("ix_tags_label2", ("label", "id")),)
            ),
            table("teams", Column("name", s(10))),
        ),
        (Enum("k", ("a", "b", "c")),),
    )
    decisions = Decisions(
        renames={"users": "people", "people.name": "people.full_name"},
        rejected_renames=frozenset({"people.old=people.team_id"}),
    )
    result = diff(old, new, decisions)
    assert result.questions == ()
    ranks = [PASS[type(op)] for op in result.operations]
    assert ranks == sorted(ranks), [str(op) for op in result.operations]
    assert result.operations == diff(old, new, decisions).operations


def test_normalize_default() -> None:
    assert normalize_default("now()") == "CURRENT_TIMESTAMP"
    assert normalize_default("(CURRENT_TIMESTAMP)") == "CURRENT_TIMESTAMP"
    assert normalize_default("current_timestamp()") == "CURRENT_TIMESTAMP"
    assert normalize_default("'active'::character varying") == "'active'"
    assert normalize_default("(0)::numeric") == "0"
    assert normalize_default("0.00") == "0"
    assert normalize_default("true") == "TRUE"
    assert normalize_default("'it''s'") == "'it''s'"
    assert normalize_default(None) is None


@pytest.mark.parametrize(
    ("old", "new", "narrowing"),
    [
        (s(50), s(200), False),
        (s(200), s(50), True),
        (s(50), s(), False),
        (s(), s(50), True),
        (s(50), ColumnType("text"), False),
        (ColumnType("text"), s(50), True),
        (INT, ColumnType("bigint"), False),
        (ColumnType("bigint"), INT, True),
        (
            ColumnType("numeric", precision=10, scale=2),
            ColumnType("numeric", precision=12, scale=4),
            False,
        ),
        (
            ColumnType("numeric", precision=12, scale=4),
            ColumnType("numeric", precision=10, scale=2),
            True,
        ),
        (s(10), INT, True),
        (ColumnType("float"), ColumnType("double"), False),
        (ColumnType("datetime"), ColumnType("datetime", timezone=True), False),
    ],
)
def test_narrowing(old: ColumnType, new: ColumnType, narrowing: bool) -> None:
    assert is_narrowing(old, new) is narrowing


def test_operations_describe_reverse_and_flag_data_loss() -> None:
    old = Schema((table("users", Column("name", s(200), False), Column("bio", s(10))),))
    new = Schema((table("users", Column("name", s(50), False)),))
    ops = diff(old, new).operations
    assert [str(op) for op in ops] == [
        "- drop column users.bio (its values are deleted)",
        "! alter column users.name: type string(200) -> string(50) "
        "(narrowing: values that do not fit stop the migration)",
    ]
    assert all(op.destructive for op in ops)
    for op in ops:
        back = op.reverse()
        assert back is not None and back.reverse() == op
    questions = destructive_questions(ops)
    assert [(q.kind, q.flag) for q in questions] == [
        ("destructive", "--allow-destructive"),
        ("narrowing", "--allow-destructive"),
    ]
    assert summary(ops) == "2 changes: 1 alter, 1 drop (2 destroy data)"
    assert summary(()) == "no changes"


def test_symbols() -> None:
    ops: list[Operation] = list(diff(Schema(), Schema((USERS,))).operations)
    ops += diff(Schema((USERS,)), Schema()).operations
    ops += [RenameTable("a", "b")]
    assert [op.symbol for op in ops] == ["+", "-", "!"]


def test_autoincrement_only_where_a_database_can_honour_it() -> None:
    t = Table(
        "m",
        (Column("a", INT, False, autoincrement=True), Column("b", s(5), autoincrement=True)),
        ("a",),
    )
    c = canonical(Schema((t,))).tables[0]
    assert [col.autoincrement for col in c.columns] == [True, False]
    assert c.primary_key_name == "pk_m"


def test_primary_key_changes_come_before_dropping_or_loosening_key_columns() -> None:
    both = Table(
        "m",
        (Column("id", INT, False), Column("a", INT, False), Column("b", INT, False)),
        ("id", "a"),
    )
    dropped = Table("m", (Column("id", INT, False), Column("b", INT, False)), ("id",))
    ops = diff(Schema((both,)), Schema((dropped,))).operations
    assert [type(op).__name__ for op in ops] == ["AlterPrimaryKey", "DropColumn"]
    loosened = Table(
        "m", (Column("id", INT, False), Column("a", INT), Column("b", INT, False)), ("id",)
    )
    ops = diff(Schema((both,)), Schema((loosened,))).operations
    assert [type(op).__name__ for op in ops] == ["AlterPrimaryKey", "AlterColumn"]
