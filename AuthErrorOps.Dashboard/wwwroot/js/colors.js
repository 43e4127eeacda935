// One stable colour per service, so a service looks the same in chips, waterfalls and legends.

const PALETTE = ['#4e9af1', '#e8a33d', '#3fbf8f', '#c77dff', '#f06292', '#4dd0e1', '#aed581', '#ff8a65', '#9fa8da', '#fff176'];
const KNOWN = { ingest: 0, relay: 1, consumer: 2, postgres: 3, authdb: 3, messaging: 4 };

export function serviceColor(name) {
  const key = String(name ?? '').toLowerCase();
  if (key in KNOWN) return PALETTE[KNOWN[key]];
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[5 + (hash % (PALETTE.length - 5))];
}

/** Colours for chart lines, by index. */
export function lineColor(index) {
  return PALETTE[index % PALETTE.length];
}
