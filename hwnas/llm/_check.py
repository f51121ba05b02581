"""`hwnas llm check`: is the endpoint there, is the model listed, which output mode works."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwnas.core import to_plain
from hwnas.llm._client import LlmClient
from hwnas.llm._errors import LlmConnectionError, LlmError, LlmHttpError
from hwnas.llm._settings import LlmSettings


@dataclass(frozen=True)
class EndpointCheck:
    """What a check found; `ok` only when the endpoint answered a structured call."""

    base_url: str
    model: str | None
    api_key_set: bool
    reachable: bool
    models: tuple[str, ...] = ()
    model_listed: bool | None = None
    mode: str | None = None
    modes_tried: dict[str, str] = field(default_factory=dict)
    small_call_latency_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.reachable and self.mode is not None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self) | {"ok": self.ok}


def check_endpoint(settings: LlmSettings | None = None) -> EndpointCheck:
    """Probe an endpoint: list its models, then find its structured-output mode with one
    small call (timed). A missing key raises LlmConfigError; other failures are reported."""
    settings = settings or LlmSettings.from_env()
    client = LlmClient(settings.with_options(max_retries=min(settings.max_retries, 1)))
    base = {"base_url": client.base_url, "api_key_set": True}
    problems: list[str] = []
    try:
        models = tuple(client.list_models())
    except LlmConnectionError as error:
        return EndpointCheck(model=settings.model, reachable=False, problems=(str(error),), **base)
    except LlmHttpError as error:
        models = ()
        problems.append(f"the endpoint does not list its models ({error})")
    model = settings.model
    if model is None:
        if len(models) == 1:
            model = models[0]
        else:
            problems.append("no model chosen: set HWNAS_LLM_MODEL or pass --model")
            return EndpointCheck(
                model=None, reachable=True, models=models, problems=tuple(problems), **base
            )
    listed = (model in models) if models else None
    if listed is False:
        listed_text = ", ".join(models[:10])
        problems.append(f"model {model!r} is not among the listed models ({listed_text})")
    client = LlmClient(client.settings.with_options(model=model))
    try:
        probe = client.probe(refresh=True)
    except LlmError as error:
        problems.append(f"no structured call succeeded: {error}")
        return EndpointCheck(
            model=model, reachable=True, models=models, model_listed=listed,
            problems=tuple(problems), **base,
        )
    if probe.tried.get(probe.mode) != "ok":
        problems.append(f"the small test call's reply did not validate ({probe.tried[probe.mode]})")
    return EndpointCheck(
        model=model, reachable=True, models=models, model_listed=listed, mode=probe.mode,
        modes_tried=dict(probe.tried), small_call_latency_s=round(probe.latency_s, 3),
        prompt_tokens=probe.prompt_tokens, completion_tokens=probe.completion_tokens,
        problems=tuple(problems), **base,
    )
