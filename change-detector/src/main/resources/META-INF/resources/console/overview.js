import { html, nothing } from 'lit';
import { api, denied, enc } from './api.js';
import { Page, cycleDuration, duration, helpFor, plural, problem, stateBadge, statusBadge, timeEl, when } from './ui.js';

const WHAT_TO_DO = {
  InvalidCredentials: 'Druva refused the secret token. Generate a new token in Druva, paste it under Configure > Admin credentials, Test connection, save, then Start the job.',
  TooManyFailures: 'Most objects of a cycle failed. Open the provisioning logs filtered on Failure, fix the common cause (mappings, Druva), then Restart with reset scope QuarantineState.',
  DeletionThresholdExceeded: 'A cycle wanted to disable or delete more objects than the deletion threshold allows. Review the held deletions below, then Allow deletes, or Restart to discard them.',
  EncounteredQuarantineException: 'Cycles kept failing before they sent anything (the source cannot be read, or the directory file does not match its schema). Fix what the reason names, then Start or Restart; a cycle that succeeds lifts the quarantine by itself.',
};

/** What the source said of a held object, as the disable or delete the job would send. */
const HELD_ACTION = { UPDATED: 'Disable (unassigned or out of scope)', SOFT_DELETED: 'Disable (soft-deleted in Entra)', HARD_DELETED: 'Delete (deleted in Entra)' };

/**
 * A job's synchronisation details, live: the current cycle's progress, the last completed cycle, the last cycle with a
 * change carried out or a failure (lastCycleWithChanges: quiet cycles and all-skipped cycles do not hide it), quarantine, held deletions and escrowed objects,
 * all as the job's status (GET /jobs/{id}/status) reports them.
 */
class JobOverview extends Page {
  static properties = {
    jobId: {}, job: { state: true }, status: { state: true }, token: { state: true },
    error: { state: true }, actionError: { state: true }, notice: { state: true },
  };

