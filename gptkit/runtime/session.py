"""A conversation with an assistant: ``gptkit.Session(gptkit.load(path))``.

A turn is the user's message, then model calls and tool rounds until the model answers or
``limits.max_tool_rounds`` is reached, then the answer. The turn is kept only when it completes:
a failure anywhere (the API, a cut stream, the round limit, an answer that does not fit
``output.schema``) leaves the conversation exactly as it was before the turn.

::

    session = gptkit.Session(gptkit.load("assistant.yaml"), variables={"home_city": "Porto"})
    print(session.send("Plan a weekend in Lisbon"))
    for event in session.stream("And what should I pack?"):
        ...

``asend`` / ``astream`` are the async twins.

The blocking methods run on the session's own event loop, whose sync tools run in daemon threads
(:class:`gptkit.runtime.dispatch.DaemonExecutor`): a tool abandoned at its timeout never holds
up the exit. With ``asend`` / ``astream`` they run in your loop's default executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gptkit.errors import GptkitError, TurnError, UsageError
from gptkit.messages import Message, Usage
from gptkit.providers.base import Request
from gptkit.runtime.events import Answer, Event, TextDelta, ToolFinished, ToolStarted
from gptkit.runtime.memory import ConversationMemory

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.prompts.render import Template
    from gptkit.providers.client import Provider
    from gptkit.runtime.dispatch import Confirm
    from gptkit.runtime.knowledge import Knowledge
    from gptkit.runtime.transport import Network
    from gptkit.tools.base import Tool
    from gptkit.tools.servers import ToolServers

_T = TypeVar("_T")


class Session:
    """One conversation with one assistant; see the module docstring."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        variables: Mapping[str, Any] | None = None,
        user: str = "local",
        session_id: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        stream: bool = True,
        confirm: Confirm | None = None,
        record: str | Path | None = None,
        replay: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        root: str | Path | None = None,
        source: str | Path | None = None,
        store: Any = None,
        transport: Network | None = None,
        tool_override: Callable[[Tool], Tool] | None = None,
    ) -> None:
        """``transport`` says how model calls go out (:mod:`gptkit.runtime.transport`);
        ``record=`` / ``replay=`` are shorthands for ``Record(path)`` / ``Replay(path)``.
        ``tool_override`` sees each tool once it is built and returns the tool to use instead
        (itself, or a stand-in such as a test's mock)."""
        from gptkit.prompts.variables import resolve_variables

        if assistant.model is None:
            raise UsageError(f"assistant '{assistant.name}' has no model settings")
        self.assistant = assistant
        self.source = Path(source) if source else assistant.source_path
        self.folder = self.source.parent if self.source else Path.cwd()
        self.root = Path(root) if root else (assistant.project_root or self.folder)
        self.variables = resolve_variables(assistant.variables, dict(variables or {}))
        self.user = user
        self.id = session_id
        self.model = model or assistant.model.name
        self.base_url = base_url
        self.streaming = stream
        self.confirm = confirm
        self.record = Path(record) if record else None
        self.replay = Path(replay) if replay else None
        self.transport = _transport(transport, self.record, self.replay)
        self.environ = environ
        self._given_store = store
        self._memory: ConversationMemory | None = None
        self.usage = Usage()
        self.cost_usd: float | None = 0.0
        self._provider: Provider | None = None
        self._tools: dict[str, Tool] | None = None
        self._tool_override = tool_override
        self._servers: ToolServers | None = None  # MCP servers: started by aconnect()
        self._template: Template | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._knowledge: Knowledge | None = None

    # -- what is sent -------------------------------------------------------------------------

    @property
    def tools(self) -> dict[str, Tool]:
        """The assistant's tools by name (their modules are imported on first use).

        MCP servers' tools join once the servers run: a turn starts them (:meth:`aconnect`).
        """
        if self._tools is None:
            from gptkit.tools.registry import build_tools
            from gptkit.tools.servers import ToolServers

            built = build_tools(self.assistant, self.root, environ=self.environ)
            knowledge = self.knowledge
            if knowledge is not None and knowledge.settings.mode == "tool":
                search = knowledge.tool()
                if all(t.name != search.name for t in built):
                    built.append(search)
            override = self._tool_override
            self._tools = {t.name: override(t) if override else t for t in built}
            self._servers = ToolServers(self.assistant, self.root, environ=self.environ)
        return self._tools

    async def aconnect(self) -> None:
        """Start the assistant's MCP servers not started yet, adding their tools to :attr:`tools`."""
        tools = self.tools
        if self._servers is not None and self._servers.pending:
            before = set(tools)
            await self._servers.open(tools)
            override = self._tool_override
            if override is not None:  # the servers' tools pass through it as the others did
                for name in set(tools) - before:
                    tools[name] = override(tools[name])

    def connect(self) -> None:
        """The blocking twin of :meth:`aconnect` (``render --connect``)."""
        self._run(self.aconnect())

    def unconnected_servers(self) -> list[str]:
        """The names of the MCP servers whose tools are not known yet (not started)."""
        self.tools  # noqa: B018 - builds the tools, and the servers' list with them
        return self._servers.pending if self._servers is not None else []

    @property
    def knowledge(self) -> Knowledge | None:
        """The assistant's knowledge files and their index (None without ``knowledge:``)."""
        if self._knowledge is None and self.assistant.knowledge is not None:
            from gptkit.runtime.knowledge import for_session

            self._knowledge = for_session(self)
        return self._knowledge

    @property
    def provider(self) -> Provider:
        """The model API client (nothing connects until the first call)."""
        if self._provider is None:
            self._provider = _make_provider(self)
        return self._provider

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in output, errors or files."""
        from gptkit.tools.registry import tool_secrets
        from gptkit.tools.servers import server_secrets

        found = (set(self.assistant.secret_values) | tool_secrets(self.assistant, self.environ)
                 | server_secrets(self.assistant, self.environ))
        key = self.provider.endpoint.api_key
        if key:
            found.add(key)
        return tuple(found)

    @property
    def memory(self) -> ConversationMemory:
        """The conversation's memory: policy, store, facts and summary."""
        if self._memory is None:
            if self.id is not None:
                from gptkit.memory.ids import check_session_id

                self.id = check_session_id(self.id)
            self._memory = ConversationMemory(
                self.assistant, session_id=self.id, user=self.user, root=self.root,
                secrets=self.secrets, store=self._given_store,
            )
        return self._memory

    @property
    def history(self) -> list[Message]:
        """Every message of the conversation so far (from the store when it is stored)."""
        return self.memory.history()

    def system_prompt(self) -> str:
        """The rendered instructions, as the next turn would send them."""
        from gptkit.prompts.render import Context, MemoryView, Template

        if self._template is None:
            self._template = Template.for_assistant(self.assistant, self.folder)
        specs = [t.spec for t in self.tools.values()]
        context = Context(
            self.assistant,
            self.variables,
            tools=[(s.name, s.description) for s in specs],
            # The store is read only for a template that reads memory; the template keeps its
            # rendering while what it reads is unchanged (Template.render).
            memory=self.memory.view() if self._template.uses("memory") else MemoryView(),
            user=self.user,
        )
        return self._template.render(context.as_dict())

    def request(self, messages: list[Message], system: str | None = None) -> Request:
        """The provider request for ``messages`` (the same one ``run`` sends)."""
        config = self.assistant
        output = config.output if config.output.format == "json" else None
        return Request(
            settings=config.model,  # type: ignore[arg-type]
            model=self.model,
            system=self.system_prompt() if system is None else system,
            messages=messages,
            tools=[t.spec for t in self.tools.values()],
            output=output,
            stream=self.streaming,
        )

    def request_body(self, message: str | None = None) -> dict[str, Any]:
        """The exact JSON body the next model call would send (no API call)."""
        messages = self.context_messages()
        if message is not None:
            messages.append(Message("user", message))
        return self.provider.body(self.request(messages))

    def context_messages(self) -> list[Message]:
        """The past messages the next request carries, as the memory policy selects them."""
        return self.memory.context()

    # -- turns --------------------------------------------------------------------------------

    async def asend(
        self,
        text: str,
        on_event: Callable[[Event], None] | None = None,
        *,
        history: list[Message] | None = None,
    ) -> Answer:
        """One turn; ``on_event`` sees text deltas and tool activity as they happen.

        ``history`` (a server's stateless call) is the past of this turn instead of the
        conversation's: memory is neither read for it nor written with it.
        """
        return await self._turn(text, on_event or (lambda event: None), history)

    async def astream(
        self, text: str, *, history: list[Message] | None = None
    ) -> AsyncGenerator[Event, None]:
        """One turn as events: text deltas, tool calls and results, then the Answer."""
        queue: asyncio.Queue[Event | BaseException] = asyncio.Queue()

        async def run() -> None:
            try:
                await queue.put(await self._turn(text, queue.put_nowait, history))
            except BaseException as exc:  # handed to the consumer, raised there
                await queue.put(exc)

        task = asyncio.ensure_future(run())
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Answer):
                    return
        finally:
            if not task.done():
                task.cancel()

    def send(self, text: str, on_event: Callable[[Event], None] | None = None) -> Answer:
        """The blocking twin of :meth:`asend`."""
        return self._run(self.asend(text, on_event))

    def stream(self, text: str) -> Iterator[Event]:
        """The blocking twin of :meth:`astream`."""
        events = self.astream(text)
        try:
            while True:
                try:
                    yield self._run(events.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._run(events.aclose())

    def save_recording(self) -> None:
        """Write the cassette of ``record=`` (after a successful turn; a failed run writes none)."""
        if self._provider is not None:
            self.transport.finish(
                assistant=self.assistant.name,
                api=self.provider.api,
                base_url=self.provider.endpoint.base_url,
                source=self.source,  # for the replay command in the header
                variables=self.variables,
                declared=self.assistant.variables,
            )

    def sibling(self, session_id: str | None) -> Session:
        """Another conversation with the same assistant, sharing this session's API client,
        tools and store (a server's many conversations); close only this one, not siblings."""
        import copy

        other = copy.copy(self)
        other.id = session_id
        other._given_store = self._given_store if self._given_store is not None else self.memory.store
        other._provider, other._tools = self.provider, self.tools
        other._memory, other._loop = None, None
        other.usage, other.cost_usd = Usage(), 0.0
        return other

    def reset(self, session_id: str | None = None) -> None:
        """Start a new conversation (under ``session_id`` when it is stored)."""
        if self._memory is not None:
            self._memory.close()
        self._memory = None
        self.id = session_id

    async def _summarize(self, previous: str, messages: list[Message]) -> tuple[str, Usage | None]:
        """Fold ``messages`` into the running summary with one model call; and what it used."""
        from gptkit.runtime.memory import SUMMARY_PROMPT, summary_messages

        request = Request(
            settings=self.assistant.model,  # type: ignore[arg-type]
            model=self.summary_model,
            system=SUMMARY_PROMPT,
            messages=summary_messages(previous, messages),
            stream=False,
        )
        completion = await self.provider.complete(request)
        return completion.text.strip() or previous, completion.usage

    @property
    def summary_model(self) -> str:
        """The model that writes the running summary (``memory.summary``)."""
        return self.assistant.memory.summary_model or self.model

    def close(self) -> None:
        """Stop the MCP servers; close the API client, the store and the session's event loop."""
        if self._servers is not None and self._servers.running:
            self._run(self._servers.aclose())
        if self._memory is not None:
            self._memory.close()
        if self._knowledge is not None:
            self._run(self._knowledge.aclose())
            self._knowledge = None
        if self._provider is not None:
            self._run(self._provider.aclose())
            self._provider = None
        if self._tools is not None and self._loop is not None:
            self._run(self._close_tools())
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    async def aclose(self) -> None:
        """Stop the MCP servers; close the knowledge index, the API client and the tools."""
        if self._servers is not None:
            await self._servers.aclose()
        if self._knowledge is not None:
            await self._knowledge.aclose()
            self._knowledge = None
        if self._provider is not None:
            await self._provider.aclose()
            self._provider = None
        await self._close_tools()

    async def _close_tools(self) -> None:
        """Close what tools hold open (the HTTP connections of network tools)."""
        for tool in (self._tools or {}).values():
            close = getattr(tool, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # closing is best effort: the turn's results are kept
                    pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, awaitable: Awaitable[_T]) -> _T:
        # One loop for the session's life, so the HTTP connection pool is reused across turns.
        if self._loop is None:
            from gptkit.runtime.dispatch import DaemonExecutor

            self._loop = asyncio.new_event_loop()
            # sync tools run here; one abandoned at its timeout must not hold up the exit
            self._loop.set_default_executor(DaemonExecutor())
        task: asyncio.Future[_T] = asyncio.ensure_future(awaitable, loop=self._loop)
        try:
            return self._loop.run_until_complete(task)
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) can land inside the task or in the loop itself. Either
            # way the work is over: a task still pending is cancelled and let finish (it must not
            # resume on the next call, say close()), and a finished one has its exception taken,
            # so asyncio never prints "Task exception was never retrieved".
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    self._loop.run_until_complete(task)
            if task.done() and not task.cancelled():
                task.exception()
            raise

    async def _turn(
        self, text: str, emit: Callable[[Event], Any], history: list[Message] | None = None
    ) -> Answer:
        from gptkit.runtime.dispatch import Limits, dispatch, distinct_calls
        from gptkit.tools.base import ToolContext

        config = self.assistant
        limits = config.limits
        if len(text) > limits.max_input_chars:
            raise UsageError(
                f"the message has {len(text):,} characters; this assistant takes at most "
                f"{limits.max_input_chars:,} (limits.max_input_chars)"
            )
        await self.aconnect()
        provider, tools = self.provider, self.tools
        system = self.system_prompt()
        turn: list[Message] = [Message("user", text)]
        finished: list[ToolFinished] = []
        usage: Usage | None = None
        warnings: list[str] = []
        knowledge = self.knowledge
        if knowledge is not None:  # indexed before the first turn; unreadable files warned once
            warnings.extend(await knowledge.aprepare())
            knowledge.take_used()
            if knowledge.settings.mode == "context":
                system = f"{system}\n\n{await knowledge.acontext_block(text)}"
        memory = self.memory
        context = ToolContext(
            config.name, self.user, self.id, memory.store if config.memory.long_term else None
        )
        tool_limits = Limits(limits.tool_timeout_s, limits.max_tool_output_chars)

        from gptkit.providers.errors import StreamRedactor, redact

        secrets = self.secrets
        redactor = StreamRedactor(secrets)  # the model may echo a secret a tool leaked

        def on_text(delta: str) -> None:
            safe = redactor.feed(delta)
            if safe:
                emit(TextDelta(safe))

        past = self.context_messages() if history is None else list(history)
        for round_number in range(limits.max_tool_rounds + 1):
            completion = await provider.complete(self.request(past + turn, system), on_text)
            rest = redactor.flush()
            if rest:
                emit(TextDelta(rest))
            if completion.usage is not None:
                usage = completion.usage if usage is None else usage + completion.usage
            problem = completion.problem()  # a refusal, or an answer cut short
            if problem:
                raise TurnError(f"{problem}; the turn was not kept")
            if not completion.tool_calls:
                turn.append(Message("assistant", completion.text, usage=completion.usage))
                break
            if round_number == limits.max_tool_rounds:
                raise TurnError(
                    f"the model asked for tools {round_number + 1} rounds in a row, over "
                    f"limits.max_tool_rounds ({limits.max_tool_rounds}); the turn was stopped and "
                    "not kept. Raise the limit in the assistant file if the task needs more rounds."
                )
            calls = distinct_calls(completion.tool_calls)  # each id answered once
            turn.append(Message("assistant", completion.text, calls, usage=completion.usage))
            for call in calls:
                emit(ToolStarted(call))
            results = await dispatch(calls, tools, context, tool_limits, self.confirm, secrets)
            for result in results:
                emit(result)
                finished.append(result)
                turn.append(
                    Message("tool", result.result, tool_call_id=result.call.id, name=result.call.name)
                )
        answer_text = redact(turn[-1].content, secrets) if secrets else turn[-1].content
        output = _parse_output(config, answer_text) if config.output.format == "json" else None
        from gptkit.providers.prices import cost

        turn_cost = cost(self.model, usage)
        # The summary is written before the turn is kept, so a cancelled turn leaves nothing. A
        # failed summary does not fail the turn: it is kept, and a later turn folds again.
        try:
            summary = await memory.fold(self._summarize, turn) if history is None else None
        except GptkitError as exc:
            summary = None
            warnings.append(
                f"the conversation summary could not be updated ({exc}); the turn was kept, "
                "and the next turn tries again"
            )
        if summary is not None and summary.usage is not None:
            usage = summary.usage if usage is None else usage + summary.usage
            summary_cost = cost(self.summary_model, summary.usage)
            turn_cost = None if turn_cost is None or summary_cost is None else turn_cost + summary_cost
        if history is None:
            memory.commit(turn, summary)  # only now: a failed turn leaves nothing
        if usage is not None:
            self.usage = self.usage + usage
        self.cost_usd = (
            None if turn_cost is None or self.cost_usd is None else self.cost_usd + turn_cost
        )
        passages = knowledge.take_used() if knowledge is not None else []
        return Answer(answer_text, output, finished, usage, turn_cost, turn, warnings, passages)


