"""The web chat page of `gptkit serve`, used as a person would, in a real Chromium.

A real `gptkit serve` process serves one assistant whose model is gptkit.testing's fake server;
Playwright for Python drives Debian's Chromium (/usr/bin/chromium, installed by
.ci/ensure-chromium; never a downloaded browser). The page runs under the server's strict
Content-Security-Policy, as it does for users.

What a person notices: the assistant's description and starters, the answer appearing while it
streams, the tool line, the conversation in the history after a reload (reopened, deleted),
model text with HTML in it shown as text (and nothing run), a clear message when the model API
fails or the server is gone, and a page that works on a phone.

Screenshots go to test-output/screenshots/ at the repository root (the CI artefacts).

Without Chromium (or Playwright) the tests are skipped with the reason, unless CI=true: then they
fail, so CI never passes without having run them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gptkit.testing import FakeOpenAI, RecordedRequest, Reply, call, stall, status, text, tool_calls

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
STARTUP_LIMIT_S = 60  # a bound on how long the server may take to start, not an assertion
WAIT_MS = 20_000  # how long a locator waits for what a person would see

ASSISTANT = """\
version: 1
name: helper
display_name: Sum Helper
description: Does sums with a calculator and explains them step by step.
model:
  name: gpt-4o-mini
  max_retries: 0
  timeout_s: 20
instructions: You help with sums.
conversation_starters:
  - What is 6 times 7?
  - Add 2 and 3
tools:
  - name: calculator
    type: builtin
