from __future__ import annotations

import re

import pytest

from hwnas.llm import (
    PromptError,
    architecture_pattern,
    distillation_schema,
    knowledge_schema,
    list_prompts,
    load_prompt,
    proposal_schema,
)
from hwnas.llm._replies import check_schema


def test_the_shipped_templates_are_versioned_files_with_both_sections():
    ids = list_prompts()
    assert {"propose.v1", "kb_rewrite.v1", "distill.v1"} <= set(ids)
    for prompt_id in ids:
        name, version = prompt_id.rsplit(".v", 1)
        template = load_prompt(name, int(version))
        assert template.path.endswith(f"{prompt_id}.md")
        assert template.system.strip() and template.user.strip()


def test_rendering_fills_every_variable_and_a_missing_one_is_named():
    template = load_prompt("propose")
    values = {v: f"<{v}-value>" for v in template.variables}
    system, user = template.render(**values)
    assert system["role"] == "system" and user["role"] == "user"
    text = system["content"] + user["content"]
    assert "$" not in text
    for variable in template.variables:
        assert f"<{variable}-value>" in text
    values.pop("elites")
    with pytest.raises(PromptError, match="elites"):
        template.render(**values)


def test_unknown_templates_and_versions_are_clear_errors(tmp_path):
    with pytest.raises(PromptError, match="known templates"):
        load_prompt("nope")
    with pytest.raises(PromptError, match="no version 99"):
        load_prompt("propose", 99)
    (tmp_path / "mine.v2.md").write_text("header\n## user\nonly a user part\n")
    with pytest.raises(PromptError, match="## system"):
        load_prompt("mine", directory=tmp_path)


def test_a_user_prompt_folder_is_read(tmp_path):
    (tmp_path / "mine.v1.md").write_text("## system\nBe $tone.\n## user\nSay $what.\n")
    (tmp_path / "mine.v3.md").write_text("## system\nBe $tone!\n## user\nSay $what!\n")
    assert list_prompts(tmp_path) == ["mine.v1", "mine.v3"]
    template = load_prompt("mine", directory=tmp_path)
    assert template.id == "mine.v3"
    assert template.render(tone="brief", what="hi")[1]["content"] == "Say hi!"


def test_reply_schemas_are_valid_json_schemas():
    for schema in (proposal_schema("nb201", 4), knowledge_schema(6), distillation_schema(6)):
        check_schema(schema)


def test_the_nb201_pattern_accepts_exactly_the_grammar(nb201):
    pattern = re.compile(architecture_pattern("nb201"))
    for arch in nb201.sample(200, seed=3):
        assert pattern.match(arch.string)
    good = nb201.sample(1, seed=4)[0].string
    for bad in (
        good.replace("~0", "~1", 1),
        good.replace("nor_conv", "conv", 1),
        good[:-1],
        good + "+|none~0|",
        good.replace("|+|", "|", 1),
    ):
        assert not pattern.match(bad), bad
