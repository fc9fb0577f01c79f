"""The assistant file, format version 1, as typed models.

These models are the one source of the format: ``schemas/assistant.schema.json`` is generated
from them (:mod:`gptkit.config.schema`), and field docstrings become the descriptions editors
show. Every model refuses unknown keys at runtime too, and a value given as null is refused
rather than read as "not given" (the schema says the same, so the two always agree).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from gptkit.config.names import (
    ENV_NAME_PATTERN,
    FUNCTION_PATTERN,
    NAME_PATTERN,
    STORE_PATTERN,
    TOOL_NAME_PATTERN,
    URL_PATTERN,
    VARIABLE_NAME_PATTERN,
)


class _Model(BaseModel):
    # python-re: patterns match exactly as jsonschema (which uses Python's re) checks the schema.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        regex_engine="python-re",
        strict=True,  # no "20" -> 20 or "yes" -> True: YAML already gave each value its type
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            empty = [key for key, value in data.items() if value is None]
            if empty:
                raise ValueError(f"{', '.join(empty)}: a value is required (got null)")
            # JSON Schema counts 1.0 as an integer; so do the models, strict otherwise.
            return {
                k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in data.items()
            }
        return data


class ModelSettings(_Model):
    """Which model answers, and how gptkit reaches it."""

    name: Annotated[str, Field(min_length=1, examples=["gpt-4o-mini"])]
    """The model's name as the API knows it, such as gpt-4o-mini, or a local model's name."""
    api: Literal["chat", "responses"] = "chat"
    """chat: the Chat Completions API (every OpenAI-compatible server); responses: the Responses API."""
    base_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    """The API's base URL; else OPENAI_BASE_URL, else the OpenAI default."""
    api_key_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)] = "OPENAI_API_KEY"
    """The NAME of the environment variable that holds the API key, never the key itself."""
    organization_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)] | None = None
    """The NAME of the environment variable that holds the OpenAI organization id."""
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    """Sampling temperature, 0 to 2."""
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    """Nucleus sampling: the probability mass to sample from, 0 to 1."""
    max_output_tokens: Annotated[int, Field(ge=1)] | None = None
    """The most tokens one answer may use."""
    seed: int | None = None
    """A seed for more repeatable sampling, where the server supports it."""
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    """How much reasoning models think before answering."""
    context_window: Annotated[int, Field(ge=1)] | None = None
    """The model's context window in tokens; else from gptkit's table of known models."""
    timeout_s: Annotated[float, Field(gt=0)] = 60
    """Seconds to wait for one API request."""
    max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    """How often a failed request (429, 5xx, timeout) is retried by the openai package."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Keys passed into the request body unchanged, for parameters gptkit does not know yet."""


class Persona(_Model):
    """Who the assistant is; templates see it as ``persona``."""

    name: str = ""
    """The assistant's name, as it introduces itself."""
    role: str = ""
    """What it does, such as 'travel planner'."""
    tone: str = ""
    """How it speaks, such as 'warm and brief'."""
    traits: list[str] = Field(default_factory=list)
    """A few words that describe it."""
    language: str = ""
    """The language it answers in, such as 'en'."""
    style: str = ""
    """Notes on style and formatting."""


class Variable(_Model):
    """A typed input of the templates, seen as ``vars.<name>``."""

    type: Literal["string", "integer", "number", "boolean"]
    """The value's type; --var values are converted to it."""
    description: str = ""
    """What the value is for."""
    default: str | int | float | bool | None = None
    """The value when none is given."""
    required: bool = False
    """Whether a value must be given (by --var or a default) before any API call."""
    enum: list[str | int | float | bool] | None = None
    """The only values allowed."""


class _ToolBase(_Model):
    description: Annotated[str, Field(max_length=1024)] | None = None
    """What the tool does, for the model. Python tools default to their docstring's first paragraph."""
    confirm: bool = False
    """Ask the person before each call (--yes answers yes)."""
    timeout_s: Annotated[float, Field(gt=0)] | None = None
    """Seconds one call may take; else limits.tool_timeout_s."""
    strict: bool = True
    """Send the parameters schema in OpenAI strict mode (it must meet strict mode's rules)."""


