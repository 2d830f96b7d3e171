"""Render a Copier blueprint in memory, fast.

bb's blueprints are ordinary Copier templates (copier.yml, ``.jinja`` suffix, templated paths, an
answers file), so Copier can render and update them.  Importing Copier costs about a second,
twice the whole budget of ``bb init``, so bb renders the subset of Copier its blueprints use
itself; tests/test_blueprint.py proves the output is byte-identical to ``copier copy``.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from betterbase_cli import __version__
from betterbase_cli.records import dataclass

# What Copier leaves out of every template by default.
_EXCLUDED = {"__pycache__", ".git", ".DS_Store", ".svn"}
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class RenderedFile:
    path: str  # POSIX path relative to the project root
    content: bytes
    executable: bool = False


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    default: Any
    choices: dict[str, str]  # label -> value
    asked: bool  # False for computed values (`when: false`)


@dataclass(frozen=True)
class Blueprint:
    root: Path
    settings: dict[str, Any]
    questions: tuple[Question, ...]

    @property
    def template_dir(self) -> Path:
        return self.root / str(self.settings.get("_subdirectory", ""))

    @property
    def suffix(self) -> str:
        return str(self.settings.get("_templates_suffix", ".jinja"))

    @property
    def answers_file(self) -> str:
        return str(self.settings.get("_answers_file", ".copier-answers.yml"))

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)


def blueprints_root() -> Path:
    """The blueprints folder: inside the installed package, or at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "blueprints", here.parent / "blueprints"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("bb's blueprints folder is missing from the installation")


def load(name: str) -> Blueprint:
    import yaml

    root = blueprints_root() / name
    data = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8")) or {}
    settings = {k: v for k, v in data.items() if k.startswith("_")}
    questions = tuple(
        Question(
            name=key,
            type=str(spec.get("type", "str")),
            help=str(spec.get("help", key)),
            default=spec.get("default"),
            choices=dict(spec.get("choices") or {}),
            asked=spec.get("when", True) is not False,
        )
        for key, spec in data.items()
        if not key.startswith("_")
    )
    return Blueprint(root=root, settings=settings, questions=questions)


def _environment() -> Any:
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(keep_trailing_newline=True, autoescape=False)
    env.filters["to_nice_yaml"] = _to_nice_yaml
    return env


def _to_nice_yaml(value: Any, indent: int = 4) -> str:
    """The filter Copier templates use for the answers file (Ansible's to_nice_yaml)."""
    import yaml

    return str(yaml.safe_dump(value, indent=indent, allow_unicode=True, default_flow_style=False))


def render(blueprint: Blueprint, answers: Mapping[str, Any]) -> list[RenderedFile]:
    """Every file of the blueprint rendered with ``answers`` (computed values filled in)."""
    env = _environment()
    context: dict[str, Any] = dict(answers)
    for question in blueprint.questions:
        if not question.asked and isinstance(question.default, str):
            context[question.name] = env.from_string(question.default).render(context)
    recorded = {q.name: answers[q.name] for q in blueprint.questions if q.asked}
    # Recorded so `bb update` knows which blueprint release rendered the project.
    recorded["_src_path"] = f"bb:{blueprint.root.name}"
    recorded["_commit"] = f"v{__version__}"
    context["_copier_answers"] = recorded
    context["_copier_conf"] = {"answers_file": blueprint.answers_file}

    files: list[RenderedFile] = []
    template_dir = blueprint.template_dir
    for source in sorted(template_dir.rglob("*")):
        if not source.is_file():
            continue
        relative = source.relative_to(template_dir)
        if any(part in _EXCLUDED for part in relative.parts) or source.name.endswith(
            _EXCLUDED_SUFFIXES
        ):
            continue
        parts = [env.from_string(p).render(context) if "{" in p else p for p in relative.parts]
        if any(not part for part in parts):
            continue  # a templated name rendered empty: Copier skips the file
        path = "/".join(parts)
        executable = bool(source.stat().st_mode & stat.S_IXUSR)
        if path.endswith(blueprint.suffix):
            path = path[: -len(blueprint.suffix)]
            text = env.from_string(source.read_text(encoding="utf-8")).render(context)
            files.append(RenderedFile(path, text.encode("utf-8"), executable))
        else:
            files.append(RenderedFile(path, source.read_bytes(), executable))
    return files
