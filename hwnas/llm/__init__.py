"""The LLM layer: any OpenAI-compatible endpoint, validated structured replies, a call log
that doubles as a cache, prompt templates as files, and an embedded llama.cpp backend.

Importing this package is cheap: `openai`, `jsonschema` and llama.cpp load on first use.
"""

from __future__ import annotations

from hwnas.llm._check import EndpointCheck, check_endpoint
from hwnas.llm._client import LlmClient, LlmReply, LlmUsage
from hwnas.llm._errors import (
    LlmConfigError,
    LlmConnectionError,
    LlmError,
    LlmHttpError,
    LlmReplyRejectedError,
    LlmTimeoutError,
    LocalServerError,
    PromptError,
)
from hwnas.llm._local import LOCAL_MODEL_ALIAS, LocalLlamaServer, default_model_path
from hwnas.llm._log import (
    LlmCallLog,
    LlmCallRecord,
    SqliteLlmCallLog,
    canonical_json,
    request_key,
)
from hwnas.llm._methods import (
    ArchitectureReply,
    Directive,
    FactorChoice,
    Inspiration,
    InspiredDesign,
    directive_schema,
    evolve_architecture,
    inspiration_schema,
    inspire_designs,
    refine_directive,
    refinement_schema,
    rewrite_in_scope,
    route_factor,
    route_schema,
    scoped_rewrite_schema,
)
from hwnas.llm._probe import EndpointProbe, clear_probe_cache
from hwnas.llm._prompts import PromptTemplate, list_prompts, load_prompt
from hwnas.llm._replies import REJECTION_KINDS, Rejection, parse_json_reply
from hwnas.llm._schemas import (
    TEXT_PATTERN,
    architecture_pattern,
    describe_space,
    distillation_schema,
    knowledge_schema,
    proposal_schema,
)
from hwnas.llm._settings import LlmSettings, public_url
from hwnas.llm._tasks import (
    Heuristic,
    KnowledgeUpdate,
    Proposal,
    ProposedCandidate,
    distill_knowledge,
    format_candidates,
    format_heuristics,
    propose_candidates,
    rewrite_knowledge,
)

__all__ = [
    "LOCAL_MODEL_ALIAS",
    "REJECTION_KINDS",
    "TEXT_PATTERN",
    "ArchitectureReply",
    "Directive",
    "EndpointCheck",
    "EndpointProbe",
    "FactorChoice",
    "Heuristic",
    "Inspiration",
    "InspiredDesign",
    "KnowledgeUpdate",
    "LlmCallLog",
    "LlmCallRecord",
    "LlmClient",
    "LlmConfigError",
    "LlmConnectionError",
    "LlmError",
    "LlmHttpError",
    "LlmReply",
    "LlmReplyRejectedError",
    "LlmSettings",
    "LlmTimeoutError",
    "LlmUsage",
    "LocalLlamaServer",
    "LocalServerError",
    "PromptError",
    "PromptTemplate",
    "Proposal",
    "ProposedCandidate",
    "Rejection",
    "SqliteLlmCallLog",
    "architecture_pattern",
    "canonical_json",
    "check_endpoint",
    "clear_probe_cache",
    "default_model_path",
    "describe_space",
    "directive_schema",
    "distill_knowledge",
    "distillation_schema",
    "evolve_architecture",
    "format_candidates",
    "format_heuristics",
    "inspiration_schema",
    "inspire_designs",
    "knowledge_schema",
    "list_prompts",
    "load_prompt",
    "parse_json_reply",
    "proposal_schema",
    "propose_candidates",
    "public_url",
    "refine_directive",
    "refinement_schema",
    "request_key",
    "rewrite_in_scope",
    "rewrite_knowledge",
    "route_factor",
    "route_schema",
    "scoped_rewrite_schema",
]
