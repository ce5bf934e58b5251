import { LitElement, html, nothing } from 'lit';

/**
 * Every page renders into the document itself (no shadow DOM): one stylesheet, a strict Content-Security-Policy
 * without inline styles, and pages that assistive technology and browser tests read as plain HTML.
 */
export class Page extends LitElement {
  createRenderRoot() {
    return this;
  }
}

/** An API error as a message naming the fields, for people: 401 says to sign in, 403 which role is missing. */
export function problem(error, context) {
  if (!error) {
    return nothing;
  }
  let hint = nothing;
  if (error.status === 401) {
    hint = html`<p>Your access token is missing, expired or not for this API. <a href="#/sign-in">Sign in again</a>.</p>`;
  } else if (error.status === 403) {
    hint = html`<p>Your token does not carry the role this needs.</p>`;
  }
  return html`<div class="problem" role="alert">
    <p class="problem-title"><strong>${context ? `${context}: ` : ''}${error.title}</strong>
      ${error.status ? html`<span class="muted">(HTTP ${error.status})</span>` : nothing}</p>
    ${error.detail ? html`<p>${error.detail}</p>` : nothing}
    ${error.errors && error.errors.length
      ? html`<ul class="field-errors">${error.errors.map(
          (e) => html`<li><code>${e.field}</code>: ${e.message}</li>`)}</ul>`
      : nothing}
    ${hint}
  </div>`;
}

export function when(value) {
  if (!value) {
    return '—';
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

/** `2026-05-01T10:00:00Z` for a <time datetime>. */
export function iso(value) {
  return value ? new Date(value).toISOString() : '';
}

export function timeEl(value) {
  return value ? html`<time datetime=${iso(value)}>${when(value)}</time>` : '—';
}

const STATE_NAMES = { ACTIVE: 'Active', PAUSED: 'Paused', QUARANTINED: 'Quarantined' };

export function stateBadge(state, reason) {
  const name = STATE_NAMES[state] || state;
  return html`<span class="badge state-${String(state).toLowerCase()}">${name}${reason ? ` (${reason})` : ''}</span>`;
}

export function statusBadge(status) {
  return html`<span class="badge status-${String(status).toLowerCase()}">${status}</span>`;
}

/**
 * A duration as the API may write it (ISO-8601 such as PT40M, or a number of seconds, Jackson's default for
 * java.time.Duration) in ISO-8601.
 */
export function isoDuration(value) {
  if (value === null || value === undefined || value === '') {
    return '';
  }
  if (typeof value === 'number' || /^\d+(\.\d+)?$/.test(String(value))) {
    const total = Math.round(Number(value));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const sec = total % 60;
    return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec || total === 0 ? `${sec}S` : ''}`;
  }
  return String(value);
}

/** ISO-8601 duration (PT40M, PT1H30M, P1D) for people. */
export function duration(raw) {
  const value = isoDuration(raw);
  if (!value) {
    return '—';
  }
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(value);
  if (!m) {
    return value;
  }
  const parts = [];
  if (m[1]) parts.push(`${m[1]} d`);
  if (m[2]) parts.push(`${m[2]} h`);
  if (m[3]) parts.push(`${m[3]} min`);
  if (m[4]) parts.push(`${Number(m[4])} s`);
  return parts.join(' ') || value;
}

/**
 * What to do about each of Entra's error and skip codes (Microsoft's "Known issues and resolutions" in
 * howto-analyze-provisioning-logs and the Druva SCIM behaviour this project implements).
 */
export const ERROR_HELP = {
  MandatoryFieldsMissing: 'Druva needs userName and a work email: give the user a mail (or userPrincipalName) in Entra, or map those targets from attributes the user has (Configure > Attribute mappings).',
  NotEffectivelyEntitled: 'The object is not effectively entitled: it is not assigned to the application, only with Default Access, or (a user) disabled in Entra; the reason says which. Assign it or one of its groups to the app with a role, set Scope to all users and groups, or enable the user in Entra.',
  SourceObjectDisabled: 'Logged by an earlier version for a user disabled in Entra (Entra and this version log NotEffectivelyEntitled): enable the user there if it should have access.',
  RedundantExport: 'Druva already holds what Entra has for this object, so nothing was sent: nothing to do.',
  OutOfScope: 'The user falls outside the scoping filters (or is soft-deleted): change the user\'s attributes or the scoping filters (Configure > Scoping filters).',
  TargetObjectNotManaged: 'Druva has no object this job manages for it: nothing to do, unless it should be matched (check the matching attributes).',
  ActionDisabledByJob: 'The job\'s target object actions leave this out: turn on Create, Update or Delete under Configure > Settings.',
  EntryConflict: 'Druva already holds an object with this userName or email that the matching attributes do not match: fix the duplicate in Druva, or adjust the matching attributes.',
  DuplicateTargetEntries: 'More than one Druva object matches: remove the duplicate in Druva so the matching attribute is unique.',
  InvalidAnchor: 'The object this job created in Druva was deleted or changed there: restart the job with reset scope Full, or remove the stale object.',
  TooManyRequests: 'Druva throttled the requests (HTTP 429): the job retries by itself; lower WRITER_RATE_LIMIT_PER_SECOND if it persists.',
  InvalidCredentials: 'Druva refused the secret token (HTTP 401): generate a new token in Druva, paste it under Configure > Admin credentials, Test connection, then Start.',
  SystemForCrossDomainIdentityManagementServiceIncompatible: 'Druva answered with an error the job cannot fix by retrying: read the reason and the HTTP status, correct the mapped value, then provision the user on demand.',
  TargetUnavailable: 'Druva could not be reached or kept failing: the object is escrowed and retried; check the tenant URL and Druva\'s status.',
  JobConfigurationInvalid: 'The job\'s configuration could not be applied: fix the field named in the reason under Configure and save.',
  ExpressionEvaluationFailed: 'An expression mapping failed for this user: test the mapping named in the reason against this user (Configure > Attribute mappings) and correct it.',
  ScopingEvaluationFailed: 'A scoping filter\'s regular expression ran out of its time budget: simplify the regular expression.',
  NotAUser: 'Only users and groups are provisioned.',
  DeletionThresholdExceeded: 'More disables and deletes than the deletion threshold: review them in the job\'s overview and allow the deletions, or restart the job to discard them.',
  TooManyFailures: 'Most of the cycle\'s objects failed: open the provisioning logs filtered on Failure, fix the common cause, then restart the job.',
  EncounteredQuarantineException: 'Cycles kept failing before they sent anything: fix what the job\'s last error names (the source, the directory file), then Start or Restart the job.',
  DanglingReference: 'A group member or an assignment in the source names no object the source holds: nothing is sent for it; correct the reference in Entra (or the directory file) if it should exist.',
  LookupFailed: 'The source could not say what became of this object: it is left as it was in Druva and looked up again by the next cycle; it clears by itself when the source answers.',
};

export function helpFor(code) {
  return ERROR_HELP[code] || (code ? 'See the reason above; fix the source object or the job\'s configuration, then provision it on demand to check.' : '');
}

/** A count and its noun as read: plural(1, 'record') is "1 record", plural(2, 'entry', 'entries') "2 entries". */
export function plural(count, noun, nouns = `${noun}s`) {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** A cycle's own time from its start to its last result (durationMillis, ms), as "0.2 s"; '' while it has none. */
export function cycleDuration(c) {
  return c && c.durationMillis != null ? `${(c.durationMillis / 1000).toFixed(1)} s` : '';
}

/** Calls fn at most once per `ms` after the last call. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
