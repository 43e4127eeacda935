// A time-series line chart drawn as inline SVG: lines = [{ label, color, dash, points: [{ t: ms, v }] }].
import { h, s } from './dom.js';
import { compact } from './format.js';

const WIDTH = 900;
const HEIGHT = 280;
const PAD = { left: 56, right: 16, top: 12, bottom: 26 };

export function lineChart(lines, { unit = '', from, to } = {}) {
  const all = lines.flatMap((l) => l.points);
  if (!all.length) return h('div', { class: 'empty', 'data-testid': 'metric-chart-empty' }, 'No data points yet.');

  const tMin = from ?? Math.min(...all.map((p) => p.t));
  const tMax = Math.max(to ?? 0, ...all.map((p) => p.t), tMin + 1000);
  // Four equal steps of a round size (1, 2, 2.5 or 5 × 10^k), so every tick label is a round number.
  const vMax = niceCeiling(Math.max(...all.map((p) => p.v), 0) / 4) * 4;
  const vMin = Math.min(0, ...all.map((p) => p.v));
  const x = (t) => PAD.left + ((t - tMin) / (tMax - tMin)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (v - vMin) / (vMax - vMin || 1)) * (HEIGHT - PAD.top - PAD.bottom);

  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => vMin + f * (vMax - vMin));
  const xTicks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => tMin + f * (tMax - tMin));

  return s('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'data-testid': 'metric-chart' },
    yTicks.map((v) => [
      s('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis-label', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, `${compact(v)}${unit}`),
    ]),
    xTicks.map((t, i) => s('text', {
      class: 'axis-label', x: x(t), y: HEIGHT - 6, 'text-anchor': i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle',
    }, timeLabel(t))),
    lines.map((line) => {
      const points = [...line.points].sort((a, b) => a.t - b.t);
      if (points.length === 1) {
        return s('circle', { cx: x(points[0].t), cy: y(points[0].v), r: 3, fill: line.color }, s('title', {}, line.label));
      }
      const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      return s('path', { class: 'line', d, stroke: line.color, 'stroke-dasharray': line.dash ?? null, 'data-testid': 'chart-line' },
        s('title', {}, line.label));
    }));
}

/** A small sparkline for cards: values oldest first. */
export function sparkline(values, color, width = 220, height = 36) {
  if (values.length < 2) return s('svg', { class: 'spark', width, height });
  const max = Math.max(...values, 1e-9);
  const step = width / (values.length - 1);
  const d = values.map((v, i) => `${i ? 'L' : 'M'}${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  return s('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}` },
    s('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.5 }));
}

function niceCeiling(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= value);
  return step * magnitude;
}

function timeLabel(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}
