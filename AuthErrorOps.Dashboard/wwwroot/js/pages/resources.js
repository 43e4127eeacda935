// Resources: every server, database and project replica, with state, health, endpoints and commands.
import { getJson, post } from '../api.js';
import { h, patch } from '../dom.js';
import { dateTime, ago } from '../format.js';
import { errorBanner, pageHeader, poll } from '../page.js';

const STATE_CLASS = {
  Running: 'ok',
  Starting: 'warn', // booting is normal: amber, never red
  Waiting: 'warn',
  Stopping: 'warn',
  FailedToStart: 'bad',
  Exited: '',
  NotStarted: '',
};

export function mount(root) {
  const header = pageHeader('Resources', 'servers, databases and project replicas');
  const banner = errorBanner();
  const body = h('tbody');
  const table = h('div', { class: 'table-wrap' },
    h('table', { 'data-testid': 'resources-table' },
      h('thead', {}, h('tr', {},
        ['Name', 'Instance', 'Type', 'State', 'Health', 'Endpoints', 'PID', 'Started', 'Environment', 'Actions'].map((c) => h('th', {}, c)))),
      body));
  root.append(header.element, banner.element, table);

  // UI state that survives the 2 s re-render.
  const ui = { expanded: new Set(), revealed: new Set(), pending: new Set(), feedback: new Map(), rows: [] };

  const ctx = { ui, run: (...args) => run(...args), render: () => render() };
  const render = () => patch(body, ui.rows.length
    ? ui.rows.flatMap((r) => resourceRows(r, ctx))
    : h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No resources yet.')));

  const refresh = async () => {
    try {
      ui.rows = await getJson('/api/resources');
      banner.clear();
      header.updated();
    } catch (error) {
      banner.show(`Could not read resources: ${error.message}`);
      header.failed();
    }
    render();
  };

  async function run(instanceName, command) {
    ui.pending.add(instanceName);
    ui.feedback.set(instanceName, { ok: true, text: `${command}…` });
    render();
    try {
      const result = await post(`/api/resources/${encodeURIComponent(instanceName)}/${command}`);
      ui.feedback.set(instanceName, result.ok
        ? { ok: true, text: `${command}: ${result.body?.state ?? 'done'}` }
        : { ok: false, text: `${command} failed: ${result.message}` });
    } catch (error) {
      ui.feedback.set(instanceName, { ok: false, text: `${command} failed: ${error.message}` });
    }
    ui.pending.delete(instanceName);
    const shown = ui.feedback.get(instanceName);
    setTimeout(() => ui.feedback.get(instanceName) === shown && ui.feedback.delete(instanceName), 10_000);
    await stop.refresh();
  }

  const stop = poll(refresh, 2000);
  return stop;
}

function resourceRows(r, ctx) {
  const { ui, run } = ctx;
  const id = r.instanceName;
  const expanded = ui.expanded.has(id);
  const busy = ui.pending.has(id);
  const running = r.state === 'Running';
  const active = running || r.state === 'Starting' || r.state === 'Waiting';
  const feedback = ui.feedback.get(id);
  const toggle = () => {
    if (expanded) ui.expanded.delete(id);
    else ui.expanded.add(id);
    ctx.render();
  };
  const button = (command, label, enabled) => h('button', {
    class: 'small', 'data-testid': `cmd-${command}`, disabled: busy || !enabled,
    onclick: () => run(id, command),
  }, label);

  const row = h('tr', { 'data-testid': 'resource-row', 'data-name': r.name, 'data-instance': id, 'data-state': r.state },
    h('td', {}, h('strong', {}, r.name)),
    h('td', { class: 'mono nowrap' }, id),
    h('td', { class: 'muted' }, r.type),
    h('td', {},
      h('span', { class: `badge ${STATE_CLASS[r.state] ?? ''}`, 'data-testid': 'resource-state' }, r.state),
      r.error ? h('div', { class: 'error-text', 'data-testid': 'resource-error' }, r.error) : null),
    h('td', {}, r.health
      ? h('span', { class: `badge ${r.health === 'Healthy' ? 'ok' : 'bad'}`, 'data-testid': 'resource-health' }, r.health)
      : h('span', { class: 'muted' }, '—')),
    h('td', {}, (r.endpoints ?? []).map((e) => h('div', {}, /^https?:\/\//i.test(e.url)
      ? h('a', { href: e.url, target: '_blank', rel: 'noopener', 'data-testid': 'resource-endpoint', title: e.name }, e.url)
      // tcp:// and amqp:// are addresses to copy, not pages; nothing else may become a link (javascript:).
      : h('span', { class: 'mono', 'data-testid': 'resource-endpoint', title: e.name }, e.url)))),
    h('td', { class: 'num mono' }, r.processId ?? '—'),
    h('td', { class: 'time', title: r.startedAt ? dateTime(r.startedAt) : '' }, r.startedAt ? ago(r.startedAt) : '—'),
    h('td', {}, (r.environment ?? []).length
      ? h('button', { class: 'small', 'data-testid': 'env-toggle', onclick: toggle, 'aria-expanded': String(expanded) },
        `${expanded ? '▾' : '▸'} ${r.environment.length} vars`)
      : h('span', { class: 'muted' }, '—')),
    h('td', {}, h('div', { class: 'actions' },
      button('start', 'Start', !active),
      button('stop', 'Stop', active),
      button('restart', 'Restart', running),
      feedback ? h('span', { class: `feedback ${feedback.ok ? 'ok' : 'bad'}`, 'data-testid': 'resource-feedback' }, feedback.text) : null)));

  if (!expanded) return [row];
  return [row, h('tr', { class: 'env-row', 'data-testid': 'env-row', 'data-instance': id },
    h('td', { colspan: 10 }, environmentTable(r, ctx)))];
}

function environmentTable(r, { ui, render }) {
  const variables = [...(r.environment ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  if (!variables.length) return h('span', { class: 'muted' }, 'No environment variables.');
  return h('table', { class: 'env-table', 'data-testid': 'env-table' }, h('tbody', {}, variables.map((v) => {
    const key = `${r.instanceName}/${v.name}`;
    const hidden = v.isSecret && !ui.revealed.has(key);
    const flip = () => {
      if (hidden) ui.revealed.add(key);
      else ui.revealed.delete(key);
      render();
    };
    return h('tr', { 'data-testid': 'env-var', 'data-name': v.name },
      h('td', {}, v.name),
      h('td', { class: 'wrap' }, hidden ? h('span', { class: 'masked', 'data-testid': 'env-value' }, '••••••••') : h('span', { 'data-testid': 'env-value' }, v.value)),
      h('td', {}, v.isSecret ? h('button', { class: 'small', 'data-testid': 'reveal', onclick: flip }, hidden ? 'reveal' : 'hide') : null));
  })));
}
