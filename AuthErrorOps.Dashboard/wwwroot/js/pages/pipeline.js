// Pipeline: outbox backlog, throughput, queue depths, top clusters and dead letters (with replay).
import { getJson, post } from '../api.js';
import { h, patch } from '../dom.js';
import { age, ago, dateTime, number, shortId } from '../format.js';
import { sparkline } from '../chart.js';
import { errorBanner, pageHeader, poll } from '../page.js';

const HISTORY = 60; // rate samples kept for the sparklines (2 min at 2 s)
const RATES = [
  ['acceptedPerSecond', 'accepted/s', '#4e9af1'],
  ['publishedPerSecond', 'published/s', '#e8a33d'],
  ['linkedPerSecond', 'linked/s', '#3fbf8f'],
];
const OUTBOX_ORDER = ['PENDING', 'PROCESSING', 'PUBLISHED', 'DEAD'];
const OUTBOX_COLORS = { PENDING: '#e8a33d', PROCESSING: '#4e9af1', PUBLISHED: '#3fbf7f', DEAD: '#ef5350' };

export function mount(root) {
  const header = pageHeader('Pipeline', 'ingest → outbox → relay → broker → consumer → clusters');
  const banner = errorBanner();
  const partErrors = errorBanner('pipeline-errors');
  const cards = h('div', { class: 'cards' });
  const queues = h('div');
  const clusters = h('div');
  const deadLetters = h('div');
  root.append(header.element, banner.element, partErrors.element, cards,
    h('div', { class: 'split' }, h('section', {}, h('div', { class: 'section-title' }, 'Queues'), queues),
      h('section', {}, h('div', { class: 'section-title' }, 'Top clusters'), clusters)),
    h('div', { class: 'section-title' }, 'Dead letters'), deadLetters);

  const history = Object.fromEntries(RATES.map(([key]) => [key, []]));
  const replays = new Map(); // dead letter id → { busy, ok, text }: survives the 2 s re-render
  let last = null;

  const render = () => {
    const p = last;
    patch(cards, outboxCard(p.outbox), ratesCard(p.rates, history));
    patch(queues, queuesTable(p.queues));
    patch(clusters, clustersTable(p.topClusters));
    patch(deadLetters, deadLettersTable(p.deadLetters, replays, replay));
  };

  async function replay(id) {
    replays.set(id, { busy: true, ok: true, text: 'replaying…' });
    render();
    try {
      const result = await post(`/api/pipeline/dead-letters/${encodeURIComponent(id)}/replay`);
      replays.set(id, result.ok
        // 200 means the broker confirmed the publish; the row's status column shows what happened next.
        ? { ok: true, text: `replayed ✓${result.body?.replayCount ? ` (#${result.body.replayCount})` : ''}` }
        : { ok: false, text: `replay failed: ${result.message}` });
    } catch (error) {
      replays.set(id, { ok: false, text: `replay failed: ${error.message}` });
    }
    render();
    await stop.refresh();
  }

  const refresh = async () => {
    try {
      last = await getJson('/api/pipeline');
      for (const [key] of RATES) {
        history[key].push(last.rates?.[key] ?? 0);
        if (history[key].length > HISTORY) history[key].shift();
      }
      const errors = normalizeErrors(last.errors);
      if (errors.length) partErrors.show('Some parts could not be read:', errors);
      else partErrors.clear();
      banner.clear();
      header.updated();
      render();
    } catch (error) {
      banner.show(`Could not read the pipeline: ${error.message}`);
      header.failed();
    }
  };

  const stop = poll(refresh, 2000);
  return stop;
}

/** `errors` may be a list of strings/objects or a map of part → message; show each as one line. */
function normalizeErrors(errors) {
  if (!errors) return [];
  if (Array.isArray(errors)) return errors.map((e) => (typeof e === 'string' ? e : [e.part ?? e.name, e.message ?? e.error ?? JSON.stringify(e)].filter(Boolean).join(': ')));
  if (typeof errors === 'object') return Object.entries(errors).map(([part, message]) => `${part}: ${message}`);
  return [String(errors)];
}

function unavailable(what) {
  return h('div', { class: 'muted' }, `${what} unavailable`);
}

function stat(value, label, tone = '', testId = null) {
  return h('div', { class: `stat ${tone}`, 'data-testid': testId }, h('div', { class: 'v' }, value), h('div', { class: 'l' }, label));
}

function outboxCard(outbox) {
  const counts = outbox?.counts ?? {};
  const statuses = [...OUTBOX_ORDER.filter((s) => s in counts), ...Object.keys(counts).filter((s) => !OUTBOX_ORDER.includes(s))];
  const oldest = outbox?.oldestPendingAgeSeconds;
  return h('div', { class: 'card', 'data-testid': 'outbox-card' }, h('h2', {}, 'Outbox'),
    outbox ? h('div', { class: 'stats' },
      statuses.map((status) => stat(number(counts[status]), status.toLowerCase().replace('_', ' '),
        status === 'DEAD' && counts[status] > 0 ? 'bad' : status === 'PENDING' && counts[status] > 0 ? 'warn' : '', `outbox-${status}`)),
      stat(oldest === null || oldest === undefined ? '—' : age(oldest), 'oldest pending', oldest > 30 ? 'warn' : '', 'outbox-oldest'))
    : unavailable('Outbox'),
    outbox ? stackedBar(statuses.map((status) => [status, counts[status] ?? 0])) : null);
}

/** One bar split by status, so a growing backlog or dead rows stand out at a glance. */
function stackedBar(parts) {
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return null;
  const color = (status) => OUTBOX_COLORS[status] ?? '#7b8190';
  return [
    h('div', { class: 'stacked', 'data-testid': 'outbox-bar' }, parts.filter(([, n]) => n > 0).map(([status, n]) =>
      h('span', { title: `${status}: ${n}`, style: { width: `${Math.max((n / total) * 100, 0.8)}%`, background: color(status) } }))),
    h('div', { class: 'stacked-legend' }, parts.map(([status, n]) => h('span', { class: 'legend-item' },
      h('span', { class: 'swatch', style: { background: color(status) } }), `${status.toLowerCase()} ${((n / total) * 100).toFixed(1)}%`))),
  ];
}

function ratesCard(rates, history) {
  return h('div', { class: 'card', 'data-testid': 'rates-card' }, h('h2', {}, 'Throughput (last 10 s)'),
    rates ? h('div', { class: 'stats' }, RATES.map(([key, label, color]) => h('div', { class: 'stat', 'data-testid': `rate-${key}` },
      h('div', { class: 'v', style: { color } }, number(rates[key], 1)), h('div', { class: 'l' }, label),
      sparkline(history[key], color, 140, 34))))
      : unavailable('Rates'));
}

function queueKind(name) {
  if (/dlq|dead/i.test(name)) return 'DLQ';
  if (/retry/i.test(name)) return 'retry';
  return 'main';
}

function queuesTable(queues) {
  if (!queues) return h('div', { class: 'card' }, unavailable('Queues'));
  const most = Math.max(1, ...queues.map((q) => q.messages ?? 0));
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'queues-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Queue'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Messages'), h('th', { class: 'num' }, 'Consumers'))),
    h('tbody', {}, queues.length ? queues.map((q) => {
      const kind = queueKind(q.name);
      const bad = kind === 'DLQ' && q.messages > 0;
      return h('tr', { 'data-testid': 'queue-row', 'data-queue': q.name },
        h('td', { class: 'mono' }, q.name),
        h('td', {}, h('span', { class: `badge ${kind === 'DLQ' ? 'bad' : kind === 'retry' ? 'warn' : 'ok'}` }, kind)),
        h('td', { class: 'num' }, h('div', { class: 'bar-cell' },
          h('span', { class: `bar${bad ? ' bad' : ''}`, style: { width: `${Math.round(((q.messages ?? 0) / most) * 80)}px` } }),
          h('span', { class: bad ? 'count-bad' : '', 'data-testid': 'queue-messages' }, number(q.messages)))),
        h('td', { class: 'num' }, number(q.consumers)));
    }) : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No queues.')))));
}

function clustersTable(clusters) {
  if (!clusters) return h('div', { class: 'card' }, unavailable('Clusters'));
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'clusters-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Cluster'), h('th', { class: 'num' }, 'Count'), h('th', {}, 'Last seen'), h('th', {}, 'Status'))),
    h('tbody', {}, clusters.length ? clusters.map((c) => h('tr', { 'data-testid': 'cluster-row', 'data-cluster-id': c.clusterId },
      h('td', { class: 'wrap' }, h('span', { class: 'muted mono' }, `#${c.clusterId} `), h('span', { 'data-testid': 'cluster-title' }, c.title)),
      h('td', { class: 'num', 'data-testid': 'cluster-count' }, number(c.totalCount)),
      h('td', { class: 'time', title: dateTime(c.lastSeenAt) }, ago(c.lastSeenAt)),
      h('td', {}, h('span', { class: 'badge' }, c.status))))
      : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No clusters yet.')))));
}

function deadLettersTable(deadLetters, replays, replay) {
  if (!deadLetters) return h('div', { class: 'card' }, unavailable('Dead letters'));
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'dead-letters-table' },
    h('thead', {}, h('tr', {}, ['Id', 'Event', 'Reason', 'Last error', 'Deliveries', 'Last seen', 'Replay status', ''].map((c) =>
      h('th', { class: c === 'Deliveries' ? 'num' : null }, c)))),
    h('tbody', {}, deadLetters.length ? deadLetters.map((d) => {
      const state = replays.get(d.id);
      return h('tr', { 'data-testid': 'dead-letter-row', 'data-id': d.id, 'data-event-id': d.eventId ?? '' },
        h('td', { class: 'mono' }, d.id),
        h('td', { class: 'mono', title: d.eventId ?? '' }, d.eventId ? shortId(d.eventId) : '—'),
        h('td', {}, h('span', { class: 'badge bad' }, d.reason)),
        h('td', { class: 'wrap', title: d.lastError ?? '' }, truncate(d.lastError, 120)),
        h('td', { class: 'num' }, number(d.deliveryCount)),
        h('td', { class: 'time', title: dateTime(d.lastSeenAt) }, ago(d.lastSeenAt)),
        h('td', { 'data-testid': 'replay-status' }, d.replayStatus),
        h('td', {}, h('div', { class: 'actions' },
          h('button', { class: 'small primary', 'data-testid': 'replay', disabled: Boolean(state?.busy), onclick: () => replay(d.id) }, 'Replay'),
          state ? h('span', { class: `feedback ${state.ok ? 'ok' : 'bad'}`, 'data-testid': 'replay-result' }, state.text) : null)));
    }) : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No dead letters. ')))));
}

function truncate(text, length) {
  if (!text) return '';
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
