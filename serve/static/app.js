// smallbatch chat page: streams answers from /v1/chat/completions (SSE) and shows the
// citations the server attaches to the last chunk. Model text is only ever set as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_HISTORY = 12; // messages, i.e. six questions and their answers
const state = { model: null, snapshot: null, history: [], busy: null, turns: 0 };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "hidden") node.hidden = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem("smallbatch-key");
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

// An HTTP error with the OpenAI-shaped body's message when there is one.
async function httpError(resp) {
  let message = resp.statusText || "request failed";
  let code = null;
  try {
    const body = await resp.json();
    if (body && body.error) { message = body.error.message || message; code = body.error.code; }
  } catch (_) { /* not JSON: keep the status text */ }
  const err = new Error(message);
  err.status = resp.status; err.code = code;
  return err;
}

function describe(err) {
  if (err.status === 401 || err.status === 403) {
    return `Error ${err.status}: ${err.message} Enter a valid API key above.`;
  }
  if (err.status === 429) return `Error 429: ${err.message}`;
  if (err.status) return `Error ${err.status}: ${err.message}`;
  return `Could not reach the server: ${err.message}`;
}

function showKb(kb, snapshot, note = "") {
  const node = $("kb");
  node.dataset.state = "ready";
  node.replaceChildren("Knowledge base ", el("strong", { text: kb }), " · snapshot ",
    el("code", { text: snapshot || "unknown" }), note);
}

async function loadModels() {
  const node = $("kb");
  try {
    const resp = await fetch("/v1/models", { headers: headers() });
    if (!resp.ok) throw await httpError(resp);
    const first = (await resp.json()).data[0];
    state.model = first.id; state.snapshot = first.snapshot;
    showKb(first.id, first.snapshot);
  } catch (err) {
    node.dataset.state = "error";
    node.textContent = `Knowledge base unavailable. ${describe(err)}`;
  }
}

// --- rendering ----------------------------------------------------------------------------

function addTurn(role, text) {
  $("empty")?.remove();
  const n = ++state.turns;
  const body = el("div", { class: "text", text });
  const turn = el("article", { class: `msg ${role}`, id: `turn-${n}`, "aria-label":
    role === "user" ? "Your question" : "Answer" }, body);
  $("log").append(turn);
  turn.scrollIntoView({ block: "end" });
  return turn;
}

function sourceId(turn, number) { return `${turn.id}-source-${number}`; }

function toggleSource(turn, number, open) {
  const panel = document.getElementById(sourceId(turn, number));
  if (!panel) return;
  const show = open ?? panel.hidden;
  panel.hidden = !show;
  for (const b of turn.querySelectorAll(`[data-cite="${number}"]`)) {
    b.setAttribute("aria-expanded", String(show));
  }
  if (show) panel.scrollIntoView({ block: "nearest" });
}

function citeButton(turn, number, label) {
  const b = el("button", { type: "button", class: "cite", "data-cite": number,
    "aria-expanded": "false", "aria-controls": sourceId(turn, number),
    "aria-label": `Source ${number}`, text: label });
  b.addEventListener("click", () => toggleSource(turn, number));
  return b;
}

// The answer text with each [n] that maps to a citation turned into a button.
function renderText(turn, text, numbers) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(m[1]);
    if (!numbers.has(n)) continue;
    out.push(text.slice(last, m.index), citeButton(turn, n, `[${n}]`));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  turn.querySelector(".text").replaceChildren(...out);
}

function renderSources(turn, citations) {
  if (!citations.length) return;
  const list = el("ol", { class: "sources", "aria-label": "Sources" });
  for (const c of citations) {
    const span = c.span && c.span.length === 2 ? ` · characters ${c.span[0]}–${c.span[1]}` : "";
    const how = c.method === "support" ? " (not cited by the model; the source that supports it)" : "";
    const panel = el("div", { class: "source-body", id: sourceId(turn, c.number), hidden: true },
      el("p", { class: "path" }, "Document ", el("code", { text: c.source_path }), span),
      el("blockquote", { text: c.text }));
    const head = citeButton(turn, c.number, `[${c.number}] ${c.source_path}${how}`);
    head.classList.add("source-toggle");
    list.append(el("li", { value: c.number }, head, panel));
  }
  turn.append(el("h3", { class: "sources-title", text: "Sources" }), list);
}

