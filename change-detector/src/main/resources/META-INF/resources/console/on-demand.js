import { html, nothing } from 'lit';
import { api, denied, enc } from './api.js';
import { Page, debounce, helpFor, problem, statusBadge } from './ui.js';

const REQUEST = {
  Create: (r) => 'POST /Users',
  Update: (r) => `PATCH /Users/${r.targetId || '{id}'}`,
  Disable: (r) => `PATCH /Users/${r.targetId || '{id}'} (active false)`,
  Delete: (r) => `DELETE /Users/${r.targetId || '{id}'}`,
};

/** Entra's "Provision on demand": one user (or a small group) now, with the steps Import, Scope, Match and Action. */
class ProvisionOnDemand extends Page {
  static properties = {
    jobId: {}, objects: { state: true }, selected: { state: true }, searchError: { state: true },
    outcome: { state: true }, error: { state: true }, busy: { state: true },
  };

  constructor() {
    super();
    this.searchSoon = debounce((t) => this.search(t), 250);
  }

  connectedCallback() {
    super.connectedCallback();
    if (!denied('operator')) {
      this.search('');
    }
  }

  async search(text) {
    try {
      this.objects = await api('GET', `/jobs/${enc(this.jobId)}/source-objects?limit=50&search=${enc(text)}`);
      this.searchError = null;
    } catch (e) {
      this.searchError = e;
    }
  }

  async provision(e) {
    e.preventDefault();
    this.busy = true;
    this.outcome = null;
    this.error = null;
    try {
      this.outcome = await api('POST', `/jobs/${enc(this.jobId)}/provision-on-demand`, { objectId: this.selected });
      this.updateComplete.then(() => this.querySelector('#on-demand-result h2')?.focus());
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  render() {
    const why = denied('operator');
    return html`<h1>Provision on demand</h1>
      <p>Provision one user, or a group of at most 5 members, now: the job reads it from the source, decides as a cycle
        would and sends the request to Druva. The provisioning log records it under a cycle of its own.</p>
      ${why ? html`<p class="banner info" id="on-demand-why">${why}</p>` : html`
      <form class="card" @submit=${(e) => this.provision(e)}>
        <div class="field"><label for="object-search">Search users and groups</label>
          <input id="object-search" type="search" placeholder="name, email or id" @input=${(e) => this.searchSoon(e.target.value)}></div>
        ${problem(this.searchError, 'The source cannot be searched')}
        <fieldset><legend>Select a user or group</legend>
          <div class="pick-list" id="object-list">
          ${(this.objects || []).map((o) => html`<label class="check"><input type="radio" name="object" value=${o.id}
              .checked=${this.selected === o.id} @change=${() => { this.selected = o.id; }}>
              ${o.displayName || o.id} <span class="muted">${o.objectType === 'GROUP' ? 'group' : (o.userPrincipalName || o.mail || '')} · ${o.id}</span></label>`)}
          ${this.objects && this.objects.length === 0 ? html`<p>Nothing matches.</p>` : nothing}
          </div>
        </fieldset>
        <button type="submit" id="provision" ?disabled=${!this.selected || this.busy}>Provision</button>
        ${this.busy ? html`<span aria-live="polite">Provisioning…</span>` : nothing}
      </form>`}
      ${problem(this.error, 'Provision on demand refused')}
      ${this.outcome ? html`<section id="on-demand-result" class="card">
          <h2 tabindex="-1">${this.outcome.displayName || this.outcome.objectId}: ${this.outcome.result.action} ${this.outcome.result.status}</h2>
          ${(this.outcome.members || []).map((m) => this.object(m, true))}
          ${this.object(this.outcome, false)}
        </section>` : nothing}`;
  }

  object(o, member) {
    const r = o.result;
    const props = r.modifiedProperties || [];
    const request = REQUEST[r.action];
    return html`<article class="outcome">
      ${member ? html`<h3>Member ${o.displayName || o.objectId}</h3>` : o.members && o.members.length ? html`<h3>The group</h3>` : nothing}
      <ol class="steps">${o.steps.map((s) => html`<li class="step step-${s.status.toLowerCase()}">
          <span class="step-name">${s.name}</span> ${statusBadge(s.status)}<p>${s.detail}</p></li>`)}</ol>
      ${r.errorCode ? html`<p class="problem"><strong>${r.errorCode}</strong>: ${r.reason || ''}<br>How to fix: ${helpFor(r.errorCode)}</p>` : nothing}
      ${request && r.httpStatus ? html`<h4>Request sent to Druva</h4>
        <p><code>${request(r).replace('/Users', o.objectType === 'GROUP' ? '/Groups' : '/Users')}</code> → HTTP ${r.httpStatus}
          ${r.attempts > 1 ? html`after ${r.attempts} attempts` : nothing} in ${r.durationMillis} ms${r.targetId ? html`; Druva id <code>${r.targetId}</code>` : nothing}</p>` : nothing}
      ${props.length ? html`<h4>Modified properties</h4><div class="table-wrap"><table class="modified">
          <thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead>
          <tbody>${props.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.oldValue ?? ''}</td><td>${p.newValue ?? ''}</td></tr>`)}</tbody>
        </table></div>` : nothing}
    </article>`;
  }
}
customElements.define('provision-on-demand', ProvisionOnDemand);
