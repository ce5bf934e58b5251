// The jobs API, called with the signed-in person's bearer token. The token lives in sessionStorage: it is gone when
// the tab closes, it is never put in a URL the server sees, and every piece of data comes from the API.
const TOKEN_KEY = 'provisioning.accessToken';

export const ROLES = {
  ADMIN: 'Provisioning.Admin',
  OPERATOR: 'Provisioning.Operator',
  READER: 'Provisioning.Reader',
};

/** A refused or failed call, with the RFC 9457 problem's title, detail and field errors. */
export class ApiError extends Error {
  constructor(status, problem, method, path) {
    super(problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title || `HTTP ${status}`;
    this.detail = problem?.detail || null;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    this.method = method;
    this.path = path;
  }

  /** The message for a field (`tenantUrl`, `userMappings[2].source`), or null. */
  fieldMessage(field) {
    const e = this.errors.find((x) => x.field === field);
    return e ? e.message : null;
  }
}

/** Takes a token from the address bar's fragment (#token=...) into sessionStorage and removes it from the address. */
export function adoptTokenFromFragment() {
  const m = /^#token=([^&]+)/.exec(window.location.hash);
  if (!m) {
    return false;
  }
  signIn(decodeURIComponent(m[1]));
  window.history.replaceState(null, '', window.location.pathname + window.location.search + '#/jobs');
  return true;
}

export function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * What the page can read from the token (its signature is the server's business): who, which roles, until when.
 * Only used to show or disable what the server would refuse anyway.
 */
export function session() {
  const t = token();
  if (!t) {
    return null;
  }
  try {
    const payload = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    return {
      who: payload.name || payload.preferred_username || payload.upn || payload.sub || 'unknown',
      roles,
      expiresAt: payload.exp ? new Date(payload.exp * 1000) : null,
      isAdmin: roles.includes(ROLES.ADMIN),
      isOperator: roles.includes(ROLES.ADMIN) || roles.includes(ROLES.OPERATOR),
      isReader: roles.some((r) => Object.values(ROLES).includes(r)),
    };
  } catch (e) {
    return { who: 'unreadable token', roles: [], expiresAt: null, isAdmin: false, isOperator: false, isReader: false };
  }
}

/** Why a control is disabled for this session, or '' when the session's roles allow it. */
export function denied(need) {
  const s = session();
  if (need === 'admin' && !s?.isAdmin) {
    return `Needs the role ${ROLES.ADMIN}; you are signed in as ${describeRoles(s)}.`;
  }
  if (need === 'operator' && !s?.isOperator) {
    return `Needs the role ${ROLES.OPERATOR} or ${ROLES.ADMIN}; you are signed in as ${describeRoles(s)}.`;
  }
  return '';
}

export function describeRoles(s) {
  return s && s.roles.length ? s.roles.join(', ') : 'a user without a provisioning role';
}

/**
 * Calls the API. Resolves with the parsed JSON (null for 204); rejects with an ApiError carrying the problem details.
 */
export async function api(method, path, body) {
  return (await apiResponse(method, path, body)).json;
}

/**
 * As api(), for an answer whose headers matter too (the provisioning log's Link rel="next"): resolves with { json, headers }.
 * `signal` (an AbortSignal) cancels the request; the call then rejects as one that did not reach the server.
 */
export async function apiResponse(method, path, body, signal) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const t = token();
  if (t) {
    headers.Authorization = `Bearer ${t}`;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  let text;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    text = await response.text();
  } catch (e) {
    // no answer, or the answer broke off (the network, or the signal)
    throw new ApiError(0, { title: 'The server cannot be reached', detail: String(e.message || e) }, method, path);
  }
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      json = { title: `HTTP ${response.status}`, detail: text.slice(0, 300) };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, json, method, path);
  }
  return { json, headers: response.headers };
}

/** The target of a Link header's rel="next" (RFC 8288), or null. */
export function nextLink(headers) {
  const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(headers.get('Link') || '');
  return m ? m[1] : null;
}

export const enc = encodeURIComponent;