function notice(turn, kind, text) {
  const p = el("p", { class: `notice ${kind}`, text });
  if (kind === "error") p.setAttribute("role", "alert");
  turn.append(p);
  return p;
}

function finish(turn, text, final) {
  const extra = final.smallbatch || {};
  const citations = final.citations || [];
  renderText(turn, text, new Set(citations.map((c) => c.number)));
  const rw = extra.rewrite;
  if (rw && rw.method !== "none") {
    turn.prepend(el("p", { class: "rewrite" }, "Searched for: ", el("q", { text: rw.query })));
  }
  if (extra.draft || (extra.unsupported && extra.unsupported.length)) {
    const missing = (extra.unsupported || []).join(", ");
    notice(turn, "withdrawn", "The model's answer was withdrawn: the sources do not support it"
      + (missing ? ` (not in the sources: ${missing}).` : "."));
    turn.dataset.state = "abstained";
  } else if (extra.abstained) {
    notice(turn, "abstain", "No answer: the knowledge base does not cover this question.");
    turn.dataset.state = "abstained";
  } else {
    turn.dataset.state = "done";
  }
  renderSources(turn, citations);
  if (extra.snapshot && extra.snapshot !== state.snapshot) {
    const changed = state.snapshot ? " (updated)" : "";
    state.snapshot = extra.snapshot;
    showKb(extra.kb || state.model, extra.snapshot, changed);
  }
}

// --- streaming ----------------------------------------------------------------------------

async function* sseEvents(resp) {
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart()).join("\n");
      if (data === "[DONE]") return;
      if (data) yield JSON.parse(data);
    }
  }
}

async function ask(question) {
  if (!state.model) await loadModels();
  if (!state.model) {
    const turn = addTurn("assistant", "");
    turn.dataset.state = "error";
    notice(turn, "error", $("kb").textContent);
    return;
  }
  // Recent turns are enough for follow-ups and keep long chats under the server's limits.
  const messages = [...state.history.slice(-MAX_HISTORY), { role: "user", content: question }];
  addTurn("user", question);
  const turn = addTurn("assistant", "");
  turn.dataset.state = "streaming";
  turn.setAttribute("aria-busy", "true");
  const status = $("status");
  status.textContent = "Answering…";
  const started = performance.now();
  const controller = new AbortController();
  state.busy = controller;
  let text = "";
  let final = null;
  try {
    const resp = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), signal: controller.signal,
      body: JSON.stringify({ model: state.model, messages, stream: true }),
    });
    if (!resp.ok) throw await httpError(resp);
    for await (const chunk of sseEvents(resp)) {
      if (chunk.error) {
        const err = new Error(chunk.error.message);
        err.status = chunk.error.type === "service_unavailable" ? 503 : 502;
        throw err;
      }
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) { text += delta; turn.querySelector(".text").textContent = text; }
      if (chunk.citations) final = chunk;
    }
    if (!final) throw new Error("the answer ended before its sources arrived");
    finish(turn, text, final);
    state.history.push({ role: "user", content: question }, { role: "assistant", content: text });
    status.textContent = `Answered in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
  } catch (err) {
    turn.dataset.state = "error";
    if (err.name === "AbortError") {
      notice(turn, "stopped", "Stopped.");
      status.textContent = "Stopped.";
    } else {
      notice(turn, "error", describe(err));
      status.textContent = "The question failed; see the message above.";
    }
  } finally {
    turn.removeAttribute("aria-busy");
    state.busy = null;
  }
}

// --- wiring -------------------------------------------------------------------------------

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").hidden = !busy;
}

document.addEventListener("DOMContentLoaded", () => {
  const saved = sessionStorage.getItem("smallbatch-key");
  if (saved) $("api-key").value = saved;
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem("smallbatch-key", key);
    else sessionStorage.removeItem("smallbatch-key");
    loadModels();
  });
  $("ask").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("question").value.trim();
    if (!q || state.busy) return;
    $("question").value = "";
    setBusy(true);
    try { await ask(q); } finally { setBusy(false); $("question").focus(); }
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => state.busy?.abort());
  $("reset").addEventListener("click", () => {
    state.busy?.abort();
    state.history = [];
    $("log").replaceChildren();
    $("status").textContent = "New conversation.";
    $("question").focus();
  });
  loadModels();
});
