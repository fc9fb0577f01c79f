/* gptkit chat page. Plain JavaScript, no build step, no network but the gptkit server.
 *
 * Talks to the page routes of `gptkit serve` (/ui/api/...): lists the assistants and the
 * stored conversations, and sends a turn as POST /ui/api/conversations/{id}/turn, reading the
 * answer's server-sent events (delta, tool_call, tool_result, done, error) as they arrive.
 * Model text only ever reaches the page through textContent (see markdown.js).
 */
(function () {
  "use strict";

  const KEY_STORAGE = "gptkit.apiKey";
  const ASSISTANT_STORAGE = "gptkit.assistant";
  const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  const markdown = window.gptkitMarkdown;

  const $ = (id) => document.getElementById(id);
  const ui = {
    app: $("app"),
    sidebar: $("sidebar"),
    scrim: $("scrim"),
    menuButton: $("menu-button"),
    sidebarClose: $("sidebar-close"),
    assistantSelect: $("assistant-select"),
    newChat: $("new-chat"),
    history: $("history"),
    historyEmpty: $("history-empty"),
    title: $("conversation-title"),
    usage: $("conversation-usage"),
    banner: $("banner"),
    bannerText: $("banner-text"),
    bannerRetry: $("banner-retry"),
    bannerClose: $("banner-close"),
    scroller: $("scroller"),
    welcome: $("welcome"),
    assistantName: $("assistant-name"),
    assistantDescription: $("assistant-description"),
    startersTitle: $("starters-title"),
    starters: $("starters"),
    log: $("log"),
    composer: $("composer"),
    input: $("composer-input"),
    send: $("send-button"),
    stop: $("stop-button"),
    keyDialog: $("key-dialog"),
    keyForm: $("key-form"),
    keyInput: $("key-input"),
    keyError: $("key-error"),
    deleteDialog: $("delete-dialog"),
    deleteText: $("delete-dialog-text"),
  };

  const state = {
    assistants: [],
    byId: new Map(),
    assistant: null, // id of the picked assistant
    conversation: null, // {id, assistant, title, usage, cost_usd, stored}
    conversations: [],
    streaming: false,
    stopper: null, // the AbortController of the answer in progress
  };

  // -------------------------------------------------------------------------------------
  // Small helpers
  // -------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; getRandomValues does not
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const numberFormat = new Intl.NumberFormat();

  function formatCost(cost) {
    if (cost === null || cost === undefined || !isFinite(cost)) return "";
    if (cost === 0) return "$0";
    const decimals = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(cost)))));
    return "$" + cost.toFixed(decimals);
  }

  function formatUsage(usage, cost) {
    const parts = [];
    if (usage) {
      const input = usage.input_tokens || 0;
      const output = usage.output_tokens || 0;
      parts.push(numberFormat.format(input) + " in · " + numberFormat.format(output) + " out");
    }
    const money = formatCost(cost);
    if (money) parts.push(money);
    return parts.join(" · ");
  }

  function formatWhen(seconds) {
    if (typeof seconds !== "number") return "";
    const date = new Date(seconds * 1000);
    const now = new Date();
    const sameDay = date.toDateString() === now.toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : date.toLocaleDateString([], { month: "short", day: "numeric" });
  }

  /** "name(a=1, b="x")" from the JSON text of a tool call's arguments. */
  function formatArguments(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (_) {
      return String(text || "");
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.keys(value).map((k) => k + "=" + JSON.stringify(value[k])).join(", ");
    }
    return JSON.stringify(value);
  }

  function prettyJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      return String(text || "");
    }
  }

  /** A server message as a sentence: it may start in lower case ("the model API failed: ..."). */
  function sentence(text) {
    const value = String(text || "").trim();
    return value.charAt(0).toUpperCase() + value.slice(1);
  }

  function shorten(text, length) {
    const flat = String(text || "").replace(/\s+/g, " ").trim();
    return flat.length > length ? flat.slice(0, length - 1) + "…" : flat;
  }

  function isNarrow() {
    return window.matchMedia("(max-width: 799px)").matches;
  }

  // -------------------------------------------------------------------------------------
  // Talking to the server
  // -------------------------------------------------------------------------------------

  class PageError extends Error {
    constructor(message, kind, status) {
      super(message);
      this.kind = kind; // "network" | "http" | "stream"
      this.status = status || 0;
    }
  }

  const UNREACHABLE = "Cannot reach the gptkit server. Check that `gptkit serve` is still " +
    "running and that this computer can reach it, then try again.";

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") return body.error.message;
    } catch (_) {
      /* not JSON */
    }
    return "The server answered " + response.status + " " + (response.statusText || "") + ".";
  }

  let keyPrompt = null;

  /** Ask the person for the server's API key (once, however many requests are waiting). */
  function askForKey(refused) {
    if (!keyPrompt) {
      keyPrompt = new Promise((resolve, reject) => {
        ui.keyError.hidden = !refused;
        ui.keyError.textContent = refused ? "The server refused that key. Check it and try again." : "";
        ui.keyInput.value = "";
        const finish = () => {
          ui.keyDialog.removeEventListener("close", finish);
          keyPrompt = null;
          const key = ui.keyInput.value.trim();
          if (ui.keyDialog.returnValue === "ok" && key) {
            sessionStorage.setItem(KEY_STORAGE, key);
            resolve(key);
          } else {
            reject(new PageError("This server needs an API key. Reload the page to enter it.", "http", 401));
          }
        };
        ui.keyDialog.addEventListener("close", finish);
        ui.keyDialog.returnValue = "";
        ui.keyDialog.showModal();
        ui.keyInput.focus();
      });
    }
    return keyPrompt;
  }

  /** fetch a page route; on 401 ask for the key and try again. Throws PageError. */
  async function request(path, options) {
    let refused = false;
    for (;;) {
      const headers = Object.assign({ Accept: "application/json" }, (options && options.headers) || {});
      const key = sessionStorage.getItem(KEY_STORAGE);
      if (key) headers.Authorization = "Bearer " + key;
      let response;
      try {
        response = await fetch(path, Object.assign({}, options, { headers: headers, cache: "no-store" }));
      } catch (_) {
        throw new PageError(UNREACHABLE, "network");
      }
      if (response.status === 401) {
        const message = await errorMessage(response);
        if (key) sessionStorage.removeItem(KEY_STORAGE);
        refused = refused || Boolean(key);
        try {
          await askForKey(refused);
        } catch (error) {
          throw new PageError(message + " " + error.message, "http", 401);
        }
        refused = true;
        continue;
      }
      return response;
    }
  }

  async function getJson(path) {
    const response = await request(path);
    if (!response.ok) throw new PageError(await errorMessage(response), "http", response.status);
    try {
      return await response.json();
    } catch (_) {
      throw new PageError("The server sent an answer this page cannot read.", "http", response.status);
    }
  }

  /** Read a text/event-stream body; calls onEvent(type, data) for each event, in order. */
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let type = "";
    let data = [];
    const line = (text) => {
      if (text === "") {
        if (data.length) onEvent(type || "message", data.join("\n"));
        type = "";
        data = [];
        return;
      }
      if (text.startsWith(":")) return; // a comment (keep-alive)
      const colon = text.indexOf(":");
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? "" : text.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    };
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (_) {
        throw new PageError("The connection to the server was lost before the answer finished.", "stream");
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch === "\n" || ch === "\r") {
          if (ch === "\r" && i + 1 === buffer.length) break; // its "\n" may be in the next chunk
          line(buffer.slice(start, i));
          if (ch === "\r" && buffer[i + 1] === "\n") i++;
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
    }
    // an event not ended by a blank line is incomplete, and dropped (as EventSource does)
  }

  // -------------------------------------------------------------------------------------
  // Banner (page-level problems)
  // -------------------------------------------------------------------------------------

  let bannerRetry = null;

  function showBanner(message, retry) {
    ui.bannerText.textContent = sentence(message);
    bannerRetry = retry || null;
    ui.bannerRetry.hidden = !retry;
    ui.banner.hidden = false;
  }

  function hideBanner() {
    ui.banner.hidden = true;
    bannerRetry = null;
  }

  function reportError(error, retry) {
    const message = error instanceof PageError ? error.message : "Something went wrong on this page: " + error;
    showBanner(message, retry);
  }

  // -------------------------------------------------------------------------------------
  // Sidebar (narrow screens: it slides over the page)
  // -------------------------------------------------------------------------------------

  function openSidebar() {
    ui.app.classList.add("sidebar-open");
    ui.scrim.hidden = false;
    ui.menuButton.setAttribute("aria-expanded", "true");
    ui.sidebarClose.focus();
  }

  function closeSidebar(focusMenu) {
    if (!ui.app.classList.contains("sidebar-open")) return;
    ui.app.classList.remove("sidebar-open");
    ui.scrim.hidden = true;
    ui.menuButton.setAttribute("aria-expanded", "false");
    if (focusMenu) ui.menuButton.focus();
  }

  // -------------------------------------------------------------------------------------
  // Assistants
  // -------------------------------------------------------------------------------------

  function assistantLabel(id) {
    const assistant = state.byId.get(id);
    return assistant ? assistant.name || assistant.id : id;
  }

  function renderAssistants() {
    ui.assistantSelect.textContent = "";
    for (const assistant of state.assistants) {
      const option = el("option", "", assistant.name || assistant.id);
      option.value = assistant.id;
      ui.assistantSelect.appendChild(option);
    }
    if (state.assistant) ui.assistantSelect.value = state.assistant;
    ui.assistantSelect.disabled = state.assistants.length < 2;
  }

  function renderWelcome() {
    const assistant = state.byId.get(state.assistant);
    ui.welcome.hidden = Boolean(state.conversation && state.conversation.stored) || ui.log.childElementCount > 0;
    ui.assistantName.textContent = assistant ? assistant.name || assistant.id : "";
    const starters = (assistant && assistant.starters) || [];
    const description = assistant ? assistant.description || "" : "";
    ui.assistantDescription.textContent = description ||
      (assistant && !starters.length ? "Send a message to start a conversation." : "");
    ui.assistantDescription.hidden = !ui.assistantDescription.textContent;
    ui.starters.textContent = "";
    ui.startersTitle.hidden = starters.length === 0;
    for (const starter of starters) {
      const item = el("li");
      const button = el("button", "starter", starter);
      button.type = "button";
      button.addEventListener("click", () => {
        ui.input.focus(); // the starters go away: keep the focus where the next message is typed
        sendMessage(starter);
      });
      item.appendChild(button);
      ui.starters.appendChild(item);
    }
    ui.input.placeholder = assistant ? "Message " + (assistant.name || assistant.id) : "Message the assistant";
  }

  function pickAssistant(id) {
    if (!state.byId.has(id)) return;
    state.assistant = id;
    localStorage.setItem(ASSISTANT_STORAGE, id);
    ui.assistantSelect.value = id;
  }

  // -------------------------------------------------------------------------------------
  // History
  // -------------------------------------------------------------------------------------

  function renderHistory() {
    // a re-render (after each answer) must not take the focus away from a keyboard user
    const active = document.activeElement;
    const focused = active && ui.history.contains(active) ? active.dataset.focusKey : null;
    ui.history.textContent = "";
    ui.historyEmpty.hidden = state.conversations.length > 0;
    for (const item of state.conversations) {
      const li = el("li", "history-item");
      if (state.conversation && item.id === state.conversation.id) li.classList.add("current");
      const open = el("button", "history-open");
      open.type = "button";
      if (state.conversation && item.id === state.conversation.id) open.setAttribute("aria-current", "true");
      open.appendChild(el("span", "history-name", item.title || "Untitled conversation"));
      const meta = el("span", "history-meta");
      const bits = [assistantLabel(item.assistant), formatWhen(item.updated_at)];
      const usage = formatUsage(item.usage, item.cost_usd);
      meta.textContent = bits.filter(Boolean).join(" · ");
      open.appendChild(meta);
      if (usage) open.appendChild(el("span", "history-usage", usage));
      open.dataset.focusKey = "open:" + item.id;
      open.title = item.title || "Untitled conversation";
      open.addEventListener("click", () => {
        location.hash = "#/c/" + item.id;
        closeSidebar(false);
      });
      const remove = el("button", "icon-button history-delete");
      remove.type = "button";
      remove.setAttribute("aria-label", "Delete conversation: " + (item.title || "Untitled conversation"));
      remove.title = "Delete";
      remove.appendChild(el("span", "trash-icon"));
      remove.dataset.focusKey = "delete:" + item.id;
      remove.addEventListener("click", () => confirmDelete(item));
      li.appendChild(open);
      li.appendChild(remove);
      ui.history.appendChild(li);
    }
    if (focused) {
      const again = Array.from(ui.history.querySelectorAll("button")).find((b) => b.dataset.focusKey === focused);
      (again || ui.newChat).focus();
    }
  }

  async function loadHistory() {
    const body = await getJson("ui/api/conversations");
    state.conversations = Array.isArray(body.data) ? body.data : [];
    renderHistory();
  }

  function confirmDelete(item) {
    ui.deleteText.textContent = "“" + (item.title || "Untitled conversation") + "” and its messages " +
      "will be deleted from the server. This cannot be undone.";
    const done = () => {
      ui.deleteDialog.removeEventListener("close", done);
      if (ui.deleteDialog.returnValue === "delete") deleteConversation(item.id);
    };
    ui.deleteDialog.returnValue = "";
    ui.deleteDialog.addEventListener("close", done);
    ui.deleteDialog.showModal();
  }

  async function deleteConversation(id) {
    try {
      const response = await request("ui/api/conversations/" + encodeURIComponent(id), { method: "DELETE" });
      if (!response.ok && response.status !== 404) {
        throw new PageError(await errorMessage(response), "http", response.status);
      }
      state.conversations = state.conversations.filter((c) => c.id !== id);
      if (state.conversation && state.conversation.id === id) {
        startNew();
      } else {
        renderHistory();
        ui.newChat.focus(); // the button that had the focus is gone
      }
      await loadHistory();
    } catch (error) {
      reportError(error, () => deleteConversation(id));
    }
  }

  // -------------------------------------------------------------------------------------
  // Conversation
  // -------------------------------------------------------------------------------------

  function renderConversationHeader() {
    const c = state.conversation;
    ui.title.textContent = c && c.title ? c.title : "New conversation";
    document.title = (c && c.title ? c.title + " · " : "") + "gptkit";
    ui.usage.textContent = c && c.usage ? formatUsage(c.usage, c.cost_usd) : "";
  }

  function setStreaming(on) {
    state.streaming = on;
    ui.send.disabled = on;
    ui.send.hidden = on;
    ui.stop.hidden = !on;
    if (!on) state.stopper = null;
    ui.app.classList.toggle("streaming", on);
    for (const button of ui.starters.querySelectorAll("button")) button.disabled = on;
  }

  function startNew() {
    state.conversation = { id: newId(), assistant: state.assistant, title: "", usage: null, cost_usd: null, stored: false };
    ui.log.textContent = "";
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    renderConversationHeader();
    renderWelcome();
    renderHistory();
    ui.input.disabled = false;
    if (!isNarrow()) ui.input.focus();
  }

  // Follow the answer as it grows, unless the person scrolled up to read something.
  let followAnswer = true;

  function scrollToEnd(force) {
    if (force || followAnswer) {
      ui.scroller.scrollTop = ui.scroller.scrollHeight;
      followAnswer = true;
    }
  }

  function addUserMessage(text) {
    const article = el("article", "message user");
    article.appendChild(el("h2", "message-role visually-hidden", "You said"));
    article.appendChild(el("div", "message-body", text));
    ui.log.appendChild(article);
    return article;
  }

  /** An assistant message; returns a handle to fill it as the answer arrives. */
  function addAssistantMessage(assistantId) {
    const article = el("article", "message assistant");
    const role = el("h2", "message-role", assistantLabel(assistantId));
    const tools = el("div", "tools");
    const body = el("div", "message-body markdown");
    const meta = el("p", "message-meta");
    article.append(role, tools, body, meta);
    ui.log.appendChild(article);
    let text = "";
    let pending = false;
    const calls = new Map();
    const draw = () => {
      pending = false;
      body.textContent = "";
      body.appendChild(markdown.render(text));
      scrollToEnd(false);
    };
    return {
      article: article,
      get text() { return text; },
      wait() {
        article.setAttribute("aria-busy", "true");
        body.appendChild(el("span", "typing", ""));
        body.lastChild.setAttribute("role", "img");
        body.lastChild.setAttribute("aria-label", "The assistant is answering");
        for (let i = 0; i < 3; i++) body.lastChild.appendChild(el("span", "dot"));
      },
      append(piece) {
        text += piece;
        if (!pending) {
          pending = true;
          // draw at most once a frame; a hidden tab still gets the text through the timer
          requestAnimationFrame(() => pending && draw());
          setTimeout(() => pending && draw(), 100);
        }
      },
      setText(value) {
        text = value;
        draw();
      },
      toolCall(call) {
        const line = toolLine(call);
        calls.set(call.id || call.name + calls.size, line);
        tools.appendChild(line.node);
        scrollToEnd(false);
      },
      toolResult(result) {
        let line = calls.get(result.id);
        if (!line) {
          line = toolLine({ id: result.id, name: result.name, arguments: "" });
          calls.set(result.id, line);
          tools.appendChild(line.node);
        }
        line.finish(result);
        scrollToEnd(false);
      },
      finish(usage, cost) {
        draw();
        stopRunningTools(tools);
        article.removeAttribute("aria-busy");
        const summary = formatUsage(usage, cost);
        meta.textContent = summary;
        meta.hidden = !summary;
      },
      stopped() {
        if (pending) draw();
        const typing = body.querySelector(".typing");
        if (typing) typing.remove();
        article.removeAttribute("aria-busy");
        article.classList.add("stopped");
        stopRunningTools(tools);
        meta.hidden = true;
        article.appendChild(el("p", "message-note", "Stopped. Nothing of this turn was kept."));
        scrollToEnd(false);
      },
      fail(message, retry) {
        if (pending) draw();
        const typing = body.querySelector(".typing");
        if (typing) typing.remove();
        article.removeAttribute("aria-busy");
        article.classList.add("failed");
        stopRunningTools(tools);
        const box = el("div", "message-error");
        box.setAttribute("role", "alert");
        box.appendChild(el("strong", "", "The answer failed."));
        box.appendChild(el("span", "", sentence(message)));
        if (retry) {
          const again = el("button", "button small", "Try again");
          again.type = "button";
          again.addEventListener("click", retry);
          box.appendChild(again);
        }
        article.appendChild(box);
        meta.hidden = true;
        scrollToEnd(false);
      },
    };
  }

  function stopRunningTools(container) {
    for (const node of container.querySelectorAll(".tool.running")) {
      node.classList.remove("running");
      node.classList.add("stopped");
      node.querySelector(".tool-status").textContent = "no result";
    }
  }

  function toolLine(call) {
    const node = el("details", "tool running");
    const summary = el("summary", "tool-summary");
    summary.appendChild(el("span", "tool-icon"));
    const name = el("code", "tool-name", call.name || "tool");
    const args = el("span", "tool-args", "(" + shorten(formatArguments(call.arguments), 80) + ")");
    const status = el("span", "tool-status", "running…");
    const result = el("span", "tool-result", "");
    summary.append(name, args, status, result);
    node.appendChild(summary);
    const detail = el("div", "tool-detail");
    detail.appendChild(el("h3", "tool-detail-title", "Arguments"));
    const argsPre = el("pre", "", prettyJson(call.arguments) || "(none)");
    argsPre.tabIndex = 0;
    detail.appendChild(argsPre);
    const resultTitle = el("h3", "tool-detail-title", "Result");
    const resultPre = el("pre", "", "");
    resultPre.tabIndex = 0;
    resultTitle.hidden = resultPre.hidden = true;
    detail.append(resultTitle, resultPre);
    node.appendChild(detail);
    return {
      node: node,
      finish(outcome) {
        node.classList.remove("running");
        node.classList.add(outcome.error ? "error" : "ok");
        status.textContent = outcome.error ? "failed" : "";
        result.textContent = "→ " + shorten(outcome.result, 160);
        resultTitle.hidden = resultPre.hidden = false;
        resultPre.textContent = String(outcome.result || "");
      },
    };
  }

  function renderStoredMessages(messages) {
    ui.log.textContent = "";
    for (const message of messages) {
      if (message.role === "user") {
        addUserMessage(message.content || "");
      } else if (message.role === "assistant") {
        const handle = addAssistantMessage(state.conversation.assistant);
        for (const tool of message.tools || []) {
          const id = tool.id || newId();
          handle.toolCall({ id: id, name: tool.name, arguments: tool.arguments });
          handle.toolResult({ id: id, name: tool.name, result: tool.result, error: tool.error });
        }
        handle.setText(message.content || "");
        handle.finish(null, null);
      }
    }
  }

  async function openConversation(id) {
    hideBanner();
    try {
      const response = await request("ui/api/conversations/" + encodeURIComponent(id));
      if (response.status === 404) {
        showBanner("That conversation is no longer on the server (it may have been deleted).");
        startNew();
        await loadHistory();
        return;
      }
      if (!response.ok) throw new PageError(await errorMessage(response), "http", response.status);
      const body = await response.json();
      state.conversation = {
        id: body.id, assistant: body.assistant, title: body.title, usage: body.usage,
        cost_usd: body.cost_usd, stored: true,
      };
      if (state.byId.has(body.assistant)) {
        pickAssistant(body.assistant);
        ui.input.disabled = false;
      } else {
        showBanner("The assistant of this conversation (" + body.assistant + ") is not served " +
          "any more: you can read the conversation but not continue it.");
        ui.input.disabled = true;
      }
      renderConversationHeader();
      renderStoredMessages(Array.isArray(body.messages) ? body.messages : []);
      renderWelcome();
      renderHistory();
      scrollToEnd(true);
      if (!isNarrow()) ui.input.focus();
    } catch (error) {
      reportError(error, () => openConversation(id));
    }
  }

  async function sendMessage(text) {
    const message = String(text || "").trim();
    if (!message || state.streaming || !state.assistant) return;
    if (!state.conversation || state.conversation.assistant !== state.assistant) startNew();
    const conversation = state.conversation;
    hideBanner();
    if (!conversation.title) {
      conversation.title = shorten(message, 80);
      renderConversationHeader();
    }
    ui.welcome.hidden = true;
    const userNode = addUserMessage(message);
    const answer = addAssistantMessage(conversation.assistant);
    answer.wait();
    scrollToEnd(true);
    setStreaming(true);
    if (location.hash !== "#/c/" + conversation.id) history.replaceState(null, "", "#/c/" + conversation.id);

    const retry = () => {
      if (state.streaming) return;
      userNode.remove();
      answer.article.remove();
      sendMessage(message);
    };
    let ended = false;
    const stopper = new AbortController();
    state.stopper = stopper;
    try {
      const response = await request("ui/api/conversations/" + encodeURIComponent(conversation.id) + "/turn", {
        signal: stopper.signal,
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ assistant: conversation.assistant, message: message }),
      });
      if (!response.ok) {
        let why = await errorMessage(response);
        if (response.status === 409) {
          why = "This conversation is still answering an earlier message (perhaps in another " +
            "tab or program). Wait for that answer, then try again.";
        }
        throw new PageError(why, "http", response.status);
      }
      await readEvents(response, (type, data) => {
        let event;
        try {
          event = JSON.parse(data);
        } catch (_) {
          return; // not one of ours
        }
        if (type === "delta") {
          answer.append(String(event.text || ""));
        } else if (type === "tool_call") {
          answer.toolCall(event);
        } else if (type === "tool_result") {
          answer.toolResult(event);
        } else if (type === "done") {
          ended = true;
          conversation.stored = true;
          if (event.conversation) {
            conversation.usage = event.conversation.usage;
            conversation.cost_usd = event.conversation.cost_usd;
          }
          answer.finish(event.usage, event.cost_usd);
          renderConversationHeader();
        } else if (type === "error") {
          ended = true;
          answer.fail(String(event.message || "The model API failed."), retry);
        }
      });
      if (!ended) {
        throw new PageError("The connection to the server was lost before the answer finished.", "stream");
      }
    } catch (error) {
      if (ended) {
        /* the answer was complete */
      } else if (stopper.signal.aborted) {
        answer.stopped(); // the server cancels a turn whose stream was dropped
      } else {
        answer.fail(error instanceof PageError ? error.message : String(error), retry);
      }
    } finally {
      setStreaming(false);
    }
    try {
      await loadHistory();
    } catch (_) {
      /* the answer is shown; the list catches up on the next change */
    }
  }

  // -------------------------------------------------------------------------------------
  // Wiring
  // -------------------------------------------------------------------------------------

  function stopAnswer() {
    if (state.stopper) state.stopper.abort();
    ui.input.focus();
  }

  function conversationFromHash() {
    const match = /^#\/c\/([^/]+)$/.exec(location.hash);
    if (!match) return null;
    const id = decodeURIComponent(match[1]);
    return ID_PATTERN.test(id) ? id : null;
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 240) + "px";
  }

  function wire() {
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.input.value;
      if (!text.trim() || state.streaming) return;
      ui.input.value = "";
      autosize();
      sendMessage(text);
    });
    ui.stop.addEventListener("click", stopAnswer);
    ui.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.streaming) {
        event.preventDefault();
        stopAnswer();
        return;
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        ui.composer.requestSubmit();
      }
    });
    ui.input.addEventListener("input", autosize);
    ui.scroller.addEventListener("scroll", () => {
      const s = ui.scroller;
      followAnswer = s.scrollHeight - s.scrollTop - s.clientHeight < 80;
    }, { passive: true });
    ui.assistantSelect.addEventListener("change", () => {
      pickAssistant(ui.assistantSelect.value);
      startNew();
    });
    ui.newChat.addEventListener("click", () => {
      startNew();
      closeSidebar(false);
    });
    ui.menuButton.addEventListener("click", openSidebar);
    ui.sidebarClose.addEventListener("click", () => closeSidebar(true));
    ui.scrim.addEventListener("click", () => closeSidebar(true));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeSidebar(true);
    });
    ui.bannerClose.addEventListener("click", hideBanner);
    ui.bannerRetry.addEventListener("click", () => {
      const retry = bannerRetry;
      hideBanner();
      if (retry) retry();
    });
    ui.log.addEventListener("click", (event) => {
      const button = event.target.closest(".copy-button");
      if (!button) return;
      const code = button.closest(".code-block").querySelector("code").textContent;
      const copied = () => {
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code).then(copied, () => { button.textContent = "Copy failed"; });
      } else {
        // no clipboard API outside a secure context: select the code for Ctrl+C / the menu
        window.getSelection().selectAllChildren(button.closest(".code-block").querySelector("code"));
        button.textContent = "Selected";
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      }
    });
    window.addEventListener("hashchange", () => {
      const id = conversationFromHash();
      if (id && (!state.conversation || state.conversation.id !== id)) openConversation(id);
      else if (!id && state.conversation && state.conversation.stored && !state.streaming) startNew();
    });
  }

  async function start() {
    wire();
    try {
      const body = await getJson("ui/api/assistants");
      state.assistants = Array.isArray(body.data) ? body.data : [];
    } catch (error) {
      reportError(error, () => location.reload());
      ui.app.classList.add("unavailable");
      return;
    }
    state.byId = new Map(state.assistants.map((a) => [a.id, a]));
    if (!state.assistants.length) {
      showBanner("This server has no assistants to talk to. Start `gptkit serve` with an assistant file or folder.");
      ui.input.disabled = true;
      ui.send.disabled = true;
      return;
    }
    const remembered = localStorage.getItem(ASSISTANT_STORAGE);
    pickAssistant(state.byId.has(remembered) ? remembered : state.assistants[0].id);
    renderAssistants();
    const wanted = conversationFromHash();
    if (wanted) {
      await openConversation(wanted);
    } else {
      startNew();
    }
    try {
      await loadHistory();
    } catch (error) {
      reportError(error, () => loadHistory().catch((e) => reportError(e)));
    }
    ui.app.classList.add("ready");
  }

  start();
})();
