/* gptkit chat page: a small Markdown renderer that is safe by construction.
 *
 * Model output is untrusted. This renderer never parses HTML: it builds DOM nodes with
 * createElement and puts every piece of text in with textContent / text nodes, so raw HTML in
 * the answer (<script>, <img onerror=...>) is shown as the characters it is. Links are kept only
 * when they are absolute http:, https: or mailto: URLs; anything else (javascript:, data:,
 * relative paths) is shown as text. Images are never loaded: ![alt](url) becomes a link.
 *
 * Supported: paragraphs (a single newline is a line break), ATX headings, **bold**, *italic*,
 * ~~strikethrough~~, `inline code`, fenced code blocks, bullet / numbered / task lists (nested
 * by indentation), [links](https://...), <https://autolinks>, bare https:// URLs, blockquotes,
 * horizontal rules and pipe tables. Unclosed fences and emphasis (an answer still streaming)
 * render sensibly.
 *
 * window.gptkitMarkdown.render(text) returns a DocumentFragment.
 */
(function () {
  "use strict";

  const MAX_DEPTH = 12; // nesting bound for hostile input (lists in quotes in lists ...)
  const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

  const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
  const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
  const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
  const QUOTE = /^ {0,3}> ?/;
  const LIST_ITEM = /^( {0,12})([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
  const TABLE_SEPARATOR = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

  function el(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  /** The URL to link to, or null when it must not be a link. */
  function safeHref(raw) {
    const text = String(raw).trim();
    if (!text || /[\u0000-\u001f\u007f\s]/.test(text)) return null;
    let url;
    try {
      url = new URL(text); // no base: a relative URL throws and stays text
    } catch (_) {
      return null;
    }
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  }

  function link(href, parent, fillText) {
    const a = el("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.referrerPolicy = "no-referrer";
    fillText(a);
    parent.appendChild(a);
  }

  // ---------------------------------------------------------------------------------------
  // Inline
  // ---------------------------------------------------------------------------------------

  function isSpace(ch) {
    return ch === undefined || ch === " " || ch === "\t" || ch === "\n";
  }

  function isPunctuation(ch) {
    return ch !== undefined && /[!-/:-@[-`{-~]/.test(ch);
  }

  /** Every place in `text` where `delim` can close emphasis, in order. */
  function closersOf(text, delim) {
    const places = [];
    let i = 0;
    while (i < text.length) {
      const found = text.indexOf(delim, i);
      if (found < 0) break;
      const before = text[found - 1];
      const after = text[found + delim.length];
      const escaped = before === "\\";
      const single = delim.length === 1;
      const doubled = single && (after === delim || before === delim);
      const wordAfter = delim[0] === "_" && after !== undefined && /\w/.test(after);
      if (!isSpace(before) && !escaped && !doubled && !wordAfter) places.push(found);
      i = found + delim.length;
    }
    return places;
  }

  /** A finder of the closing `delim` after an opener whose content starts at `from` (or -1);
   * the closers are found once per text, so many unclosed openers stay cheap. */
  function closerFinder(text) {
    const cache = new Map();
    return (delim, from) => {
      let places = cache.get(delim);
      if (!places) {
        places = closersOf(text, delim);
        cache.set(delim, places);
      }
      let low = 0;
      let high = places.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (places[mid] > from) high = mid;
        else low = mid + 1;
      }
      return low < places.length ? places[low] : -1;
    };
  }

  /** The length of the run of `ch` starting at `i`. */
  function runLength(text, i, ch) {
    let n = 0;
    while (text[i + n] === ch) n++;
    return n;
  }

  /** Where the code span opened by the backtick run at `i` closes (a run of the same length),
   * or -1. */
  function codeClose(text, i) {
    const n = runLength(text, i, "`");
    let at = text.indexOf("`", i + n);
    while (at >= 0) {
      const m = runLength(text, at, "`");
      if (m === n) return at;
      at = text.indexOf("`", at + m);
    }
    return -1;
  }

  /** Every matched "[" -> "]" (skipping escapes and code spans), found in one pass, so that
   * "[[[[..." stays linear. */
  function bracketPairs(text) {
    const pairs = new Map();
    const open = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\\") {
        i++;
      } else if (ch === "[") {
        open.push(i);
      } else if (ch === "]") {
        if (open.length) pairs.set(open.pop(), i);
      } else if (ch === "`") {
        const close = codeClose(text, i);
        i = close >= 0 ? close + runLength(text, close, "`") - 1 : i + runLength(text, i, "`") - 1;
      }
    }
    return pairs;
  }

  /** Every matched "(" -> ")" (skipping escapes), found in one pass. */
  function parenPairs(text) {
    const pairs = new Map();
    const open = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\\") i++;
      else if (ch === "(") open.push(i);
      else if (ch === ")" && open.length) pairs.set(open.pop(), i);
    }
    return pairs;
  }

  /** The destination of "(url "title")" whose "(" is at `open` and ")" at `close`. */
  function destination(text, open, close) {
    let inside = text.slice(open + 1, close).trim();
    const titled = /^(\S+)\s+(?:"[^"]*"|'[^']*'|\([^)]*\))$/.exec(inside);
    if (titled) inside = titled[1];
    if (inside.startsWith("<") && inside.endsWith(">")) inside = inside.slice(1, -1);
    return inside;
  }

  const BARE_URL = /^(?:https?:\/\/|mailto:)[^\s<>"'`]+/i;

  function inline(text, parent, depth, inLink) {
    const findCloser = closerFinder(text);
    let brackets = null;
    let parens = null;
    let buffer = "";
    const flush = () => {
      if (buffer) {
        parent.appendChild(document.createTextNode(buffer));
        buffer = "";
      }
    };
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      const rest = text.slice(i);

      if (ch === "\\" && isPunctuation(text[i + 1])) {
        buffer += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === "\\" && text[i + 1] === "\n") {
        flush();
        parent.appendChild(el("br"));
        i += 2;
        continue;
      }
      if (ch === "\n") {
        buffer = buffer.replace(/[ \t]+$/, "");
        flush();
        parent.appendChild(el("br"));
        i += 1;
        while (text[i] === " " || text[i] === "\t") i++;
        continue;
      }
      if (ch === "`") {
        const run = runLength(text, i, "`");
        const close = codeClose(text, i);
        if (close > 0) {
          flush();
          let code = text.slice(i + run, close).replace(/\n/g, " ");
          if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
          const node = el("code");
          node.textContent = code;
          parent.appendChild(node);
          i = close + run;
          continue;
        }
        buffer += text.slice(i, i + run);
        i += run;
        continue;
      }
      if (depth < MAX_DEPTH && (rest.startsWith("**") || rest.startsWith("__") || rest.startsWith("~~"))) {
        const delim = rest.slice(0, 2);
        const wordBefore = delim === "__" && i > 0 && /\w/.test(text[i - 1]);
        const close = !isSpace(text[i + 2]) && !wordBefore ? findCloser(delim, i + 2) : -1;
        if (close > 0) {
          flush();
          const node = el(delim === "~~" ? "del" : "strong");
          inline(text.slice(i + 2, close), node, depth + 1, inLink);
          parent.appendChild(node);
          i = close + 2;
          continue;
        }
      }
      if (depth < MAX_DEPTH && (ch === "*" || ch === "_") && text[i + 1] !== ch) {
        const wordBefore = ch === "_" && i > 0 && /\w/.test(text[i - 1]);
        const close = !isSpace(text[i + 1]) && !wordBefore ? findCloser(ch, i + 1) : -1;
        if (close > 0) {
          flush();
          const node = el("em");
          inline(text.slice(i + 1, close), node, depth + 1, inLink);
          parent.appendChild(node);
          i = close + 1;
          continue;
        }
      }
      if (!inLink && (ch === "[" || (ch === "!" && text[i + 1] === "["))) {
        const open = ch === "!" ? i + 1 : i;
        brackets = brackets || bracketPairs(text);
        const close = brackets.has(open) ? brackets.get(open) : -1;
        parens = close > 0 && text[close + 1] === "(" ? parens || parenPairs(text) : parens;
        const end = close > 0 && parens && parens.has(close + 1) ? parens.get(close + 1) : -1;
        if (end > 0) {
          const label = text.slice(open + 1, close);
          const href = safeHref(destination(text, close + 1, end));
          flush();
          if (href) {
            link(href, parent, (a) => {
              if (ch === "!") {
                a.className = "md-image-link";
                a.textContent = label ? "Image: " + label : "Image";
              } else {
                inline(label || href, a, depth + 1, true);
              }
            });
          } else {
            // not a link we may follow: show what the model wrote, as text
            buffer += text.slice(i, end + 1);
          }
          i = end + 1;
          continue;
        }
      }
      if (!inLink && ch === "<") {
        const auto = /^<((?:https?|mailto):[^\s<>]+)>/i.exec(rest);
        const href = auto && safeHref(auto[1]);
        if (href) {
          flush();
          link(href, parent, (a) => { a.textContent = auto[1]; });
          i += auto[0].length;
          continue;
        }
      }
      if (!inLink && (ch === "h" || ch === "H" || ch === "m" || ch === "M") &&
          (i === 0 || /[\s(\[*_~>]/.test(text[i - 1]))) {
        const bare = BARE_URL.exec(rest);
        if (bare) {
          let url = bare[0].replace(/[.,;:!?]+$/, "");
          // a closing parenthesis belongs to the URL only when it opened one
          while (url.endsWith(")") && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
            url = url.slice(0, -1);
          }
          url = url.replace(/[*_~]+$/, "");
          const href = safeHref(url);
          if (href && url.length > 8) {
            flush();
            link(href, parent, (a) => { a.textContent = url; });
            i += url.length;
            continue;
          }
        }
      }
      buffer += ch;
      i += 1;
    }
    flush();
  }

  // ---------------------------------------------------------------------------------------
  // Blocks
  // ---------------------------------------------------------------------------------------

  function indentOf(line) {
    let width = 0;
    for (const ch of line) {
      if (ch === " ") width += 1;
      else if (ch === "\t") width += 4 - (width % 4);
      else break;
    }
    return width;
  }

  function dedent(line, amount) {
    let width = 0;
    let i = 0;
    while (i < line.length && width < amount && (line[i] === " " || line[i] === "\t")) {
      width += line[i] === "\t" ? 4 - (width % 4) : 1;
      i++;
    }
    return line.slice(i);
  }

  function isBlank(line) {
    return line.trim() === "";
  }

  function splitRow(line) {
    let row = line.trim();
    if (row.startsWith("|")) row = row.slice(1);
    if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
    const cells = [];
    let cell = "";
    let inCode = false;
    for (let i = 0; i < row.length; i++) {
      const ch = row[i];
      if (ch === "\\" && row[i + 1] === "|") {
        cell += "|";
        i++;
      } else if (ch === "`") {
        inCode = !inCode;
        cell += ch;
      } else if (ch === "|" && !inCode) {
        cells.push(cell.trim());
        cell = "";
      } else {
        cell += ch;
      }
    }
    cells.push(cell.trim());
    return cells;
  }

  function startsTable(lines, i) {
    return lines[i].includes("|") && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]) &&
      lines[i + 1].includes("-") && (lines[i + 1].includes("|") || splitRow(lines[i]).length === 1);
  }

  function startsBlock(lines, i, inParagraph) {
    const line = lines[i];
    if (FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)) return true;
    const item = LIST_ITEM.exec(line);
    if (item && item[3] !== undefined && indentOf(line) < 4) {
      // a numbered line interrupts a paragraph only when it starts at 1 (as CommonMark)
      if (!inParagraph || !/^\d/.test(item[2]) || /^1[.)]$/.test(item[2])) return true;
    }
    return startsTable(lines, i);
  }

  function renderTable(lines, i, parent, depth) {
    const header = splitRow(lines[i]);
    const aligns = splitRow(lines[i + 1]).map((cell) => {
      const left = cell.startsWith(":");
      const right = cell.endsWith(":");
      return left && right ? "center" : right ? "right" : left ? "left" : "";
    });
    const wrap = el("div", "table-wrap");
    const table = el("table");
    const thead = el("thead");
    const headRow = el("tr");
    header.forEach((cell, col) => {
      const th = el("th");
      th.scope = "col";
      if (aligns[col]) th.className = "align-" + aligns[col];
      inline(cell, th, depth + 1, false);
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    table.appendChild(thead);
    const tbody = el("tbody");
    let j = i + 2;
    while (j < lines.length && !isBlank(lines[j]) && lines[j].includes("|")) {
      const cells = splitRow(lines[j]);
      const tr = el("tr");
      for (let col = 0; col < header.length; col++) {
        const td = el("td");
        if (aligns[col]) td.className = "align-" + aligns[col];
        inline(cells[col] || "", td, depth + 1, false);
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
      j++;
    }
    if (tbody.childNodes.length) table.appendChild(tbody);
    wrap.appendChild(table);
    parent.appendChild(wrap);
    return j;
  }

  function renderList(lines, i, parent, depth) {
    const first = LIST_ITEM.exec(lines[i]);
    const ordered = /^\d/.test(first[2]);
    const kind = (m) => (/^\d/.test(m[2]) ? "ordered" + m[2].slice(-1) : m[2]);
    const baseIndent = indentOf(lines[i]);
    const list = el(ordered ? "ol" : "ul");
    if (ordered) {
      const start = parseInt(first[2], 10);
      if (start !== 1) list.start = start;
    }
    const items = [];
    let loose = false;
    let j = i;
    while (j < lines.length) {
      const match = LIST_ITEM.exec(lines[j]);
      if (!match || kind(match) !== kind(first)) break;
      const indent = indentOf(lines[j]);
      if (indent < baseIndent || indent > baseIndent + 3) break;
      const content = match[3] === undefined ? "" : match[3];
      const gap = (lines[j].length - content.length) - (indent + match[2].length);
      const contentIndent = indent + match[2].length + Math.max(1, Math.min(4, gap));
      const body = [content];
      j++;
      let blankBefore = false;
      while (j < lines.length) {
        const line = lines[j];
        if (isBlank(line)) {
          body.push("");
          blankBefore = true;
          j++;
          continue;
        }
        const lineIndent = indentOf(line);
        if (lineIndent >= contentIndent) {
          body.push(dedent(line, contentIndent));
        } else if (lineIndent > baseIndent && LIST_ITEM.test(line)) {
          body.push(dedent(line, lineIndent)); // a nested list indented less than the text
        } else if (!blankBefore && !LIST_ITEM.test(line) && !startsBlock(lines, j, true)) {
          body.push(line.trim()); // the item's paragraph goes on (a lazy line)
        } else {
          break;
        }
        blankBefore = false;
        j++;
      }
      let trailing = 0;
      while (body.length > 1 && isBlank(body[body.length - 1])) {
        body.pop();
        trailing++;
      }
      const next = j < lines.length ? LIST_ITEM.exec(lines[j]) : null;
      if (trailing && next && kind(next) === kind(first) && indentOf(lines[j]) === baseIndent) {
        loose = true;
      }
      if (body.some((line, n) => n > 0 && isBlank(line) && !LIST_ITEM.test(body[n + 1] || ""))) {
        loose = true;
      }
      items.push(body);
    }
    for (const body of items) {
      const li = el("li");
      let content = body;
      const task = /^\[([ xX])\][ \t]+/.exec(body[0]);
      if (task) {
        li.className = "task";
        const done = task[1] !== " ";
        const box = el("span", done ? "task-box done" : "task-box");
        box.setAttribute("role", "img");
        box.setAttribute("aria-label", done ? "done" : "not done");
        box.textContent = done ? "\u2611" : "\u2610";
        li.appendChild(box);
        content = [body[0].slice(task[0].length)].concat(body.slice(1));
      }
      blocks(content, li, depth + 1);
      if (!loose) {
        for (const child of Array.from(li.children)) {
          if (child.tagName === "P") {
            while (child.firstChild) li.insertBefore(child.firstChild, child);
            li.removeChild(child);
          }
        }
      }
      list.appendChild(li);
    }
    parent.appendChild(list);
    return j;
  }

  function blocks(lines, parent, depth) {
    if (depth > MAX_DEPTH) {
      const p = el("p");
      p.textContent = lines.join("\n");
      parent.appendChild(p);
      return;
    }
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        i++;
        continue;
      }
      const fence = FENCE.exec(line);
      if (fence) {
        const indent = indentOf(line);
        const closing = new RegExp("^ {0,3}" + (fence[1][0] === "`" ? "`" : "~") +
          "{" + fence[1].length + ",}[ \\t]*$");
        const code = [];
        i++;
        while (i < lines.length && !closing.test(lines[i])) {
          code.push(dedent(lines[i], indent));
          i++;
        }
        i++; // the closing fence (or the end, while the answer still streams)
        const figure = el("div", "code-block");
        const language = /^[\w+#.-]{1,32}$/.test(fence[2]) ? fence[2] : "";
        const bar = el("div", "code-bar");
        const name = el("span", "code-language");
        name.textContent = language || "code";
        bar.appendChild(name);
        const copy = el("button", "copy-button");
        copy.type = "button";
        copy.textContent = "Copy";
        copy.setAttribute("aria-label", "Copy the " + (language || "code") + " block");
        bar.appendChild(copy);
        figure.appendChild(bar);
        const pre = el("pre");
        const node = el("code");
        if (language) node.className = "language-" + language;
        node.textContent = code.join("\n");
        pre.appendChild(node);
        pre.tabIndex = 0; // scrollable: reachable with the keyboard
        figure.appendChild(pre);
        parent.appendChild(figure);
        continue;
      }
      const heading = HEADING.exec(line);
      if (heading) {
        const level = heading[1].length;
        // the page uses h1 and h2 itself: an answer's headings start at h3
        const node = el("h" + Math.min(6, level + 2), "md-h" + level);
        inline(heading[2] || "", node, depth + 1, false);
        parent.appendChild(node);
        i++;
        continue;
      }
      if (RULE.test(line)) {
        parent.appendChild(el("hr"));
        i++;
        continue;
      }
      if (QUOTE.test(line)) {
        const quoted = [];
        while (i < lines.length && !isBlank(lines[i])) {
          if (QUOTE.test(lines[i])) quoted.push(lines[i].replace(QUOTE, ""));
          else if (startsBlock(lines, i, true)) break;
          else quoted.push(lines[i]);
          i++;
        }
        const node = el("blockquote");
        blocks(quoted, node, depth + 1);
        parent.appendChild(node);
        continue;
      }
      const item = LIST_ITEM.exec(line);
      if (item && indentOf(line) < 4 && (item[3] !== undefined || LIST_ITEM.test(lines[i + 1] || ""))) {
        i = renderList(lines, i, parent, depth);
        continue;
      }
      if (startsTable(lines, i)) {
        i = renderTable(lines, i, parent, depth);
        continue;
      }
      const paragraph = [line.trim()];
      i++;
      while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines, i, true)) {
        paragraph.push(lines[i].replace(/^[ \t]+/, ""));
        i++;
      }
      const p = el("p");
      inline(paragraph.join("\n").replace(/[ \t]+$/, ""), p, depth + 1, false);
      parent.appendChild(p);
    }
  }

  function render(text) {
    const fragment = document.createDocumentFragment();
    const source = String(text == null ? "" : text).replace(/\r\n?/g, "\n").replace(/\u0000/g, "\ufffd");
    blocks(source.split("\n"), fragment, 0);
    return fragment;
  }

  window.gptkitMarkdown = Object.freeze({ render: render, safeHref: safeHref });
})();