class PythonTool(_ToolBase):
    """A Python function inside the project (or offered by a package through gptkit.tools)."""

    type: Literal["python"]
    """python: a function in the assistant's project."""
    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
    """The function name the model sees."""
    function: Annotated[str, Field(pattern=FUNCTION_PATTERN)]
    """module.path:attribute, resolved inside the assistant's folder."""
    parameters: dict[str, Any] | None = None
    """A JSON Schema (type object) for the arguments; else derived from the signature."""


class BuiltinTool(_ToolBase):
    """A tool gptkit provides."""

    type: Literal["builtin"]
    """builtin: provided by gptkit."""
    name: Literal["current_time", "calculator", "remember", "forget"]
    """Which builtin: current_time, calculator, remember or forget (the last two need memory.long_term)."""


class NoAuth(_Model):
    """No credentials are sent."""

    type: Literal["none"]
    """none: no credentials."""


class ApiKeyAuth(_Model):
    """An API key sent in a header or a query parameter."""

    type: Literal["api_key"]
    """api_key: a key in a header or a query parameter."""
    key_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the key, never the key itself."""
    in_: Literal["header", "query"] = Field(default="header", alias="in")
    """Where the key goes: header (default) or query."""
    name: Annotated[str, Field(min_length=1)] = "X-API-Key"
    """The header or query parameter's name."""


