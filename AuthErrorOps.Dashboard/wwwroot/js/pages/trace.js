// One trace: a waterfall (bars by start and duration, indented by parent, coloured by service) and span details.
import { ApiError, getJson } from '../api.js';
import { h, patch, replace } from '../dom.js';
import { clock, dateTime, duration, shortId } from '../format.js';
import { serviceColor } from '../colors.js';
import { errorBanner, pageHeader, poll } from '../page.js';

export function mount(root, { path }) {
  const traceId = path[0];
  const header = pageHeader('Trace', traceId);
  const banner = errorBanner();
  const summary = h('div', { class: 'trace-head', 'data-testid': 'trace-summary' });
  const legend = h('div', { class: 'legend', 'data-testid': 'trace-legend' });
  const waterfall = h('div', { class: 'waterfall', 'data-testid': 'waterfall' });
  const details = h('aside', { class: 'details', 'data-testid': 'span-details', hidden: true });
  const layout = h('div', { class: 'trace-layout' }, waterfall, details);
  root.append(header.element, h('div', { class: 'toolbar' }, h('a', { href: '#/traces', 'data-testid': 'back-to-traces' }, '← All traces'),
    h('a', { href: `#/logs?traceId=${encodeURIComponent(traceId)}`, 'data-testid': 'trace-logs-link' }, 'Logs of this trace')),
  banner.element, summary, legend, layout);

  let spans = [];
  let selectedId = null;
  let signature = '';

  const render = () => {
    const ordered = treeOrder(spans);
    const start = Math.min(...spans.map((s) => Date.parse(s.startTime)));
    const end = Math.max(...spans.map((s) => Date.parse(s.endTime)));
    const total = Math.max(end - start, 0.001);
    const services = [...new Set(spans.map((s) => s.serviceName))];
    const rootSpan = ordered[0]?.span;
    const errors = spans.filter((s) => s.status === 'Error').length;

    replace(summary,
      h('strong', { 'data-testid': 'trace-root-name' }, rootSpan?.name ?? ''),
      h('span', {}, 'started ', h('strong', {}, dateTime(new Date(start).toISOString()))),
      h('span', {}, 'duration ', h('strong', { 'data-testid': 'trace-duration' }, duration(end - start))),
      h('span', {}, h('strong', { 'data-testid': 'trace-span-count' }, spans.length), ' spans'),
      errors ? h('span', { class: 'count-bad' }, `${errors} error${errors > 1 ? 's' : ''}`) : null);
    replace(legend, services.map((name) => h('span', { class: 'legend-item', 'data-testid': 'legend-item', 'data-service': name },
      h('span', { class: 'swatch', style: { background: serviceColor(name) } }), name)));

    const ticks = [0, 0.25, 0.5, 0.75, 1];
    patch(waterfall,
      h('div', { class: 'wf-row header' }, h('div', { class: 'wf-name' }, 'Span'),
        h('div', { class: 'wf-track' }, ticks.map((f) => [
          h('span', { class: 'wf-tick', style: { left: `${f * 100}%` } }),
          f < 1 ? h('span', { class: 'wf-tick-label', style: { left: `${f * 100}%` } }, duration(f * total)) : null]))),
      ordered.map(({ span, depth }) => spanRow(span, depth, start, total, span.spanId === selectedId, () => {
        selectedId = span.spanId === selectedId ? null : span.spanId;
        render();
      })));

    const selected = spans.find((s) => s.spanId === selectedId);
    layout.classList.toggle('with-details', Boolean(selected));
    details.hidden = !selected;
    if (selected) patch(details, spanDetails(selected, start, () => {
      selectedId = null;
      render();
    }));
  };

  // The trace may still be growing (relay and consumer spans arrive later): refresh until it settles.
  const refresh = async () => {
    try {
      const trace = await getJson(`/api/telemetry/traces/${encodeURIComponent(traceId)}`);
      banner.clear();
      header.updated();
      const next = (trace.spans ?? []).map((s) => `${s.spanId}:${s.endTime}`).join(',');
      if (next === signature) return;
      signature = next;
      spans = trace.spans ?? [];
      if (spans.length) render();
    } catch (error) {
      banner.show(error instanceof ApiError && error.status === 404
        ? `Trace ${traceId} is not (or no longer) stored.`
        : `Could not read the trace: ${error.message}`);
      header.failed();
    }
  };

  return poll(refresh, 3000);
}

