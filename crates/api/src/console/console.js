// The admin console: draws the page its path names from the engine's JSON API.
// Signed in by a pasted token (the tab's session storage, sent as a bearer token), by the
// zora_access_token cookie (ZORA CORE's session, or `zora serve --dev`'s sign-in), kept
// live by the server's event stream. Every text from the server enters the page as text,
// never as HTML.
"use strict";

const TOKEN_KEY = "zora.console.token";
const STATES = ["available", "scheduled", "blocked", "awaiting_approval", "running",
  "completed", "failed", "cancelled", "rejected"];
const AGENTS = ["CONNOR", "LUMINA", "EIVOR", "ORACLE", "AEGIS", "SAM"];
const PAGE_SIZE = 50;

// ---- small helpers --------------------------------------------------------------------

/** An element with attributes (on* are listeners) and children (strings become text). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const main = () => document.getElementById("main");
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const stateBadge = (state) => h("span", { class: `state state-${state}`, dataset: { state } },
  state.replace("_", " "));
const taskLink = (id, text) => h("a", { href: `/admin/agents/tasks/${id}` }, text || id);

function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.textContent = ""; }, 6000);
}

/** An error of the API: its status, code, message and fields at fault. */
class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.fields = (body && body.fields) || [];
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Calls the API; JSON in, JSON out; an ApiError for every error answer. */
async function api(path, options = {}) {
  const init = { method: options.method || "GET", credentials: "same-origin",
    headers: { Accept: "application/json", ...authHeaders() } };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { message: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return { status: response.status, body };
}

/** Shows an error next to its field (`[data-field=name]`), else in `fallback`. */
function showErrors(form, error, fallback) {
  form.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
  let placed = false;
  for (const fault of error.fields || []) {
    const slot = form.querySelector(`.field-error[data-for="${fault.field.split(/[.[]/)[0]}"]`);
    if (slot) { slot.textContent = fault.message; placed = true; }
  }
  if (!placed) fallback.textContent = error.message;
  else fallback.textContent = "";
}

function field(name, labelText, control) {
  control.id = control.id || `f-${name}`;
  control.name = name;
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control,
    h("div", { class: "field-error", "data-for": name, role: "alert" }));
}

// ---- live updates ---------------------------------------------------------------------

/**
 * Calls `onCounts(counts)` at each event of the server's stream, reconnecting. The stream
 * is closed when the page is left (also for the back/forward cache, which would keep it
 * open: a browser gives a server six HTTP/1.1 connections, and six pages left open would
 * hold them all) and opened again if the page comes back.
 */
function live(onCounts) {
  let controller = null;
  async function connect() {
    const mine = new AbortController();
    controller = mine;
    while (controller === mine) {
      try {
        const response = await fetch("/api/agents/events", { credentials: "same-origin", signal: mine.signal,
          headers: { Accept: "text/event-stream", ...authHeaders() } });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const lines = block.split("\n");
            const event = (lines.find((l) => l.startsWith("event:")) || "").slice(6).trim();
            const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
            if (event === "counts" && data) onCounts(JSON.parse(data));
          }
        }
      } catch (_) { /* reconnect below, unless the page was left */ }
      if (controller !== mine) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  window.addEventListener("pagehide", () => { if (controller) controller.abort(); controller = null; });
  window.addEventListener("pageshow", (event) => { if (event.persisted) connect(); });
  connect();
}

// ---- session --------------------------------------------------------------------------

let session = null;

function renderWho() {
  const who = document.getElementById("who");
  who.replaceChildren(
    h("span", { "data-role": session.role }, `${session.role.replace("_", " ")} · tenant ${session.tenant_id.slice(0, 8)}…`),
    h("button", { class: "secondary", type: "button", onclick: signOut }, "Sign out"));
}

async function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  await fetch("/admin/sign-out", { method: "POST", credentials: "same-origin" });
  location.reload();
}

function renderSignIn(reason) {
  const dev = document.body.dataset.dev === "true";
  const token = h("textarea", { rows: 4, autocomplete: "off", spellcheck: "false" });
  const message = h("p", { class: "field-error", role: "alert" }, reason || "");
  const form = h("form", { class: "panel", onsubmit: async (event) => {
    event.preventDefault();
    const value = token.value.trim();
    if (!value) { message.textContent = "Paste a token first."; return; }
    sessionStorage.setItem(TOKEN_KEY, value);
    try { await api("/api/agents/session"); location.reload(); }
    catch (error) { sessionStorage.removeItem(TOKEN_KEY); message.textContent = error.message; }
  } },
  field("token", "Access token (a ZORA CORE JWT; kept for this tab only)", token),
  h("button", { type: "submit" }, "Sign in"), message);
  const devForm = dev ? h("div", { class: "panel" },
    h("h2", {}, "Local development"),
    h("p", {}, "This server runs with ", h("code", {}, "--dev"), ": sign in as a founder of its tenant."),
    h("button", { type: "button", class: "danger", onclick: async () => {
      const response = await fetch("/admin/session", { method: "POST", credentials: "same-origin" });
      if (response.ok) location.reload(); else message.textContent = `Sign-in refused (${response.status})`;
    } }, "Development sign-in (founder)")) : null;
  main().replaceChildren(h("h1", {}, "Sign in"), form, devForm);
}