class BearerAuth(_Model):
    """A token sent as ``Authorization: Bearer <token>``."""

    type: Literal["bearer"]
    """bearer: Authorization: Bearer <token>."""
    token_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the token."""


class BasicAuth(_Model):
    """HTTP basic authentication."""

    type: Literal["basic"]
    """basic: Authorization: Basic with a user name and a password."""
    username_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the user name."""
    password_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the password."""


class OAuth2Auth(_Model):
    """OAuth 2 client credentials: a token is fetched from token_url, cached until it expires."""

    type: Literal["oauth2"]
    """oauth2: the client credentials grant."""
    token_url: Annotated[str, Field(pattern=URL_PATTERN)]
    """Where the token is fetched (an http:// or https:// URL)."""
    client_id_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the client id."""
    client_secret_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    """The NAME of the environment variable that holds the client secret."""
    scopes: list[str] = Field(default_factory=list)
    """The scopes asked for, sent space-separated."""


Auth = Annotated[
    NoAuth | ApiKeyAuth | BearerAuth | BasicAuth | OAuth2Auth, Field(discriminator="type")
]


#: The auth of an MCP server over HTTP: the static kinds (no OAuth 2 token fetching there).
McpAuth = Annotated[NoAuth | ApiKeyAuth | BearerAuth | BasicAuth, Field(discriminator="type")]


class _NetworkTool(_Model):
    headers: dict[str, str] = Field(default_factory=dict)
    """Static headers sent with every call (never secrets: use auth for those)."""
    auth: Auth | Literal["none"] | None = None
    """How the calls authenticate (none, or a mapping with type); secrets come from the environment."""
    allow_private_network: bool = False
    """Allow loopback, private and link-local addresses (a local service); off by default."""
    timeout_s: Annotated[float, Field(gt=0)] | None = None
    """Seconds one call may take; else limits.tool_timeout_s."""
    strict: bool = True
    """Send the parameters in OpenAI strict mode where the schema allows it."""


class OpenAPITool(_NetworkTool):
    """The operations of an OpenAPI 3.0 or 3.1 file, one tool each (like GPT Actions)."""

    type: Literal["openapi"]
    """openapi: the operations of an OpenAPI file."""
    spec: Annotated[str, Field(min_length=1)]
    """The OpenAPI file (JSON or YAML), relative to this file, inside the project."""
    operations: list[str] | None = None
    """The operationIds to offer; default: all."""
    server: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    """The API's base URL, instead of the spec's first server (${VAR} works)."""
    prefix: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{0,32}$")] = ""
    """Put before every tool name, against clashes."""
    confirm: bool | None = None
    """Ask the person before each call; default: yes for x-openai-isConsequential and non-GET operations."""


class HttpTool(_NetworkTool):
    """One HTTP endpoint, without a spec."""

    type: Literal["http"]
    """http: one endpoint."""
    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
    """The tool name the model sees."""
    description: Annotated[str, Field(max_length=1024)] | None = None
    """What the tool does, for the model."""
    url: Annotated[str, Field(pattern=URL_PATTERN)]
    """The endpoint; {name} placeholders are filled (percent-encoded) from the arguments."""
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    """GET and DELETE send the other arguments as the query; the rest as a JSON body."""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {
            "type": "object", "properties": {}, "required": [], "additionalProperties": False
        }
    )
    """A JSON Schema (type object) for the arguments."""
    confirm: bool | None = None
    """Ask the person before each call; default: yes for every method but GET."""



class McpTool(_Model):
    """The tools of a Model Context Protocol server, over stdio (command) or streamable HTTP (url)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["command"], "not": {"required": ["url"]}},
                {"required": ["url"], "not": {"required": ["command"]}},
            ]
        },
    )

    type: Literal["mcp"]
    """mcp: a Model Context Protocol server; each of its tools becomes a tool."""
    name: Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
    """The server's name in messages; not a tool name (the server names its tools)."""
    command: Annotated[str, Field(min_length=1)] | None = None
    """stdio: the program that runs the server, such as python or npx; started when a run first needs its tools."""
    args: list[str] = Field(default_factory=list)
    """stdio: the program's arguments."""
    env: dict[Annotated[str, Field(pattern=ENV_NAME_PATTERN)], str] = Field(default_factory=dict)
    """stdio: environment variables for the server, over a minimal inherited set (PATH, HOME...); values may use ${VAR}."""
    cwd: Annotated[str, Field(min_length=1)] | None = None
    """stdio: the server's working folder, relative to this file and inside the project; default this file's folder."""
    url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    """streamable HTTP: the server's endpoint, such as https://example.com/mcp."""
    headers: dict[str, str] = Field(default_factory=dict)
    """streamable HTTP: static, non-secret headers sent with every request."""
    bearer_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)] | None = None
    """streamable HTTP: the NAME of the environment variable holding a bearer token, never the token."""
    auth: McpAuth | Literal["none"] | None = None
    """streamable HTTP: how requests authenticate, as for openapi tools (none, api_key, bearer or basic); secrets come from the environment."""
    allow_private_network: bool = False
    """streamable HTTP: allow loopback, private and link-local addresses (a local server); off by default."""
    include: list[Annotated[str, Field(min_length=1)]] | None = None
    """Only these of the server's tools (by the server's names); default all."""
    exclude: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """The server's tools to leave out (by the server's names)."""
    prefix: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{0,48}$")] = ""
    """Put before each of the server's tool names, against clashes: prefix files_ makes read into files_read."""
    confirm: bool = False
    """Ask the person before each call of the server's tools (--yes answers yes)."""
    timeout_s: Annotated[float, Field(gt=0)] | None = None
    """Seconds one call (and the server's start) may take; else limits.tool_timeout_s."""

    @model_validator(mode="after")
    def _one_transport(self) -> McpTool:
        if (self.command is None) == (self.url is None):
            raise ValueError("an mcp tool needs command (stdio) or url (streamable HTTP), not both")
        if self.bearer_env is not None and self.auth is not None:
            raise ValueError("give auth or bearer_env on an mcp tool, not both")
        return self



Tool = Annotated[
    PythonTool | BuiltinTool | OpenAPITool | HttpTool | McpTool, Field(discriminator="type")
]


class RedactRule(_Model):
    """A custom redaction: text matching ``pattern`` is replaced before anything is stored."""

    pattern: Annotated[str, Field(min_length=1)]
    """A Python regular expression."""
    replace: str = "[redacted]"
    """What replaces each match."""