  connectedCallback() {
    super.connectedCallback();
    this.load();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  /** Polls: every second while a cycle is underway, every 10 s otherwise. */
  async load() {
    clearTimeout(this.timer);
    try {
      const id = enc(this.jobId);
      const [job, status] = await Promise.all([api('GET', `/jobs/${id}`), api('GET', `/jobs/${id}/status`)]);
      this.job = job;
      this.status = status;
      this.error = null;
      this.token = await api('GET', `/jobs/${id}/token-expiry`).catch(() => null);
    } catch (e) {
      this.error = e;
    }
    if (this.isConnected) {
      const c = this.status && this.status.currentCycle;
      const live = c && (c.status === 'RUNNING' || c.status === 'IN_PROGRESS');
      this.timer = setTimeout(() => this.load(), live ? 1000 : 10000);
    }
  }

  async allowDeletes() {
    try {
      const r = await api('POST', `/jobs/${enc(this.jobId)}/allow-deletes`);
      this.notice = `${r.released} held deletions released${r.cycleId ? ` in cycle ${r.cycleId}` : ''}.`;
      this.actionError = null;
    } catch (e) {
      this.actionError = e;
    }
    this.load();
  }

  render() {
    if (this.error && !this.job) {
      return html`<h1>Job</h1>${problem(this.error, 'The job cannot be read')}
        ${this.error.status === 409 ? html`<p><a href="#/jobs/${enc(this.jobId)}/configure">Repair it with its whole
          configuration</a></p>` : nothing}`;
    }
    if (!this.job) {
      return html`<h1>Job</h1><p aria-live="polite">Loading…</p>`;
    }
    const s = this.status;
    const q = s.quarantine;
    return html`
      <div class="title-row">
        <h1>${this.job.name}</h1>
        ${stateBadge(this.job.state, q ? q.reason : null)}
      </div>
      <p class="muted wrap">${this.job.tenantUrl} · cycle every ${duration(this.job.cycleInterval)} · next cycle
        ${this.job.state === 'PAUSED' ? 'when started' : timeEl(s.nextCycleAt)}</p>
      <job-controls .job=${this.job} @changed=${() => this.load()}></job-controls>
      ${problem(this.error, 'Refreshing failed')}
      ${q ? html`<section class="banner danger" role="alert" id="quarantine">
          <h2>Quarantined: ${q.reason}</h2>
          <p>${q.detail}</p>
          <p>Since ${timeEl(q.since)}; next attempt ${timeEl(q.nextAttempt)} (cycles run once a day while quarantined).</p>
          <p><strong>What to do:</strong> ${WHAT_TO_DO[q.reason] || helpFor(q.reason)}</p>
        </section>` : nothing}
      ${this.token && (this.token.expiringSoon || this.token.expired) ? html`<section class="banner warning" role="status" id="token-warning">
          <h2>${this.token.expired ? 'The secret token has expired' : 'The secret token expires soon'}</h2>
          <p>Set on ${when(this.token.setAt)}; Druva stops taking it on ${when(this.token.expiresAt)}. Generate a new
            token in Druva and paste it under <a href="#/jobs/${enc(this.jobId)}/configure">Configure</a>.</p>
        </section>` : nothing}
      ${s.lastError ? html`<section class="banner danger" role="alert"><h2>Last error</h2><p>${s.lastError}</p></section>` : nothing}
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${problem(this.actionError, 'Allow deletes failed')}
      <div class="grid">
        ${this.cycleCard('Current cycle', s.currentCycle, 'current-cycle')}
        ${this.cycleCard('Last completed cycle', s.lastCompletedCycle, 'last-cycle')}
        ${this.cycleCard('Last cycle with changes', s.lastCycleWithChanges, 'changed-cycle', 'No cycle has changed anything yet.')}
      </div>
      ${s.failedCyclesInARow > 0 ? html`<p class="banner warning" role="status" id="failed-cycles">
          ${s.failedCyclesInARow} cycle${s.failedCyclesInARow === 1 ? '' : 's'} in a row failed before sending anything;
          the job is retried with a growing delay and quarantined if it keeps failing.</p>` : nothing}
      <div class="grid">
        <section class="card" id="held-deletions">
          <h2>Held deletions</h2>
          ${s.heldDeletions === 0 ? html`<p>None: no cycle exceeded the deletion threshold (${this.threshold()}).</p>` : html`
            <p><strong id="held-count">${s.heldDeletions}</strong> disables and deletes are held by the accidental-deletion
              threshold (${this.threshold()}); nothing of them reaches Druva until they are allowed.</p>
            ${this.heldList(s)}
            ${this.allowButton()}`}
        </section>
        <section class="card" id="escrows">
          <h2>Escrowed objects</h2>
          ${this.escrowed(s)}
          <h2>Secret token</h2>
          <p>${this.job.secretTokenConfigured ? html`Set${this.token && this.token.setAt ? html` on ${when(this.token.setAt)},
              expires ${when(this.token.expiresAt)}` : nothing}.` : 'Not set.'}</p>
        </section>
      </div>
      <section class="card">
        <h2>Recent cycles</h2>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Started</th><th scope="col">Kind</th><th scope="col">Status</th>
            <th scope="col">Progress</th><th scope="col">Created</th><th scope="col">Updated</th>
            <th scope="col">Disabled</th><th scope="col">Deleted</th><th scope="col">Skipped</th><th scope="col">Failed</th>
            <th scope="col"><span class="visually-hidden">Logs</span></th></tr></thead>
          <tbody>${(s.recentCycles || []).map((c) => html`<tr>
            <td>${timeEl(c.startedAt)}</td><td>${c.fullCycle ? 'full' : 'incremental'}</td><td>${statusBadge(c.status)}</td>
            <td class="num">${c.progressPercent} %</td><td class="num">${c.summary.created}</td>
            <td class="num">${c.summary.updated}</td><td class="num">${c.summary.disabled}</td>
            <td class="num">${c.summary.deleted}</td><td class="num">${c.summary.skipped}</td>
            <td class="num">${c.summary.failed}</td>
            <td><a href="#/jobs/${enc(this.jobId)}/logs?cycleId=${enc(c.cycleId)}">logs</a></td></tr>`)}</tbody>
        </table></div>
      </section>`;
  }

  threshold() {
    const j = this.job;
    const parts = [];
    if (j.deletionThreshold > 0) parts.push(`${j.deletionThreshold} per cycle`);
    if (j.deletionThresholdPercent > 0) parts.push(`${j.deletionThresholdPercent} % of the managed objects, for jobs managing more than 100`);
    return parts.length ? parts.join(' or ') : 'off';
  }

  heldList(s) {
    const list = s.heldObjects || [];
    return html`<div class="table-wrap"><table id="held-table">
      <thead><tr><th scope="col">Object</th><th scope="col">Type</th><th scope="col">Held action</th>
        <th scope="col">Held since</th></tr></thead>
      <tbody>${list.map((h) => html`<tr data-object-id=${h.objectId}><td>${h.displayName || h.objectId}
          <span class="muted">${h.objectId}</span></td><td>${h.objectType}</td>
        <td>${HELD_ACTION[h.sourceChange] || h.sourceChange}</td>
        <td>${timeEl(h.heldAt)} <a href="#/jobs/${enc(this.jobId)}/logs?cycleId=${enc(h.cycleId)}">cycle</a></td></tr>`)}</tbody>
      </table></div>
      ${list.length < s.heldDeletions ? html`<p class="muted">The first ${list.length} of ${s.heldDeletions}.</p>` : nothing}`;
  }

  escrowed(s) {
    const list = s.escrowed || [];
    const writer = s.writerEscrows === null || s.writerEscrows === undefined
      ? html`<p class="muted" id="writer-escrows">The scim-writer's own count is unknown right now (it did not answer).</p>`
      : html`<p class="muted" id="writer-escrows">The scim-writer holds ${s.writerEscrows} operation${s.writerEscrows === 1 ? '' : 's'} of this job
          (escrowed or waiting behind one).</p>`;
    if (!s.escrowedObjects) {
      return html`<p id="escrow-count">None: every object sent has an outcome.</p>${writer}`;
    }
    return html`<p id="escrow-count"><strong>${s.escrowedObjects}</strong> object${s.escrowedObjects === 1 ? '' : 's'}
        wait${s.escrowedObjects === 1 ? 's' : ''} to be retried after Druva failed or was unreachable; Restart with reset
        scope Escrows discards them.</p>
      <div class="table-wrap"><table id="escrow-table">
        <thead><tr><th scope="col">Object</th><th scope="col">Error</th><th scope="col">Failed</th>
          <th scope="col">Retried</th></tr></thead>
        <tbody>${list.map((e) => html`<tr data-object-id=${e.objectId}><td>${e.displayName || e.objectId}
            <span class="muted">${e.objectId}</span></td>
          <td><code>${e.errorCode}</code> <span class="wrap">${e.reason}</span></td><td>${timeEl(e.failedAt)}</td>
          <td>${timeEl(e.retryAt)}</td></tr>`)}</tbody>
      </table></div>
      ${list.length < s.escrowedObjects ? html`<p class="muted">The first ${list.length} of ${s.escrowedObjects}.</p>` : nothing}
      ${writer}`;
  }

  allowButton() {
    const why = denied('admin');
    return html`<button id="allow-deletes" ?disabled=${!!why} title=${why || nothing}
        aria-describedby=${why ? 'allow-why' : nothing} @click=${() => this.allowDeletes()}>Allow deletes</button>
      ${why ? html`<p class="help" id="allow-why">${why}</p>` : nothing}`;
  }

  /** A cycle's card: kind, status, times, progress and counts, with a link to its logs; `none` when there is no such cycle. */
  cycleCard(title, c, id, none = 'None yet.') {
    if (!c) {
      return html`<section class="card" id=${id}><h2>${title}</h2><p>${none}</p></section>`;
    }
    const sm = c.summary;
    return html`<section class="card" id=${id} aria-live=${id === 'current-cycle' ? 'polite' : 'off'}>
      <h2>${title}</h2>
      <p>${c.fullCycle ? 'Initial (full) cycle' : 'Incremental cycle'} · ${statusBadge(c.status)} · started ${timeEl(c.startedAt)}${c.completedAt ? html` · completed ${timeEl(c.completedAt)} (in ${cycleDuration(c)})` : nothing}</p>
      <label for="${id}-progress">Progress</label>
      <div class="progress-row">
        <progress id="${id}-progress" max="100" value=${c.progressPercent}></progress>
        <span class="progress-text" id="${id}-percent">${c.progressPercent} %</span>
      </div>
      <p class="muted">${c.resultsReceived} of ${plural(c.eventsEmitted, 'object')} ${c.resultsReceived === 1 ? 'has' : 'have'} an outcome.
        <span class="wrap">Cycle <code class="cycle-id">${c.cycleId}</code></span></p>
      <dl class="counts">
        <div><dt>Created</dt><dd>${sm.created}</dd></div><div><dt>Updated</dt><dd>${sm.updated}</dd></div>
        <div><dt>Disabled</dt><dd>${sm.disabled}</dd></div><div><dt>Deleted</dt><dd>${sm.deleted}</dd></div>
        <div><dt>Skipped</dt><dd>${sm.skipped}</dd></div><div><dt>Failed</dt><dd>${sm.failed}</dd></div>
      </dl>
      ${c.danglingReferences ? html`<p class="muted">${c.danglingReferences} reference${c.danglingReferences === 1 ? '' : 's'} of the
        source name no object (each a Warning in the log).</p>` : nothing}
      ${c.error ? html`<p class="problem">${c.error}</p>` : nothing}
      <a href="#/jobs/${enc(this.jobId)}/logs?cycleId=${enc(c.cycleId)}">Provisioning logs of this cycle</a>
    </section>`;
  }
}
customElements.define('job-overview', JobOverview);

/** Start, Stop and Restart with reset scopes (Entra's buttons), disabled with the reason for a reader. */
class JobControls extends Page {
  static properties = { job: {}, error: { state: true }, notice: { state: true }, restarting: { state: true } };