"""

# The answer to the starter: Markdown, streamed in pieces (the fake server pauses after the
# first few events, so the page shows part of it while the rest is still to come).
ANSWER = (
    "**6 × 7 = 42.** The calculator agrees:\n\n"
    "- six sevens are `42`\n"
    "- see [multiplication](https://en.wikipedia.org/wiki/Multiplication)\n"
)
HOSTILE = (
    'Here: <script>window.__pwned = "script"</script> and '
    '<img src=x onerror="window.__pwned = \'img\'"> and '
    "[a link](javascript:window.__pwned='link') and [data](data:text/html,<b>x</b>)."
)


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: run .ci/ensure-chromium (apt-get install chromium) to "
                "run the chat page's browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: pip install -e '.[dev]'"
    return None


# --------------------------------------------------------------------------------------------
# The fake model, the server and the browser
# --------------------------------------------------------------------------------------------


@dataclass
class Model:
    """What the fake model answers: a function of the request, replaceable per test."""

    answer: Callable[[RecordedRequest], Reply] = field(default=lambda request: text("ok"))

    def __call__(self, request: RecordedRequest) -> Reply:
        return self.answer(request)


def calculator_turn(request: RecordedRequest) -> Reply:
    """6*7 with one calculator round; anything else is echoed."""
    asked = request.last_user_text() or ""
    if "6 times 7" in asked:
        if request.ends_with_user():
            return tool_calls(call("calculator", {"expression": "6*7"}, id="call_calc"),
                              usage=(310, 12))
        return stall(text(ANSWER, usage=(350, 24)), after=2, seconds=4)
    return text(f"You said: {asked}", usage=(100, 5))


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    model: Model
    fake: FakeOpenAI
    stderr: list[str]
    reader: threading.Thread

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=15)
        if self.process.stderr is not None:
            self.process.stderr.close()


def _start_server(folder: Path, fake: FakeOpenAI, model: Model, *args: str,
                  **env_vars: str) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(fake.env)
    env.update(env_vars)
    process = subprocess.Popen(
        [sys.executable, "-m", "gptkit", "serve", str(folder), "--port", "0", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=env, start_new_session=True,
    )
    assert process.stderr is not None
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            match = re.search(r" on (http://127\.0\.0\.1:\d+/) ", line)
            if match and not url:
                url.append(match.group(1))
                found.set()
        found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    found.wait(STARTUP_LIMIT_S)
    if not url:
        process.kill()
        process.wait()
        reader.join(timeout=15)
        process.stderr.close()
        pytest.fail("gptkit serve did not start:\n" + "".join(lines))
    server = Server(url[0], process, model, fake, lines, reader)
    deadline = threading.Event()
    for _ in range(STARTUP_LIMIT_S * 10):
        try:
            with urllib.request.urlopen(server.url + "healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None:
            break
        deadline.wait(0.1)
    server.stop()
    pytest.fail("gptkit serve does not answer /healthz:\n" + "".join(lines))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """`gptkit serve` of the Sum Helper; parametrized indirectly, ``(args, env, files)`` adds
    options, environment variables and more assistant files."""
    folder = tmp_path / "assistants"
    folder.mkdir()
    (folder / "assistant.yaml").write_text(ASSISTANT)
    args, env_vars, files = getattr(request, "param", ((), {}, {}))
    for name, content in files.items():
        (folder / name).write_text(content)
    model = Model(calculator_turn)
    with FakeOpenAI(model) as fake:
        running = _start_server(folder, fake, model, *args, **env_vars)
        try:
            yield running
        finally:
            running.stop()


@dataclass
class Tab:
    """A page in its own browser context, with what went wrong in it collected."""

    page: Any
    problems: list[str]

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# Records every text the answer showed while it was still streaming (aria-busy), so a test can
# tell that the answer arrived in pieces, not all at once at the end.
WATCH_STREAMING = """
window.__streamed = [];
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver(() => {
    const body = document.querySelector('.message.assistant[aria-busy="true"] .message-body');
    if (body && body.textContent) window.__streamed.push(body.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
});
"""


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Callable[..., Tab]]:
    contexts: list[Any] = []

    def open_(viewport: dict[str, int] | None = None, ready: bool = True, **options: Any) -> Tab:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800},
                                      **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(WATCH_STREAMING)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                           f"{message.text}")
                if message.type == "error" else None)

        def on_dialog(dialog: Any) -> None:  # alert(), confirm(): the page never opens one
            problems.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        response = page.goto(server.url)
        assert response is not None and response.ok
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or "")
        if ready:
            page.locator(".app.ready").wait_for()
        return Tab(page, problems)

    yield open_
    for context in contexts:
        context.close()


def expect() -> Any:
    from playwright.sync_api import expect as expect_

    expect_.set_options(timeout=WAIT_MS)
    return expect_


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def test_a_starter_streams_its_answer_and_shows_the_tool_line(open_page: Callable[..., Tab],
                                                              server: Server) -> None:
    tab = open_page()
    page, check = tab.page, expect()
    check(page.locator("#assistant-name")).to_have_text("Sum Helper")
    check(page.locator("#assistant-description")).to_have_text(
        "Does sums with a calculator and explains them step by step.")
    starters = page.locator(".starter")
    check(starters).to_have_text(["What is 6 times 7?", "Add 2 and 3"])
    tab.shot("01-welcome")

    starters.first.click()
    user = page.locator(".message.user .message-body")
    check(user).to_have_text(["What is 6 times 7?"])
    answer = page.locator(".message.assistant").last
    tool = answer.locator(".tool")
    check(tool.locator(".tool-name")).to_have_text("calculator")
    check(tool.locator(".tool-args")).to_have_text('(expression="6*7")')
    check(tool.locator(".tool-result")).to_have_text("→ 42")
    # part of the answer shows while the rest is still coming
    check(answer).to_have_attribute("aria-busy", "true")
    check(answer.locator(".message-body")).not_to_be_empty()
    tab.shot("02-streaming")

    check(answer).not_to_have_attribute("aria-busy", "true")
    body = answer.locator(".message-body")
    check(body.locator("strong")).to_have_text("6 × 7 = 42.")
    check(body.locator("li")).to_have_text(["six sevens are 42", "see multiplication"])
    check(body.locator("code")).to_have_text("42")
    link = body.get_by_role("link", name="multiplication")
    check(link).to_have_attribute("href", "https://en.wikipedia.org/wiki/Multiplication")
    check(link).to_have_attribute("rel", "noopener noreferrer")
    streamed: list[str] = page.evaluate("window.__streamed")
    final = body.text_content()
    assert any(0 < len(seen) < len(final) for seen in streamed), streamed
    # usage of the turn and of the conversation, as the server counted them
    check(answer.locator(".message-meta")).to_contain_text("660 in · 36 out")
    check(page.locator("#conversation-usage")).to_contain_text("660 in · 36 out")
    check(page.locator("#conversation-title")).to_have_text("What is 6 times 7?")
    check(page.locator(".history-item")).to_have_count(1)
    tab.shot("03-answered")

    # the conversation goes on, with Enter (Shift+Enter is a new line)
    box = page.get_by_label("Message", exact=True)
    box.fill("first line")
    box.press("Shift+Enter")
    box.type("second line")
    check(box).to_have_value("first line\nsecond line")
    box.press("Enter")
    check(user).to_have_text(["What is 6 times 7?", "first line\nsecond line"])
    check(page.locator(".message.assistant").last.locator(".message-body")).to_have_text(
        "You said: first line\nsecond line", use_inner_text=True)  # a line break, kept
    check(box).to_have_value("")
    assert server.fake.requests[-1].last_user_text() == "first line\nsecond line"
    assert tab.problems == []


def test_history_reopens_and_deletes_a_conversation(open_page: Callable[..., Tab],
                                                    server: Server) -> None:
    tab = open_page()
    page, check = tab.page, expect()
    page.get_by_role("button", name="What is 6 times 7?", exact=True).click()
    answer = page.locator(".message.assistant").last
    check(answer.locator(".message-meta")).not_to_be_empty()

    # a fresh visit (no conversation in the address): the conversation is in the history
    page.goto(server.url)
    page.locator(".app.ready").wait_for()
    check(page.locator(".message")).to_have_count(0)
    item = page.locator(".history-item")
    check(item).to_have_count(1)
    check(item.locator(".history-name")).to_have_text("What is 6 times 7?")
    check(item.locator(".history-meta")).to_contain_text("Sum Helper")
    check(item.locator(".history-usage")).to_contain_text("660 in · 36 out")
    item.locator(".history-open").click()
    check(page.locator(".message.user .message-body")).to_have_text(["What is 6 times 7?"])
    stored = page.locator(".message.assistant")
    check(stored.locator(".tool-name")).to_have_text("calculator")
    check(stored.locator(".tool-result")).to_have_text("→ 42")
    check(stored.locator(".message-body strong")).to_have_text("6 × 7 = 42.")
    check(page.locator("#conversation-usage")).to_contain_text("660 in · 36 out")
    check(item).to_have_class(re.compile(r"\bcurrent\b"))
    tab.shot("04-reopened")

    # a reload keeps the open conversation (its id is in the address)
    page.reload()
    page.locator(".app.ready").wait_for()
    check(page.locator(".message.user .message-body")).to_have_text(["What is 6 times 7?"])

    page.get_by_role("button", name="Delete conversation: What is 6 times 7?").click()
    dialog = page.get_by_role("dialog", name="Delete this conversation?")
    check(dialog).to_be_visible()
    tab.shot("05-delete-dialog")
    dialog.get_by_role("button", name="Delete").click()
    check(page.locator(".history-item")).to_have_count(0)
    check(page.locator("#history-empty")).to_be_visible()
    check(page.locator(".message")).to_have_count(0)
    check(page.locator(".starter")).to_have_count(2)
    page.goto(server.url)
    page.locator(".app.ready").wait_for()
    check(page.locator("#history-empty")).to_be_visible()
    with urllib.request.urlopen(server.url + "ui/api/conversations", timeout=10) as response:
        assert b'"data": []' in response.read().replace(b'"data":[]', b'"data": []')
    assert tab.problems == []


def test_html_in_an_answer_is_shown_as_text_and_runs_nothing(open_page: Callable[..., Tab],
                                                            server: Server) -> None:
    server.model.answer = lambda request: text(HOSTILE)
    tab = open_page(color_scheme="dark")
    page, check = tab.page, expect()
    box = page.get_by_label("Message", exact=True)
    box.fill("show me some HTML <b>please</b>")
    box.press("Enter")
    answer = page.locator(".message.assistant").last
    check(answer).not_to_have_attribute("aria-busy", "true")
    body = answer.locator(".message-body")
    check(body).to_have_text(HOSTILE)
    check(page.locator(".message.user .message-body")).to_have_text("show me some HTML <b>please</b>")
    assert page.locator(".log script, .log img, .log b, .log iframe").count() == 0
    assert body.locator("a").count() == 0  # neither javascript: nor data: becomes a link
    assert page.evaluate("window.__pwned") is None
    tab.shot("06-hostile-answer")
    # and when it is reopened from the store
    page.reload()
    page.locator(".app.ready").wait_for()
    check(page.locator(".message.assistant .message-body")).to_have_text(HOSTILE)
    assert page.locator(".log script, .log img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert tab.problems == []


def test_a_model_api_failure_says_so_and_can_be_tried_again(open_page: Callable[..., Tab],
                                                            server: Server) -> None:
    failures = iter([status(500, "The fake model is down.")])
    server.model.answer = lambda request: next(failures, text("Back again."))
    tab = open_page()
    page, check = tab.page, expect()
    page.get_by_role("button", name="Add 2 and 3", exact=True).click()
    error = page.locator(".message-error")
    check(error).to_be_visible()
    check(error).to_contain_text("The answer failed.")
    check(error).to_have_attribute("role", "alert")
    message = error.text_content() or ""
    assert len(message) > len("The answer failed.") + 10, message
    tab.shot("07-model-api-failed")
    error.get_by_role("button", name="Try again").click()
    check(page.locator(".message-error")).to_have_count(0)
    check(page.locator(".message.assistant .message-body")).to_have_text(["Back again."])
    check(page.locator(".message.user .message-body")).to_have_text(["Add 2 and 3"])


def test_a_server_that_went_away_is_reported(open_page: Callable[..., Tab],
                                             server: Server) -> None:
    tab = open_page()
    page, check = tab.page, expect()
    server.stop()
    box = page.get_by_label("Message", exact=True)
    box.fill("hello?")
    box.press("Enter")
    error = page.locator(".message-error")
    check(error).to_contain_text("Cannot reach the gptkit server")
    tab.shot("08-server-gone")


def test_on_a_phone(open_page: Callable[..., Tab], server: Server) -> None:
    tab = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page, check = tab.page, expect()
    sidebar = page.locator("#sidebar")
    check(sidebar).not_to_be_visible()
    check(page.locator(".starter")).to_have_count(2)
    page.get_by_role("button", name="What is 6 times 7?", exact=True).tap()
    answer = page.locator(".message.assistant").last
    check(answer.locator(".tool-result")).to_have_text("→ 42")
    check(answer.locator(".message-meta")).not_to_be_empty()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width  # nothing wider than the screen
    tab.shot("09-phone-answer")

    menu = page.get_by_role("button", name="Show the conversation list")
    check(menu).to_have_attribute("aria-expanded", "false")
    menu.tap()
    check(sidebar).to_be_visible()
    check(menu).to_have_attribute("aria-expanded", "true")
    check(page.locator(".history-name")).to_have_text(["What is 6 times 7?"])
    tab.shot("10-phone-history")
    page.get_by_role("button", name="New conversation").tap()
    check(sidebar).not_to_be_visible()
    check(page.locator(".message")).to_have_count(0)
    check(page.locator("#assistant-name")).to_have_text("Sum Helper")
    assert tab.problems == []


KEY = "page-test-key-0123456789"


@pytest.mark.parametrize("server", [(("--api-key-env", "GPTKIT_PAGE_TEST_KEY"),
                                     {"GPTKIT_PAGE_TEST_KEY": KEY}, {})], indirect=True,
                         ids=["key"])
def test_a_server_with_an_api_key_asks_for_it_once(open_page: Callable[..., Tab],
                                                   server: Server) -> None:
    tab = open_page(ready=False)
    page, check = tab.page, expect()
    dialog = page.get_by_role("dialog", name="This server needs an API key")
    check(dialog).to_be_visible()
    tab.shot("11-api-key")
    key = dialog.get_by_label("API key")
    key.fill("not-the-key")
    key.press("Enter")
    check(dialog.get_by_role("alert")).to_have_text(
        "The server refused that key. Check it and try again.")
    key.fill(KEY)
    dialog.get_by_role("button", name="Use this key").click()
    check(dialog).not_to_be_visible()
    check(page.locator(".starter")).to_have_count(2)
    page.get_by_role("button", name="Add 2 and 3", exact=True).click()
    check(page.locator(".message.assistant .message-body")).to_have_text(["You said: Add 2 and 3"])
    # kept for this tab: a reload does not ask again
    page.reload()
    page.locator(".app.ready").wait_for()
    check(page.locator(".history-item")).to_have_count(1)
    check(dialog).not_to_be_visible()
    assert KEY not in "".join(server.stderr)
    assert all(problem.startswith("console error: Failed to load resource") for problem in tab.problems), tab.problems


POET = """\
version: 1
name: poet
display_name: Haiku Poet
description: Answers everything as a haiku.
model:
  name: gpt-4o-mini
  max_retries: 0
instructions: Answer as a haiku.
"""


@pytest.mark.parametrize("server", [((), {}, {"zz-poet.yaml": POET})], indirect=True,
                         ids=["two-assistants"])
def test_picking_another_assistant(open_page: Callable[..., Tab], server: Server) -> None:
    tab = open_page()
    page, check = tab.page, expect()
    picker = page.get_by_label("Assistant", exact=True)
    check(picker.locator("option")).to_have_text(["Sum Helper", "Haiku Poet"])
    check(page.locator("#assistant-name")).to_have_text("Sum Helper")
    picker.select_option(label="Haiku Poet")
    check(page.locator("#assistant-name")).to_have_text("Haiku Poet")
    check(page.locator("#assistant-description")).to_have_text("Answers everything as a haiku.")
    check(page.locator(".starter")).to_have_count(0)  # it has none
    box = page.get_by_label("Message", exact=True)
    check(box).to_have_attribute("placeholder", "Message Haiku Poet")
    box.fill("autumn?")
    box.press("Enter")
    answer = page.locator(".message.assistant").last
    check(answer.locator(".message-role")).to_have_text("Haiku Poet")
    check(answer.locator(".message-body")).to_have_text("You said: autumn?")
    assert server.fake.requests[-1].body["messages"][0]["content"] == "Answer as a haiku."
    check(page.locator(".history-meta")).to_contain_text(["Haiku Poet"])
    tab.shot("12-second-assistant")
    # the pick is remembered for the next visit; a conversation brings its own assistant back
    page.goto(server.url)
    page.locator(".app.ready").wait_for()
    check(picker).to_have_value("poet")
    picker.select_option(label="Sum Helper")
    page.locator(".history-open").click()
    check(picker).to_have_value("poet")
    check(page.locator(".message.user .message-body")).to_have_text(["autumn?"])
    assert tab.problems == []


def test_keyboard_only(open_page: Callable[..., Tab], server: Server) -> None:
    tab = open_page()
    page, check = tab.page, expect()
    box = page.get_by_label("Message", exact=True)
    check(box).to_be_focused()  # ready to type on arrival
    page.keyboard.press("Shift+Tab")
    check(page.get_by_role("button", name="Add 2 and 3", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    check(page.locator(".message.assistant .message-body")).to_have_text(["You said: Add 2 and 3"])
    check(box).to_be_focused()  # the starters are gone; the focus is where the next message goes
    page.keyboard.type("and 4")
    page.keyboard.press("Enter")
    check(page.locator(".message.user .message-body")).to_have_text(["Add 2 and 3", "and 4"])
    check(page.locator(".message.assistant .message-body")).to_have_text(
        ["You said: Add 2 and 3", "You said: and 4"])
    # the history and the delete dialog work from the keyboard too
    delete = page.get_by_role("button", name="Delete conversation: Add 2 and 3")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete this conversation?")
    check(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice first
    page.keyboard.press("Escape")
    check(dialog).not_to_be_visible()
    check(page.locator(".history-item")).to_have_count(1)
    assert tab.problems == []


def test_a_tool_that_fails_and_a_conversation_already_answering(
        open_page: Callable[..., Tab], server: Server) -> None:
    def answer(request: RecordedRequest) -> Reply:
        if request.last_user_text() != "what is 2 +* 2":
            return text("Hello.")
        if request.ends_with_user():
            return tool_calls(call("calculator", {"expression": "2 +* 2"}, id="call_bad"))
        # long enough for a second tab to open the conversation and try to send
        return stall(text("That expression does not work.", usage=(10, 5)), after=2, seconds=8)

    server.model.answer = answer
    first = open_page()
    page, check = first.page, expect()
    box = page.get_by_label("Message", exact=True)
    box.fill("hi")
    box.press("Enter")
    check(page.locator(".message.assistant .message-body")).to_have_text(["Hello."])
    box.fill("what is 2 +* 2")
    box.press("Enter")
    tool = page.locator(".tool")
    check(tool).to_have_class(re.compile(r"\berror\b"))
    check(tool.locator(".tool-status")).to_have_text("failed")
    check(tool.locator(".tool-result")).to_contain_text("2 +* 2")
    answer_node = page.locator(".message.assistant").last
    check(answer_node).to_have_attribute("aria-busy", "true")
    # the same conversation in a second tab, while the first still streams its answer
    second = open_page()
    other = second.page
    other.goto(page.url)
    other.locator(".app.ready").wait_for()
    check(other.locator(".message.user .message-body")).to_have_text(["hi"])
    other_box = other.get_by_label("Message", exact=True)
    other_box.fill("me too")
    other_box.press("Enter")
    check(other.locator(".message-error")).to_contain_text(
        "This conversation is still answering an earlier message")
    second.shot("13-conversation-busy")
    check(answer_node.locator(".message-body")).to_have_text("That expression does not work.")
    check(answer_node).not_to_have_attribute("aria-busy", "true")
    first.shot("14-tool-failed")


def test_stopping_an_answer_keeps_nothing_of_it(open_page: Callable[..., Tab],
                                                server: Server) -> None:
    def answer(request: RecordedRequest) -> Reply:
        if request.last_user_text() == "tell me a long story":
            return stall(text("Once upon a time, far away, there lived a fake model."), after=2,
                         seconds=60)
        return text(f"You said: {request.last_user_text()}")

    server.model.answer = answer
    tab = open_page()
    page, check = tab.page, expect()
    box = page.get_by_label("Message", exact=True)
    box.fill("hello")
    box.press("Enter")
    check(page.locator(".message.assistant .message-body")).to_have_text(["You said: hello"])
    box.fill("tell me a long story")
    box.press("Enter")
    story = page.locator(".message.assistant").last
    check(story.locator(".message-body")).to_contain_text("Once")
    send, stop = page.get_by_role("button", name="Send"), page.get_by_role("button", name="Stop")
    check(send).to_be_hidden()
    stop.click()
    check(story.locator(".message-note")).to_have_text("Stopped. Nothing of this turn was kept.")
    check(story).not_to_have_attribute("aria-busy", "true")
    check(stop).to_be_hidden()
    check(send).to_be_visible()
    check(box).to_be_focused()
    tab.shot("15-stopped")
    # the stored conversation has the first turn only
    page.reload()
    page.locator(".app.ready").wait_for()
    check(page.locator(".message.user .message-body")).to_have_text(["hello"])
    check(page.locator(".message.assistant .message-body")).to_have_text(["You said: hello"])
    # Escape in the message box stops too
    box.fill("tell me a long story")
    box.press("Enter")
    again = page.locator(".message.assistant").last
    check(again.locator(".message-body")).to_contain_text("Once")
    box.press("Escape")
    check(again.locator(".message-note")).to_have_text("Stopped. Nothing of this turn was kept.")
    assert tab.problems == []
