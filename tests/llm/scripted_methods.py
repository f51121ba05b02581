"""Scripted replies for the search methods' asks, for the stand-in endpoint
(`standin_endpoint.MisbehavingEndpoint.responder`).

The stand-in is not a model: it answers each ask (told apart by its reply schema) from a
plan the test writes, computing edits of the architecture the prompt shows, so that every
rejection path of `spark`, `seki` and `coevo` can be reached on purpose: out-of-scope
edits, infeasible cells, broken strings, copies, unchanged parents, refused replies.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from typing import Any

from standin_endpoint import Scripted

from hwnas.spaces import create_space

SPACE = create_space("nb201")
ARCH = re.compile(r"\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+"
                  r"\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|")
BROKEN = "|nor_conv_5x5~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"
NOT_JSON = "I think the operator factor is best."


def ask_of(body: dict[str, Any]) -> str:
    """Which ask a request is, from the property names of its reply schema."""
    schema = (body.get("response_format") or {}).get("schema") or {}
    props = set(schema.get("properties", {}))
    for field, ask in (("factor", "route"), ("directive", "refine"), ("changed", "rewrite"),
                       ("strategy", "evolve"), ("patterns", "inspire"), ("candidates", "propose"),
                       ("status", "probe")):
        if field in props:
            return ask
    return "other"


def shown(body: dict[str, Any], heading: str) -> str:
    """The first architecture string the user message shows after `heading`."""
    text = body["messages"][-1]["content"]
    return ARCH.search(text.split(heading, 1)[1]).group(0)


def all_shown(body: dict[str, Any], heading: str) -> list[str]:
    text = body["messages"][-1]["content"]
    return ARCH.findall(text.split(heading, 1)[1])


def with_genes(string: str, changes: dict[int, int]) -> str:
    genes = list(SPACE.genes(string))
    for position, option in changes.items():
        genes[position] = option
    return SPACE.from_genes(genes).string


def out_of_scope(parent: str, factor: str) -> str:
    """An edit of the *other* factor: wiring for `operator`, an op swap for `action`."""
    genes = SPACE.genes(parent)
    if factor == "operator":  # switch edge 1<-0 between none and an op: ACTION
        return with_genes(parent, {0: 1 if genes[0] == 0 else 0})
    position = next(i for i, g in enumerate(genes) if g != 0)  # an op swap: OPERATOR
    return with_genes(parent, {position: 2 if genes[position] != 2 else 3})


def infeasible(parent: str) -> str:
    """Every edge into node 3 set to none: the output no longer depends on the input."""
    return with_genes(parent, {3: 0, 4: 0, 5: 0})


def reply(data: dict[str, Any] | str) -> Scripted:
    return Scripted(content=data if isinstance(data, str) else json.dumps(data))


class ScriptedMethods:
    """A responder: per ask, a queue of planned answers (the last one repeats)."""

    def __init__(self) -> None:
        self.plans: dict[str, deque[Any]] = {}
        self.asked: Counter[str] = Counter()
        self.sent: list[tuple[str, str]] = []  # (ask, architecture) of every edit sent

    def plan(self, ask: str, *answers: Any) -> ScriptedMethods:
        self.plans.setdefault(ask, deque()).extend(answers)
        return self

    def _take(self, ask: str) -> Any:
        queue = self.plans.get(ask) or deque(["ok"])
        return queue.popleft() if len(queue) > 1 else queue[0]

    def __call__(self, body: dict[str, Any]) -> Scripted:
        ask = ask_of(body)
        self.asked[ask] += 1
        answer = self._take(ask)
        if answer == "not-json":
            return reply(NOT_JSON)
        handler = getattr(self, f"_{ask}", None)
        if handler is None:
            return reply({"status": "ok"})
        return reply(handler(body, answer))

    def _route(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        return {"analysis": "the parent is slow", "factor": answer}

    def _refine(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        return {"directive": "swap one part for a cheaper one"}

    def _rewrite(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        parent = shown(body, "Parent architecture")
        factor = re.search(r"The factor you may change: (\w+)",
                           body["messages"][-1]["content"]).group(1)
        child = {"scope": lambda: out_of_scope(parent, factor),
                 "infeasible": lambda: infeasible(parent),
                 "grammar": lambda: BROKEN, "unchanged": lambda: parent,
                 "ok": lambda: SPACE.scoped_mutation(parent, factor,
                                                     seed=self.asked["rewrite"]).string}[answer]()
        self.sent.append((answer, child))
        return {"changed": f"edge 3<-1 ({answer})", "architecture": child}

    def _evolve(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        current = shown(body, "Architecture to refine")
        child = {"unchanged": lambda: current, "infeasible": lambda: infeasible(current),
                 "grammar": lambda: BROKEN,
                 "ok": lambda: SPACE.mutate(current, seed=self.asked["evolve"]).string}[answer]()
        self.sent.append((answer, child))
        return {"analysis": "few convolutions", "strategy": "add one", "architecture": child}

    def _inspire(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        repository = all_shown(body, "Repository")
        fresh = SPACE.mutate(repository[0], seed=100 + self.asked["inspire"]).string
        designs = [fresh] if answer == "ok" else [BROKEN, repository[0], fresh, fresh]
        self.sent.extend(("inspire", d) for d in designs)
        return {"patterns": ["convolutions on the direct edge 3<-0"],
                "candidates": [{"inspired_by": "conv on 3<-0", "architecture": d}
                               for d in designs]}

    def _propose(self, body: dict[str, Any], answer: Any) -> dict[str, Any]:
        return answer  # coevo: the test writes the whole reply
