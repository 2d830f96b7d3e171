"""Which files hold the models: the configured paths and the project modules they import.

Light on purpose (no parser imports): the click-free `bb context --check` path uses it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from betterbase_cli.errors import BetterBaseError, ConfigError, SourceError

TYPE_CHECKING = False  # not typing's: importing typing costs every fresh run about 4 ms
if TYPE_CHECKING:
    from betterbase_cli.schema.pymodule import ModelsModule

# Imports the reader never follows into the project (they are libraries, not models).
LIBRARIES = ("sqlalchemy", "typing", "datetime", "enum", "uuid", "decimal", "__future__")


def module_file(root: Path, module: str) -> Path | None:
    """The project file of a dotted module name, or None (a library, or not written yet)."""
    parts = module.split(".")
    for base in (root, root / "src"):
        candidate = base.joinpath(*parts)
        if candidate.with_suffix(".py").is_file():
            return candidate.with_suffix(".py")
        if (candidate / "__init__.py").is_file():
            return candidate / "__init__.py"
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_source(path: Path, rel: str) -> str:
    """A models file's text; unreadable or non-UTF-8 files are errors naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(rel, 1, exc.start, "is not UTF-8 text", hint="save it as UTF-8") from exc
    except OSError as exc:
        raise BetterBaseError(
            f"{rel}: cannot be read ({exc.strerror or exc})",
            hint="check the file's permissions: bb reads the models as text",
        ) from exc


def model_files(paths: Sequence[Path], root: Path) -> list[Path]:
    """The configured model files, package directories expanded."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts)
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"models file {_rel(path, root)} does not exist",
                hint="create it, or point [schema] paths in betterbase.toml at your models",
            )
    return files


def walk_models(
    paths: Sequence[Path],
    root: Path,
    parse: Callable[[str, str], ModelsModule],
    missing: set[str] | None = None,
) -> list[ModelsModule]:
    """Parse the model files and the project modules they import, sorted by path.

    ``parse(text, rel_path)`` is parse_models_file or a caching wrapper of it (--watch).
    ``missing`` collects the imported modules that are no project file (libraries, and
    modules not written yet: a cached reading is stale once one of those appears).
    """
    modules: dict[str, ModelsModule] = {}
    queue = model_files(paths, root)
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0)
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        rel = _rel(path, root)
        module = parse(read_source(path, rel), rel)
        modules[rel] = module
        for imported in module.imported_modules:
            if imported.split(".")[0] in LIBRARIES:
                continue
            found = module_file(root, imported)
            if found is None:
                if missing is not None:
                    missing.add(imported)
            elif found.resolve() not in seen:
                queue.append(found)
    return [modules[k] for k in sorted(modules)]
