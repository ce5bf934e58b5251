import { html, nothing } from 'lit';
import { api, apiResponse, enc, nextLink } from './api.js';
import { Page, helpFor, plural, problem, statusBadge, timeEl, when } from './ui.js';

const STATUSES = ['Success', 'Failure', 'Skipped', 'Warning'];
const ACTIONS = ['Create', 'Update', 'Disable', 'Delete', 'StagedDelete', 'Other'];
const COLUMNS = ['occurredAt', 'cycleId', 'objectType', 'sourceId', 'targetId', 'displayName', 'action', 'status',
  'errorCode', 'reason', 'httpStatus', 'attempts', 'durationMillis', 'modifiedProperties', 'reportedBy', 'changeId'];

/** Skip reasons of an object out of scope that Druva does not have: never provisioned (a skipped Create). */
const NOT_PROVISIONED = new Set(['NotEffectivelyEntitled', 'OutOfScope', 'SourceObjectDisabled']);

/**
 * The steps Entra shows for a log record (Import, Scope, Match, Action: provision-on-demand.md), as far as the record
 * tells them. A record the mapper or the detector reported was decided before anything was sent; one the writer
 * reported went to Druva, unless it is a skipped Create of an object out of scope that Druva does not have.
 */
function steps(r) {
  const decidedBefore = r.reportedBy !== 'scim-writer';
  const code = r.errorCode ? `${r.errorCode}: ` : '';
  const list = [{ name: 'Import', status: 'Success', detail: `${r.objectType === 'GROUP' ? 'Group' : 'User'} ${r.displayName || r.sourceId} read from the source.` }];
  const neverProvisioned = r.status === 'Skipped' && r.action === 'Create' && NOT_PROVISIONED.has(r.errorCode);
  if ((decidedBefore && r.status === 'Skipped') || neverProvisioned) {
    list.push({ name: 'Scope', status: 'Skipped', detail: `${code}${r.reason || ''}` });
    list.push({ name: 'Match', status: 'Skipped', detail: decidedBefore ? 'Not run: the object is not provisioned.' : 'Druva has no object this job manages for it.' });
    list.push({ name: 'Action', status: 'Skipped', detail: 'Not run: nothing is created for an object out of scope.' });
    return list;
  }
  if (r.action === 'Disable') {
    list.push({ name: 'Scope', status: 'Success', detail: 'Out of scope: the user is disabled in Druva if Druva has it.' });
  } else if (r.action === 'Delete' || r.errorCode === 'TargetObjectNotManaged') {
    list.push({ name: 'Scope', status: 'Success', detail: 'Deleted in the source or out of scope: the object is deleted in Druva if Druva has it.' });
  } else {
    list.push({ name: 'Scope', status: 'Success', detail: 'In scope.' });
  }
  if (decidedBefore) {
    list.push({ name: 'Match', status: 'Skipped', detail: 'Not run: nothing could be sent to Druva.' });
  } else if (r.errorCode === 'DuplicateTargetEntries') {
    list.push({ name: 'Match', status: 'Failure', detail: 'More than one Druva object matched.' });
  } else if (r.action === 'Create') {
    list.push({ name: 'Match', status: 'Success', detail: 'No Druva object matched: a new one was created.' });
  } else {
    list.push({ name: 'Match', status: r.targetId ? 'Success' : 'Skipped', detail: r.targetId ? `Matched Druva object ${r.targetId}.` : 'No Druva object matched.' });
  }
  list.push({ name: 'Action', status: r.status, detail: `${r.action}${r.httpStatus ? ` (HTTP ${r.httpStatus}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''})` : ''}${r.errorCode ? `: ${r.errorCode}` : ''}${r.reason ? `: ${r.reason}` : ''}` });
  return list;
}

function modified(r) {
  if (!r.modifiedProperties) {
    return [];
  }
  if (Array.isArray(r.modifiedProperties)) {
    return r.modifiedProperties;
  }
  try { // an answer of an earlier version: the array as its JSON text
    return JSON.parse(r.modifiedProperties);
  } catch (e) {
    return [];
  }
}

/**
 * A CSV cell (RFC 4180): quoted when it holds a quote, comma or line break, its quotes doubled; an array or object
 * (modifiedProperties) as its JSON. Text a spreadsheet
 * would read as a formula (starting with = + - @) gets a leading apostrophe, so a name or reason from the directory
 * cannot run as one when the file is opened.
 */
