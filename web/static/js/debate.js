// debate.js — the debate of a proposal or an activity, live: new, edited,
// deleted and restored comments appear in place, hidden ones vanish, vote
// counts move. It patches the server-rendered partial
// (web/templates/comments.html), found by its data-* hooks. Events carry
// no text: the comment itself is read from the page as this reader sees
// it (fetched again), so nothing one may not see ever travels on the topic.
// The comment and reply forms are posted by the browser itself, each with
// the hidden client_key the server drew for it: a double click or a resent
// POST carries the same key and gets the first comment back. A script that
// ever posts them must send that key and keep it across its retries.
import { connect, EVENTS } from './live.js';

const root = document.querySelector('[data-comments]');
if (root) start(root);

function start(root) {
  const kind = root.dataset.targetKind;
  const targetID = Number(root.dataset.targetId);
  const announce = root.querySelector('[data-debate-announce]');
  let queue = Promise.resolve(); // one fetch at a time, in event order
  let connected = false;

  const later = (fn) => { queue = queue.then(fn).catch(() => {}); };
  const ours = (d) => (kind === 'proposal' ? d.proposal_id : d.activity_id) === targetID;
  const byID = (doc, id) => doc.getElementById('comment-' + id);

  // say puts a message in the polite live region, for screen readers.
  const say = (text) => {
    if (!announce || !text) return;
    announce.textContent = '';
    requestAnimationFrame(() => { announce.textContent = text; });
  };

  // page fetches this page again, as this reader sees it now.
  const page = async () => {
    const res = await fetch(location.pathname + location.search, {
      credentials: 'same-origin', headers: { Accept: 'text/html' },
    });
    if (!res.ok) throw new Error('debate: ' + res.status);
    return new DOMParser().parseFromString(await res.text(), 'text/html');
  };

  const busy = (el) => el && el.contains(document.activeElement) && document.activeElement !== document.body;

  const setTotal = (doc) => {
    const fresh = doc.querySelector('[data-comment-total]');
    const cur = root.querySelector('[data-comment-total]');
    if (fresh && cur) cur.textContent = fresh.textContent;
  };

  // place inserts a comment the page does not show yet where the fresh page
  // has it: in its column, or among its parent's replies.
  const place = (fresh) => {
    const list = fresh.parentElement;
    let here = null;
    if (list && list.matches('[data-replies]')) {
      const parent = list.closest('[data-comment-id]');
      const cur = parent && byID(document, parent.dataset.commentId);
      if (!cur) { if (parent) place(parent); return; }
      here = cur.querySelector(':scope > [data-replies]');
    } else if (list) {
      here = root.querySelector(`[data-comment-list="${list.dataset.commentList}"]`);
    }
    if (!here) return;
    let next = fresh.nextElementSibling;
    while (next && !byID(document, next.dataset.commentId)) next = next.nextElementSibling;
    const node = document.importNode(fresh, true);
    here.insertBefore(node, next ? byID(document, next.dataset.commentId) : null);
  };

  // upsert brings one comment in line with the server: added, replaced
  // (edited, deleted with replies, restored) or removed.
  const upsert = (id, text) => later(async () => {
    const doc = await page();
    const fresh = byID(doc, id);
    const cur = byID(document, id);
    if (!fresh) {
      if (cur) cur.remove();
    } else if (cur) {
      if (!busy(cur)) cur.replaceWith(document.importNode(fresh, true));
    } else {
      place(fresh);
      say(text);
    }
    setTotal(doc);
  });

  // remove drops a hidden comment at once; one with replies comes back as
  // a placeholder from the server.
  const remove = (id) => {
    const cur = byID(document, id);
    if (!cur) return;
    if (cur.querySelector('[data-replies] > [data-comment-id]')) upsert(id);
    else cur.remove();
    say(announce && announce.dataset.hiddenText);
    later(async () => setTotal(await page()));
  };

  const votes = (d) => {
    const cur = byID(document, d.id);
    if (!cur) return;
    const up = cur.querySelector(':scope > .comment-actions [data-up]');
    const down = cur.querySelector(':scope > .comment-actions [data-down]');
    if (up) up.textContent = String(d.up);
    if (down) down.textContent = String(d.down);
  };

  // resync replaces the three columns after a reconnection, when events
  // may have been missed, unless the reader is typing in them.
  const resync = () => later(async () => {
    const doc = await page();
    for (const list of root.querySelectorAll('[data-comment-list]')) {
      const fresh = doc.querySelector(`[data-comment-list="${list.dataset.commentList}"]`);
      if (fresh && !busy(list)) list.replaceWith(document.importNode(fresh, true));
    }
    setTotal(doc);
  });

  connect({
    consultation: root.dataset.consultation,
    onSnapshot() {
      if (connected) resync();
      connected = true;
      root.dataset.debateLive = 'true'; // a hook for tests: events flow from here on
    },
    onEvent(type, data) {
      switch (type) {
        case EVENTS.comment:
          if (ours(data)) upsert(data.id, announce && announce.dataset.newText);
          break;
        case EVENTS.commentVotes:
          votes(data);
          break;
        case EVENTS.hidden:
          if (data.kind === 'comment') remove(data.id);
          break;
        case EVENTS.restored:
          if (data.kind === 'comment') upsert(data.id);
          break;
      }
    },
  });
}
