"""Running the cases of test files in this process: one :class:`gptkit.Session` per case.

Start-up is paid once: gptkit is imported once, each assistant file is loaded once for all its
cases (and all the files that name it), and each case runs its turns in one session over its
own in-memory store (seeded with the case's ``memory`` facts), so cases never share a
conversation or a fact, nor touch the user's own store.

Modes: ``replay`` (the default: each case answers from its cassette, offline), ``record`` (the
model API, writing each case's cassette once its turns completed), ``live`` (the model API,
writing nothing).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gptkit.config.testsuite import Case
from gptkit.errors import ConfigError, GptkitError
from gptkit.testrun.suite import Suite

if TYPE_CHECKING:
    from gptkit.config.models import Assistant
    from gptkit.runtime.transport import Network

Mode = Literal["replay", "record", "live"]
Status = Literal["passed", "failed"]


@dataclass
class CaseResult:
    """The outcome of one case: ``details`` are the lines that say why it failed."""

    suite: Suite
    index: int
    status: Status = "passed"
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0
    needs_recording: bool = False  # its cassette is missing or no longer fits the run
    turns: int = 0  # how many turns ran

    @property
    def case(self) -> Case:
        return self.suite.spec.cases[self.index]

    @property
    def case_id(self) -> str:
        return self.suite.case_id(self.case)

    @property
    def line(self) -> int:
        return self.suite.lines[self.index]

    def fail(self, *lines: str) -> None:
        self.status = "failed"
        self.details.extend(lines)

    @property
    def record_command(self) -> str:
        """The command that records this case's cassette again."""
        import shlex

        return f"gptkit test --record {shlex.quote(str(self.suite.path))} -k {shlex.quote(self.case.name)}"


class Runner:
    """Runs cases; keeps each loaded assistant for the next case that names it."""

    def __init__(self, mode: Mode = "replay", *, base_url: str | None = None,
                 model: str | None = None) -> None:
        self.mode = mode
        self.base_url = base_url
        self.model = model
        self._assistants: dict[Path, Assistant | ConfigError] = {}
        self._lock = threading.Lock()

    def run(self, cases: list[tuple[Suite, int]], jobs: int = 1) -> Iterator[CaseResult]:
        """Run ``cases`` (each a suite and a case's index); yield results in the given order."""
        if jobs <= 1 or len(cases) <= 1:
            for suite, index in cases:
                yield self.run_case(suite, index)
            return
        yield from _in_threads(self.run_case, cases, jobs)

    def assistant(self, path: Path) -> Assistant:
        """The assistant file at ``path``, loaded once; raises ConfigError."""
        import gptkit

        key = path.resolve()
        with self._lock:
            found = self._assistants.get(key)
            if found is None:
                try:
                    found = gptkit.load(path)
                except ConfigError as exc:
                    found = exc
                self._assistants[key] = found
        if isinstance(found, ConfigError):
            raise found
        return found

    def run_case(self, suite: Suite, index: int) -> CaseResult:
        """Run one case's turns and check each answer."""
        result = CaseResult(suite, index)
        started = time.perf_counter()
        try:
            self._run(result)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    def _run(self, result: CaseResult) -> None:
        import gptkit
        from gptkit.testrun.expect import check
        from gptkit.testrun.mocks import overrides
        from gptkit.testrun.replay import CassetteMismatch

        suite, case = result.suite, result.case
        try:
            assistant = self.assistant(suite.assistant_path)
        except ConfigError as exc:
            result.fail(f"the assistant file {suite.spec.assistant} cannot be loaded "
                        "(`gptkit validate` shows every problem):",
                        *(p.describe() for p in exc.problems if p.severity == "error"))
            return
        # a cassette that cannot be replayed is told after a wrong mock, which recording won't fix
        transport, unusable = self._transport(result)
        store = _store(assistant, case)
        session = None
        mocks = {**suite.spec.tools, **case.tools}
        try:
            session = gptkit.Session(
                assistant, variables=case.vars, user=case.user, stream=False,
                confirm=_confirm(case.confirm), transport=transport, store=store,
                tool_override=overrides(mocks), base_url=self.base_url, model=self.model,
            )
            unknown = sorted(set(mocks) - set(session.tools))
            if unknown:
                result.fail(f"setup: the mocked tool{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(unknown)} {'are' if len(unknown) > 1 else 'is'} not a "
                            f"tool of {suite.spec.assistant} (its tools: "
                            f"{', '.join(sorted(session.tools)) or 'none'})")
                return
            if unusable:
                result.needs_recording = True
                result.fail(*unusable)
                return
            for number, turn in enumerate(case.turns, 1):
                answer = session.send(turn.user)
                result.turns = number
                failures = check(turn.expect, answer, session.model)
                if failures:
                    result.fail(f"turn {number} ({_short(turn.user)}):",
                                *(f"  {f}" for f in failures),
                                f"  the answer was: {_short(answer.text, 300)}")
            if self.mode == "replay":
                _all_used(result, transport)
            elif self.mode == "record":
                session.save_recording()
                result.details.append(f"recorded {suite.cassette(case)}")
        except CassetteMismatch as exc:
            result.needs_recording = True
            result.fail(f"turn {result.turns + 1}: the cassette does not fit this run: {exc.summary}",
                        *exc.diff.splitlines(),
                        f"if the change is intended, record the case again: {result.record_command}")
        except GptkitError as exc:
            where = f"turn {result.turns + 1}" if session is not None else "setup"
            result.fail(f"{where}: error: {exc}")
        finally:
            if session is not None:
                session.close()
            store.close()

    def _transport(self, result: CaseResult) -> tuple[Network | None, list[str]]:
        """How the case's model calls go, or None and why its cassette cannot be replayed."""
        from gptkit.providers.cassette import CassetteError
        from gptkit.runtime.transport import Network
        from gptkit.testrun.replay import CaseRecord, CaseReplay

        cassette = result.suite.cassette(result.case)
        if self.mode == "record":
            return CaseRecord(cassette), []
        if self.mode == "live":
            return Network(), []
        if not cassette.is_file():
            return None, [f"no cassette at {cassette}: record it with `gptkit test --record` "
                          f"({result.record_command})"]
        try:
            return CaseReplay(cassette), []
        except CassetteError as exc:
            return None, [str(exc), f"record it again: {result.record_command}"]


