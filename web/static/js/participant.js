// participant.js — the phone in the room. The page works without it (plain
// forms); with it, the forms post to their JSON twins and the page follows
// the room live. The server renders every state: on a new question this
// module fetches the page again and swaps the region, so the HTML has one
// author (participant.html). Live tallies and ideas are patched in place.
// No UI text here: it comes from data-* attributes, already translated.

import { connect, EVENTS, formatNumber, lastHeard, redrawOrder, tallyOf } from './live.js';

const root = document.querySelector('[data-participant]');
const region = root && root.querySelector('[data-region]');
const announce = root && root.querySelector('[data-announce]');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';

const EV = EVENTS;
const REDRAW = new Set([EV.state]);
const RETRIES = 5;

// fill and plural mirror the Go catalog: {0}, {1}… and French "one" for 0 and 1.
const fill = (fmt, ...args) => (fmt || '').replace(/\{(\d+)\}/g, (m, i) => (i < args.length ? (typeof args[i] === 'number' ? formatNumber(args[i]) : String(args[i])) : m));
const isOne = (n) => (document.documentElement.lang === 'fr' ? n === 0 || n === 1 : n === 1);
const plural = (el, n, ...rest) => fill(isOne(n) ? el.dataset.fmtOne : el.dataset.fmtOther, n, ...rest);
const pct = (n, total) => (total > 0 ? Math.round((n * 100) / total) : 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// uuid is a random version-4 UUID; crypto.randomUUID needs https, and the
// room's laptop may serve plain http.
function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- Redrawing from the server's HTML

let refreshTimer = 0;
const redraws = redrawOrder();
// roomSignature is the signature of the room's last state this phone heard
// of. A state can arrive while a redraw is in flight and match what the
// page shows then, but not what the redraw brings: the redraw compares, and
// fetches again when it brought an older page.
let roomSignature = null;

// scheduleRefresh redraws soon, spread over jitter ms so that a whole room
// does not ask at the same instant.
function scheduleRefresh(jitter) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, Math.random() * jitter);
}

async function refresh() {
  const n = redraws.start();
  const mark = tallies.mark();
  const ideasMark = ideaNews.mark();
  let doc;
  try {
    const res = await fetch(location.pathname, { headers: { Accept: 'text/html' }, cache: 'no-store' });
    doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  } catch {
    return; // offline: the next snapshot tries again
  }
  if (!redraws.current(n)) return;
  const next = doc.querySelector('[data-participant]');
  if (!next) { location.reload(); return; } // ended, or no longer joined
  if (next.dataset.signature !== root.dataset.signature) {
    root.dataset.signature = next.dataset.signature;
    region.replaceChildren(...next.querySelector('[data-region]').childNodes);
    setup(region);
    replayIdeas(ideasMark);
    replayTally(mark);
    const prompt = region.querySelector('.prompt');
    if (prompt) announce.textContent = fill(root.dataset.newQuestion, prompt.textContent.trim());
    if (roomSignature !== null && roomSignature !== root.dataset.signature) {
      roomSignature = null; // once per state, should the two ever disagree
      scheduleRefresh(300);
    }
    return;
  }
  // Same question: fresh results, but keep what is being typed.
  const fresh = next.querySelector('[data-results]');
  const cur = region.querySelector('[data-results]');
  if (fresh && cur) cur.replaceWith(fresh);
  replayTally(mark);
}

// ---- Live patches

function currentActivity() {
  const el = region.querySelector('[data-activity]');
  return el ? { id: Number(el.dataset.activity), round: Number(el.dataset.round) } : null;
}

function barsOf(t) {
  if (t.options) return t.options.map((o) => ({ key: String(o.id), label: o.label, count: o.count, percent: pct(o.count, t.voters) }));
  if (t.scale) {
    return t.scale.distribution.map((n, i) => {
      const v = String(t.scale.min + i);
      return { key: v, label: v, count: n, percent: pct(n, t.scale.count) };
    });
  }
  return (t.words || []).slice(0, 20).map((w) => ({ key: w.key, label: w.label, count: w.count, percent: pct(w.count, t.voters) }));
}

