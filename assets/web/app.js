// pincer's web page: sessions, transcript, composer, approvals, status. No framework, no build.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: null, session: null, source: null, approval: null, turn: null, partial: "" };

// ---- token: from the URL fragment once, then sessionStorage; sent as a bearer header ----
(function takeToken() {
  const m = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("pincer-token", m[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
  state.token = sessionStorage.getItem("pincer-token");
})();

async function api(method, path, body) {
  const init = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch("/api" + path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.status + " " + res.statusText);
  return data;
}

// ---- markdown: a small renderer for what models write; everything is escaped first ----
const esc = (s) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const KEYWORDS = new Set(("as async await break case catch class const continue def default do else enum export " +
  "extends false fn for from func function if impl import in interface let loop match mod move mut new nil None null " +
  "package pub return self Self static struct super switch this throw true True False try type use var where while with yield").split(" "));

function highlight(code, lang) {
  if (lang === "diff" || lang === "patch") return diffLines(code);
  const re = /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|(\b\d[\d_.]*\b)|([A-Za-z_][A-Za-z0-9_]*)(\s*\()?/g;
  const hashComments = /^(py|python|sh|bash|shell|zsh|toml|yaml|yml|rb|ruby|r|perl|make|dockerfile|conf|ini)$/.test(lang || "");
  let out = "", last = 0, m;
  while ((m = re.exec(code))) {
    out += esc(code.slice(last, m.index));
    last = re.lastIndex;
    if (m[1]) {
      if (m[1][0] === "#" && !hashComments) { out += esc(m[1][0]); re.lastIndex = last = m.index + 1; continue; }
      out += '<span class="hl-com">' + esc(m[1]) + "</span>";
    } else if (m[2]) out += '<span class="hl-str">' + esc(m[2]) + "</span>";
    else if (m[3]) out += '<span class="hl-num">' + esc(m[3]) + "</span>";
    else if (KEYWORDS.has(m[4])) out += '<span class="hl-kw">' + esc(m[4]) + "</span>" + esc(m[5] || "");
    else if (m[5]) out += '<span class="hl-fn">' + esc(m[4]) + "</span>" + esc(m[5]);
    else out += esc(m[0]);
  }
  return out + esc(code.slice(last));
}

function diffLines(text) {
  return text.split("\n").map((l) => {
    const cls = l.startsWith("+") && !l.startsWith("+++") ? "diff-add"
      : l.startsWith("-") && !l.startsWith("---") ? "diff-del" : l.startsWith("@@") ? "diff-hunk" : "";
    return cls ? '<span class="' + cls + '">' + esc(l) + "</span>" : esc(l);
  }).join("\n");
}

function inline(text) {
  const parts = text.split(/(`[^`\n]+`)/);
  return parts.map((p, i) => {
    if (i % 2 === 1) return "<code>" + esc(p.slice(1, -1)) + "</code>";
    return esc(p)
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>');
  }).join("");
}

function markdown(src) {
  const lines = src.replace(/\r\n/g, "\n").split("\n");
  let html = "", para = [], list = null;
  const flushPara = () => { if (para.length) { html += "<p>" + inline(para.join("\n")).replace(/\n/g, "<br>") + "</p>"; para = []; } };
  const flushList = () => { if (list) { html += "</" + list + ">"; list = null; } };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flushPara(); flushList();
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      html += '<pre><code class="lang-' + esc(fence[2] || "text") + '">' + highlight(body.join("\n"), fence[2].toLowerCase()) + "</code></pre>";
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (h) { flushPara(); flushList(); html += "<h" + h[1].length + ">" + inline(h[2]) + "</h" + h[1].length + ">"; }
    else if (item) {
      flushPara();
      const kind = item[1] ? "ul" : "ol";
      if (list !== kind) { flushList(); html += "<" + kind + ">"; list = kind; }
      html += "<li>" + inline(item[3]) + "</li>";
    } else if (/^>\s?/.test(line)) { flushPara(); flushList(); html += "<blockquote>" + inline(line.replace(/^>\s?/, "")) + "</blockquote>"; }
    else if (!line.trim()) { flushPara(); flushList(); }
    else { flushList(); para.push(line); }
  }
  flushPara(); flushList();
  return html;
}

// ---- transcript ----
function add(cls, html) {
  const div = document.createElement("div");
  div.className = "msg " + cls;
  div.innerHTML = html;
  $("transcript").appendChild(div);
  scrollDown();
  return div;
}
function scrollDown() { const t = $("transcript"); t.scrollTop = t.scrollHeight; }
function addUser(text) { add("user", esc(text)); }
function addAssistant(text, interrupted) { const d = add("assistant" + (interrupted ? " interrupted" : ""), markdown(text)); return d; }
function addTool(ev) {
  const ok = ev.status === "ok";
  const out = ev.output ? "<details><summary>output</summary><pre>" + esc(ev.output) + "</pre></details>" : "";
  add("tool", '<span class="' + (ok ? "ok" : "bad") + '">' + (ok ? "✓" : "✗") + "</span> " + esc(ev.tool) + ": " +
    esc(ev.summary || "") + ' <span class="muted">(' + esc(ev.status) + (ev.decided_by ? ", " + esc(ev.decided_by) : "") + ")</span>" + out);
}

function streaming() {
  if (!state.live) state.live = add("assistant", "");
  return state.live;
}
let renderPending = false;
function renderPartial() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; if (state.live) { state.live.innerHTML = markdown(state.partial); scrollDown(); } });
}

function showHistory(items) {
  $("transcript").innerHTML = "";
  for (const it of items) {
    if (it.item === "user") addUser(it.text);
    else if (it.item === "assistant") addAssistant(it.text, it.interrupted);
    else if (it.item === "tool") addTool(it);
    else if (it.item === "error") add("error", esc(it.message));
    else if (it.item === "compaction") add("notice", "(older turns summarised for the model)");
  }
}

// ---- events ----
const handlers = {
  session_configured(ev) {
    showHistory(ev.history || []);
    state.live = null; state.partial = "";
    if (ev.provider) $("status-model").textContent = ev.provider.profile + " · " + ev.provider.model;
    closeApproval();
  },
  provider_changed(ev) { $("status-model").textContent = ev.provider.profile + " · " + ev.provider.model; },
  user_message(ev) { addUser(ev.text); },
  session_items_appended(ev) { for (const it of ev.items || []) { if (it.item === "user") addUser(it.text); else if (it.item === "assistant") addAssistant(it.text, it.interrupted); } },
  turn_started(ev) { state.turn = ev.turn_id; setTurn("working…"); },
  assistant_delta(ev) { streaming(); state.partial += ev.text; renderPartial(); },
  assistant_message_done(ev) {
    const d = streaming();
    d.innerHTML = markdown(ev.text);
    if (ev.interrupted) d.classList.add("interrupted");
    state.live = null; state.partial = "";
    scrollDown();
  },
  retrying(ev) {
    if (ev.discard_partial && state.live) { state.live.remove(); state.live = null; state.partial = ""; }
    setTurn("retrying " + ev.attempt + "/" + ev.max_attempts + ": " + ev.reason);
  },
  turn_finished(ev) {
    if (state.live && !state.partial) { state.live.remove(); }
    state.live = null; state.partial = ""; state.turn = null;
    setTurn(ev.outcome === "completed" ? "idle" : ev.outcome);
    closeApproval();
  },
  tool_call_started(ev) { setTurn("⚙ " + ev.summary); },
  tool_call_finished(ev) { addTool(ev); },
  approval_requested(ev) { openApproval(ev); },
  approval_withdrawn(ev) { if (state.approval && state.approval.request_id === ev.request_id) closeApproval(); },
  approval_resolved(ev) { if (state.approval && state.approval.request_id === ev.request_id) closeApproval(); },
  error(ev) { add("error", esc(ev.message)); },
  notice(ev) { add("notice", esc(ev.message)); },
  session_busy(ev) { setTurn(ev.waiting ? "another pincer is working in this session — waiting" : "gave up waiting"); },
  context_usage(ev) { $("status-context").textContent = ev.window_tokens ? "· context " + Math.round(100 * ev.used_tokens / ev.window_tokens) + "%" : ""; },
  queue(ev) { if (ev.items && ev.items.length) setTurn("working… (" + ev.items.length + " queued)"); },
  replay_gap() { /* the whole log follows, starting with session_configured */ },
};

function setTurn(text) { $("status-turn").textContent = text; }
function setConn(text) { $("status-conn").textContent = text; }

function connect(id) {
  if (state.source) state.source.close();
  const es = new EventSource("/api/sessions/" + encodeURIComponent(id) + "/events?token=" + state.token);
  state.source = es;
  es.onopen = () => setConn("connected");
  es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…");
  es.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    const h = handlers[ev.event];
    if (h) h(ev);
  };
}

// ---- approvals ----
function openApproval(ev) {
  state.approval = ev;
  $("approval-tool").textContent = ev.tool;
  $("approval-summary").textContent = ev.summary;
  $("approval-reason").textContent = ev.reason || "";
  $("approval-taint").hidden = !ev.taint;
  $("approval-taint").textContent = ev.taint ? "⚠ this turn read untrusted content: " + ev.taint : "";
  const p = ev.preview || {};
  $("approval-preview").innerHTML = p.kind === "diff" ? esc(p.path) + "\n" + diffLines(p.diff)
    : p.kind === "command" ? "$ " + esc(p.command) + '\n<span class="muted">in ' + esc(p.cwd) + "</span>"
    : esc(p.text || "");
  const allowed = new Set(ev.decisions || []);
  for (const b of document.querySelectorAll("#approval [data-decision]")) b.hidden = !allowed.has(b.dataset.decision);
  $("approval-rule").value = ev.session_rule || ev.suggested_rule || "";
  $("approval-deny-reason").value = "";
  $("approval").hidden = false;
  $("approve-once").focus();
}
function closeApproval() { state.approval = null; $("approval").hidden = true; }

async function decide(decision) {
  const ev = state.approval;
  if (!ev) return;
  const body = { decision };
  if (decision === "approve_always") body.rule = $("approval-rule").value.trim() || ev.suggested_rule;
  if (decision === "approve_session") body.rule = $("approval-rule").value.trim() || null;
  if (decision === "deny") body.reason = $("approval-deny-reason").value.trim() || null;
  try {
    await api("POST", "/sessions/" + encodeURIComponent(state.session) + "/approvals/" + ev.request_id, body);
  } catch (e) { add("notice", esc(e.message)); }
  closeApproval();
}
for (const b of document.querySelectorAll("#approval [data-decision]")) b.addEventListener("click", () => decide(b.dataset.decision));
$("approve-always").addEventListener("mouseenter", () => { if (state.approval) $("approval-rule").value = state.approval.suggested_rule || ""; });

// ---- sessions ----
async function loadSessions() {
  const data = await api("GET", "/sessions");
  const ul = $("session-list");
  ul.innerHTML = "";
  for (const s of data.sessions) {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    if (s.id === state.session) li.className = "current";
    li.innerHTML = esc(s.title || s.first_prompt || "(new session)") + '<span class="meta">' +
      new Date(s.updated_ms).toLocaleString() + " · " + s.message_count + " messages" + (s.running ? " · working" : "") + "</span>";
    li.addEventListener("click", () => openSession(s.id, s.title || s.first_prompt));
    ul.appendChild(li);
  }
  return data.sessions;
}

async function openSession(id, title) {
  state.session = id;
  sessionStorage.setItem("pincer-session", id);
  $("title").textContent = title || "";
  $("transcript").innerHTML = "";
  closeApproval();
  $("sessions").classList.remove("open");
  for (const li of document.querySelectorAll("#session-list li")) li.classList.toggle("current", li.dataset.id === id);
  connect(id);
  $("input").focus();
}

async function newSession() {
  const s = await api("POST", "/sessions", {});
  await loadSessions();
  await openSession(s.id, "");
  return s;
}

// ---- composer ----
async function send() {
  const input = $("input");
  const text = input.value;
  if (!text.trim()) return;
  if (!state.session) await newSession();
  input.value = "";
  try {
    await api("POST", "/sessions/" + encodeURIComponent(state.session) + "/messages", { text });
  } catch (e) {
    input.value = text;
    add("error", esc(e.message));
  }
}
async function interrupt() {
  if (!state.session) return;
  try { await api("POST", "/sessions/" + encodeURIComponent(state.session) + "/interrupt"); } catch (e) { add("notice", esc(e.message)); }
}

$("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
});
document.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); interrupt(); } });
$("new-session").addEventListener("click", () => newSession().catch((e) => add("error", esc(e.message))));
$("toggle-sessions").addEventListener("click", () => {
  const open = $("sessions").classList.toggle("open");
  $("toggle-sessions").setAttribute("aria-expanded", String(open));
});

// ---- start ----
(async function start() {
  if (!state.token) {
    add("error", "No token: open the URL `pincer serve` printed (it ends in #token=…).");
    return;
  }
  try {
    const sessions = await loadSessions();
    const remembered = sessionStorage.getItem("pincer-session");
    const pick = sessions.find((s) => s.id === remembered);
    if (pick) openSession(pick.id, pick.title || pick.first_prompt);
    setConn(pick ? "connecting…" : "ready");
  } catch (e) {
    add("error", esc(e.message));
  }
})();
