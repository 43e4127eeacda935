// Hash router: one SPA, each page a module with mount(root, params) → unmount().
import * as resources from './pages/resources.js';
import * as consoleLogs from './pages/console.js';
import * as structuredLogs from './pages/logs.js';
import * as traces from './pages/traces.js';
import * as trace from './pages/trace.js';
import * as metrics from './pages/metrics.js';
import * as pipeline from './pages/pipeline.js';

const routes = [
  { pattern: /^\/resources$/, nav: 'resources', page: resources },
  { pattern: /^\/console$/, nav: 'console', page: consoleLogs },
  { pattern: /^\/logs$/, nav: 'logs', page: structuredLogs },
  { pattern: /^\/traces$/, nav: 'traces', page: traces },
  { pattern: /^\/traces\/([^/]+)$/, nav: 'traces', page: trace },
  { pattern: /^\/metrics$/, nav: 'metrics', page: metrics },
  { pattern: /^\/pipeline$/, nav: 'pipeline', page: pipeline },
];

let unmount = null;

function route() {
  const hash = window.location.hash.replace(/^#/, '') || '/resources';
  const [path, queryText = ''] = hash.split('?');
  const match = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!match) {
    window.location.replace('#/resources');
    return;
  }
  unmount?.();
  const root = document.getElementById('page');
  root.replaceChildren();
  window.scrollTo(0, 0);
  for (const link of document.querySelectorAll('.sidebar a')) {
    link.classList.toggle('active', link.dataset.route === match.r.nav);
  }
  const query = Object.fromEntries(new URLSearchParams(queryText));
  unmount = match.r.page.mount(root, { path: match.m.slice(1).map(decodeURIComponent), query }) ?? null;
}

window.addEventListener('hashchange', route);
route();
