// Structured logs received over OTLP: filter by service, minimum level and text; trace ids link to the trace.
import { getJson } from '../api.js';
import { debounce, h, patch, replace } from '../dom.js';
import { clock, dateTime, number, shortId } from '../format.js';
import { serviceColor } from '../colors.js';
import { errorBanner, pageHeader, picker, poll } from '../page.js';

const LEVELS = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'];

export function mount(root, { query }) {
  const header = pageHeader('Structured logs', 'received over OTLP, newest first');
  const banner = errorBanner();
  const filters = { resource: query.resource ?? '', level: query.level ?? '', text: query.text ?? '', traceId: query.traceId ?? '' };

  const resourcePicker = picker('logs-resource', 'Service', 'All services', (value) => {
    filters.resource = value;
    stop.refresh();
  });
  const levelSelect = h('select', { id: 'logs-level', 'data-testid': 'logs-level', onchange: () => {
    filters.level = levelSelect.value;
    stop.refresh();
  } }, h('option', { value: '' }, 'Any level'), LEVELS.map((l) => h('option', { value: l }, `≥ ${l}`)));
  levelSelect.value = filters.level;
  const textInput = h('input', { id: 'logs-text', 'data-testid': 'logs-text', type: 'search', placeholder: 'Message or attribute text…', value: filters.text,
    oninput: debounce(() => {
      filters.text = textInput.value;
      stop.refresh();
    }) });
  const traceFilter = h('span', {});
  const total = h('span', { class: 'muted', 'data-testid': 'logs-total' });
  const expanded = new Set();
  const body = h('tbody');

  root.append(header.element, banner.element,
    h('div', { class: 'toolbar' }, resourcePicker.element, h('label', {}, 'Level', levelSelect), textInput, traceFilter, total),
    h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'logs-table' },
      h('thead', {}, h('tr', {}, ['Time', 'Service', 'Level', 'Message', 'Trace'].map((c) => h('th', {}, c)))), body)));

  const showTraceFilter = () => replace(traceFilter, filters.traceId
    ? h('span', { class: 'chip', style: { borderColor: 'var(--accent)' } }, `trace ${shortId(filters.traceId)} `,
      h('button', { class: 'small', 'data-testid': 'logs-clear-trace', onclick: () => {
        filters.traceId = '';
        showTraceFilter();
        stop.refresh();
      } }, '×'))
    : null);
  showTraceFilter();

  let items = [];
  const render = () => {
    const rows = items.map((log) => logRow(log, expanded.has(logKey(log)), () => {
      const key = logKey(log);
      if (expanded.has(key)) expanded.delete(key);
      else expanded.add(key);
      render();
    }));
    patch(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No log entries match.')));
  };

  const refresh = async () => {
    try {
      const [services, logs] = await Promise.all([
        getJson('/api/telemetry/resources'),
        getJson('/api/telemetry/logs', { ...filters, limit: 200 }),
      ]);
      resourcePicker.setOptions((services.items ?? []).map((s) => s.serviceName));
      resourcePicker.select.value = filters.resource;
      items = logs.items ?? [];
      total.textContent = `${number(items.length)} of ${number(logs.total ?? items.length)}`;
      render();
      banner.clear();
      header.updated();
    } catch (error) {
      banner.show(`Could not read logs: ${error.message}`);
      header.failed();
    }
  };

  const stop = poll(refresh, 3000);
  return stop;
}

function logRow(log, expanded, toggle) {
  const attributes = Object.entries(log.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return h('tr', { class: 'clickable', 'data-testid': 'log-row', 'data-service': log.serviceName, 'data-level': log.severity, onclick: (event) => {
    if (event.target.tagName !== 'A' && !window.getSelection()?.toString()) toggle();
  } },
  h('td', { class: 'time', title: dateTime(log.timestamp) }, clock(log.timestamp)),
  h('td', { class: 'nowrap' }, h('span', { class: 'chip', style: { borderColor: serviceColor(log.serviceName) } }, log.serviceName),
    log.instanceId ? h('span', { class: 'muted mono' }, log.instanceId) : null),
  h('td', {}, h('span', { class: `level ${log.severity}`, 'data-testid': 'log-level' }, log.severity)),
  h('td', { class: 'wrap', title: expanded ? null : log.category },
    h('div', { class: expanded ? 'message full' : 'message clamp', 'data-testid': 'log-message' }, log.message),
    expanded ? h('div', { class: 'log-details', 'data-testid': 'log-details' },
      h('div', { class: 'muted' }, log.category),
      attributes.length ? h('table', { class: 'kv' }, h('tbody', {}, attributes.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'mono' }, v)))))
        : null) : null),
  h('td', { class: 'mono' }, log.traceId
    ? h('a', { href: `#/traces/${encodeURIComponent(log.traceId)}`, 'data-testid': 'log-trace-link', title: log.traceId }, shortId(log.traceId))
    : null));
}

// Rows have no id: this key is stable enough to keep a row open across refreshes.
const logKey = (log) => `${log.timestamp}|${log.instanceId}|${log.message.slice(0, 80)}`;
