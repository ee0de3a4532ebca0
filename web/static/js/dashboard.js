// dashboard.js — the facilitator's dashboard. Every command is an HTML form
// that works without this script; here forms are sent with fetch, the
// destructive ones ask in place first, results and counts update live, and
// after any other change the server-rendered regions are fetched again
// (one renderer: the server). User text only ever goes in via textContent.
import { connect, EVENTS, formatNumber, lastHeard, redrawOrder, tallyOf } from './live.js';

const REFRESH_DELAY_MS = 150;
let ticker = 0; // the countdown interval; declared before init runs
const redraws = redrawOrder();
const tallies = lastHeard(); // by activity
const root = document.querySelector('[data-dashboard]');
if (root) init(root);

function init(root) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const refresh = debounce(() => refreshRegions(root), REFRESH_DELAY_MS);
  root.addEventListener('submit', (ev) => onSubmit(ev, root, csrf, refresh));
  root.addEventListener('click', onCancel);
  enableCopy(root);
  startCountdowns(root);
  connect({
    workshop: root.dataset.code,
    audience: 'facilitator',
    onSnapshot: refresh,
    onEvent: (type, data) => {
      if (type === EVENTS.tally) { const t = tallyOf(data); if (!patchTally(root, tallies.heard(t.activity_id, t))) refresh(); }
      else if (type === EVENTS.presence) showPresence(root, data);
      else refresh(); // state, idea, idea_moderated, highlight…
    },
  });
}

function debounce(fn, ms) {
  let t = 0;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}

// onSubmit sends a command form with fetch. A form marked
// data-needs-confirm first reveals its confirmation panel; if the network
// fails, the form is submitted the plain way.
async function onSubmit(ev, root, csrf, refresh) {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
  ev.preventDefault();
  const confirmName = form.dataset.needsConfirm;
  if (confirmName) {
    const panel = form.closest('[data-region]')?.querySelector(`[data-confirm-panel="${confirmName}"]`);
    if (panel) {
      panel.hidden = false;
      panel.querySelector('button')?.focus();
      return;
    }
  }
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    const res = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (res.ok) {
      showError(root, '');
      refresh();
    } else {
      showError(root, await errorMessage(res));
    }
  } catch {
    form.submit(); // offline or broken: let the browser try the plain way
  } finally {
    if (button) button.disabled = false;
  }
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    return body.error.message;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

function showError(root, msg) {
  const box = root.querySelector('[data-command-error]');
  if (!box) return;
  box.querySelector('p').textContent = msg;
  box.hidden = msg === '';
}

// onCancel closes a confirmation panel without leaving the page.
function onCancel(ev) {
  const link = ev.target.closest?.('[data-confirm-cancel]');
  if (!link) return;
  ev.preventDefault();
  const panel = link.closest('[data-confirm-panel]');
  panel.hidden = true;
  const name = panel.dataset.confirmPanel;
  panel.closest('[data-region]')?.querySelector(`[data-needs-confirm="${name}"] button`)?.focus();
}

// refreshRegions fetches the page again and swaps each [data-region],
// keeping the focus on the same command when it still exists, then applies
// the tallies heard since its fetch began.
async function refreshRegions(root) {
  const n = redraws.start();
  const mark = tallies.mark();
  let doc;
  try {
    const res = await fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  } catch {
    return; // the live status says we are offline; the next event retries
  }
  if (!redraws.current(n)) return;
  const focusKey = focusedCommand();
  for (const fresh of doc.querySelectorAll('[data-region]')) {
    const old = root.querySelector(`[data-region="${fresh.dataset.region}"]`);
    if (!old) continue;
    const keepOpen = [...old.querySelectorAll('[data-confirm-panel]:not([hidden])')].map((p) => p.dataset.confirmPanel);
    old.replaceWith(document.importNode(fresh, true));
    for (const name of keepOpen) {
      const p = root.querySelector(`[data-confirm-panel="${name}"]`);
      if (p) p.hidden = false;
    }
  }
  const state = doc.querySelector('[data-workshop-state]');
  const mine = root.querySelector('[data-workshop-state]');
  if (state && mine) mine.replaceWith(document.importNode(state, true));
  for (const [, t] of tallies.since(mark)) patchTally(root, t); // newer than the render, maybe
  restoreFocus(root, focusKey);
  startCountdowns(root);
}

