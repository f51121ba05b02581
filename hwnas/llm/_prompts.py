"""Prompt templates: versioned files in hwnas/llm/prompts, rendered with string.Template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from hwnas.llm._errors import PromptError

_FILE_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>[0-9]+)\.md$")
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    """A system and a user message with `$variables`; `id` is `name.vN`."""

    name: str
    version: int
    system: str
    user: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def variables(self) -> set[str]:
        return set(Template(self.system).get_identifiers()) | set(
            Template(self.user).get_identifiers()
        )

    def render(self, **values: Any) -> tuple[dict[str, str], ...]:
        """The messages with every variable filled in (a missing one is an error)."""
        missing = sorted(self.variables - set(values))
        if missing:
            raise PromptError(
                f"prompt {self.id} needs the variable(s) {', '.join(missing)}; "
                "pass them to render()"
            )
        text = {k: str(v) for k, v in values.items()}
        try:
            system = Template(self.system).substitute(text).strip()
            user = Template(self.user).substitute(text).strip()
        except ValueError as error:
            raise PromptError(f"prompt {self.id} ({self.path}) is malformed: {error}") from None
        return ({"role": "system", "content": system}, {"role": "user", "content": user})


def _template_files(directory: Path | None) -> dict[tuple[str, int], Path | Any]:
    found: dict[tuple[str, int], Any] = {}
    folder = resources.files("hwnas.llm") / "prompts" if directory is None else Path(directory)
    if directory is not None and not Path(directory).is_dir():
        raise PromptError(
            f"prompt folder {directory} does not exist; pass a folder of NAME.vN.md files"
        )
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found[(match["name"], int(match["version"]))] = entry
    return found


def list_prompts(directory: str | Path | None = None) -> list[str]:
    """Ids (`name.vN`) of the templates shipped with hwnas, or in `directory`."""
    files = _template_files(None if directory is None else Path(directory))
    return [f"{name}.v{version}" for name, version in sorted(files)]


def load_prompt(
    name: str, version: int | None = None, directory: str | Path | None = None
) -> PromptTemplate:
    """A template by name (newest version unless `version` is given).

    Files are `NAME.vN.md` with a `## system` and a `## user` section; text before the
    first section (a header comment) is ignored.
    """
    files = _template_files(None if directory is None else Path(directory))
    versions = sorted(v for n, v in files if n == name)
    if not versions:
        known = ", ".join(sorted({n for n, _ in files})) or "none"
        raise PromptError(f"no prompt template {name!r}; known templates: {known}")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise PromptError(
            f"prompt {name!r} has no version {chosen}; versions: {', '.join(map(str, versions))}"
        )
    entry = files[(name, chosen)]
    text = entry.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"} or len(parts) != 5:
        raise PromptError(
            f"prompt file {entry} needs exactly one '## system' and one '## user' section"
        )
    return PromptTemplate(name, chosen, sections["system"], sections["user"], str(entry))
