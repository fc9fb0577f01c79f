"""``gptkit serve``: the assistants as an OpenAI-compatible HTTP API and a web chat page.

Imported only by that command (``pip install 'gptkit[serve]'`` brings starlette and uvicorn).
One idea a module:

- :mod:`~gptkit.serve.options`: what the server was started with.
- :mod:`~gptkit.serve.app`: the Starlette application and its routes (models, health, the
  OpenAPI document, the page's static files).
- :mod:`~gptkit.serve.chat_wire` / :mod:`~gptkit.serve.responses_wire`: the Chat Completions
  and Responses API bodies, in and out.
- :mod:`~gptkit.serve.conversations`: the served assistants and their turns, stateless or
  stored, one at a time per conversation (:mod:`~gptkit.serve.locks`).
- :mod:`~gptkit.serve.ui_api`: the JSON routes of the web chat page (``/ui/api/...``).
- :mod:`~gptkit.serve.security`: Host check, API key, body size limit.
- :mod:`~gptkit.serve.logs`: one line per request on stderr.
- :mod:`~gptkit.serve.errors`: errors in OpenAI's shape.
"""
