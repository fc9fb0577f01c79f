"""The chat page's Markdown renderer (gptkit/serve/static/markdown.js), run in a real Chromium.

Model output is untrusted: whatever it holds, the renderer must make only the elements and
attributes of its own small set, links only to http(s) and mailto, and show raw HTML as the
characters it is. Examples pin what a person sees for common Markdown; hypothesis throws
hostile mixtures of Markdown and HTML at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_serve_page import CHROMIUM, CHROMIUM_ARGS, REPO, _missing_browser

MARKDOWN_JS = REPO / "gptkit" / "serve" / "static" / "markdown.js"

# Renders into a fresh element and returns its HTML, or what it breaks (for the properties).
SETUP = """
window.renderHtml = (text) => {
  const box = document.createElement("div");
  box.appendChild(window.gptkitMarkdown.render(text));
  return box.innerHTML;
};
window.renderCheck = (text) => {
  const TAGS = new Set(["P", "H3", "H4", "H5", "H6", "STRONG", "EM", "DEL", "CODE", "PRE", "UL",
    "OL", "LI", "BLOCKQUOTE", "HR", "BR", "A", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD",
    "DIV", "SPAN", "BUTTON"]);
  const ATTRIBUTES = new Set(["class", "href", "rel", "target", "referrerpolicy", "start", "scope",
    "role", "aria-label", "type", "tabindex"]);
  const box = document.createElement("div");
  let fragment;
  try {
    fragment = window.gptkitMarkdown.render(text);
  } catch (error) {
    return {problems: ["threw " + error]};
  }
  box.appendChild(fragment);
  const problems = [];
  for (const node of box.querySelectorAll("*")) {
    if (!TAGS.has(node.tagName)) problems.push("element " + node.tagName);
    for (const attribute of node.attributes) {
      if (!ATTRIBUTES.has(attribute.name)) problems.push("attribute " + attribute.name);
    }
    if (node.tagName === "A") {
      const protocol = new URL(node.getAttribute("href")).protocol;
      if (!["http:", "https:", "mailto:"].includes(protocol)) problems.push("link " + protocol);
      if (node.rel !== "noopener noreferrer") problems.push("rel " + node.rel);
    }
  }
  return {problems: problems, text: box.textContent};
};
"""


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.set_content("<!doctype html><html><body></body></html>")
            tab.add_script_tag(path=str(MARKDOWN_JS))
            tab.add_script_tag(content=SETUP)
            yield tab
        finally:
            browser.close()


LINK = 'rel="noopener noreferrer" target="_blank" referrerpolicy="no-referrer"'

EXAMPLES = [
    ("# Plan\n## Day 1", '<h3 class="md-h1">Plan</h3><h4 class="md-h2">Day 1</h4>'),
    ("Hello **bold**, *it*, ~~old~~ and `a<b>`",
     "<p>Hello <strong>bold</strong>, <em>it</em>, <del>old</del> and <code>a&lt;b&gt;</code></p>"),
    ("snake_case_name, 2 * 3 * 4 and __init__", "<p>snake_case_name, 2 * 3 * 4 and <strong>init</strong></p>"),
    ("one\ntwo\n\nthree", "<p>one<br>two</p><p>three</p>"),
    ("- a\n- b\n  - b1\n- c", "<ul><li>a</li><li>b<ul><li>b1</li></ul></li><li>c</li></ul>"),
    ("1. first\n2. second\n   - inner", "<ol><li>first</li><li>second<ul><li>inner</li></ul></li></ol>"),
    ("3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("> quoted **text**\n> more", "<blockquote><p>quoted <strong>text</strong><br>more</p></blockquote>"),
    ("---", "<hr>"),
    ("| a | b |\n|:--|--:|\n| 1 | `|` |",
     '<div class="table-wrap"><table><thead><tr><th scope="col" class="align-left">a</th>'
     '<th scope="col" class="align-right">b</th></tr></thead><tbody><tr>'
     '<td class="align-left">1</td><td class="align-right"><code>|</code></td></tr></tbody>'
     "</table></div>"),
    ("```python\nprint('<b>')\n```",
     '<div class="code-block"><div class="code-bar"><span class="code-language">python</span>'
     '<button class="copy-button" type="button" aria-label="Copy the python block">Copy</button>'
     '</div><pre tabindex="0"><code class="language-python">print(\'&lt;b&gt;\')</code></pre></div>'),
    ("[docs](https://example.org/a?b=1&c=2)",
     f'<p><a href="https://example.org/a?b=1&amp;c=2" {LINK}>docs</a></p>'),
    ("see https://example.org/x.", f'<p>see <a href="https://example.org/x" {LINK}>https://example.org/x</a>.</p>'),
    ("<mailto:ana@example.org>", f'<p><a href="mailto:ana@example.org" {LINK}>mailto:ana@example.org</a></p>'),
    ("[x](javascript:alert(1)) [y](data:text/html,hi) [z](/relative) [w]( JAVASCRIPT:alert(1))",
     "<p>[x](javascript:alert(1)) [y](data:text/html,hi) [z](/relative) [w]( JAVASCRIPT:alert(1))</p>"),
    ("![cat](https://example.org/cat.png)",
     f'<p><a href="https://example.org/cat.png" {LINK} class="md-image-link">Image: cat</a></p>'),
    ('<script>alert(1)</script><img src=x onerror="alert(2)">',
     "<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=\"alert(2)\"&gt;</p>"),
    ("- [x] done\n- [ ] todo",
     '<ul><li class="task"><span class="task-box done" role="img" aria-label="done">\u2611</span>done</li>'
     '<li class="task"><span class="task-box" role="img" aria-label="not done">\u2610</span>todo</li></ul>'),
    ("```\nunclosed, still streaming", '<div class="code-block"><div class="code-bar">'
     '<span class="code-language">code</span><button class="copy-button" type="button" '
     'aria-label="Copy the code block">Copy</button></div><pre tabindex="0"><code>unclosed, '
     "still streaming</code></pre></div>"),
    ("**not closed yet", "<p>**not closed yet</p>"),
    ("``a ` b`` and `x`", "<p><code>a ` b</code> and <code>x</code></p>"),
    ("[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) [a [b](https://x.example/)",
     f'<p><a href="https://en.wikipedia.org/wiki/Foo_(bar)" {LINK}>Foo</a> '
     f'[a <a href="https://x.example/" {LINK}>b</a></p>'),
    ("[`code` label](https://x.example/)", f'<p><a href="https://x.example/" {LINK}><code>code</code> label</a></p>'),
]


@pytest.mark.parametrize(("source", "html"), EXAMPLES, ids=[str(n) for n in range(len(EXAMPLES))])
def test_markdown_examples(page: Any, source: str, html: str) -> None:
    assert page.evaluate("renderHtml", source) == html


TOKENS = [
    "a", "b c", " ", "  ", "\n", "\n\n", "    ", "\t", "*", "**", "_", "__", "~~", "`", "```", "#",
    "# ", "> ", "- ", "1. ", "2) ", "[", "]", "(", ")", "![", "](", "|", "|---|", ":-:", "\\",
    "<", ">", "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "data:",
    "JaVaScRiPt:", "vbscript:", "https://x.example/", "mailto:a@b.c", "http://", "&amp;", "\"",
    "'", "=", "\u0000", "\u202e", "[ ] ", "[x] ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_any_answer_renders_to_safe_elements_only(page: Any, source: str) -> None:
    result = page.evaluate("renderCheck", source)
    assert result["problems"] == [], (source, result)


HTML_TOKENS = ["<script>", "</script>", "<img src=x onerror=alert(1)>", "<b>", "</b>", "<a href=",
               "\"javascript:alert(1)\">", "a", "b c", " ", "\n", "&amp;", "&lt;", "\"", "'", "/"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(HTML_TOKENS), max_size=40).map("".join))
def test_raw_html_is_shown_as_the_characters_it_is(page: Any, source: str) -> None:
    result = page.evaluate("renderCheck", source)
    assert result["problems"] == []
    assert "".join(result["text"].split()) == "".join(source.split())