// ---- tasks ----------------------------------------------------------------------------

function taskFilters() {
  const params = new URLSearchParams(location.search);
  return { state: params.get("state") || "", agent_id: params.get("agent_id") || "",
    task_type: params.get("task_type") || "", q: params.get("q") || "", order: params.get("order") || "",
    offset: Number(params.get("offset") || 0) };
}

function setFilters(next) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(next)) if (value) params.set(key, value);
  history.replaceState(null, "", `${location.pathname}${params.toString() ? `?${params}` : ""}`);
}

async function tasksPage() {
  let filters = taskFilters();
  let sort = null;
  const selected = new Set();
  const counts = h("div", { class: "counts", role: "group", "aria-label": "Tasks per state" });
  const status = h("p", { class: "outcome", role: "status" });
  const types = await api("/api/agents/tasks/types").then((r) => r.body.data.supported || []).catch(() => []);
  const choose = (name, label, values, current) => field(name, label,
    h("select", {}, h("option", { value: "" }, "any"),
      values.map((v) => h("option", { value: v, selected: v === current }, v))));
  const text = h("input", { type: "search", value: filters.q, placeholder: "words in the title" });
  const form = h("form", { class: "panel row", role: "search", onsubmit: (e) => { e.preventDefault(); apply(); } },
    choose("state", "State", STATES, filters.state), choose("agent_id", "Agent", AGENTS, filters.agent_id),
    choose("task_type", "Type", types, filters.task_type), field("q", "Title contains", text),
    field("order", "Order", h("select", {}, [["", "queue (priority, then oldest)"], ["newest", "newest first"], ["oldest", "oldest first"]]
      .map(([value, label]) => h("option", { value, selected: value === filters.order }, label)))),
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("change", () => apply());
  function apply() {
    const data = new FormData(form);
    filters = { state: data.get("state"), agent_id: data.get("agent_id"), task_type: data.get("task_type"),
      q: data.get("q"), order: data.get("order"), offset: 0 };
    setFilters(filters);
    load();
  }
  const body = h("tbody");
  const pager = h("div", { class: "row" });
  const operate = session.can_operate;
  const bulk = h("div", { class: "actions" },
    h("button", { type: "button", id: "bulk-retry", disabled: !operate, onclick: () => act("run", "Retry") }, "Retry selected"),
    h("button", { type: "button", id: "bulk-cancel", class: "danger", disabled: !operate, onclick: () => act("cancel", "Cancel") }, "Cancel selected"),
    h("button", { type: "button", class: "secondary", id: "select-matching", onclick: selectMatching }, "Select all matching"),
    operate ? null : h("span", { class: "muted" }, "Your role may look, not act."));
  const head = (label, key) => h("th", { scope: "col" }, key
    ? h("button", { class: "sort", type: "button", onclick: () => { sort = sort === key ? `-${key}` : key; draw(); } }, label)
    : label);
  const table = h("table", { id: "tasks" }, h("thead", {}, h("tr", {},
    h("th", { scope: "col" }, h("span", { class: "skip" }, "Select")), head("State", "state"), head("Agent", "agent_id"),
    head("Type", "task_type"), head("Priority", "priority"), head("Title", "title"),
    head("Attempts", "attempts"), h("th", { class: "hide-narrow", scope: "col" }, "Created"),
    h("th", { class: "hide-narrow", scope: "col" }, "Started"), h("th", { class: "hide-narrow", scope: "col" }, "Completed"))), body);
  main().replaceChildren(h("h1", {}, "Tasks"), counts, form, bulk, status, h("div", { class: "table-wrap" }, table), pager);
  let rows = [];
  let total = 0;
  function draw() {
    const sorted = [...rows];
    if (sort) {
      const key = sort.replace("-", "");
      const sign = sort.startsWith("-") ? -1 : 1;
      sorted.sort((a, b) => (a[key] > b[key] ? sign : a[key] < b[key] ? -sign : 0));
    }
    body.replaceChildren(...sorted.map((t) => h("tr", { dataset: { id: t.id } },
      h("td", {}, h("input", { type: "checkbox", "aria-label": `Select ${t.title}`, checked: selected.has(t.id),
        onchange: (e) => { if (e.target.checked) selected.add(t.id); else selected.delete(t.id); } })),
      h("td", {}, stateBadge(t.state)), h("td", {}, t.agent_id), h("td", {}, t.task_type), h("td", {}, t.priority),
      h("td", {}, taskLink(t.id, t.title)), h("td", {}, `${t.attempts}${t.max_attempts ? ` / ${t.max_attempts}` : ""}`),
      h("td", { class: "hide-narrow" }, when(t.created_at)), h("td", { class: "hide-narrow" }, when(t.started_at)),
      h("td", { class: "hide-narrow" }, when(t.completed_at)))));
    if (!rows.length) body.replaceChildren(h("tr", {}, h("td", { colspan: 10, class: "muted" }, "No task matches.")));
    const first = total ? filters.offset + 1 : 0;
    pager.replaceChildren(
      h("button", { type: "button", class: "secondary", disabled: filters.offset === 0,
        onclick: () => { filters.offset = Math.max(0, filters.offset - PAGE_SIZE); setFilters(filters); load(); } }, "Previous"),
      h("span", { id: "page-info" }, `${first}–${filters.offset + rows.length} of ${total}`),
      h("button", { type: "button", class: "secondary", disabled: filters.offset + rows.length >= total,
        onclick: () => { filters.offset += PAGE_SIZE; setFilters(filters); load(); } }, "Next"));
  }
  function query(offset, limit) {
    const params = new URLSearchParams({ limit, offset });
    for (const key of ["state", "agent_id", "task_type", "q", "order"]) if (filters[key]) params.set(key, filters[key]);
    return `/api/agents/tasks?${params}`;
  }
  // The latest load wins: a live refresh still in flight when the filters change must not
  // draw its (unfiltered) page over the filtered one.
  let loads = 0;
  async function load() {
    const mine = ++loads;
    try {
      const { body: page } = await api(query(filters.offset, PAGE_SIZE));
      if (mine !== loads) return;
      rows = page.data;
      total = page.pagination.total;
      draw();
    } catch (error) { status.textContent = error.message; }
  }
  async function selectMatching() {
    const { body: page } = await api(query(0, 200));
    page.data.forEach((t) => selected.add(t.id));
    status.textContent = `${selected.size} selected${page.pagination.has_more ? " (the first 200 that match)" : ""}.`;
    draw();
  }
  async function act(verb, label) {
    if (!selected.size) { status.textContent = "Select tasks first."; return; }
    if (!confirm(`${label} ${selected.size} task(s)?`)) return;
    let done = 0;
    const refused = [];
    for (const id of [...selected]) {
      try { await api(`/api/agents/tasks/${id}/${verb}`, { method: "POST", body: {} }); done += 1; }
      catch (error) { refused.push(error.message); }
    }
    selected.clear();
    status.textContent = `${label}: ${done} done${refused.length ? `, ${refused.length} refused (${[...new Set(refused)].join("; ")})` : ""}.`;
    load();
  }
  function drawCounts(data) {
    counts.replaceChildren(...STATES.map((state) => h("button", { type: "button", "aria-pressed": filters.state === state,
      dataset: { state }, onclick: () => { form.elements.state.value = filters.state === state ? "" : state; apply(); } },
    state.replace("_", " "), h("b", {}, data[state] || 0))));
  }
  await load();
  drawCounts({});
  let pending = null;
  live((data) => {
    drawCounts(data);
    clearTimeout(pending);
    pending = setTimeout(load, 150);
  });
}

// ---- task detail ----------------------------------------------------------------------

/** The result of each type, readably; JSON below it in any case. */
function readableResult(task) {
  const r = task.result;
  if (!r) return h("p", { class: "muted" }, task.result_summary || "No result yet.");
  const parts = [];
  if (task.result_summary) parts.push(h("p", { class: "summary" }, task.result_summary));
  if (r.mission_id) parts.push(h("p", {}, "Mission ", h("code", {}, r.mission_id)));
  if (Array.isArray(r.mission_ids)) parts.push(h("p", {}, `${r.mission_ids.length} mission(s) created`));
  if (r.project_id) parts.push(h("p", {}, "Shop project ", h("code", {}, r.project_id)));
  if (Array.isArray(r.items)) {
    parts.push(h("ul", { class: "plan-items" }, r.items.map((item) => h("li", {},
      `${item.title} (${item.category || "other"}, ${item.estimated_impact_kgco2 ?? "?"} kg CO2)`))));
  }
  if (r.verdict) {
    parts.push(h("p", { class: "verdict" }, "Verdict: ", h("strong", {}, r.verdict)));
    if (Array.isArray(r.reasons) && r.reasons.length) parts.push(h("ul", {}, r.reasons.map((x) => h("li", {}, x))));
  }
  if (Array.isArray(r.findings)) {
    parts.push(r.findings.length ? h("table", { class: "findings" }, h("thead", {}, h("tr", {},
      h("th", {}, "Product"), h("th", {}, "Rule"), h("th", {}, "Severity"), h("th", {}, "Finding"))),
    h("tbody", {}, r.findings.map((f) => h("tr", {}, h("td", {}, f.product_name), h("td", {}, f.rule),
      h("td", {}, f.severity), h("td", {}, f.message))))) : h("p", {}, "No findings."));
  }
  if (typeof r.answer === "string") parts.push(h("blockquote", { class: "answer" }, r.answer), h("p", { class: "muted" }, `Model: ${r.model || "?"}`));
  return h("div", {}, parts);
}

/** The task's chain: its parents (with the inputs they give) and its children, each with
 * its state (`childStates`: a child's id to its state, read by the page). */
function graph(task, childStates) {
  const parents = task.depends_on || [];
  const children = task.dependents || [];
  if (!parents.length && !children.length) return h("p", { class: "muted" }, "No dependencies.");
  const column = (nodes) => h("div", { class: "col" }, nodes.length ? nodes : h("span", { class: "muted" }, "none"));
  return h("div", { class: "graph", role: "group", "aria-label": "Dependency graph" },
    column(parents.map((p) => h("div", { class: "node" }, taskLink(p.task_id, `${p.task_id.slice(0, 8)}…`), " ", stateBadge(p.state),
      p.inputs && Object.keys(p.inputs).length ? h("div", { class: "muted" }, `inputs: ${JSON.stringify(p.inputs)}`) : null))),
    h("span", { class: "arrow", "aria-hidden": "true" }, "→"),
    h("div", { class: "col" }, h("div", { class: "node self" }, task.title)),
    h("span", { class: "arrow", "aria-hidden": "true" }, "→"),
    column(children.map((id) => h("div", { class: "node", dataset: { child: id } }, taskLink(id, `${id.slice(0, 8)}…`), " ",
      childStates[id] ? stateBadge(childStates[id]) : null))));
}

/** Every attempt so far, oldest first: the worker that ran it and how it ended. */
function attempts(task) {
  const by = (worker) => (worker ? h("span", { class: "worker" }, ` · worker ${worker}`) : null);
  const items = (task.errors || []).map((e) => h("li", { dataset: { attempt: e.attempt } },
    h("strong", {}, `Attempt ${e.attempt}`), by(e.worker), ` · ${when(e.at)} · ${e.kind}: ${e.error}`));
  if (task.state === "running" && task.lease_owner) {
    items.push(h("li", { dataset: { attempt: task.attempts } }, h("strong", {}, `Attempt ${task.attempts}`),
      by(task.lease_owner), ` · running since ${when(task.started_at)}, lease until ${when(task.lease_expires_at)}`));
  } else if (task.status === "completed") {
    items.push(h("li", { dataset: { attempt: task.attempts } }, h("strong", {}, `Attempt ${task.attempts}`),
      by(task.completed_by), ` · ${when(task.completed_at)} · completed`));
  }
  return items.length ? h("ol", { class: "timeline", id: "attempts" }, items) : h("p", { class: "muted" }, "Not run yet.");
}

async function taskPage(id) {
  const outcome = h("p", { class: "outcome", role: "status", id: "action-outcome" });
  const container = h("div");
  main().replaceChildren(h("p", {}, h("a", { href: "/admin/agents/tasks" }, "← Tasks")), container, outcome);
  async function act(label, path, body, question) {
    if (!confirm(question)) return;
    try {
      const { body: answer } = await api(path, { method: "POST", body });
      const execution = answer.execution ? ` (${answer.execution.status}${answer.execution.message ? `: ${answer.execution.message}` : ""})` : "";
      outcome.className = "outcome";
      outcome.textContent = `${label}: done${execution}.`;
    } catch (error) {
      outcome.className = "outcome error";
      outcome.textContent = `${label} refused: ${error.message}`;
    }
    load();
  }
  let drawn = null;
  async function load() {
    let task;
    try { task = (await api(`/api/agents/tasks/${id}`)).body.data; }
    catch (error) { container.replaceChildren(h("h1", {}, "Task"), h("p", { class: "outcome error" }, error.message)); return; }
    // Drawn again only when the task changed: a focused button stays where it is.
    // A child's state, read with it: the graph draws every link of the chain with its state.
    const childStates = Object.fromEntries(await Promise.all((task.dependents || []).slice(0, 20).map((child) =>
      api(`/api/agents/tasks/${child}`).then((r) => [child, r.body.data.state]).catch(() => [child, null]))));
    const text = JSON.stringify([task, childStates]);
    if (text === drawn) return;
    drawn = text;
    const op = !session.can_operate;
    const pending = task.status === "pending";
    const failed = task.status === "failed";
    const finished = task.status === "completed" || failed;
    const deciding = task.state === "awaiting_approval";
    const actions = h("div", { class: "actions" },
      h("button", { type: "button", id: "action-run", disabled: op || !pending || deciding,
        onclick: () => act("Run now", `/api/agents/tasks/${id}/run?wait=true`, {}, "Run this task now and wait for its outcome?") }, "Run now"),
      h("button", { type: "button", id: "action-queue", class: "secondary", disabled: op || !pending || deciding,
        onclick: () => act("Queue", `/api/agents/tasks/${id}/run`, {}, "Queue this task for the workers?") }, "Queue"),
      h("button", { type: "button", id: "action-retry", disabled: op || !failed,
        onclick: () => act("Retry", `/api/agents/tasks/${id}/run`, {}, "Retry this failed task?") }, "Retry"),
      h("button", { type: "button", id: "action-cancel", class: "danger", disabled: op || finished,
        onclick: () => act("Cancel", `/api/agents/tasks/${id}/cancel`, { reason: prompt("Reason (optional)") || undefined }, "Cancel this task?") }, "Cancel"),
      h("button", { type: "button", id: "action-approve", disabled: !session.can_decide || !deciding,
        onclick: () => act("Approve", `/api/agents/tasks/${id}/decision`, { decision: "approve" }, "Approve this task?") }, "Approve"),
      h("button", { type: "button", id: "action-reject", class: "danger", disabled: !session.can_decide || !deciding,
        onclick: () => act("Reject", `/api/agents/tasks/${id}/decision`, { decision: "reject", reason: prompt("Reason (optional)") || undefined }, "Reject this task?") }, "Reject"));
    const facts = [["State", stateBadge(task.state)], ["Status", task.status], ["Agent", task.agent_id], ["Type", task.task_type],
      ["Priority", task.priority], ["Attempts", `${task.attempts}${task.max_attempts ? ` of ${task.max_attempts}` : ""}`],
      ["Worker", task.lease_owner || task.completed_by || task.errors?.at(-1)?.worker || "—"],
      ["Model usage", task.usage ? `${task.usage.calls} call(s) · ${task.usage.prompt_tokens} in, ${task.usage.completion_tokens} out` +
        (task.usage.cost_usd === null ? "" : ` · $${task.usage.cost_usd.toFixed(4)}`) : "—"],
      ["Created", when(task.created_at)], ["Run at", when(task.run_at)], ["Started", when(task.started_at)],
      ["Completed", when(task.completed_at)], ["Error", task.error_message || "—"],
      ["Command", task.command_id ? h("a", { href: `/admin/agents/console?command=${task.command_id}` }, task.command_id) : "—"]];
    container.replaceChildren(
      h("h1", {}, task.title), actions,
      h("section", { class: "panel" }, h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
      h("section", { class: "panel", "aria-labelledby": "h-result" }, h("h2", { id: "h-result" }, "Result"), readableResult(task)),
      h("section", { class: "panel", "aria-labelledby": "h-deps" }, h("h2", { id: "h-deps" }, "Chain"), graph(task, childStates)),
      h("section", { class: "panel", "aria-labelledby": "h-attempts" }, h("h2", { id: "h-attempts" }, "Attempts"), attempts(task)),
      h("section", { class: "panel", "aria-labelledby": "h-journal" }, h("h2", { id: "h-journal" }, "Journal"), h("div", { id: "journal" })),
      h("section", { class: "panel" }, h("h2", {}, "Payload"), h("pre", { id: "payload" }, JSON.stringify(task.payload, null, 2)),
        h("h2", {}, "Result as JSON"), h("pre", { id: "result-json" }, JSON.stringify(task.result, null, 2))));
    api(`/api/agents/tasks/${id}/journal`).then(({ body: j }) => {
      document.getElementById("journal")?.replaceChildren(j.data.length ? h("ol", { class: "timeline" }, j.data.map((e) => h("li", {},
        h("strong", {}, e.title), ` · ${when(e.created_at)} · ${e.details?.event_type || e.category}`))) : h("p", { class: "muted" }, "No entries."));
    }).catch(() => {});
  }
  await load();
  let pending = null;
  live(() => { clearTimeout(pending); pending = setTimeout(load, 150); });
}

// ---- approvals ------------------------------------------------------------------------

async function approvalsPage() {
  const list = h("div", { id: "approvals" });
  main().replaceChildren(h("h1", {}, "Approvals"),
    h("p", { class: "muted" }, "Tasks that wait for a founder's decision before any worker may run them."), list);
  async function decide(task, decision, reason, outcome) {
    try {
      await api(`/api/agents/tasks/${task.id}/decision`, { method: "POST", body: { decision, reason: reason || undefined } });
      toast(`${decision === "approve" ? "Approved" : "Rejected"}: ${task.title}`);
      load();
    } catch (error) { outcome.textContent = error.message; }
  }
  async function load() {
    const { body: page } = await api("/api/agents/tasks?state=awaiting_approval&limit=200");
    const full = await Promise.all(page.data.map((t) => api(`/api/agents/tasks/${t.id}`).then((r) => r.body.data)));
    list.replaceChildren(...(full.length ? full.map((task) => {
      const reason = h("input", { type: "text", id: `reason-${task.id}` });
      const outcome = h("p", { class: "field-error", role: "alert" });
      const deny = !session.can_decide;
      return h("article", { class: "panel", dataset: { id: task.id } },
        h("h2", {}, taskLink(task.id, task.title)),
        h("p", {}, `${task.agent_id} · ${task.task_type} · created ${when(task.created_at)}`),
        h("pre", {}, JSON.stringify(task.payload, null, 2)),
        h("div", { class: "row" }, field(`reason-${task.id}`, "Reason (optional)", reason),
          h("button", { type: "button", class: "approve", disabled: deny, onclick: () => decide(task, "approve", reason.value, outcome) }, "Approve"),
          h("button", { type: "button", class: "danger reject", disabled: deny, onclick: () => decide(task, "reject", reason.value, outcome) }, "Reject")),
        deny ? h("p", { class: "muted" }, "Only founders decide.") : null, outcome);
    }) : [h("p", { class: "muted", id: "no-approvals" }, "Nothing awaits a decision.")]));
  }
  await load();
  let last = null;
  live((counts) => { if (counts.awaiting_approval !== last) { last = counts.awaiting_approval; load(); } });
}

// ---- command console ------------------------------------------------------------------

async function consolePage() {
  const prompt = h("textarea", { rows: 3, placeholder: "Plan our climate missions for next week and apply them" });
  // The six agents as choices; none chosen: the planner picks.
  const agents = h("fieldset", { class: "choices", id: "f-target_agents" },
    h("legend", {}, "Target agents (none: the planner chooses)"),
    AGENTS.map((a) => h("label", { class: "choice" },
      h("input", { type: "checkbox", name: "target_agents", value: a }), ` ${a}`)));
  const outcome = h("p", { class: "field-error", role: "alert" });
  const created = h("section", { id: "created", "aria-live": "polite" });
  const recent = h("tbody");
  const form = h("form", { class: "panel", id: "command-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { raw_prompt: prompt.value };
    const names = [...agents.querySelectorAll("input:checked")].map((box) => box.value);
    if (names.length) body.target_agents = names;
    try {
      const { body: answer } = await api("/api/agents/commands", { method: "POST", body });
      showErrors(form, { fields: [] }, outcome);
      prompt.value = "";
      agents.querySelectorAll("input:checked").forEach((box) => { box.checked = false; });
      showCommand(answer.data.command.id);
      loadRecent();
    } catch (error) { showErrors(form, error, outcome); }
  } },
  field("raw_prompt", "Command", prompt),
  h("div", { class: "field" }, agents, h("div", { class: "field-error", "data-for": "target_agents", role: "alert" })),
  h("button", { type: "submit", disabled: !session.can_operate }, "Submit"),
  session.can_operate ? null : h("p", { class: "muted" }, "Only founders and brand admins submit commands."), outcome);
  main().replaceChildren(h("h1", {}, "Command console"), form, created,
    h("h2", {}, "Recent commands"), h("div", { class: "table-wrap" }, h("table", { id: "commands" }, h("thead", {}, h("tr", {},
      h("th", {}, "Command"), h("th", {}, "Status"), h("th", {}, "Tasks"), h("th", {}, "Submitted"))), recent)));
  let shown = null;
  async function showCommand(id) {
    shown = id;
    const { body: answer } = await api(`/api/agents/commands/${id}`);
    const command = answer.data;
    created.replaceChildren(h("div", { class: "panel", dataset: { command: id } },
      h("h2", {}, `“${command.raw_prompt}”`), h("p", { class: "summary" }, command.parsed_summary || "—"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Agent"), h("th", {}, "Type"), h("th", {}, "State"), h("th", {}, "Depends on"))),
        h("tbody", {}, (answer.tasks || []).map((t) => h("tr", { dataset: { id: t.id } }, h("td", {}, taskLink(t.id, t.title)),
          h("td", {}, t.agent_id), h("td", {}, t.task_type), h("td", {}, stateBadge(t.state)),
          h("td", {}, (t.depends_on || []).map((p) => taskLink(p.task_id, `${p.task_id.slice(0, 8)}…`)))))))));
  }
  async function loadRecent() {
    const { body: page } = await api("/api/agents/commands?limit=20");
    recent.replaceChildren(...page.data.map((c) => h("tr", {}, h("td", {}, h("a", { href: `?command=${c.id}`,
      onclick: (e) => { e.preventDefault(); showCommand(c.id); } }, c.raw_prompt)), h("td", {}, c.status),
    h("td", {}, c.tasks_created_count), h("td", {}, when(c.created_at)))));
  }
  const asked = new URLSearchParams(location.search).get("command");
  if (asked) await showCommand(asked).catch((error) => { outcome.textContent = error.message; });
  await loadRecent();
  live(() => { if (shown) showCommand(shown).catch(() => {}); });
}

// ---- schedules ------------------------------------------------------------------------

async function schedulesPage() {
  const list = h("tbody");
  const outcome = h("p", { class: "field-error", role: "alert" });
  const input = (attrs) => h("input", { type: "text", ...attrs });
  const form = h("form", { class: "panel", id: "schedule-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    let payload = {};
    try { payload = data.get("payload") ? JSON.parse(data.get("payload")) : {}; }
    catch (_) { showErrors(form, { fields: [{ field: "task", message: "payload is not valid JSON" }] }, outcome); return; }
    const body = { name: data.get("name"), cron: data.get("cron"), timezone: data.get("timezone") || undefined,
      task: { agent_id: data.get("agent_id"), task_type: data.get("task_type"), title: data.get("title"), payload } };
    try {
      await api("/api/agents/schedules", { method: "POST", body });
      form.reset();
      showErrors(form, { fields: [] }, outcome);
      toast(`Schedule ${body.name} created`);
      load();
    } catch (error) { showErrors(form, error, outcome); }
  } },
  h("h2", {}, "New schedule"),
  h("div", { class: "row" }, field("name", "Name", input({})), field("cron", "Cron (5 fields)", input({ placeholder: "0 9 * * MON" })),
    field("timezone", "Time zone", input({ placeholder: "UTC" }))),
  h("div", { class: "row" }, field("agent_id", "Agent", h("select", {}, AGENTS.map((a) => h("option", { value: a }, a)))),
    field("task_type", "Task type", input({})), field("title", "Task title", input({}))),
  field("payload", "Payload (JSON)", h("textarea", { rows: 2, placeholder: "{}" })),
  h("div", { class: "field-error", "data-for": "task", role: "alert" }),
  h("button", { type: "submit", disabled: !session.can_operate }, "Create"), outcome);
  // The cron is checked as it is typed: the server's message, or its next slots.
  const cronHint = h("p", { class: "muted", id: "cron-next", "aria-live": "polite" });
  form.querySelector(".field:has(#f-cron)").append(cronHint);
  let typing = null;
  const checkCron = () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const cron = form.elements.cron.value;
      const slot = form.querySelector('.field-error[data-for="cron"]');
      const zoneSlot = form.querySelector('.field-error[data-for="timezone"]');
      if (!cron.trim()) { slot.textContent = ""; cronHint.textContent = ""; return; }
      const params = new URLSearchParams({ cron, timezone: form.elements.timezone.value || "UTC" });
      try {
        const { body: answer } = await api(`/api/agents/schedules/preview?${params}`);
        slot.textContent = ""; zoneSlot.textContent = "";
        cronHint.textContent = `Next: ${answer.data.next_runs.slice(0, 3).map(when).join(" · ")}`;
      } catch (error) {
        cronHint.textContent = "";
        slot.textContent = ""; zoneSlot.textContent = "";
        for (const fault of error.fields) {
          const target = fault.field === "timezone" ? zoneSlot : slot;
          target.textContent = fault.message;
        }
        if (!error.fields.length) slot.textContent = error.message;
      }
    }, 300);
  };
  form.elements.cron.addEventListener("input", checkCron);
  form.elements.timezone.addEventListener("input", checkCron);
  main().replaceChildren(h("h1", {}, "Schedules"), h("div", { class: "table-wrap" }, h("table", { id: "schedules" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Cron"), h("th", {}, "Task"), h("th", {}, "Next run"),
      h("th", {}, "Last task"), h("th", {}, "Enabled"), h("th", {}, ""))), list)), form);
  async function toggle(schedule) {
    try {
      await api(`/api/agents/schedules/${schedule.id}`, { method: "PATCH", body: { enabled: !schedule.enabled } });
      toast(`${schedule.name} ${schedule.enabled ? "paused" : "resumed"}`);
    } catch (error) { toast(error.message); }
    load();
  }
  async function load() {
    const { body: answer } = await api("/api/agents/schedules");
    list.replaceChildren(...(answer.data.length ? answer.data.map((s) => h("tr", { dataset: { id: s.id } },
      h("td", {}, s.name), h("td", {}, h("code", {}, s.cron), ` ${s.timezone}`), h("td", {}, `${s.task.agent_id} · ${s.task.task_type}`),
      h("td", {}, s.enabled ? when(s.next_run_at) : "paused"), h("td", {}, s.last_task_id ? taskLink(s.last_task_id, "open") : "—"),
      h("td", { class: "enabled" }, s.enabled ? "yes" : "no"),
      h("td", {}, h("button", { type: "button", class: "secondary toggle", disabled: !session.can_operate, onclick: () => toggle(s) },
        s.enabled ? "Pause" : "Resume")))) : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No schedules yet."))]));
  }
  await load();
}

// ---- health ---------------------------------------------------------------------------

/** Sixty bars, one a minute up to now: completed (and failed, stacked on top). */
function throughputChart(perMinute) {
  const byMinute = new Map(perMinute.map((m) => [new Date(m.minute).getTime(), m]));
  const now = new Date();
  now.setSeconds(0, 0);
  const minutes = Array.from({ length: 60 }, (_, i) => now.getTime() - (59 - i) * 60000);
  const peak = Math.max(1, ...perMinute.map((m) => m.completed + m.failed));
  const bars = minutes.map((t) => {
    const m = byMinute.get(t) || { completed: 0, failed: 0 };
    const label = `${new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${m.completed} completed, ${m.failed} failed`;
    return h("span", { title: label, style: `height:${((m.completed + m.failed) / peak) * 100}%`,
      class: m.failed > m.completed ? "fail" : null });
  });
  const total = perMinute.reduce((sum, m) => sum + m.completed, 0);
  const failed = perMinute.reduce((sum, m) => sum + m.failed, 0);
  return h("figure", { class: "panel", id: "throughput" },
    h("figcaption", {}, h("strong", {}, "Finished per minute, last hour"), ` · ${total} completed, ${failed} failed`),
    h("div", { class: "chart", role: "img", "aria-label": `${total} completed and ${failed} failed in the last hour` }, bars));
}

/** The types served by external workers, each with its workers alive. */
function externalTypes(catalog) {
  const types = catalog.categories?.external || [];
  const worker = (w) => h("li", { dataset: { worker: w.name } }, h("strong", {}, w.name),
    ` · last beat ${when(w.last_beat_at)} · ${w.tasks_in_hand} in hand · serves ${w.task_types.join(", ")}`);
  return h("section", { class: "panel", "aria-labelledby": "h-external" }, h("h2", { id: "h-external" }, "External task types"),
    types.length ? h("div", { class: "table-wrap" }, h("table", { id: "external-types" },
      h("thead", {}, h("tr", {}, ["Type", "Agent", "Workers alive"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, types.map((t) => h("tr", { dataset: { type: t.type } }, h("th", { scope: "row" }, t.type),
        h("td", {}, t.agent_id), h("td", {}, t.workers.length ? h("ul", { class: "workers" }, t.workers.map(worker))
          : h("span", { class: "muted" }, "none: its tasks wait")))))))
      : h("p", { class: "muted" }, "None registered. A worker registers one with PUT /api/workers/types/{task_type}."));
}

async function healthPage() {
  const board = h("div", { id: "health" });
  main().replaceChildren(h("h1", {}, "Queue health"), board);
  async function load() {
    const [{ body: answer }, { body: catalog }] = await Promise.all([api("/api/agents/stats"), api("/api/agents/tasks/types")]);
    const { queue, finished_per_minute: perMinute, workers_alive: workers } = answer.data;
    const rate = queue.last_hour.failure_rate;
    const age = queue.oldest_pending_age_seconds;
    const statuses = ["pending", "in_progress", "completed", "failed"];
    board.replaceChildren(
      h("section", { class: "panel" }, h("dl", { class: "facts" },
        h("dt", {}, "Workers alive"), h("dd", { id: "workers-alive" }, workers),
        h("dt", {}, "Oldest due task waiting"), h("dd", { id: "oldest-age" }, age === null ? "none waiting" : `${Math.round(age)} s`),
        h("dt", {}, "Last hour"), h("dd", {}, `${queue.last_hour.completed} completed, ${queue.last_hour.failed} failed` +
          (rate === null ? "" : ` (${(rate * 100).toFixed(1)}% failure rate)`)),
        h("dt", {}, "Legacy in_progress rows"), h("dd", {}, queue.in_progress_without_lease))),
      throughputChart(perMinute),
      h("section", { class: "panel" }, h("h2", {}, "Depth per type and status"), h("div", { class: "table-wrap" },
        h("table", { id: "depth" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Type"),
          statuses.map((s) => h("th", { scope: "col" }, s.replace("_", " "))))),
        h("tbody", {}, Object.entries(queue.by_type).map(([type, counts]) => h("tr", { dataset: { type } },
          h("th", { scope: "row" }, type), statuses.map((s) => h("td", {}, counts[s] || 0)))))))),
      externalTypes(catalog.data));
  }
  await load();
  let pending = null;
  live(() => { clearTimeout(pending); pending = setTimeout(load, 500); });
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  if (document.body.dataset.dev === "true") document.getElementById("dev-banner").hidden = false;
  const path = location.pathname.replace(/\/+$/, "");
  const page = path.split("/")[3] || "tasks";
  document.querySelectorAll(".top nav a").forEach((a) => {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
  });
  try { session = (await api("/api/agents/session")).body.data; }
  catch (error) {
    if (error.status === 401 || error.status === 403) { sessionStorage.removeItem(TOKEN_KEY); renderSignIn(error.status === 403 ? error.message : ""); return; }
    main().replaceChildren(h("p", { class: "outcome error" }, error.message));
    return;
  }
  renderWho();
  const id = path.split("/")[4];
  const pages = { tasks: () => (id ? taskPage(id) : tasksPage()), approvals: approvalsPage, console: consolePage,
    schedules: schedulesPage, health: healthPage };
  try { await (pages[page] || tasksPage)(); }
  catch (error) { main().append(h("p", { class: "outcome error" }, error.message)); }
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
