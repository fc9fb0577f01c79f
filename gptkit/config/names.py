"""Names, patterns and fixed lists of the format, shared by the models, the schema and the checks.

Kept apart from :mod:`gptkit.config.models` so that ``gptkit validate`` can use them without
importing pydantic.
"""

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
VARIABLE_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
FUNCTION_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
URL_PATTERN = r"^https?://\S+$"
STORE_PATTERN = r"^(sqlite:///\S+|postgres(ql)?://\S+)$"

#: What each pattern means, in words, for error messages.
PATTERN_MEANING = {
    NAME_PATTERN: "lowercase letters, digits, '-' and '_', starting with a letter or digit, "
    "at most 64 characters",
    TOOL_NAME_PATTERN: "letters, digits, '_' and '-' only, 1 to 64 characters",
    VARIABLE_NAME_PATTERN: "letters, digits and '_', not starting with a digit (templates "
    "write vars.NAME)",
    ENV_NAME_PATTERN: "the NAME of an environment variable (letters, digits, '_'), not its value",
    FUNCTION_PATTERN: "'module.path:attribute', for example 'trip_tools.weather:get_weather'",
    URL_PATTERN: "an http:// or https:// URL",
    STORE_PATTERN: "'sqlite:///path/to.db' or 'postgresql://...'",
}

BUILTIN_TOOLS = ("current_time", "calculator", "remember", "forget")
MEMORY_BUILTINS = ("remember", "forget")

#: The tool gptkit adds for ``knowledge: {mode: tool}`` (the default mode).
KNOWLEDGE_TOOL = "search_knowledge"
REDACT_PATTERNS = ("email", "phone", "credit_card", "api_key")

#: The kinds of file that have a published schema (``gptkit schema KIND``).
SCHEMA_KINDS = ("assistant", "cassette", "test")
