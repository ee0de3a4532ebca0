// screen.js — the projector. Live results are patched in place so that bars
// grow (CSS transitions) and new ideas slide in; any other change fetches
// the server-rendered screen again. Text goes in via textContent only.
import { connect, EVENTS, formatNumber, lastHeard, redrawOrder, tallyOf } from './live.js';

const REFRESH_DELAY_MS = 100;
const redraws = redrawOrder();
const tallies = lastHeard(); // by activity
const root = document.querySelector('[data-screen]');
if (root) init(root);

function init(root) {
  const refresh = debounce(() => refreshScreen(), REFRESH_DELAY_MS);
  sizeBars(root);
  connect({
    workshop: root.dataset.code,
    audience: 'screen',
    screenToken: root.dataset.token,
    onSnapshot: refresh,
    onEvent: (type, data) => {
      if (type === EVENTS.tally) { const t = tallyOf(data); if (!patchTally(tallies.heard(t.activity_id, t))) refresh(); }
      else if (type === EVENTS.presence) showPresence(data);
      else if (type === EVENTS.answers) showAnswers(data);
      else refresh(); // state, idea, idea_removed, highlight…
    },
  });
}

function debounce(fn, ms) {
  let t = 0;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}

function current() { return document.querySelector('[data-screen]'); }

// refreshScreen swaps the screen for a fresh server render, then applies the
// tallies heard since its fetch began and sizes its bars on the next frame,
// so that they grow from their previous width.
async function refreshScreen() {
  const n = redraws.start();
  const mark = tallies.mark();
  let fresh;
  try {
    const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return;
    fresh = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('[data-screen]');
  } catch {
    return;
  }
  if (!fresh || !redraws.current(n)) return;
  const old = current();
  const status = old.querySelector('[data-live-status]');
  const node = document.importNode(fresh, true);
  const newStatus = node.querySelector('[data-live-status]');
  if (status && newStatus) newStatus.replaceWith(status); // keep the live status as it is
  old.replaceWith(node);
  requestAnimationFrame(() => {
    for (const [, t] of tallies.since(mark)) patchTally(t); // newer than the render, maybe
    sizeBars(node);
  });
  // A new question is said once, politely; tallies never are (their
  // container is aria-live="off").
  const prompt = node.querySelector('#screen-prompt');
  const announce = document.querySelector('[data-screen-announce]');
  if (announce && prompt && node.dataset.currentId !== old.dataset.currentId) {
    announce.textContent = announce.dataset.newQuestion.replace('{0}', prompt.textContent.trim());
  }
}

// sizeBars sets each bar from its data-percent: widths for a poll,
// heights relative to the tallest column for a scale.
function sizeBars(scope) {
  for (const row of scope.querySelectorAll('[data-option-id]')) {
    const fill = row.querySelector('[data-bar-fill]');
    if (fill) fill.style.width = `${Number(row.dataset.percent) || 0}%`;
  }
  const cols = [...scope.querySelectorAll('[data-scale-value]')];
  const top = Math.max(1, ...cols.map((c) => Number(c.dataset.count) || 0));
  for (const c of cols) {
    const fill = c.querySelector('[data-bar-fill]');
    if (fill) fill.style.height = `${((Number(c.dataset.count) || 0) * 100) / top}%`;
  }
}

// patchTally writes a tally into the results shown; false asks for a
// refresh (results not drawn yet, another activity, another round).
function patchTally(data) {
  const t = tallyOf(data);
  const box = current().querySelector(`[data-results][data-activity-id="${t.activity_id}"]`);
  if (!box || String(t.round) !== box.dataset.round) return false;
  if (t.options) {
    for (const o of t.options) {
      const row = box.querySelector(`[data-option-id="${o.id}"]`);
      if (!row) return false;
      row.dataset.count = o.count;
      row.dataset.percent = Math.round(o.percent);
      row.querySelector('[data-bar-percent]').textContent = row.dataset.percent;
    }
  }
  if (t.scale) {
    t.scale.distribution.forEach((n, i) => {
      const col = box.querySelector(`[data-scale-value="${t.scale.min + i}"]`);
      if (!col) return;
      col.dataset.count = n;
      col.querySelector('[data-bar-count]').textContent = formatNumber(n);
    });
    const mean = box.querySelector('[data-scale-mean]');
    if (mean && t.scale.count) mean.textContent = formatNumber(t.scale.mean, 1);
  }
  if (t.words) drawCloud(box.querySelector('[data-words]'), t.words);
  if (t.ideas) drawWall(box.querySelector('[data-idea-wall]'), t.ideas);
  const total = box.querySelector('[data-tally-total]');
  if (total) total.textContent = formatNumber(t.kind === 'ideas' ? (t.ideas || []).length : t.voters);
  sizeBars(box);
  return true;
}

const MAX_WORDS = 40;

// drawCloud sizes words from 1 to 6 by their count against the most frequent.
function drawCloud(list, words) {
  if (!list) return;
  const shown = words.slice(0, MAX_WORDS);
  const top = Math.max(1, ...shown.map((w) => w.count));
  list.replaceChildren(...shown.map((w) => {
    const li = document.createElement('li');
    const size = Math.min(6, Math.max(1, 1 + Math.round((5 * w.count) / top)));
    li.className = `word word-${size}`;
    li.dataset.wordCount = w.count;
    li.textContent = w.label;
    return li;
  }));
}

// drawWall orders the ideas by support, keeping the elements already
// shown (so they move) and marking the new ones (so they appear).
function drawWall(list, ideas) {
  if (!list) return;
  const have = new Map([...list.children].map((li) => [li.dataset.ideaId, li]));
  const items = ideas.map((idea) => {
    let li = have.get(String(idea.id));
    if (!li) {
      li = document.createElement('li');
      li.className = 'wall-idea wall-new';
      li.dataset.ideaId = idea.id;
      const body = document.createElement('p');
      body.className = 'wall-body';
      const sup = document.createElement('p');
      sup.className = 'wall-supports';
      const n = document.createElement('span');
      n.dataset.supportCount = '';
      const heart = document.createElement('span');
      heart.setAttribute('aria-hidden', 'true');
      heart.textContent = ' ♥';
      sup.append(n, heart);
      li.append(body, sup);
    }
    li.querySelector('.wall-body').textContent = idea.body;
    li.querySelector('[data-support-count]').textContent = formatNumber(idea.supports);
    li.dataset.supports = idea.supports;
    li.classList.toggle('wall-highlighted', !!idea.highlighted);
    return li;
  });
  list.replaceChildren(...items);
}

function showPresence(data) {
  const n = data.participants ?? data.presence;
  if (typeof n !== 'number' || n < 0) return;
  for (const el of current().querySelectorAll('[data-participant-count]')) el.textContent = formatNumber(n);
}

// showAnswers counts answers while the results are hidden from the room.
function showAnswers(d) {
  const el = document.querySelector('[data-answer-count]');
  if (el && String(d.activity_id) === current()?.dataset.currentId) el.textContent = formatNumber(d.answers);
}
