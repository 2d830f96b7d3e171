"""The bb block in shared Markdown files: user text kept, edits noticed, bad markers refused."""

from __future__ import annotations

import pytest

from betterbase_cli.context import markdown
from betterbase_cli.errors import SourceError

BODY = "## bb says\n- one\n"


def test_new_file_gets_an_intro_and_the_block() -> None:
    text, note = markdown.merge_block(None, BODY, "AGENTS.md")
    assert note is None
    assert text.startswith("# AGENTS.md\n")
    start, end, stored, body = markdown.find_block(text, "AGENTS.md") or (0, 0, None, "")
    assert body == BODY and stored == markdown.block_hash(BODY)


def test_text_outside_the_markers_is_kept_byte_for_byte() -> None:
    first, _ = markdown.merge_block(None, BODY, "AGENTS.md")
    mine = "# My project\n\nRules of my own.\n\n" + first.split("\n\n", 2)[2] + "\nMore notes.\n"
    updated, note = markdown.merge_block(mine, "## bb says\n- two\n", "AGENTS.md")
    assert note is None
    assert updated.startswith("# My project\n\nRules of my own.\n\n<!-- bb:begin")
    assert updated.endswith("<!-- bb:end -->\n\nMore notes.\n")
    assert "- two" in updated and "- one" not in updated


def test_a_block_edited_by_hand_is_named_and_regenerated() -> None:
    first, _ = markdown.merge_block("# Notes\n", BODY, "AGENTS.md")
    edited = first.replace("- one", "- one, and my edit")
    updated, note = markdown.merge_block(edited, BODY, "AGENTS.md")
    assert note is not None and note.startswith("AGENTS.md:3: ") and "edited by hand" in note
    assert updated == first


def test_missing_markers_add_a_block_at_the_end() -> None:
    updated, note = markdown.merge_block("# Mine\n\nkeep me\n", BODY, "AGENTS.md")
    assert note == "AGENTS.md had no bb block; one was added at the end"
    assert updated.startswith("# Mine\n\nkeep me\n\n<!-- bb:begin")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "<!-- bb:begin -->\nx\n<!-- bb:begin -->\n<!-- bb:end -->\n",
            3,
            "a second `<!-- bb:begin",
        ),
        ("<!-- bb:begin -->\nx\n<!-- bb:end -->\n<!-- bb:end -->\n", 4, "a second `<!-- bb:end"),
        ("intro\n<!-- bb:begin -->\nx\n", 2, "has no `<!-- bb:end -->` after it"),
        ("<!-- bb:end -->\n", 1, "with no `<!-- bb:begin -->` before it"),
    ],
    ids=["two-begins", "two-ends", "unclosed", "end-first"],
)
def test_duplicated_or_unpaired_markers_are_refused(text: str, line: int, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        markdown.merge_block(text, BODY, "AGENTS.md")
    assert caught.value.line == line and reason in caught.value.reason
    assert caught.value.hint and "exactly one" in caught.value.hint


def test_markers_inside_a_code_fence_are_text() -> None:
    text = "Our docs:\n```\n<!-- bb:begin -->\n```\n"
    updated, note = markdown.merge_block(text, BODY, "AGENTS.md")
    assert updated.startswith(text) and note is not None


def test_claude_md_with_its_own_import_is_left_alone() -> None:
    mine = "# Claude\n\n@AGENTS.md\n\nBe terse.\n"
    assert markdown.merge_block(mine, "@AGENTS.md\n", "CLAUDE.md") == (mine, None)


def test_windows_newlines_are_kept() -> None:
    mine = "# Mine\r\n\r\nkeep\r\n"
    updated, _ = markdown.merge_block(mine, BODY, "AGENTS.md")
    assert "\r\n" in updated and "\n" not in updated.replace("\r\n", "")
    again, note = markdown.merge_block(updated, BODY, "AGENTS.md")
    assert again == updated and note is None


def test_agents_block_is_capped_with_a_pointer() -> None:
    route = {
        "method": "GET", "path": "/x", "function": "f", "handler": "a.py:1", "body": None,
        "status_code": 200, "auth": None, "roles": [],
    }  # fmt: skip
    data = {
        "project": {
            "name": "big", "schema_paths": ["app/db/schema.py"], "routes_dir": "app/routes",
            "migrations_dir": "migrations",
        },
        "tables": [],
        "routes": [dict(route, path=f"/x/{i}") for i in range(400)],
        "warnings": [],
    }  # fmt: skip
    block = markdown.agents_block(data)
    assert block.count("\n- `GET /x/") == markdown.MAX_INDEX_LINES
    assert f"and {400 - markdown.MAX_INDEX_LINES} more routes in `docs/schema.md`" in block
