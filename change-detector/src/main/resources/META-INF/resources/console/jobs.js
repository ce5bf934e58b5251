import { html, nothing } from 'lit';
import { api, denied, enc } from './api.js';
import { Page, plural, problem, stateBadge, timeEl } from './ui.js';

/** Every job with its state, last and next cycle and failure count (Entra's list of provisioning apps). */
class JobsPage extends Page {
  static properties = { jobs: { state: true }, statuses: { state: true }, error: { state: true } };

  constructor() {
    super();
    this.statuses = {};
  }

  connectedCallback() {
    super.connectedCallback();
    this.load();
    this.timer = setInterval(() => this.load(), 10000);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  async load() {
    try {
      const jobs = await api('GET', '/jobs');
      const statuses = {};
      // a job whose stored row cannot be read is listed with its problem only: it has no status to ask for
      await Promise.all(jobs.filter((j) => !j.problem).map(async (j) => {
        try {
          statuses[j.id] = await api('GET', `/jobs/${enc(j.id)}/status`);
        } catch (e) {
          statuses[j.id] = { error: e };
        }
      }));
      this.jobs = jobs;
      this.statuses = statuses;
      this.error = null;
    } catch (e) {
      this.error = e;
    }
  }

  render() {
    const why = denied('admin');
    return html`
      <div class="title-row">
        <h1>Provisioning jobs</h1>
        <span class="spacer"></span>
        <a class="button ${why ? 'disabled' : ''}" id="new-job" href=${why ? nothing : '#/new'}
          aria-disabled=${why ? 'true' : 'false'} title=${why || 'Create a provisioning job'}
          aria-describedby=${why ? 'new-job-why' : nothing}>New job</a>
      </div>
      ${why ? html`<p class="help" id="new-job-why">New job: ${why}</p>` : nothing}
      ${problem(this.error, 'The jobs cannot be read')}
      ${this.jobs === undefined && !this.error ? html`<p aria-live="polite">Loading…</p>` : nothing}
      ${this.jobs && this.jobs.length === 0 ? html`<p>No job yet.</p>` : nothing}
      ${this.jobs && this.jobs.length ? html`
        <div class="table-wrap"><table id="jobs-table">
          <caption class="visually-hidden">Provisioning jobs</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Last cycle</th>
            <th scope="col">Next cycle</th><th scope="col">Failures (last cycle with changes)</th><th scope="col">Tenant URL</th></tr></thead>
          <tbody>${this.jobs.map((j) => this.row(j, this.statuses[j.id] || {}))}</tbody>
        </table></div>` : nothing}`;
  }

  row(j, s) {
    if (j.problem) {
      return this.unreadableRow(j);
    }
    const last = s.lastCompletedCycle;
    const current = s.currentCycle;
    const running = current && (current.status === 'RUNNING' || current.status === 'IN_PROGRESS');
    return html`<tr data-job-id=${j.id}>
      <th scope="row"><a href="#/jobs/${enc(j.id)}">${j.name}</a></th>
      <td>${stateBadge(j.state, s.quarantine ? s.quarantine.reason : null)}
        ${s.heldDeletions ? html`<br><span class="muted">${plural(s.heldDeletions, 'deletion')} held</span>` : nothing}
        ${s.failedCyclesInARow ? html`<br><span class="muted">${plural(s.failedCyclesInARow, 'failed cycle')} in a row</span>` : nothing}</td>
      <td>${running ? html`running: ${current.progressPercent} %` : nothing}
        ${last ? html`${running ? html`<br>` : nothing}${timeEl(last.emittedAt || last.startedAt)}
          <span class="muted">(${last.fullCycle ? 'initial/full' : 'incremental'})</span>` : running ? nothing : 'none yet'}</td>
      <td>${j.state === 'PAUSED' ? 'paused' : timeEl(s.nextCycleAt)}</td>
      <td class="num">${s.lastCycleWithChanges ? s.lastCycleWithChanges.summary.failed : '—'}</td>
      <td class="wrap">${j.tenantUrl}</td>
    </tr>`;
  }

  /** A job whose stored row cannot be read: its name, state and every field that cannot be read, across the other columns. */
  unreadableRow(j) {
    const fields = j.problem.errors || [];
    return html`<tr data-job-id=${j.id} class="unreadable">
      <th scope="row"><a href="#/jobs/${enc(j.id)}">${j.name || j.id}</a></th>
      <td>${stateBadge(j.state, null)}</td>
      <td colspan="4"><span class="problem-title"><strong>Cannot be read</strong></span>
        ${fields.length ? html`<ul class="field-errors">${fields.map((f) => html`<li><code>${f.field}</code> ${f.message}</li>`)}</ul>` : nothing}
        ${fields.length ? nothing : html`<br>`}<span class="muted">Its cycles do not run until it is repaired or deleted.</span>
        <a href="#/jobs/${enc(j.id)}/configure">Repair it with its whole configuration</a></td>
    </tr>`;
  }
}
customElements.define('jobs-page', JobsPage);