def _in_threads(work: Callable[[Suite, int], CaseResult], cases: list[tuple[Suite, int]],
                jobs: int) -> Iterator[CaseResult]:
    """Run ``work`` on ``cases`` in ``jobs`` daemon threads; yield the results in order.

    Daemon threads, not a ThreadPoolExecutor: an executor joins its threads on the way out, so
    Ctrl-C would wait for every running case to end (up to its model.timeout_s). When the
    caller stops reading (Ctrl-C, an error), no case starts after the ones running.
    """
    outcomes: list[queue.Queue[tuple[bool, Any]]] = [queue.Queue(maxsize=1) for _ in cases]
    order = iter(range(len(cases)))
    lock = threading.Lock()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                index = next(order, None)
            if index is None:
                return
            try:
                outcomes[index].put((True, work(*cases[index])))
            except BaseException as exc:  # handed to the reader, which raises it
                outcomes[index].put((False, exc))

    for number in range(min(jobs, len(cases))):
        threading.Thread(target=worker, name=f"gptkit-test-{number}", daemon=True).start()
    try:
        for outcome in outcomes:
            ok, value = outcome.get()
            if not ok:
                raise value
            yield value
    finally:
        stop.set()


def _all_used(result: CaseResult, transport: Any) -> None:
    """A cassette that holds more calls than the run made fails (a turn or a round is gone)."""
    replayer = getattr(transport, "replayer", None)
    if replayer is None or replayer.position >= len(replayer.exchanges):
        return
    result.needs_recording = True
    result.fail(
        f"the cassette holds {len(replayer.exchanges)} model calls and this run made "
        f"{replayer.position}: the case has fewer turns or tool rounds than when it was recorded",
        f"if the change is intended, record the case again: {result.record_command}",
    )


def _store(assistant: Assistant, case: Case) -> Any:
    """A private in-memory store for the case, holding its seeded facts."""
    from gptkit.memory.redact import Redactor
    from gptkit.memory.sqlite import SQLiteStore

    redactor = Redactor(assistant.memory.redact, literals=assistant.secret_values)
    store = SQLiteStore(":memory:", redactor=redactor)
    for fact in case.memory:
        store.remember(assistant.name, case.user, fact)
    return store


def _confirm(allow: bool) -> Callable[[str, dict[str, Any]], Any]:
    async def answer(name: str, arguments: dict[str, Any]) -> bool:
        return allow

    return answer


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