class Memory(_Model):
    """What the assistant remembers, and where."""

    policy: Literal["none", "window", "tokens", "summary"] = "window"
    """none: every run starts empty; window: the last max_messages; tokens: as many as fit max_tokens; summary: older messages folded into a summary."""
    max_messages: Annotated[int, Field(ge=1)] = 20
    """How many recent messages the window policy keeps."""
    max_tokens: Annotated[int, Field(ge=1)] = 4000
    """How many tokens of recent messages the tokens policy keeps."""
    summary_model: Annotated[str, Field(min_length=1)] | None = None
    """The model that writes summaries; else model.name."""
    long_term: bool = False
    """Facts saved with remember persist per user and reach templates as memory.facts."""
    store: Annotated[str, Field(pattern=STORE_PATTERN)] | None = None
    """sqlite:///path/to.db (default $GPTKIT_HOME/gptkit.db) or postgresql://..."""
    retention_days: Annotated[int, Field(ge=1)] | None = None
    """Sessions older than this are deleted."""
    redact: list[Literal["email", "phone", "credit_card", "api_key"] | RedactRule] = Field(
        default_factory=list
    )
    """Patterns removed before anything is stored: email, phone, credit_card, api_key, or {pattern, replace}."""


class Output(_Model):
    """The form of the answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"format": {"const": "json"}}, "required": ["format"]},
            "then": {"required": ["schema"]},
        },
    )

    format: Literal["text", "json"] = "text"
    """text, or json (then schema is required)."""
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    """The JSON Schema the answer must match (format: json)."""
    strict: bool = True
    """Send the schema in OpenAI strict mode."""

    @model_validator(mode="after")
    def _json_needs_schema(self) -> Output:
        if self.format == "json" and self.schema_ is None:
            raise ValueError("output.format json needs output.schema")
        return self


class Limits(_Model):
    """Bounds on one turn."""

    max_tool_rounds: Annotated[int, Field(ge=1)] = 8
    """How many rounds of tool calls one turn may take."""
    tool_timeout_s: Annotated[float, Field(gt=0)] = 30
    """Seconds one tool call may take, unless the tool sets timeout_s."""
    max_tool_output_chars: Annotated[int, Field(ge=1)] = 20000
    """Tool results longer than this are cut."""
    max_input_chars: Annotated[int, Field(ge=1)] = 32000
    """The longest user message accepted."""


class Embeddings(_Model):
    """Vector search beside BM25, through the same provider and base_url as the model."""

    model: Annotated[str, Field(min_length=1, examples=["text-embedding-3-small"])]
    """The embedding model's name, such as text-embedding-3-small."""