function patchTally(data) {
  const t = tallyOf(data);
  const cur = currentActivity();
  if (!cur || cur.id !== t.activity_id) return;
  if (t.round !== undefined && t.round !== cur.round) { scheduleRefresh(500); return; }
  const ideas = region.querySelector('[data-ideas]');
  for (const i of t.ideas || []) {
    const el = ideas && ideas.querySelector(`[data-idea="${i.id}"] [data-supports]`);
    if (el) el.textContent = plural(ideas, i.supports);
  }
  const results = region.querySelector('[data-results]');
  if (!results || t.kind === 'ideas') return;
  const voters = results.querySelector('[data-voters]');
  voters.textContent = plural(voters, t.voters);
  const list = results.querySelector('[data-bars]');
  const bars = barsOf(t);
  bars.forEach((b, i) => {
    let li = [...list.children].find((el) => el.dataset.bar === b.key);
    if (!li) {
      li = results.querySelector('[data-bar-template]').content.firstElementChild.cloneNode(true);
      li.dataset.bar = b.key;
      li.querySelector('.bar-label').textContent = b.label;
    }
    li.dataset.count = String(b.count);
    li.querySelector('[data-figures]').textContent = plural(list, b.count, b.percent);
    li.querySelector('meter').value = b.percent;
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  while (list.children.length > bars.length) list.lastElementChild.remove();
}

function addIdea(idea) {
  const cur = currentActivity();
  const list = region.querySelector('[data-ideas]');
  const tmpl = region.querySelector('[data-idea-template]');
  if (!cur || cur.id !== idea.activity_id || !list || idea.status !== 'approved') return;
  if (list.querySelector(`[data-idea="${idea.id}"]`) || !tmpl) return;
  const li = tmpl.content.firstElementChild.cloneNode(true);
  li.dataset.idea = idea.id;
  li.querySelector('[data-body]').textContent = idea.body;
  const sup = li.querySelector('[data-supports]');
  if (sup) sup.textContent = plural(list, idea.supports || 0);
  const form = li.querySelector('form');
  form.action = `/j/${root.dataset.code}/ideas/${idea.id}/support`;
  form.dataset.api = `/api/v1/ideas/${idea.id}/support`;
  list.prepend(li);
  region.querySelector('[data-ideas-empty]')?.setAttribute('hidden', '');
}

function removeIdea(ref) {
  region.querySelector(`[data-ideas] [data-idea="${ref.id}"]`)?.remove();
}

const tallies = lastHeard(); // by activity

// replayTally applies, after a redraw, the tally of the activity shown (of
// its round) heard since mark, if any.
function replayTally(mark) {
  const cur = currentActivity();
  if (!cur) return;
  for (const [, t] of tallies.since(mark)) {
    if (t.activity_id === cur.id && (t.round === undefined || t.round === cur.round)) patchTally(t);
  }
}

// ideaNews is the last word the room had on each idea: shown (its view) or
// withdrawn (null). The news heard since a redraw's fetch began is told
// again after it; an idea published before the phone reached its activity
// is shown then too.
const ideaNews = lastHeard();

function ideaShown(idea) {
  if (idea.status === 'approved') ideaNews.heard(idea.id, idea);
  addIdea(idea);
}

function ideaWithdrawn(ref) {
  ideaNews.heard(ref.id, null);
  removeIdea(ref);
}

function replayIdeas(mark) {
  for (const [id, idea] of ideaNews.since(mark)) {
    if (idea) addIdea(idea);
    else removeIdea({ id });
  }
}

// signatureOf computes, from a state event, the page's data-signature
// (participant_view.go): when it is unchanged the phone has nothing to
// redraw, and the room is spared a page load per phone.
function signatureOf(st) {
  const w = st && st.workshop;
  if (!w || !('current' in st)) return null;
  const c = st.current;
  return c ? `${w.state}:${c.id}:${c.state}:${c.results_visible}:${c.round}` : String(w.state);
}

function onEvent(type, data) {
  if (type === EV.tally) { const t = tallyOf(data); patchTally(tallies.heard(t.activity_id, t)); }
  else if (type === EV.idea) ideaShown(data);
  else if (type === EV.ideaRemoved) ideaWithdrawn(data);
  else if (REDRAW.has(type)) {
    roomSignature = signatureOf(data);
    if (roomSignature !== root.dataset.signature) scheduleRefresh(1000);
  }
}

// ---- Forms, posted to their JSON twins

function say(form, status, error) {
  const s = form.querySelector('[data-form-status]');
  const e = form.querySelector('[data-form-error]');
  if (s) s.textContent = status;
  if (e) e.textContent = error;
}

function requestOf(form) {
  const fd = new FormData(form);
  switch (form.dataset.command) {
    case 'vote': {
      const body = { idempotency_key: uuid() };
      if (form.querySelector('[name="choice"]')) body.choices = fd.getAll('choice').map(Number);
      else if (form.querySelector('[name="word"]')) body.words = fd.getAll('word').filter((w) => w.trim());
      else if (fd.get('value') !== null) body.value = Number(fd.get('value'));
      return { method: 'POST', body };
    }
    case 'idea':
      form.dataset.key ||= uuid(); // one key per idea, kept across retries
      return { method: 'POST', body: { body: fd.get('body'), client_key: form.dataset.key } };
    default:
      return { method: fd.get('action') === 'unsupport' ? 'DELETE' : 'POST', body: null };
  }
}

// send posts a form's request, retrying with the same body (so the same
// idempotency key) while the network fails. A newer submission of the same
// form supersedes the retries of an older one.
async function send(form) {
  const { method, body } = requestOf(form);
  const seq = (form.sendSeq = (form.sendSeq || 0) + 1);
  say(form, root.dataset.sending, '');
  for (let attempt = 1; ; attempt++) {
    let res = null;
    try {
      res = await fetch(form.dataset.api, {
        method,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch { /* network down: retry below */ }
    if (seq !== form.sendSeq) return;
    const transient = !res || [502, 503, 504].includes(res.status);
    if (transient && attempt < RETRIES) {
      say(form, root.dataset.retrying, '');
      await sleep(400 * 2 ** attempt * (0.5 + Math.random()));
      if (seq !== form.sendSeq) return;
      continue;
    }
    let data = null;
    try { data = res && (await res.json()); } catch { /* not JSON */ }
    if (!res || !res.ok) { say(form, '', data?.error?.message || root.dataset.networkError); return; }
    done(form, data);
    return;
  }
}

function done(form, data) {
  const status = form.querySelector('[data-form-status]');
  switch (form.dataset.command) {
    case 'vote': {
      say(form, status.dataset.done, '');
      const btn = form.querySelector('button[type="submit"]');
      btn.textContent = btn.dataset.changeLabel;
      break;
    }
    case 'idea': {
      delete form.dataset.key;
      const ta = form.querySelector('textarea');
      ta.value = '';
      count(ta);
      say(form, data.idea.status === 'pending' ? status.dataset.pending : status.dataset.done, '');
      ideaShown(data.idea);
      break;
    }
    default: {
      const action = form.querySelector('[name="action"]');
      const supported = data.supported;
      action.value = supported ? 'unsupport' : 'support';
      form.querySelector('button').setAttribute('aria-pressed', String(supported));
      say(form, '', '');
    }
  }
}

// count shows the characters typed against the limit.
function count(ta) {
  const counter = ta.form.querySelector('[data-counter]');
  if (counter) counter.textContent = fill(counter.dataset.fmt, [...ta.value].length);
}

// limitChoices disables the unticked boxes once a poll's maximum is reached.
function limitChoices(form) {
  const max = Number(form.dataset.max);
  const boxes = [...form.querySelectorAll('input[type="checkbox"][name="choice"]')];
  if (!boxes.length || !max) return;
  const full = boxes.filter((b) => b.checked).length >= max;
  for (const b of boxes) b.disabled = full && !b.checked;
}

function setup(scope) {
  for (const f of scope.querySelectorAll('form[data-command="vote"]')) limitChoices(f);
  for (const ta of scope.querySelectorAll('form[data-command="idea"] textarea')) count(ta);
}

if (root) {
  region.addEventListener('submit', (ev) => {
    const form = ev.target.closest('form[data-command]');
    if (!form || !form.dataset.api) return;
    ev.preventDefault();
    send(form);
  });
  region.addEventListener('input', (ev) => { if (ev.target.matches('textarea')) count(ev.target); });
  region.addEventListener('change', (ev) => { if (ev.target.form?.dataset.command === 'vote') limitChoices(ev.target.form); });
  setup(region);
  root.querySelector('[data-live-status]')?.removeAttribute('hidden');
  connect({
    workshop: root.dataset.code,
    audience: 'participant',
    onSnapshot: (data) => {
      roomSignature = signatureOf(data);
      scheduleRefresh(1000);
    },
    onEvent,
  });
}
