// Metrics: instrument tree (service → meter → instrument) and a live chart of the selected one.
import { ApiError, getJson } from '../api.js';
import { h, patch, replace } from '../dom.js';
import { compact } from '../format.js';
import { lineColor } from '../colors.js';
import { lineChart } from '../chart.js';
import { errorBanner, pageHeader, poll } from '../page.js';

const MINUTES = 5;
const MAX_SERIES = 8; // more lines than this is unreadable; the legend says how many are hidden
const PERCENTILES = [['p50', '2 3'], ['p95', '6 3'], ['p99', null]];

export function mount(root, { query }) {
  const header = pageHeader('Metrics', `last ${MINUTES} minutes`);
  const banner = errorBanner();
  const tree = h('nav', { class: 'tree', 'data-testid': 'metrics-tree' }, h('div', { class: 'muted' }, 'Loading instruments…'));
  const panel = h('section', { class: 'chart-panel', 'data-testid': 'metric-panel' },
    h('div', { class: 'empty' }, 'Select an instrument.'));
  root.append(header.element, banner.element, h('div', { class: 'metrics-layout' }, tree, panel));

  const selected = { service: query.service ?? '', name: query.name ?? '', series: '' };
  let instruments = [];
  let treeSignature = '';

  const select = (service, name) => {
    // Keep the choice in the address so a reload or a shared link shows the same chart.
    window.history.replaceState(null, '', `#/metrics?service=${encodeURIComponent(service)}&name=${encodeURIComponent(name)}`);
    selected.service = service;
    selected.name = name;
    selected.series = '';
    renderTree(true);
    stopChart.refresh();
  };

  const renderTree = (force = false) => {
    const signature = instruments.map((i) => `${i.serviceName}/${i.meter}/${i.name}`).join('|');
    if (!force && signature === treeSignature) return;
    treeSignature = signature;
    const open = new Set([...tree.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    const firstRender = !tree.querySelector('details');
    const services = groupBy(instruments, (i) => i.serviceName);
    replace(tree, services.size ? [...services].map(([service, items]) => {
      const key = service;
      return h('details', { class: 'service', 'data-key': key, open: firstRender || open.has(key) || selected.service === service },
        h('summary', {}, service),
        [...groupBy(items, (i) => i.meter)].map(([meter, meterItems]) => {
          const meterKey = `${service}/${meter}`;
          return h('details', { 'data-key': meterKey, open: firstRender || open.has(meterKey) || (selected.service === service && meterItems.some((i) => i.name === selected.name)) },
            h('summary', {}, meter),
            meterItems.map((i) => h('button', {
              class: `instrument${i.serviceName === selected.service && i.name === selected.name ? ' selected' : ''}`,
              'data-testid': 'instrument', 'data-service': i.serviceName, 'data-name': i.name, title: i.description || i.name,
              onclick: () => select(i.serviceName, i.name),
            }, i.name)));
        }));
    }) : h('div', { class: 'muted' }, 'No metrics received yet.'));
  };

  const refreshTree = async () => {
    try {
      instruments = ((await getJson('/api/telemetry/metrics')).items ?? [])
        .sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.meter.localeCompare(b.meter) || a.name.localeCompare(b.name));
      renderTree();
      banner.clear();
      header.updated();
    } catch (error) {
      banner.show(`Could not read instruments: ${error.message}`);
    }
  };

  const refreshChart = async () => {
    if (!selected.name) return;
    const instrument = instruments.find((i) => i.serviceName === selected.service && i.name === selected.name);
    try {
      const data = await getJson(`/api/telemetry/metrics/${encodeURIComponent(selected.service)}/${encodeURIComponent(selected.name)}`, { minutes: MINUTES });
      renderChart(panel, data, instrument, selected, () => stopChart.refresh());
      header.updated();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) replace(panel, h('div', { class: 'empty' }, `No data for ${selected.service} / ${selected.name}.`));
      else banner.show(`Could not read ${selected.name}: ${error.message}`);
      header.failed();
    }
  };

  const stopTree = poll(refreshTree, 10_000);
  const stopChart = poll(refreshChart, 3000);
  return () => {
    stopTree();
    stopChart();
  };
}