function focusedCommand() {
  const el = document.activeElement;
  const form = el?.closest?.('form');
  if (!form || !el.dataset.command) return null;
  return { action: form.getAttribute('action'), command: el.dataset.command };
}

function restoreFocus(root, key) {
  if (!key) return;
  for (const form of root.querySelectorAll('form')) {
    if (form.getAttribute('action') !== key.action) continue;
    const b = form.querySelector(`[data-command="${key.command}"]`);
    if (b) { b.focus(); return; }
  }
}

// patchTally writes a tally into the results shown; false asks for a full
// refresh (another activity, or a tally of another round).
function patchTally(root, data) {
  const t = tallyOf(data);
  const box = root.querySelector(`[data-results][data-activity-id="${t.activity_id}"]`);
  if (!box) return true; // not the activity shown: nothing to do
  if (String(t.round) !== box.dataset.round) return false;
  const total = box.querySelector('[data-tally-total]');
  if (t.options) {
    for (const o of t.options) setBar(box.querySelector(`[data-option-id="${o.id}"]`), o.count, Math.round(o.percent));
  }
  if (t.scale) {
    t.scale.distribution.forEach((n, i) => {
      const pct = t.scale.count ? Math.round((n * 100) / t.scale.count) : 0;
      setBar(box.querySelector(`[data-scale-value="${t.scale.min + i}"]`), n, pct);
    });
    const mean = box.querySelector('[data-scale-mean]');
    if (mean && t.scale.count) mean.textContent = formatNumber(t.scale.mean, 1);
  }
  if (t.words) fillList(box.querySelector('[data-words]'), t.words, (li, w) => {
    li.dataset.wordCount = w.count;
    li.textContent = `${w.label} (${w.count})`;
  });
  if (t.ideas) fillList(box.querySelector('[data-idea-ranking]'), t.ideas, (li, i) => {
    li.dataset.ideaId = i.id;
    li.dataset.supports = i.supports;
    li.textContent = `${i.body} (${i.supports})`;
  });
  if (total) total.textContent = formatNumber(t.kind === 'ideas' ? (t.ideas || []).length : t.voters);
  return true;
}

function setBar(row, count, pct) {
  if (!row) return;
  row.dataset.count = count;
  row.dataset.percent = pct;
  row.querySelector('[data-bar-count]').textContent = formatNumber(count);
  row.querySelector('[data-bar-percent]').textContent = pct;
  const p = row.querySelector('progress');
  if (p) p.value = pct;
}

function fillList(list, items, fill) {
  if (!list) return;
  list.replaceChildren(...items.map((item) => {
    const li = document.createElement('li');
    fill(li, item);
    return li;
  }));
}

function showPresence(root, data) {
  const n = data.participants ?? data.presence;
  if (typeof n !== 'number' || n < 0) return;
  for (const el of root.querySelectorAll('[data-participant-count]')) el.textContent = formatNumber(n);
}

// startCountdowns ticks each [data-countdown] down to its data-closes-at,
// corrected by the server's clock; the server closes the activity itself.
function startCountdowns(root) {
  clearInterval(ticker);
  const els = [...root.querySelectorAll('[data-countdown]')];
  if (!els.length) return;
  for (const el of els) {
    el.skew = Date.parse(el.dataset.serverNow) - Date.now();
    el.closesAt = Date.parse(el.dataset.closesAt);
  }
  const tick = () => {
    for (const el of els) {
      const s = Math.max(0, Math.ceil((el.closesAt - (Date.now() + el.skew)) / 1000));
      el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }
  };
  tick();
  ticker = setInterval(tick, 250);
}

// enableCopy shows the copy buttons (hidden without script) and copies the
// linked input's value, or selects it for a manual copy when refused.
function enableCopy(root) {
  const feedback = root.querySelector('[data-copy-feedback]');
  for (const button of root.querySelectorAll('[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const input = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(input.value);
        feedback.textContent = root.dataset.tCopied;
      } catch {
        input.focus();
        input.select();
        feedback.textContent = root.dataset.tCopyFailed;
      }
    });
  }
}
