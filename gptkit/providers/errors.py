"""The model API's failures as messages a person can act on: what failed, where, what to check."""

from __future__ import annotations

from gptkit.config.secrets import StreamRedactor, redact
from gptkit.errors import ProviderError

__all__ = ["StreamRedactor", "explain", "redact"]  # redaction lives in gptkit.config.secrets


def explain(exc: BaseException, *, base_url: str, api: str, model: str, key_env: str,
            retries: int, timeout_s: float, streaming: bool = False) -> ProviderError:
    """Map an exception from the openai package (or the stream) to a ProviderError."""
    import openai

    from gptkit.providers.base import StreamError

    where = f"the model API at {base_url}"
    tried = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    detail = _detail(exc)
    if isinstance(exc, openai.AuthenticationError):
        text = (f"{where} refused the API key (401{detail}). Check that {key_env} holds a valid "
                "key for this server, or set model.api_key_env to the variable that does.")
    elif isinstance(exc, openai.PermissionDeniedError):
        text = (f"{where} denied access (403{detail}). Check that the key in {key_env} may use "
                f"model '{model}'.")
    elif isinstance(exc, openai.NotFoundError):
        if api == "responses" and "model" not in detail.lower():
            text = (f"{where} has no Responses API (404 on /responses{detail}). Many "
                    "OpenAI-compatible servers only offer Chat Completions: set model.api: chat.")
        else:
            text = (f"{where} does not know model '{model}' (404{detail}). Check model.name "
                    "(or --model) and that base_url points at the server you meant.")
    elif isinstance(exc, openai.APIStatusError) and 300 <= exc.status_code < 400:
        target = exc.response.headers.get("location") or "an address it did not give"
        text = (f"{where} answered {exc.status_code}, redirecting to {target}; gptkit does not "
                "follow redirects from the model API (the request carries the conversation and "
                "the key). If that address is the right one, set base_url (or OPENAI_BASE_URL) "
                "to it.")
    elif isinstance(exc, openai.RateLimitError):
        text = (f"{where} is rate limiting this key (429{tried}{detail}). Wait and retry, or "
                "raise model.max_retries.")
    elif isinstance(exc, openai.BadRequestError):
        text = (f"{where} refused the request (400{detail}). Check the model settings and "
                "model.extra in the assistant file.")
    elif isinstance(exc, openai.APIStatusError):
        text = (f"{where} failed with {exc.status_code}{tried}{detail}. The server may be down "
                "or overloaded; try again later.")
    elif isinstance(exc, openai.APITimeoutError):
        text = (f"{where} did not answer within {timeout_s:g} s{tried}. Raise model.timeout_s, "
                "or check that the server is responsive.")
    elif isinstance(exc, openai.APIConnectionError) and streaming:
        text = (f"the answer stream from {where} was cut mid-way{detail}; the turn failed and "
                "nothing of it was kept. Try again.")
    elif isinstance(exc, openai.APIConnectionError):
        text = (f"could not connect to {where}{tried}{detail}. Check base_url (or "
                "OPENAI_BASE_URL) and that the server is running.")
    elif isinstance(exc, openai.APIError):
        text = f"{where} reported an error{detail}; the turn failed and nothing of it was kept."
    elif isinstance(exc, StreamError):
        text = f"the reply from {where} could not be used: {exc}; the turn failed."
    else:
        text = f"{where} failed: {type(exc).__name__}: {exc}"
    return ProviderError(text)


def deadline(base_url: str, timeout_s: float, streaming: bool, retries: int) -> ProviderError:
    """The whole-call deadline (``model.timeout_s``) ran out."""
    what = "finish streaming its answer" if streaming else "answer"
    tried = f" ({retries} retr{'y' if retries == 1 else 'ies'} included)" if retries else ""
    return ProviderError(
        f"the model API at {base_url} did not {what} within {timeout_s:g} s{tried} "
        "(model.timeout_s "
        "bounds the whole call: the request, its retries and the streamed answer); the turn "
        "failed and nothing of it was kept. Raise model.timeout_s if the server is slow but "
        "working, or check that it is responsive."
    )


def _detail(exc: BaseException) -> str:
    """The server's own words, shortened: ': <message>' or ''."""
    message = ""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = str(inner.get("message") or "")
        elif isinstance(inner, str):
            message = inner
    elif isinstance(body, str):  # a plain-text error page (llama.cpp, proxies)
        message = body
    if not message:
        cause = exc.__cause__ or exc.__context__
        if cause is not None and not getattr(exc, "status_code", None):
            message = str(cause) or type(cause).__name__
    message = " ".join(message.split()).rstrip(".")
    if len(message) > 300:
        message = message[:297] + "..."
    return f": {message}" if message else ""
