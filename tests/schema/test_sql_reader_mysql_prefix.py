"""MySQL prefix-length index columns (`body`(100), as mysqldump writes them) index the column."""

from __future__ import annotations

from betterbase_cli.schema.sql_reader import read_sql

DUMP = """
CREATE TABLE `posts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `body` text NOT NULL,
  `datetime` text,
  PRIMARY KEY (`id`),
  KEY `ix_posts_body` (`body`(100))
);
CREATE INDEX `ix_posts_datetime` ON `posts` (`datetime`(255));
"""


def test_prefix_length_index_columns_read_as_the_column() -> None:
    table = read_sql(DUMP, "mysql").table("posts")
    assert {i.name: i.columns for i in table.indexes} == {
        "ix_posts_body": ("body",),
        "ix_posts_datetime": ("datetime",),
    }
    assert [c.name for c in table.columns] == ["id", "body", "datetime"]
