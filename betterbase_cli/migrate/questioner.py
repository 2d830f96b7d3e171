"""Decisions the diff cannot make alone (renames, defaults, data loss), from flags or a person.

As Django's MigrationQuestioner: diff, collect the open questions, get answers (flags first,
then prompts on a terminal), diff again with the answers, until nothing is open.  A run that
cannot ask (no terminal, CI, ``--yes``) never waits: it raises ``OpenQuestions`` listing each
question with the flag that answers it, and nothing is changed.  ``--yes`` never consents to
losing data and never guesses a rename.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from betterbase_cli.errors import Aborted, OpenQuestions, UsageError
from betterbase_cli.records import dataclass, field

if TYPE_CHECKING:
    from betterbase_cli.migrate.diff import Decisions, DiffResult, Question
    from betterbase_cli.migrate.ops import Operation
    from betterbase_cli.schema.model import Schema

ALLOW_DESTRUCTIVE = "--allow-destructive"


@dataclass(frozen=True)
class Answers:
    """Answers given up front, by flags (or by a test)."""

    renames: Mapping[str, str] = field(default_factory=dict)
    rejected_renames: frozenset[str] = frozenset()
    defaults: Mapping[str, str] = field(default_factory=dict)
    allow_destructive: bool = False


def parse_renames(values: Sequence[str]) -> dict[str, str]:
    """``--rename users=people`` and ``--rename users.name=users.full_name`` (or
    ``users.name=full_name``) as the diff's ``old -> new`` mapping."""
    renames: dict[str, str] = {}
    for value in values:
        old, found, new = (part.strip() for part in value.partition("="))
        if not found or not old or not new:
            raise UsageError(
                f"--rename {value!r} should look like OLD=NEW",
                hint="e.g. --rename users=people or --rename users.name=users.full_name",
            )
        if "." in old and "." not in new:
            new = f"{old.rpartition('.')[0]}.{new}"
        if ("." in old) != ("." in new):
            raise UsageError(
                f"--rename {value!r} mixes a table and a column",
                hint="tables: --rename users=people; columns: --rename users.name=users.full_name",
            )
        renames[old] = new
    return renames


def parse_defaults(values: Sequence[str]) -> dict[str, str]:
    """``--default users.status='active'``: the SQL literal that fills existing rows."""
    defaults: dict[str, str] = {}
    for value in values:
        key, found, literal = value.partition("=")
        key = key.strip()
        if not found or "." not in key or not literal.strip():
            raise UsageError(
                f"--default {value!r} should look like TABLE.COLUMN=VALUE",
                hint="the value is an SQL literal: --default \"users.status='active'\" or "
                "--default users.age=0",
            )
        defaults[key] = literal.strip()
    return defaults


# Asks one question and returns one of question.choices (rename, consent) or free text (a
# default).  None means no answer: the run stops.
Asker = Callable[["Question"], "str | None"]


@dataclass(frozen=True)
class Resolved:
    result: DiffResult
    decisions: Decisions
    consented: bool  # a person or --allow-destructive agreed to lose data (or nothing is lost)


def resolve(
    old: Schema, new: Schema, answers: Answers, ask: Asker | None, max_rounds: int = 200
) -> Resolved:
    """Diff until no question is open; ``ask`` is None when bb may not ask."""
    from betterbase_cli.migrate.diff import Decisions, destructive_questions, diff

    _check_rename_names(old, new, answers.renames)
    renames = dict(answers.renames)
    rejected = set(answers.rejected_renames)
    defaults = dict(answers.defaults)
    for _ in range(max_rounds):
        decisions = Decisions(
            renames=dict(renames), rejected_renames=frozenset(rejected), defaults=dict(defaults)
        )
        result = diff(old, new, decisions)
        if not result.questions:
            _check_flags_used(answers, result.operations)
            consent = destructive_questions(result.operations)
            if consent and not answers.allow_destructive:
                if ask is None:
                    raise OpenQuestions([(q.text, q.flag) for q in consent])
                if ask(_consent_question(consent)) != "yes":
                    raise Aborted(
                        "you declined a change that loses data; nothing was changed",
                        hint="change the models so nothing is lost, or answer yes "
                        "(--allow-destructive)",
                    )
            return Resolved(result, decisions, True)
        if ask is None:
            raise OpenQuestions(_listing(result))
        question = result.questions[0]
        answer = ask(question)
        if question.kind == "rename":
            if answer == "yes":
                old_side, _, new_side = question.key.partition("=")
                renames[old_side] = new_side
            elif answer == "no":
                rejected.add(question.key)
            else:
                raise OpenQuestions([(question.text, question.flag)])
        elif question.kind == "default":
            if not answer:
                raise OpenQuestions([(question.text, question.flag)])
            defaults[question.key] = answer
        else:  # the diff leaves consent to us, but be safe if it ever asks
            if answer != "yes":
                raise Aborted("you declined a change that loses data; nothing was changed")
    raise UsageError("the questions about this change did not settle", hint="please report this")