function renderChart(panel, data, instrument, selected, onSeriesChange) {
  const monotonic = data.type === 'Sum' && (instrument?.isMonotonic ?? true);
  const unit = data.unit && data.unit !== '1' ? data.unit.replace(/^\{(.*)\}$/, '$1') : '';
  // Durations in seconds read better in milliseconds.
  const scale = unit === 's' && !monotonic ? 1000 : 1;
  const shownUnit = monotonic ? `${unit || 'count'}/s` : scale === 1000 ? 'ms' : unit;
  const allSeries = data.series ?? [];
  const labels = allSeries.map((sr) => seriesLabel(sr, allSeries));
  let lines;
  let picker = null;
  let what;
  if (data.type === 'Histogram') {
    // Three percentile lines per series is unreadable beyond one series: pick one, or p95 of all.
    const chosen = histogramChoice(allSeries, labels, selected.series);
    if (allSeries.length > 1) picker = seriesPicker(labels, chosen, (value) => {
      selected.series = value;
      onSeriesChange();
    });
    if (chosen === ALL_P95) {
      what = 'p95 of each series';
      lines = allSeries.slice(0, MAX_SERIES).map((sr, i) => percentileLine(sr, 'p95', null, labels[i], lineColor(i), scale));
    } else {
      const sr = allSeries[labels.indexOf(chosen)] ?? allSeries[0];
      what = 'p50 / p95 / p99';
      lines = sr ? PERCENTILES.map(([p, dash], i) => percentileLine(sr, p, dash, p, lineColor(i), scale)) : [];
    }
  } else {
    what = monotonic ? 'rate per second' : 'value';
    lines = allSeries.slice(0, MAX_SERIES).map((sr, i) => ({
      label: labels[i], color: lineColor(i),
      // A point without a value (a NaN gauge, say) is a gap, not a zero.
      points: monotonic ? ratePoints(sr.points) : sr.points.filter(hasValue).map((pt) => ({ t: Date.parse(pt.time), v: pt.value * scale })),
    }));
  }

  const now = Date.now();
  const hidden = data.type !== 'Histogram' || selected.series === ALL_P95 ? allSeries.length - MAX_SERIES : 0;
  patch(panel,
    h('h2', { 'data-testid': 'metric-name' }, data.name),
    h('div', { class: 'desc' }, [instrument?.description, `${data.type}${monotonic ? ', monotonic' : ''}`, `showing ${what}${shownUnit ? ` in ${shownUnit}` : ''}`]
      .filter(Boolean).join(' · ')),
    picker,
    lineChart(lines, { from: now - MINUTES * 60_000, to: now }),
    h('div', { class: 'chart-legend', 'data-testid': 'chart-legend' },
      lines.map((l) => h('span', { class: 'legend-item' },
        h('span', { class: 'swatch', style: { background: l.color } }), l.label,
        h('span', { class: 'value' }, l.points.length ? `${compact(l.points[l.points.length - 1].v)}${shownUnit ? ` ${shownUnit}` : ''}` : '—'))),
      hidden > 0 ? h('span', { class: 'muted' }, `${hidden} more series hidden`) : null));
}

const ALL_P95 = '*';

/** The chosen series' label; by default the busiest one (most recorded values). */
function histogramChoice(allSeries, labels, wanted) {
  if (wanted === ALL_P95 || labels.includes(wanted)) return wanted;
  let busiest = 0;
  allSeries.forEach((sr, i) => {
    if (lastCount(sr) > lastCount(allSeries[busiest])) busiest = i;
  });
  return labels[busiest] ?? '';
}

const lastCount = (sr) => sr.points.at(-1)?.count ?? 0;

function seriesPicker(labels, chosen, onChange) {
  const select = h('select', { id: 'metric-series', 'data-testid': 'metric-series', onchange: () => onChange(select.value) },
    h('option', { value: ALL_P95 }, 'All series (p95)'),
    labels.map((label) => h('option', { value: label }, label)));
  select.value = chosen;
  return h('div', { class: 'toolbar' }, h('label', {}, 'Series', select));
}

function percentileLine(sr, p, dash, label, color, scale) {
  return {
    label, color, dash,
    points: sr.points.filter((pt) => pt[p] !== null && pt[p] !== undefined).map((pt) => ({ t: Date.parse(pt.time), v: pt[p] * scale })),
  };
}

const hasValue = (pt) => pt.value !== null && pt.value !== undefined;

/** Per-second rate between consecutive cumulative points; a drop means a restart, so that gap is skipped. */
function ratePoints(allPoints) {
  const points = allPoints.filter(hasValue);
  const rates = [];
  for (let i = 1; i < points.length; i++) {
    const dt = (Date.parse(points[i].time) - Date.parse(points[i - 1].time)) / 1000;
    const dv = points[i].value - points[i - 1].value;
    if (dt > 0 && dv >= 0) rates.push({ t: Date.parse(points[i].time), v: dv / dt });
  }
  return rates;
}

/** The attributes that tell this series apart from the others (all of them if it is alone). */
function seriesLabel(series, all) {
  const entries = Object.entries(series.attributes ?? {});
  const varying = all.length > 1 ? entries.filter(([k, v]) => all.some((o) => (o.attributes ?? {})[k] !== v)) : entries;
  return (varying.length ? varying : entries).map(([k, v]) => `${k}=${v}`).join(', ') || 'all';
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}
