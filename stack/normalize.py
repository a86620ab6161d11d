"""OTTL that maps older and non-OTel GenAI attributes onto today's conventions, and enrichment.

Normalisation only fills a standard attribute when it is absent, so telemetry
that already follows the conventions passes unchanged. Sources covered: the
deprecated ``gen_ai.system`` (and its old values), ``gen_ai.usage.prompt_tokens``
/ ``completion_tokens``, the ``cache_creation`` spelling of cache writes,
OpenLLMetry's cache keys, and OpenInference's ``llm.*`` attributes.
"""

from __future__ import annotations

from llmobs import names as n

# Deprecated gen_ai.system spellings -> gen_ai.provider.name values.
LEGACY_SYSTEMS = {
    "az.ai.inference": "azure.ai.inference",
    "az.ai.openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "xai": "x_ai",
    "mistralai": "mistral_ai",
    "bedrock": "aws.bedrock",
    "watsonx": "ibm.watsonx.ai",
}
# OpenInference llm.provider / llm.system values -> gen_ai.provider.name values.
OPENINFERENCE_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gcp.gen_ai",
    "vertexai": "gcp.vertex_ai",
    "aws": "aws.bedrock",
    "azure": "azure.ai.openai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "deepseek": "deepseek",
    "cohere": "cohere",
    "groq": "groq",
    "perplexity": "perplexity",
}
# (standard, legacy) attribute pairs copied when the standard one is missing.
_RENAMES = (
    (n.INPUT_TOKENS, "gen_ai.usage.prompt_tokens"),
    (n.OUTPUT_TOKENS, "gen_ai.usage.completion_tokens"),
    (n.CACHE_READ_TOKENS, "gen_ai.usage.cache_read_input_tokens"),
    (n.CACHE_WRITE_TOKENS, "gen_ai.usage.cache_creation.input_tokens"),
    (n.CACHE_WRITE_TOKENS, "gen_ai.usage.cache_creation_input_tokens"),
    (n.INPUT_TOKENS, "llm.token_count.prompt"),
    (n.OUTPUT_TOKENS, "llm.token_count.completion"),
    (n.CACHE_READ_TOKENS, "llm.token_count.prompt_details.cache_read"),
    (n.CACHE_WRITE_TOKENS, "llm.token_count.prompt_details.cache_write"),
    (n.REQUEST_MODEL, "llm.model_name"),
)


def ottl_str(value: str) -> str:
    """An OTTL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attr(ctx: str, key: str) -> str:
    return f"{ctx}.attributes[{ottl_str(key)}]"


def _statements(ctx: str) -> list[str]:
    out: list[str] = []
    provider = _attr(ctx, n.PROVIDER)
    system = _attr(ctx, "gen_ai.system")
    for old, new in sorted(LEGACY_SYSTEMS.items()):
        out.append(f"set({provider}, {ottl_str(new)}) where {provider} == nil and {system} == {ottl_str(old)}")
    out.append(f"set({provider}, {system}) where {provider} == nil and {system} != nil")
    for source in ("llm.provider", "llm.system"):
        src = _attr(ctx, source)
        for old, new in sorted(OPENINFERENCE_PROVIDERS.items()):
            out.append(f"set({provider}, {ottl_str(new)}) where {provider} == nil and {src} == {ottl_str(old)}")
    for new, old in _RENAMES:
        out.append(
            f"set({_attr(ctx, new)}, {_attr(ctx, old)}) where {_attr(ctx, new)} == nil and {_attr(ctx, old)} != nil"
        )
    # OpenInference LLM spans carry no operation name; they are chat calls.
    op = _attr(ctx, n.OPERATION)
    kind = _attr(ctx, "openinference.span.kind")
    out.append(f'set({op}, "chat") where {op} == nil and {kind} == "LLM"')
    out.append(
        'set(resource.attributes["deployment.environment.name"], resource.attributes["deployment.environment"])'
        ' where resource.attributes["deployment.environment.name"] == nil'
        ' and resource.attributes["deployment.environment"] != nil'
    )
    return out


def statements() -> dict[str, list[str]]:
    """Normalisation for the traces (span context) and logs (log context) pipelines."""
    return {"span": _statements("span"), "log": _statements("log")}


def enrich(environment: str) -> list[str]:
    """Resource attributes the app did not set: environment from settings, version from BUILD_VERSION."""
    res = "resource.attributes"
    return [
        f'set({res}["deployment.environment.name"], {ottl_str(environment)})'
        f' where {res}["deployment.environment.name"] == nil',
        f'set({res}["service.version"], "${{env:BUILD_VERSION:-}}")'
        f' where {res}["service.version"] == nil and "${{env:BUILD_VERSION:-}}" != ""',
    ]
