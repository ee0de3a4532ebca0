// consultation.js — live updates of a consultation's online pages (the
// consultation with its proposals, a proposal): support counts, new
// proposals, official answers, proposals hidden by moderation. The pages
// work without it; it only patches the server-rendered HTML found by
// data-* attributes. User text is only ever set with textContent.
import { connect, EVENTS, formatNumber } from './live.js';

const root = document.querySelector('[data-consultation]');
if (root) start(root.dataset.consultation);

function start(slug) {
  let first = true;
  connect({
    consultation: slug,
    onSnapshot() {
      // The first snapshot comes with the page; a later one follows a gap
      // or a reconnection: fetch the counts we may have missed.
      if (!first) resync(slug);
      first = false;
    },
    onEvent(type, data) {
      switch (type) {
        case EVENTS.support: patchSupports(data); break;
        case EVENTS.proposal: insertProposal(data); break;
        case EVENTS.answer: showAnswer(data); break;
        case EVENTS.hidden: removeProposal(data); break;
      }
    },
  });
}

// cards returns the elements that show proposal id: list items and the
// proposal's own page.
function cards(id) {
  return document.querySelectorAll(`[data-proposal-id="${Number(id)}"]`);
}

function setText(el, selector, value) {
  const target = el.querySelector(selector);
  if (target) target.textContent = String(value);
}

function patchSupports(d) {
  for (const el of cards(d.id)) {
    setText(el, '[data-supports-total]', formatNumber(d.total));
    setText(el, '[data-supports-room]', formatNumber(d.room));
    setText(el, '[data-supports-online]', formatNumber(d.online));
    const q = el.querySelector('[data-qualified]');
    if (q) q.hidden = !d.qualified;
  }
}

// insertProposal adds a new proposal where it belongs without a reload:
// first on page 1 of the newest; last on the last page of other orders.
// Filtered lists (search, category) wait for the next load.
function insertProposal(d) {
  const list = document.querySelector('[data-proposal-list]');
  const tpl = document.querySelector('template[data-proposal-template]');
  if (!list || !tpl || cards(d.id).length || list.dataset.filtered) return;
  const newest = list.dataset.sort === 'newest';
  if (newest ? list.dataset.page !== '1' : document.querySelector('.pagination [rel="next"]')) return;
  const li = tpl.content.firstElementChild.cloneNode(true);
  li.dataset.proposalId = String(Number(d.id));
  const link = li.querySelector('[data-proposal-link]');
  link.textContent = d.heading;
  link.href = safePath(d.url);
  const cat = li.querySelector('[data-proposal-category]');
  if (cat && d.category) { cat.textContent = d.category; cat.hidden = false; }
  const form = li.querySelector('[data-support-form]');
  if (form) form.action = safePath(d.url) + '/support';
  const empty = list.querySelector('[data-proposal-empty]');
  if (empty) empty.remove();
  if (newest) list.prepend(li); else list.append(li);
  patchSupports(d);
}

// safePath keeps only same-site paths, whatever the server sent.
function safePath(u) {
  return typeof u === 'string' && u.startsWith('/') && !u.startsWith('//') ? u : '#';
}

function showAnswer(d) {
  const article = document.querySelector(`article[data-proposal-id="${Number(d.id)}"]`);
  const box = article && article.querySelector('[data-answer]');
  if (!box) return;
  const label = box.getAttribute('data-answer-' + String(d.answer).replace(/[^a-z_]/g, ''));
  setText(box, '[data-answer-status]', label || d.answer);
  const text = box.querySelector('[data-answer-text]');
  if (text) {
    text.replaceChildren(...String(d.text).split(/\n\s*\n/).map((para) => {
      const p = document.createElement('p');
      p.textContent = para;
      return p;
    }));
  }
  box.hidden = false;
  const live = article.querySelector('[data-answer-announce]');
  if (live) live.textContent = live.dataset.text;
}

function removeProposal(d) {
  if (!d || d.kind !== 'proposal') return;
  for (const el of document.querySelectorAll(`li[data-proposal-id="${Number(d.id)}"]`)) el.remove();
}

// resync fetches the list as shown and patches its counts.
async function resync(slug) {
  if (!document.querySelector('[data-proposal-list]')) return;
  try {
    const res = await fetch(`/api/v1/consultations/${encodeURIComponent(slug)}/proposals${location.search}`,
      { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const body = await res.json();
    for (const p of body.proposals || []) patchSupports(p);
  } catch { /* offline again: the next snapshot retries */ }
}
