// What every page shares: a header with a live indicator, an error banner, and polling that stops on unmount.
import { h, replace } from './dom.js';
import { clock } from './format.js';

/** Header with title, optional subtitle and a "live" marker that shows when data last arrived. */
export function pageHeader(title, subtitle) {
  const live = h('span', { class: 'live', 'data-testid': 'live' }, 'connecting…');
  const element = h('div', { class: 'page-header' }, h('h1', {}, title), subtitle ? h('span', { class: 'sub' }, subtitle) : null, live);
  return {
    element,
    updated() {
      live.classList.remove('stale');
      live.textContent = `updated ${clock(new Date().toISOString())}`;
    },
    failed() {
      live.classList.add('stale');
      live.textContent = 'not updating';
    },
  };
}

/** A banner that is empty until a request fails. */
export function errorBanner(testId = 'page-error') {
  const element = h('div', { class: 'banner error', 'data-testid': testId, hidden: true });
  return {
    element,
    show(message, items = []) {
      replace(element, message, items.length ? h('ul', {}, items.map((item) => h('li', {}, item))) : null);
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
    },
  };
}

/**
 * Runs `tick` now and then every `intervalMs` after the previous run finished (never overlapping).
 * Returns stop(); stop.refresh() runs a tick at once (after a filter change).
 */
export function poll(tick, intervalMs) {
  let stopped = false;
  let busy = false;
  let again = false;
  let timer = 0;
  const run = async () => {
    clearTimeout(timer);
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await tick();
    } catch (error) {
      console.warn(error);
    }
    busy = false;
    if (stopped) return;
    if (again) {
      again = false;
      run();
    } else {
      timer = setTimeout(run, intervalMs);
    }
  };
  run();
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  stop.refresh = run;
  return stop;
}

/** A <select> whose options can be replaced without losing the selection. */
export function picker(id, label, allLabel, onChange) {
  const select = h('select', { id, 'data-testid': id, onchange: () => onChange(select.value) });
  select.append(h('option', { value: '' }, allLabel));
  return {
    element: h('label', {}, label, select),
    select,
    setOptions(options) {
      const current = select.value;
      const values = options.map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
      const known = [...select.options].slice(1).map((o) => `${o.value}|${o.textContent}`).join('\n');
      if (known === values.map((o) => `${o.value}|${o.label}`).join('\n')) return;
      replace(select, h('option', { value: '' }, allLabel), values.map((o) => h('option', { value: o.value }, o.label)));
      if (current && !values.some((o) => o.value === current)) select.append(h('option', { value: current }, current));
      select.value = current;
    },
  };
}
