// Traces: newest first, filtered by service, span name, attribute (key=value), free text and errors.
import { getJson } from '../api.js';
import { debounce, h, patch } from '../dom.js';
import { clock, dateTime, duration, number } from '../format.js';
import { serviceColor } from '../colors.js';
import { errorBanner, pageHeader, picker, poll } from '../page.js';

export function serviceChip(name) {
  return h('span', { class: 'chip', style: { borderColor: serviceColor(name) }, 'data-testid': 'service-chip' }, name);
}

export function mount(root, { query }) {
  const header = pageHeader('Traces', 'newest first');
  const banner = errorBanner();
  const filters = { resource: query.resource ?? '', name: query.name ?? '', attribute: query.attribute ?? '', text: query.text ?? '', hasError: query.hasError ?? '' };

  const resourcePicker = picker('traces-resource', 'Service', 'All services', (value) => {
    filters.resource = value;
    stop.refresh();
  });
  const textFilter = (key, placeholder) => {
    const input = h('input', { id: `traces-${key}`, 'data-testid': `traces-${key}`, type: 'search', placeholder, value: filters[key],
      oninput: debounce(() => {
        filters[key] = input.value.trim();
        stop.refresh();
      }) });
    return input;
  };
  const errorsOnly = h('input', { id: 'traces-errors', 'data-testid': 'traces-errors', type: 'checkbox', checked: filters.hasError === 'true',
    onchange: () => {
      filters.hasError = errorsOnly.checked ? 'true' : '';
      stop.refresh();
    } });
  const total = h('span', { class: 'muted', 'data-testid': 'traces-total' });
  const body = h('tbody');

  root.append(header.element, banner.element,
    h('div', { class: 'toolbar' }, resourcePicker.element,
      textFilter('name', 'Span name…'), textFilter('attribute', 'attribute key=value'), textFilter('text', 'Any text…'),
      h('label', {}, errorsOnly, 'Errors only'), total),
    h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'traces-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Time'), h('th', {}, 'Name'), h('th', {}, 'Services'), h('th', { class: 'num' }, 'Duration'),
        h('th', { class: 'num' }, 'Spans'), h('th', { class: 'num' }, 'Errors'))),
      body)));

  const refresh = async () => {
    try {
      const [services, traces] = await Promise.all([
        getJson('/api/telemetry/resources'),
        getJson('/api/telemetry/traces', { ...filters, limit: 100 }),
      ]);
      resourcePicker.setOptions((services.items ?? []).map((s) => s.serviceName));
      resourcePicker.select.value = filters.resource;
      const items = traces.items ?? [];
      const longest = Math.max(1, ...items.map((t) => t.durationMs));
      total.textContent = `${number(items.length)} of ${number(traces.total ?? items.length)}`;
      patch(body, items.length ? items.map((t) => traceRow(t, longest)) : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No traces match.')));
      banner.clear();
      header.updated();
    } catch (error) {
      banner.show(`Could not read traces: ${error.message}`);
      header.failed();
    }
  };

  const stop = poll(refresh, 3000);
  return stop;
}

function traceRow(t, longest) {
  const href = `#/traces/${encodeURIComponent(t.traceId)}`;
  return h('tr', { class: 'clickable', 'data-testid': 'trace-row', 'data-trace-id': t.traceId, 'data-services': (t.services ?? []).join(' '),
    onclick: (event) => {
      if (event.target.tagName !== 'A') window.location.hash = href;
    } },
  h('td', { class: 'time', title: dateTime(t.startTime) }, clock(t.startTime)),
  h('td', {}, h('a', { href, 'data-testid': 'trace-link' }, t.rootName || '(no root span)'),
    h('span', { class: 'muted', style: { marginLeft: '8px' } }, t.rootService)),
  h('td', {}, (t.services ?? []).map(serviceChip)),
  h('td', { class: 'num' }, h('div', { class: 'bar-cell' },
    h('span', { class: 'bar', style: { width: `${Math.max(2, (t.durationMs / longest) * 80)}px` } }),
    duration(t.durationMs))),
  h('td', { class: 'num' }, number(t.spanCount)),
  h('td', { class: 'num' }, t.errorCount ? h('span', { class: 'count-bad', 'data-testid': 'trace-errors' }, number(t.errorCount)) : h('span', { class: 'muted' }, '0')));
}
