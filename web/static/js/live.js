// live.js — the one live connection of a page: connects to /ws, reconnects
// with jittered backoff, resumes by seq, and hands typed events to the page.
// Protocol: docs/protocol.md. No UI text here: status labels come from
// data-* attributes holding translated strings.

// EVENTS mirrors the Go constants (hub.Type* and live.Event*).
export const EVENTS = Object.freeze({
  snapshot: 'snapshot', // whole state of the topic at seq
  pong: 'pong',         // answer to our ping
  ping: 'ping',         // we send: keepalive
  resume: 'resume',     // we send: replay after seq
  state: 'state',                  // the whole room state of this audience
  tally: 'tally',                  // live results, coalesced
  idea: 'idea',                    // an idea was added or became visible
  ideaRemoved: 'idea_removed',     // an idea must no longer be shown
  ideaModerated: 'idea_moderated', // facilitators: an idea's new status
  highlight: 'highlight',          // the idea shown large on the projector
  presence: 'presence',            // how many devices joined
  answers: 'answers',              // hidden results: only how many answered
  proposal: 'proposal',            // online: a new proposal (server.EventProposal)
  support: 'support',              // online: a proposal's support counts
  answer: 'answer',                // online: an official answer
  comment: 'comment',              // online: a comment added, edited, deleted or restored (server.EventComment)
  commentVotes: 'comment_votes',   // online: a comment's up and down counts
  hidden: 'hidden',                // online: a proposal or comment hidden by a moderator
  restored: 'restored',            // online: shown again
});

// formatNumber writes a number as the page's language does, like the
// server's "number" template function: 1 234,5 in French, 1,234.5 in
// English. digits fixes the decimals (a mean: 1).
export function formatNumber(n, digits) {
  const opts = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  try {
    return new Intl.NumberFormat(document.documentElement.lang || 'fr', opts).format(Number(n));
  } catch {
    return String(n);
  }
}

// redrawOrder keeps a page's redraws in order. A redraw fetches the page
// again; two can be in flight at once and come back in any order, and the
// older one, rendered before some event, must not undo the newer.
// start() numbers a redraw as it begins; current(n) is false once a later
// redraw has been shown, and otherwise records n as shown.
export function redrawOrder() {
  let started = 0;
  let shown = 0;
  return {
    start: () => ++started,
    current(n) {
      if (n < shown) return false;
      shown = n;
      return true;
    },
  };
}

// lastHeard keeps the last value heard under each key (a tally by its
// activity, an idea's news by the idea), for a page to apply again after a
// redraw what it heard since the redraw's fetch began: the page may have
// been rendered before it, and a tally goes out only when a count changes.
// What was heard before the fetch, the render has; and the page may have
// missed later news (results hidden, or offline), so it is not applied
// again. A tally heard since, but counted before the render, is followed by
// a newer one if a count changed.
export function lastHeard() {
  const m = new Map();
  let clock = 0;
  return {
    heard(key, value) {
      m.set(key, { value, at: ++clock });
      return value;
    },
    // mark is taken as a redraw's fetch begins, for since.
    mark: () => clock,
    since: (mark) => [...m].filter(([, e]) => e.at > mark).map(([key, e]) => [key, e.value]),
  };
}

// tallyOf is the tally of a tally event.
export const tallyOf = (data) => data.tally || data;

export const STATUS = Object.freeze({ connecting: 'connecting', live: 'live', offline: 'offline' });

const KEEPALIVE_MS = 25000;   // ping this often…
const DEAD_MS = 60000;        // …and give up on a socket silent this long
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;

// showStatus writes the status on every [data-live-status] element, using
// its data-live-{status} attribute for the text.
function showStatus(status) {
  for (const el of document.querySelectorAll('[data-live-status]')) {
    el.dataset.liveStatus = status;
    const text = el.dataset['live' + status[0].toUpperCase() + status.slice(1)];
    if (text) el.textContent = text;
  }
}

// connect opens the live connection and returns {close(), status()}.
// opts: workshop (join code) and audience ('participant'|'screen'|'facilitator'),
// or consultation (slug); screenToken for the projector; onSnapshot(data, msg),
// onEvent(type, data, msg), onStatus(status).
export function connect(opts) {
  let ws = null;
  let seq = null;        // last seq applied; null until the first snapshot
  let resuming = false;  // a resume request is in flight
  let attempt = 0;
  let status = null;
  let closed = false;
  let retryTimer = 0;
  let keepaliveTimer = 0;
  let lastHeard = 0;

  const setStatus = (s) => {
    if (s === status) return;
    status = s;
    showStatus(s);
    if (opts.onStatus) opts.onStatus(s);
  };

  const url = () => {
    const q = new URLSearchParams();
    if (opts.consultation) q.set('c', opts.consultation);
    else {
      q.set('w', opts.workshop);
      q.set('aud', opts.audience);
      if (opts.screenToken) q.set('screen', opts.screenToken);
    }
    if (seq !== null) q.set('since', String(seq));
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws?${q}`;
  };

  const send = (msg) => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };

  const onMessage = (ev) => {
    lastHeard = Date.now();
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.type === EVENTS.pong) return;
    if (msg.type === EVENTS.snapshot) {
      // A snapshot replaces everything, whatever its seq (the sequence may
      // have restarted on the server side).
      seq = msg.seq;
      resuming = false;
      if (opts.onSnapshot) opts.onSnapshot(msg.data, msg);
      return;
    }
    if (msg.latest) {
      // A value this node computed (tally, presence): it replaces ours and
      // takes no seq, so it is neither a gap nor a reason to move seq.
      if (seq !== null && opts.onEvent) opts.onEvent(msg.type, msg.data, msg);
      return;
    }
    if (seq === null || msg.seq <= seq) return; // already reflected
    if (msg.seq > seq + 1) {                    // gap: ask once, drop until filled
      if (!resuming) {
        resuming = true;
        send({ type: EVENTS.resume, seq });
      }
      return;
    }
    seq = msg.seq;
    resuming = false;
    if (opts.onEvent) opts.onEvent(msg.type, msg.data, msg);
  };

  const keepalive = () => {
    if (Date.now() - lastHeard > DEAD_MS) { // half-open socket: start over
      if (ws) ws.close();
      return;
    }
    send({ type: EVENTS.ping });
  };

  const open = () => {
    if (closed) return;
    setStatus(STATUS.connecting);
    ws = new WebSocket(url());
    ws.onopen = () => {
      attempt = 0;
      resuming = false;
      lastHeard = Date.now();
      setStatus(STATUS.live);
      clearInterval(keepaliveTimer);
      keepaliveTimer = setInterval(keepalive, KEEPALIVE_MS);
    };
    ws.onmessage = onMessage;
    ws.onclose = (ev) => {
      clearInterval(keepaliveTimer);
      ws = null;
      if (closed) return;
      setStatus(STATUS.offline);
      // 1001 (server restarting): come back at once; otherwise back off,
      // with full jitter so a whole room does not reconnect in step.
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
      const delay = ev.code === 1001 && attempt === 0 ? 100 : Math.random() * cap;
      attempt++;
      retryTimer = setTimeout(open, delay);
    };
  };

  // Back on the network, or back to the tab: try now rather than wait.
  const retryNow = () => {
    if (!closed && !ws) { clearTimeout(retryTimer); open(); }
  };
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryNow();
  });

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(keepaliveTimer);
      if (ws) ws.close(1000);
      setStatus(STATUS.offline);
    },
    status: () => status,
  };
}
