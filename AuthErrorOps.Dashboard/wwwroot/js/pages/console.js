// Console logs: live tail of captured stdout/stderr, one resource or all, with a text filter.
import { getJson } from '../api.js';
import { debounce, h } from '../dom.js';
import { clock } from '../format.js';
import { serviceColor } from '../colors.js';
import { errorBanner, pageHeader, picker, poll } from '../page.js';

const MAX_LINES = 5000; // keeps the DOM small; older lines scroll away
const BATCH = 5000; // the API maximum: few round trips to catch up on a long history

export function mount(root, { query }) {
  const header = pageHeader('Console logs', 'stdout and stderr of every resource');
  const banner = errorBanner();
  let resource = query.resource ?? '';
  let after = 0;
  let filter = '';
  let paused = false;

  const resourcePicker = picker('console-resource', 'Resource', 'All resources', (value) => {
    resource = value;
    after = 0;
    lines.replaceChildren();
    stop.refresh();
  });
  const filterInput = h('input', { id: 'console-filter', 'data-testid': 'console-filter', type: 'search', placeholder: 'Filter text…',
    oninput: debounce(() => {
      filter = filterInput.value.toLowerCase();
      for (const line of lines.children) applyFilter(line);
    }, 150) });
  const pauseButton = h('button', { 'data-testid': 'console-pause', onclick: () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
  } }, 'Pause');
  const clearButton = h('button', { 'data-testid': 'console-clear', onclick: () => lines.replaceChildren() }, 'Clear');
  const lines = h('div', { class: 'console', 'data-testid': 'console-lines' });

  root.append(header.element, banner.element,
    h('div', { class: 'toolbar' }, resourcePicker.element, filterInput, pauseButton, clearButton), lines);

  const applyFilter = (line) => {
    line.hidden = Boolean(filter) && !line.dataset.search.includes(filter);
  };

  const loadResources = async () => {
    const resources = await getJson('/api/resources');
    const options = [];
    for (const name of [...new Set(resources.map((r) => r.name))]) {
      options.push({ value: name, label: name });
      const instances = resources.filter((r) => r.name === name && r.instanceName !== name);
      for (const r of instances) options.push({ value: r.instanceName, label: `  ↳ ${r.instanceName}` });
    }
    resourcePicker.setOptions(options);
    if (resource) resourcePicker.select.value = resource;
  };

  const tail = async () => {
    if (paused) return;
    try {
      const asked = resource;
      let page;
      do {
        page = await getJson('/api/console-logs', { resource, after, limit: BATCH });
        if (asked !== resource) return; // the picker changed while we waited
        appendLines(page.items ?? []);
        after = page.last ?? after;
        banner.clear();
        header.updated();
      } while ((page.items ?? []).length === BATCH);
    } catch (error) {
      banner.show(`Could not read console logs: ${error.message}`);
      header.failed();
    }
  };

  function appendLines(items) {
    if (!items.length) return;
    const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 30;
    const fragment = document.createDocumentFragment();
    for (const item of items) {
      const line = h('div', { class: `console-line${item.isError ? ' stderr' : ''}`, 'data-testid': 'console-line',
        'data-resource': item.resource, 'data-stream': item.isError ? 'stderr' : 'stdout' },
      h('span', { class: 't' }, clock(item.timestamp)),
      h('span', { class: 'r', style: { color: serviceColor(item.resource.replace(/-\d+$/, '')) }, title: item.resource }, item.resource),
      h('span', {}, item.text));
      line.dataset.search = `${item.resource} ${item.text}`.toLowerCase();
      applyFilter(line);
      fragment.append(line);
    }
    lines.append(fragment);
    while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
    if (atBottom) lines.scrollTop = lines.scrollHeight;
  }

  loadResources().catch((error) => banner.show(`Could not read resources: ${error.message}`));
  const stop = poll(tail, 1000);
  return stop;
}