def _listing(result: DiffResult) -> list[tuple[str, str]]:
    """Open questions, then the data-losing operations that no rename question could turn
    into something else (so answering every line really is enough)."""
    from betterbase_cli.migrate.diff import destructive_questions

    listed = [(q.text, q.flag) for q in result.questions]
    maybe_renamed: set[str] = set()
    for q in result.questions:
        if q.kind == "rename":
            maybe_renamed.add(q.key.partition("=")[0])
    for op, q in zip(
        [op for op in result.operations if op.destructive],
        destructive_questions(result.operations),
        strict=False,
    ):
        if _subject(op) not in maybe_renamed:
            listed.append((q.text, q.flag))
    return listed


def _subject(op: Operation) -> str | None:
    """``table`` for a dropped table, ``table.column`` for a dropped column."""
    from betterbase_cli.migrate.ops import DropColumn, DropTable

    if isinstance(op, DropTable):
        return op.table.name
    if isinstance(op, DropColumn):
        return f"{op.table}.{op.column.name}"
    return None


def _check_rename_names(old: Schema, new: Schema, renames: Mapping[str, str]) -> None:
    """Each --rename names something the snapshot has and the models no longer have, and
    something the models have that the snapshot does not: anything else is a typo."""
    wrong: list[str] = []
    tables = {o: n for o, n in renames.items() if "." not in o}
    for old_side, new_side in renames.items():
        if "." not in old_side:
            ok = (
                old.has_table(old_side)
                and not new.has_table(old_side)
                and new.has_table(new_side)
                and not old.has_table(new_side)
            )
        else:
            o_table, _, o_col = old_side.rpartition(".")
            n_table, _, n_col = new_side.rpartition(".")
            # the column's table may be renamed too (by name on either side)
            source = next((o for o, n in tables.items() if n == o_table), o_table)
            target = tables.get(n_table, n_table)
            ok = (
                old.has_table(source)
                and old.table(source).has_column(o_col)
                and new.has_table(target)
                and new.table(target).has_column(n_col)
                and not new.table(target).has_column(o_col)
            )
        if not ok:
            wrong.append(f"{old_side}={new_side}")
    if wrong:
        raise UsageError(
            "--rename " + ", ".join(wrong) + " matches no dropped and added table or column",
            hint="name the old table/column as in migrations/snapshot.json and the new one as "
            "in the models (bb migrate --dry-run shows the diff)",
        )


def _check_flags_used(answers: Answers, operations: Sequence[Operation]) -> None:
    """A --rename that matched nothing is a typo; say so rather than drop and add."""
    from betterbase_cli.migrate.ops import RenameColumn, RenameTable

    done = set()
    for op in operations:
        if isinstance(op, RenameTable):
            done.add(op.old)
        elif isinstance(op, RenameColumn):
            done.add(f"{op.table}.{op.old}")
    tables = {op.old: op.new for op in operations if isinstance(op, RenameTable)}
    unused = []
    for old in answers.renames:
        table, dot, column = old.rpartition(".")
        if old in done or (dot and f"{tables.get(table, table)}.{column}" in done):
            continue
        unused.append(old)
    if unused:
        raise UsageError(
            "--rename "
            + ", ".join(f"{o}={answers.renames[o]}" for o in unused)
            + " matches no dropped and added table or column of the same shape",
            hint="check the names against the models (bb migrate --dry-run shows the diff)",
        )


def _consent_question(consent: Sequence[Question]) -> Question:
    from betterbase_cli.migrate.diff import Question

    listed = "\n".join(f"  - {q.key}" for q in consent)
    return Question(
        key="destructive",
        text=f"These changes lose data (bb backs the database up first):\n{listed}\nGo ahead?",
        flag=ALLOW_DESTRUCTIVE,
        kind="destructive",
        choices=("yes", "no"),
    )


def terminal_asker(question: Question) -> str | None:
    """Ask on the terminal with questionary."""
    import questionary

    if question.kind == "default":
        text = questionary.text(
            question.text,
            validate=lambda value: bool(value.strip()) or "type an SQL literal, e.g. '' or 0",
        ).unsafe_ask()
        return str(text).strip()
    ok = questionary.confirm(question.text, default=question.kind == "rename").unsafe_ask()
    return "yes" if ok else "no"