function csvCell(v) {
  let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@]/.test(s)) {
    s = `'${s}`;
  }
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Records asked for per request when downloading (the API's largest page). */
const DOWNLOAD_PAGE = 1000;
/** The most records a download holds, as Entra's: beyond it, the API (GET /jobs/{id}/logs with before) reads the rest. */
const DOWNLOAD_MAX = 250000;

/** A count as read in the page's English: 3,000. */
function count(n) {
  return n.toLocaleString('en-US');
}

/** Saves text as a file the browser downloads. */
function save(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * The provisioning log: filters, a table, a detail pane with steps and how to fix an error; CSV and JSON downloads. The
 * API answers a page of at most "Per page" records; when older ones match, "Older entries" follows its Link rel="next"
 * and appends them (To and Name contains are applied here, to each page as it comes). The address may set status, action,
 * objectId, cycleId and limit (the page size, also one not offered in "Per page").
 *
 * A download holds every record matching the filters the table was loaded with, not only the entries shown, as Entra's
 * does ("your download is based on the filter you've set"): it reads the log DOWNLOAD_PAGE records at a time, each
 * request the previous one's X-Next-Before (Link rel="next"), showing how many it read, and can be cancelled. It stops
 * at the newest DOWNLOAD_MAX records and says where the API continues. A request that fails stops it with the error:
 * no file is saved then (nor when it is cancelled).
 */
class ProvisioningLogs extends Page {
  static properties = {
    jobId: {}, initial: {}, records: { state: true }, error: { state: true }, selected: { state: true },
    filters: { state: true }, cycles: { state: true }, next: { state: true }, loadingMore: { state: true },
    downloading: { state: true }, downloaded: { state: true }, downloadError: { state: true },
  };

  disconnectedCallback() {
    super.disconnectedCallback();
    this.downloading?.abort.abort();
  }

  connectedCallback() {
    super.connectedCallback();
    const p = this.initial || new URLSearchParams();
    this.filters = {
      from: '', to: '', status: p.get('status') || '', action: p.get('action') || '', objectId: p.get('objectId') || '',
      name: '', cycleId: p.get('cycleId') || '', limit: p.get('limit') || '200',
    };
    this.load();
    api('GET', `/jobs/${enc(this.jobId)}/status`).then((s) => { this.cycles = s.recentCycles || []; }).catch(() => {});
  }

  query() {
    const f = this.filters;
    const q = new URLSearchParams({ limit: f.limit });
    if (f.status) q.set('status', f.status);
    if (f.action) q.set('action', f.action);
    if (f.objectId.trim()) q.set('objectId', f.objectId.trim());
    if (f.cycleId.trim()) q.set('cycleId', f.cycleId.trim());
    if (f.from) q.set('since', new Date(f.from).toISOString());
    return q.toString();
  }

  async load(e) {
    if (e) {
      e.preventDefault();
    }
    try {
      const query = this.query();
      const page = await apiResponse('GET', `/jobs/${enc(this.jobId)}/logs?${query}`);
      const f = this.filters;
      this.shown = { query, to: f.to ? new Date(f.to).getTime() : null, name: f.name.trim().toLowerCase() };
      this.records = this.keep(page.json);
      this.next = nextLink(page.headers);
      this.error = null;
      this.selected = null;
    } catch (err) {
      this.error = err;
    }
  }

  /** The records of a page that pass the filters applied here (To, Name contains) as they were when loaded. */
  keep(records, shown = this.shown) {
    const { to, name } = shown;
    return records.filter((r) => (to === null || new Date(r.occurredAt).getTime() <= to)
      && (!name || `${r.displayName || ''} ${r.sourceId}`.toLowerCase().includes(name)));
  }

  /** Appends the next page (the last answer's Link rel="next": the same filters, the records older than those shown). */
  async more() {
    const from = this.next;
    this.loadingMore = true;
    try {
      const page = await apiResponse('GET', from);
      if (this.next === from) {
        this.records = [...this.records, ...this.keep(page.json)];
        this.next = nextLink(page.headers);
        this.error = null;
      }
    } catch (err) {
      this.error = err;
    } finally {
      this.loadingMore = false;
    }
  }

  set(key, value) {
    this.filters = { ...this.filters, [key]: value };
  }

  /**
   * Downloads every record matching the filters the table was loaded with (see the class): reads them all, then saves
   * them as CSV (the columns of COLUMNS) or JSON. Cancelled, or stopped by a failed request, it saves nothing and says so.
   */
  async download(kind) {
    const shown = this.shown;
    const run = { kind, read: 0, abort: new AbortController() };
    this.downloading = run;
    this.downloaded = null;
    this.downloadError = null;
    const rows = [];
    let rest = null; // the before of the last answer's Link rel="next" (its X-Next-Before), while older records match
    const base = new URLSearchParams(shown.query);
    base.delete('limit');
    try {
      do {
        const q = new URLSearchParams(base);
        // never more than the download still takes, so the file ends where a page ends and `rest` continues it
        q.set('limit', String(Math.min(DOWNLOAD_PAGE, DOWNLOAD_MAX - rows.length)));
        if (rest) {
          q.set('before', rest);
        }
        const page = await apiResponse('GET', `/jobs/${enc(this.jobId)}/logs?${q}`, undefined, run.abort.signal);
        rows.push(...this.keep(page.json, shown));
        const next = nextLink(page.headers);
        rest = next ? new URL(next, window.location.href).searchParams.get('before') : null;
        run.read = rows.length;
        this.requestUpdate();
      } while (rest && rows.length < DOWNLOAD_MAX && !run.abort.signal.aborted);
    } catch (err) {
      if (!run.abort.signal.aborted) {
        this.downloadError = err;
        this.downloaded = { failed: true, read: rows.length };
      }
    } finally {
      this.downloading = null;
    }
    if (run.abort.signal.aborted) {
      this.downloaded = { cancelled: true, read: rows.length };
      return;
    }
    if (this.downloadError) {
      return;
    }
    const name = `provisioning-logs-${this.jobId}.${kind}`;
    if (kind === 'json') {
      save(name, JSON.stringify(rows, null, 2), 'application/json');
    } else {
      save(name, [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\r\n'),
        'text/csv');
    }
    this.downloaded = { kind, read: rows.length, rest };
  }

  /** What the download is doing, or what became of the last one. */
  downloadStatus() {
    if (this.downloading) {
      return html`<p class="muted" role="status" id="download-status">Downloading: ${count(this.downloading.read)} entries…
        <button type="button" class="link" id="download-cancel" @click=${() => this.downloading?.abort.abort()}>Cancel download</button></p>`;
    }
    const d = this.downloaded;
    if (!d) {
      return nothing;
    }
    if (d.cancelled) {
      return html`<p class="muted" role="status" id="download-status">Download cancelled after ${plural(d.read, 'entry', 'entries')}: no file was saved.</p>`;
    }
    if (d.failed) {
      return html`<p role="status" id="download-status">The download stopped after ${plural(d.read, 'entry', 'entries')}
        because a request failed (below): no file was saved. Try again.</p>${problem(this.downloadError, 'The download failed')}`;
    }
    if (d.rest) {
      return html`<p class="banner warning" role="status" id="download-status">The file holds the newest
        ${count(d.read)} entries matching the filters, the most a download holds; older ones match too. Read them through
        the API: <code>GET /jobs/${this.jobId}/logs</code> with the same filters and <code>before=${d.rest}</code>, then each
        answer's <code>Link rel="next"</code>.</p>`;
    }
    return html`<p class="muted" role="status" id="download-status">Downloaded ${plural(d.read, 'entry', 'entries')}
      (${d.kind.toUpperCase()}): every one matching the filters.</p>`;
  }

  select(r) {
    this.selected = r;
    this.updateComplete.then(() => this.querySelector('#log-detail h2')?.focus());
  }

  render() {
    const f = this.filters;
    const select = (id, label, key, values) => html`<div class="field"><label for=${id}>${label}</label>
      <select id=${id} .value=${f[key]} @change=${(e) => this.set(key, e.target.value)}>
        <option value="">All</option>${values.map((v) => html`<option value=${v} ?selected=${v === f[key]}>${v}</option>`)}</select></div>`;
    const input = (id, label, key, type = 'text') => html`<div class="field"><label for=${id}>${label}</label>
      <input id=${id} type=${type} .value=${f[key]} @input=${(e) => this.set(key, e.target.value)}></div>`;
    return html`<h1>Provisioning logs</h1>
      <form class="card filters" @submit=${(e) => this.load(e)} aria-label="Filter the provisioning logs">
        ${input('log-from', 'From', 'from', 'datetime-local')}
        ${input('log-to', 'To', 'to', 'datetime-local')}
        ${select('log-status', 'Status', 'status', STATUSES)}
        ${select('log-action', 'Action', 'action', ACTIONS)}
        ${input('log-object', 'Source object id', 'objectId')}
        ${input('log-name', 'Name contains', 'name')}
        <div class="field"><label for="log-cycle">Cycle</label>
          <input id="log-cycle" list="log-cycles" .value=${f.cycleId} @input=${(e) => this.set('cycleId', e.target.value)}>
          <datalist id="log-cycles">${(this.cycles || []).map((c) => html`<option value=${c.cycleId}>${when(c.startedAt)}</option>`)}</datalist></div>
        <div class="field"><label for="log-limit">Per page</label>
          <select id="log-limit" .value=${f.limit} @change=${(e) => this.set('limit', e.target.value)}>
            ${[...new Set([f.limit, '100', '200', '500', '1000'])].sort((a, b) => a - b).map((v) => html`<option ?selected=${v === f.limit}>${v}</option>`)}</select></div>
        <div class="controls"><button type="submit" id="apply-filters">Apply filters</button>
          <button type="button" class="secondary" id="download-csv" @click=${() => this.download('csv')}
            ?disabled=${!this.records || !!this.downloading} title="Every entry matching the filters applied, as CSV">Download CSV</button>
          <button type="button" class="secondary" id="download-json" @click=${() => this.download('json')}
            ?disabled=${!this.records || !!this.downloading} title="Every entry matching the filters applied, as JSON">Download JSON</button></div>
      </form>
      ${this.downloadStatus()}
      ${problem(this.error, 'The logs cannot be read')}
      <div class="logs-layout">
        <div class="table-wrap logs-table">
          ${this.records ? html`<p class="muted" role="status" id="logs-count">Showing ${plural(this.records.length, 'entry', 'entries')}, newest first${this.next ? '; more are older' : ''}.</p>` : html`<p aria-live="polite">Loading…</p>`}
          <table id="logs-table">
            <thead><tr><th scope="col">Date</th><th scope="col">Identity</th><th scope="col">Action</th>
              <th scope="col">Status</th><th scope="col">Error code</th></tr></thead>
            <tbody>${(this.records || []).map((r) => html`<tr class=${this.selected === r ? 'selected' : ''} data-object-id=${r.sourceId}>
              <td>${timeEl(r.occurredAt)}</td>
              <td><button type="button" class="link" @click=${() => this.select(r)}
                aria-label="Details of ${r.displayName || r.sourceId}, ${r.action} ${r.status}">${r.displayName || r.sourceId}</button>
                <span class="muted">${r.sourceId}</span></td>
              <td>${r.action}</td><td>${statusBadge(r.status)}</td><td>${r.errorCode || ''}</td></tr>`)}</tbody>
          </table>
          ${this.next ? html`<p><button type="button" class="secondary" id="logs-older" @click=${() => this.more()}
            ?disabled=${this.loadingMore}>${this.loadingMore ? 'Loading older entries…' : 'Older entries'}</button></p>` : nothing}
        </div>
        ${this.selected ? this.detail(this.selected) : nothing}
      </div>`;
  }

  detail(r) {
    const props = modified(r);
    return html`<aside class="card detail" id="log-detail" aria-labelledby="log-detail-title">
      <h2 id="log-detail-title" tabindex="-1">${r.displayName || r.sourceId}: ${r.action} ${r.status}</h2>
      <button type="button" class="link" @click=${() => { this.selected = null; }}>Close details</button>
      <dl class="facts">
        <dt>Date</dt><dd>${timeEl(r.occurredAt)}</dd>
        <dt>Source id</dt><dd><code>${r.sourceId}</code> (${r.objectType})</dd>
        <dt>Druva id</dt><dd>${r.targetId ? html`<code>${r.targetId}</code>` : '—'}</dd>
        <dt>Cycle</dt><dd><code>${r.cycleId}</code></dd>
        <dt>Reported by</dt><dd>${r.reportedBy}</dd>
        ${r.httpStatus ? html`<dt>Druva answered</dt><dd>HTTP ${r.httpStatus} after ${plural(r.attempts, 'attempt')}, ${r.durationMillis} ms</dd>` : nothing}
      </dl>
      <h3>Steps</h3>
      <ol class="steps">${steps(r).map((s) => html`<li class="step step-${s.status.toLowerCase()}"><span class="step-name">${s.name}</span>
        ${statusBadge(s.status)}<p>${s.detail}</p></li>`)}</ol>
      ${r.errorCode ? html`<h3>Troubleshooting</h3>
        <p id="log-error"><strong>${r.errorCode}</strong>${r.reason ? html`: ${r.reason}` : nothing}</p>
        <p id="log-fix"><strong>How to fix:</strong> ${helpFor(r.errorCode)}</p>` : nothing}
      <h3>Modified properties</h3>
      ${props.length ? html`<div class="table-wrap"><table class="modified"><thead><tr><th scope="col">Property</th>
          <th scope="col">Old value</th><th scope="col">New value</th></tr></thead>
          <tbody>${props.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.oldValue ?? ''}</td><td>${p.newValue ?? ''}</td></tr>`)}</tbody></table></div>`
        : html`<p>None.</p>`}
    </aside>`;
  }
}
customElements.define('provisioning-logs', ProvisioningLogs);