/** Depth-first by start time; spans whose parent is missing become roots. */
function treeOrder(spans) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parentSpanId && byId.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
      children.get(span.parentSpanId).push(span);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a, b) => Date.parse(a.startTime) - Date.parse(b.startTime);
  const ordered = [];
  const visit = (span, depth) => {
    ordered.push({ span, depth });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const span of roots.sort(byStart)) visit(span, 0);
  return ordered;
}

function spanRow(span, depth, traceStart, total, selected, onSelect) {
  const left = ((Date.parse(span.startTime) - traceStart) / total) * 100;
  const width = (Math.max(span.durationMs, 0) / total) * 100;
  const isError = span.status === 'Error';
  const labelOnLeft = left + width > 80;
  return h('div', {
    class: `wf-row${selected ? ' selected' : ''}`, 'data-testid': 'span-row', 'data-span-id': span.spanId,
    'data-service': span.serviceName, 'data-status': span.status, onclick: onSelect, title: `${span.serviceName}: ${span.name}`,
  },
  h('div', { class: 'wf-name', style: { paddingLeft: `${10 + depth * 16}px` } },
    isError ? h('span', { class: 'err' }, '●') : null,
    h('span', { 'data-testid': 'span-name' }, span.name),
    h('span', { class: 'svc' }, span.serviceName)),
  h('div', { class: 'wf-track' },
    h('span', { class: `wf-bar${isError ? ' error' : ''}`, style: { left: `${left}%`, width: `${width}%`, background: serviceColor(span.serviceName) } }),
    h('span', { class: 'wf-label', style: labelOnLeft ? { right: `${100 - left + 0.5}%` } : { left: `calc(${left + width}% + 6px)` } },
      duration(span.durationMs))));
}

function spanDetails(span, traceStart, onClose) {
  const offset = (iso) => `+${duration(Date.parse(iso) - traceStart)}`;
  // Long dotted keys (messaging.rabbitmq.destination.routing_key) may wrap after a dot, not mid-word.
  const wrapAtDots = (key) => key.replaceAll('.', '.\u200b');
  const kv = (rows) => h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', {}, wrapAtDots(k)), h('td', { class: 'mono' }, v)))));
  const attributes = Object.entries(span.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    h('div', { style: { display: 'flex', gap: '8px', alignItems: 'start' } },
      h('h2', { 'data-testid': 'span-details-name', style: { flex: 1 } }, span.name),
      h('button', { class: 'small', 'data-testid': 'span-details-close', onclick: onClose }, '×')),
    kv([
      ['service', h('span', { class: 'chip', style: { borderColor: serviceColor(span.serviceName) } }, span.serviceName)],
      ['instance', span.instanceId ?? ''],
      ['kind', span.kind],
      ['status', h('span', { 'data-testid': 'span-status', class: span.status === 'Error' ? 'count-bad' : '' },
        span.status + (span.statusMessage ? `: ${span.statusMessage}` : ''))],
      ['start', `${clock(span.startTime)} (${offset(span.startTime)})`],
      ['duration', duration(span.durationMs)],
      ['span id', span.spanId],
      ['parent', span.parentSpanId || '—'],
      ['scope', span.scope ?? ''],
    ]),
    h('h3', {}, `Attributes (${attributes.length})`),
    attributes.length ? h('div', { 'data-testid': 'span-attributes' }, kv(attributes)) : h('div', { class: 'muted' }, 'none'),
    h('h3', {}, `Events (${(span.events ?? []).length})`),
    (span.events ?? []).length
      ? (span.events).map((e) => h('div', { class: 'event', 'data-testid': 'span-event' },
        h('div', {}, h('strong', {}, e.name), h('span', { class: 'muted' }, `  ${offset(e.time)}`)),
        kv(Object.entries(e.attributes ?? {}))))
      : h('div', { class: 'muted' }, 'none'),
    (span.links ?? []).length ? [h('h3', {}, 'Links'), span.links.map((l) => h('div', { class: 'mono' },
      h('a', { href: `#/traces/${encodeURIComponent(l.traceId)}` }, `${shortId(l.traceId)} / ${l.spanId}`)))] : null,
  ];
}
