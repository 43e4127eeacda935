// The dashboard's JSON API (docs/dashboard.md). A 401 means the cookie is gone: back to /login.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function getJson(path, query) {
  const response = await fetch(url(path, query), { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, problemText(response, body));
  return body;
}

/** POSTs and returns { ok, status, body, message }: callers show failures (404, 409) as feedback. */
export async function post(path) {
  const response = await fetch(path, { method: 'POST', headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const body = await readBody(response);
  return { ok: response.ok, status: response.status, body, message: response.ok ? '' : problemText(response, body) };
}

async function readBody(response) {
  if (response.status === 401) {
    window.location.assign('/login');
    throw new ApiError(401, 'Not signed in');
  }
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function problemText(response, body) {
  if (body && typeof body === 'object') {
    return [body.title, body.detail].filter(Boolean).join(': ') || `HTTP ${response.status}`;
  }
  return typeof body === 'string' && body ? `HTTP ${response.status}: ${body.slice(0, 200)}` : `HTTP ${response.status}`;
}