def _parse_output(config: Assistant, text: str) -> Any:
    """The JSON answer, checked against ``output.schema``."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise TurnError(
            f"the model's answer is not JSON (output.format: json): {exc}; the turn was not kept"
        ) from None
    from jsonschema import Draft202012Validator

    errors = sorted(
        Draft202012Validator(config.output.schema_ or {}).iter_errors(value),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "the answer"
        raise TurnError(
            f"the model's JSON answer does not match output.schema at {where}: "
            f"{errors[0].message}; the turn was not kept"
        )
    return value


def _transport(given: Network | None, record: Path | None, replay: Path | None) -> Network:
    from gptkit.runtime.transport import Network, Record, Replay

    if sum(x is not None for x in (given, record, replay)) > 1:
        raise UsageError("give one of transport=, record= and replay=, not several")
    if record is not None:
        return Record(record)
    if replay is not None:
        return Replay(replay)
    return given if given is not None else Network()


def _make_provider(session: Session) -> Provider:
    from gptkit.providers.client import Endpoint, LazyTransport, Provider

    settings = session.assistant.model
    environ = dict(session.environ) if session.environ is not None else None
    endpoint = Endpoint.from_settings(settings, environ, session.base_url)
    secrets = set(session.assistant.secret_values)
    if endpoint.api_key:
        secrets.add(endpoint.api_key)

    def connect() -> Any:
        return session.transport.connect(endpoint, secrets)

    return Provider(endpoint, settings.api, LazyTransport(connect), tuple(secrets))  # type: ignore[union-attr]