class Knowledge(_Model):
    """Files the assistant searches and cites: manuals, policies, price lists."""

    files: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    """Globs of documents, relative to this file and inside the project (md, txt, rst, html, pdf, docx, csv, json)."""
    mode: Literal["tool", "context"] = "tool"
    """tool: the model calls search_knowledge with a query; context: the best passages for each user message go into the prompt."""
    top_k: Annotated[int, Field(ge=1, le=50)] = 5
    """How many passages one search returns."""
    chunk_tokens: Annotated[int, Field(ge=16, le=8000)] = 400
    """The size of one passage, in tokens (about four characters each)."""
    overlap_tokens: Annotated[int, Field(ge=0, le=4000)] = 60
    """How many tokens neighbouring passages share; less than chunk_tokens."""
    max_file_mb: Annotated[float, Field(gt=0, le=1024)] = 25
    """Files larger than this many megabytes are refused."""
    embeddings: Embeddings | None = None
    """Optional, such as {model: text-embedding-3-small}: hybrid ranking, BM25 and vectors fused by reciprocal rank."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Knowledge:
        if self.overlap_tokens >= self.chunk_tokens:
            raise ValueError("knowledge.overlap_tokens must be less than knowledge.chunk_tokens")
        return self


def _root_schema_extra(schema: dict[str, Any]) -> None:
    schema["patternProperties"] = {"^x-": {"description": "Free-form, ignored by gptkit."}}
    schema["not"] = {"required": ["instructions", "instructions_file"]}
    schema["if"] = {"not": {"required": ["extends"]}}
    schema["then"] = {
        "required": ["model"],
        "anyOf": [{"required": ["instructions"]}, {"required": ["instructions_file"]}],
    }


class Assistant(_Model):
    """A custom GPT-style assistant: persona, instructions, tools, memory and model."""

    model_config = ConfigDict(
        title="gptkit assistant file, version 1", json_schema_extra=_root_schema_extra
    )

    version: Literal[1]
    """The format version; this is version 1."""
    name: Annotated[str, Field(pattern=NAME_PATTERN, examples=["trip-planner"])]
    """The assistant's id: used for session keys and file names."""
    description: Annotated[str, Field(max_length=300)] = ""
    """One line for people and listings."""
    display_name: Annotated[str, Field(max_length=100)] = ""
    """The name people see in listings and chat, any Unicode; else name."""
    extends: str | list[str] | None = None
    """Files merged under this one (paths relative to this file); mappings merge, the rest is replaced."""
    model: ModelSettings | None = None
    """The model and how to reach it (required once extends are merged)."""
    persona: Persona = Field(default_factory=Persona)
    """Who the assistant is; templates see it as persona."""
    instructions: str | None = None
    """The system prompt, a Jinja template."""
    instructions_file: Annotated[str, Field(min_length=1)] | None = None
    """A file holding the system prompt template, relative to this file."""
    instructions_format: Literal["jinja", "plain"] = "jinja"
    """jinja: the instructions are a Jinja template; plain: text sent exactly as written."""
    variables: dict[Annotated[str, Field(pattern=VARIABLE_NAME_PATTERN)], Variable] = Field(
        default_factory=dict
    )
    """Typed inputs of the templates, seen as vars.<name>."""
    conversation_starters: Annotated[list[str], Field(max_length=12)] = Field(default_factory=list)
    """Suggested first messages, shown by chat."""
    tools: list[Tool] = Field(default_factory=list)
    """Tools the model may call; names are unique across the list."""
    memory: Memory = Field(default_factory=Memory)
    """What the assistant remembers; default: the last 20 messages."""
    output: Output = Field(default_factory=Output)
    """The form of the answer: text (default), or JSON matching a schema."""
    limits: Limits = Field(default_factory=Limits)
    """Bounds on one turn: tool rounds, timeouts, sizes."""
    knowledge: Knowledge | None = None
    """Files the assistant searches and cites (tool search_knowledge, or passages in the prompt)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form data, kept and ignored."""

    @field_validator("version", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True == 1 in Python; the schema refuses it, so do we
            raise ValueError("version must be the integer 1")
        return value

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data

    @model_validator(mode="after")
    def _complete(self) -> Assistant:
        if self.instructions is not None and self.instructions_file is not None:
            raise ValueError("give either instructions or instructions_file, not both")
        if self.extends is None:
            if self.model is None:
                raise ValueError("model is required")
            if self.instructions is None and self.instructions_file is None:
                raise ValueError("instructions or instructions_file is required")
        return self

    # Where the file came from, set by gptkit.load(): not part of the format.
    _source: Any = PrivateAttr(default=None)
    _root: Any = PrivateAttr(default=None)
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())

    def located(self, source: Any, root: Any, secrets: frozenset[str] = frozenset()) -> Assistant:
        """Remember the file this config was loaded from (used by :func:`gptkit.load`)."""
        self._source, self._root, self._secrets = source, root, frozenset(secrets)
        return self

    @property
    def source_path(self) -> Any:
        """The assistant file this config was loaded from, or None."""
        return self._source

    @property
    def project_root(self) -> Any:
        """The project folder: the file's folder, or the ``root`` given to load()."""
        return self._root

    @property
    def secret_values(self) -> frozenset[str]:
        """Values substituted from secret-named ``${VAR}``s; they print as ***."""
        return self._secrets