  async act(action, body) {
    try {
      const r = await api('POST', `/jobs/${enc(this.job.id)}/${action}`, body);
      if (action === 'restart') {
        this.notice = `Restarted with reset scopes ${r.resetScope.join(', ') || 'all'}; ${r.discardedDeletions ?? 0} held
          ${(r.discardedDeletions ?? 0) === 1 ? 'deletion' : 'deletions'} discarded${r.notApplied && r.notApplied.length ? `; not applied: ${r.notApplied.join('; ')}` : ''}.`;
        this.restarting = false;
      } else {
        this.notice = action === 'start' ? 'Provisioning started: the next cycle runs now.' : 'Provisioning stopped: the running cycle finishes.';
      }
      this.error = null;
      this.dispatchEvent(new CustomEvent('changed', { bubbles: true }));
    } catch (e) {
      this.error = e;
    }
  }

  restart(e) {
    e.preventDefault();
    const scopes = [...this.querySelectorAll('input[name=resetScope]:checked')].map((i) => i.value);
    this.act('restart', { resetScope: scopes });
  }

  render() {
    const why = denied('operator');
    const paused = this.job.state === 'PAUSED';
    return html`<div class="controls" role="group" aria-label="Provisioning status">
        <button id="start" ?disabled=${!!why} title=${why || 'Turn provisioning on; a quarantine is lifted'}
          @click=${() => this.act('start')}>${paused ? 'Start provisioning' : 'Start (run now)'}</button>
        <button id="stop" ?disabled=${!!why || paused} title=${why || (paused ? 'Already stopped' : 'Turn provisioning off')}
          @click=${() => this.act('pause')}>Stop provisioning</button>
        <button id="restart" ?disabled=${!!why} aria-expanded=${this.restarting ? 'true' : 'false'}
          title=${why || 'Restart with reset scopes'} @click=${() => { this.restarting = !this.restarting; }}>Restart…</button>
      </div>
      ${why ? html`<p class="help" id="controls-why">Start, Stop, Restart: ${why}</p>` : nothing}
      ${this.restarting ? html`<form class="card" @submit=${this.restart} id="restart-form">
          <fieldset><legend>Reset scopes</legend>
            ${[['Full', 'Full: forget the snapshot, the next cycle re-evaluates every object'],
              ['Watermark', 'Watermark: forget the source position (Graph deltaLinks)'],
              ['Escrows', 'Escrows: discard objects waiting to be retried'],
              ['QuarantineState', 'QuarantineState: lift the quarantine (always done)']].map(([v, label]) => html`
              <label class="check"><input type="checkbox" name="resetScope" value=${v} ?checked=${v !== 'Escrows'}> ${label}</label>`)}
          </fieldset>
          <p class="help">Every restart discards the held deletions and runs the next cycle now.</p>
          <button type="submit">Restart</button> <button type="button" class="secondary" @click=${() => { this.restarting = false; }}>Cancel</button>
        </form>` : nothing}
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${problem(this.error, 'The job could not be changed')}`;
  }
}
customElements.define('job-controls', JobControls);
