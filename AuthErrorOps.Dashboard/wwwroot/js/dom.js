// Builds DOM without innerHTML: every string becomes a text node, so data can never inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** h('td', { class: 'num', 'data-testid': 'x', onclick: fn }, 'text', child, [more]) */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** The same for SVG elements (inline charts). */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(element, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(element.style, value);
    } else if (key === 'value' && 'value' in element) {
      element.value = value;
    } else if (key === 'checked' && 'checked' in element) {
      element.checked = Boolean(value);
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content with the given children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * Like replace(), but keeps every existing child whose markup is unchanged. Pages refresh every
 * few seconds; replacing a button between mouse-down and mouse-up would swallow the click, and
 * an open <select> would close. Reused nodes keep their listeners, which were made from the same
 * data (same markup), so they still do the right thing.
 */
export function patch(element, ...children) {
  const fresh = element.cloneNode(false);
  append(fresh, children);
  const old = new Map();
  for (const node of element.childNodes) {
    const key = markup(node);
    if (!old.has(key)) old.set(key, []);
    old.get(key).push(node);
  }
  const next = [...fresh.childNodes].map((node) => old.get(markup(node))?.shift() ?? node);
  const same = next.length === element.childNodes.length && next.every((node, i) => node === element.childNodes[i]);
  if (!same) element.replaceChildren(...next);
  return element;
}

function markup(node) {
  return node.nodeType === Node.ELEMENT_NODE ? node.outerHTML : `#${node.nodeType}:${node.textContent}`;
}

/** Calls fn once the user has stopped typing for `ms`. */
export function debounce(fn, ms = 300) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
