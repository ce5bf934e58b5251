import { html, nothing } from 'lit';
import { ApiError, api, denied, enc } from './api.js';
import { Page, duration, isoDuration, problem, when } from './ui.js';
import './mapping-editor.js';

export const OPERATORS = [
  ['EQUALS', 'EQUALS'], ['NOT_EQUALS', 'NOT EQUALS'], ['IS_TRUE', 'IS TRUE'], ['IS_FALSE', 'IS FALSE'],
  ['IS_NULL', 'IS NULL'], ['IS_NOT_NULL', 'IS NOT NULL'], ['REGEX_MATCH', 'REGEX MATCH'],
  ['NOT_REGEX_MATCH', 'NOT REGEX MATCH'], ['INCLUDES', 'Includes'], ['STARTS_WITH', 'Starts with'],
  ['ENDS_WITH', 'Ends with'], ['GREATER_THAN', 'Greater than'], ['GREATER_THAN_OR_EQUALS', 'Greater than or equals'],
  ['BITWISE_AND', 'Bitwise AND (all bits set)'], ['BITWISE_NOT_AND', 'Bitwise NOT AND (no bit set)'],
];
const UNARY = new Set(['IS_TRUE', 'IS_FALSE', 'IS_NULL', 'IS_NOT_NULL']);
/** The API's deletion threshold when a request leaves it out (DeletionThreshold.DEFAULT: Entra's 500, Okta's 20 %). */
const DEFAULT_THRESHOLD = { count: 500, percent: 20 };
/** The stored field that cannot be read for each form field it stands for, beyond config.<path> (the same path). */
const STORED_FIELDS = { deletionThreshold: 'deletion_threshold', deletionThresholdPercent: 'deletion_threshold' };

function blankJob() {
  return {
    name: '', tenantUrl: '', secretToken: '', notificationEmail: '', notifyOnFailure: false, provisioningStatus: 'Off',
    scope: 'ASSIGNED_ONLY', skipNotEffectivelyEntitled: true, patchDialect: 'ENTRA',
    actions: { create: true, update: true, delete: true }, skipOutOfScopeDeletions: false, userMappings: [],
    userScopingFilters: [], source: { type: 'DIRECTORY_FILE', directoryFile: '', graph: blankGraph() },
    // empty: the server's defaults on create (the API's JobRequest), shown once the job is saved
    cycleInterval: 'PT40M', deletionThreshold: '', deletionThresholdPercent: '',
  };
}

/** A number field as the API takes it: empty is null (the default on create, unchanged on update). */
function whole(value) {
  if (value === '' || value === null || value === undefined) {
    return null;
  }
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

function blankGraph() {
  return { tenantId: '', clientId: '', clientSecret: '', servicePrincipalId: '', authorityUrl: '', graphUrl: '' };
}

/** A job as the form edits it, from the API's view (secrets are never returned: their fields start empty). */
function formOf(job) {
  const g = job.source && job.source.graph;
  return {
    name: job.name, tenantUrl: job.tenantUrl, secretToken: '', notificationEmail: job.notificationEmail || '',
    notifyOnFailure: job.notifyOnFailure, provisioningStatus: job.state === 'PAUSED' ? 'Off' : 'On',
    scope: job.scope, skipNotEffectivelyEntitled: job.skipNotEffectivelyEntitled, patchDialect: job.patchDialect,
    actions: { ...(job.actions || { create: true, update: true, delete: true }) },
    skipOutOfScopeDeletions: job.skipOutOfScopeDeletions,
    userMappings: (job.userMappings || []).map((m) => ({ ...m })),
    userScopingFilters: (job.userScopingFilters || []).map((f) => ({ name: f.name || '', clauses: f.clauses.map((c) => ({ ...c })) })),
    source: {
      type: job.source ? job.source.type : 'DIRECTORY_FILE',
      directoryFile: (job.source && job.source.directoryFile) || '',
      graph: g ? {
        tenantId: g.tenantId || '', clientId: g.clientId || '', clientSecret: '', servicePrincipalId: g.servicePrincipalId || '',
        authorityUrl: g.authorityUrl || '', graphUrl: g.graphUrl || '',
      } : blankGraph(),
    },
    cycleInterval: isoDuration(job.cycleInterval), deletionThreshold: job.deletionThreshold ?? '',
    deletionThresholdPercent: job.deletionThresholdPercent ?? '',
  };
}

/**
 * The form that repairs a job whose stored row cannot be read, from what the jobs list shows of it (its name, state,
 * and the members that could be read: the configuration when only its quarantine reason or threshold is at fault, the
 * deletion threshold when it can be read). What could not be read starts from the defaults, the deletion threshold
 * included (the repair must send it when the stored one is unreadable); the secrets start empty (the repair must send
 * them). Provisioning stays as the row's state says (Off for a paused job). A configuration that cannot be read at a
 * Microsoft Graph field (`config.source.graph.clientSecret`, from `unreadableFields`) was a Graph source's: the form
 * starts with the Microsoft Graph source, whose fields are then shown and the unreadable one marked.
 */
function repairFormOf(listed, unreadableFields) {
  const form = listed && listed.tenantUrl != null ? formOf(listed) : blankJob();
  if ((unreadableFields || []).some((f) => f === 'config.source.graph' || f.startsWith('config.source.graph.'))) {
    form.source = { ...form.source, type: 'MICROSOFT_GRAPH' };
  }
  if (listed) {
    form.name = listed.name || '';
    form.provisioningStatus = listed.state === 'PAUSED' ? 'Off' : 'On';
  }
  form.deletionThreshold = listed && listed.deletionThreshold != null ? listed.deletionThreshold : DEFAULT_THRESHOLD.count;
  form.deletionThresholdPercent = listed && listed.deletionThresholdPercent != null
    ? listed.deletionThresholdPercent : DEFAULT_THRESHOLD.percent;
  return form;
}

/**
 * Entra's Provisioning tab for one job (or a new one): admin credentials with Test connection, notifications, scope,
 * attribute mappings with the expression editor and a test against a source user, scoping filters, settings, Start /
 * Stop / Restart, and the job's audit log.
 */
class JobConfigure extends Page {
  static properties = {
    jobId: {}, job: { state: true }, form: { state: true }, usingDefaults: { state: true },
    unreadableFields: { state: true }, configKnown: { state: true },
    loadError: { state: true }, saveError: { state: true }, saved: { state: true },
    connection: { state: true }, connectionError: { state: true }, testing: { state: true },
    editing: { state: true }, audit: { state: true }, repairing: { state: true },
  };

  constructor() {
    super();
    this.form = blankJob();
    this.mappingsTouched = false;
  }

  connectedCallback() {
    super.connectedCallback();
    this.load();
  }

  async load() {
    try {
      if (this.jobId) {
        try {
          this.job = await api('GET', `/jobs/${enc(this.jobId)}`);
          this.form = formOf(this.job);
          this.repairing = null;
        } catch (e) {
          // a job whose stored row cannot be read (409 naming the fields): saving its whole configuration repairs it;
          // the list shows what of it could be read, which the form starts from
          if (!(e instanceof ApiError) || e.status !== 409 || !e.errors.length) {
            throw e;
          }
          const listed = await api('GET', '/jobs').then((all) => all.find((j) => j.id === this.jobId && j.problem))
            .catch(() => null);
          this.repairing = e;
          this.unreadableFields = (listed && listed.problem.unreadableFields) || e.errors.map((x) => x.field);
          this.job = { id: this.jobId, name: (listed && listed.name) || this.jobId, state: listed && listed.state };
          this.configKnown = !!listed && listed.tenantUrl != null;
          this.form = repairFormOf(listed, this.unreadableFields);
        }
        this.loadAudit();
      }
      if (this.form.userMappings.length === 0) {
        this.form = { ...this.form, userMappings: await api('GET', '/mappings/defaults') };
        this.usingDefaults = true;
      }
    } catch (e) {
      this.loadError = e;
    }
  }

  async loadAudit() {
    try {
      const a = await api('GET', `/jobs/${enc(this.jobId)}/audit`);
      this.audit = { entries: Array.isArray(a) ? a : (a && (a.entries || a.items)) || [] };
    } catch (e) {
      this.audit = e.status === 404 || e.status === 405 || e.status === 501 ? { unavailable: true } : { error: e };
    }
  }

  set(path, value) {
    const form = structuredClone(this.form);
    const keys = path.split('.');
    let o = form;
    keys.slice(0, -1).forEach((k) => { o = o[k]; });
    o[keys[keys.length - 1]] = value;
    this.form = form;
    this.saved = null;
  }

  field(name) {
    return this.saveError instanceof ApiError ? this.saveError.fieldMessage(name) : null;
  }

  /**
   * While repairing: the stored field that cannot be read behind the form's field `name` (`deletion_threshold` for
   * either threshold, `config.scope` for the scope, `config.source` for every source field), or null.
   */
  unreadable(name) {
    if (!this.repairing) {
      return null;
    }
    return (this.unreadableFields || []).find((f) => {
      if (f === STORED_FIELDS[name]) {
        return true;
      }
      if (!f.startsWith('config.')) {
        return false;
      }
      // the field itself, a part of it (config.userMappings[1].source for userMappings), or the whole it belongs to
      // (config.source for source.directoryFile)
      const path = f.slice('config.'.length);
      return path === name || path.startsWith(`${name}.`) || path.startsWith(`${name}[`) || name.startsWith(`${path}.`);
    }) || null;
  }

  /** The mark of a field whose stored value cannot be read: the field named, and what the form shows instead. */
  unreadableMark(name, id) {
    const stored = this.unreadable(name);
    return stored ? html`<p class="field-unreadable" id="${id}-unreadable">The stored value cannot be read
      (<code>${stored}</code>): the form shows the default. Check it: the repair saves what is shown.</p>` : nothing;
  }

  /** An input with its label, help and the server's message for the field (aria-invalid, aria-describedby). */
  text(name, label, opts = {}) {
    const id = opts.id || name.replace(/[.[\]]/g, '-');
    const error = this.field(opts.field || name);
    const value = name.split('.').reduce((o, k) => (o == null ? o : o[k]), this.form);
    const unreadable = this.unreadable(name);
    const described = [opts.help ? `${id}-help` : '', unreadable ? `${id}-unreadable` : '', error ? `${id}-error` : '']
      .filter(Boolean).join(' ');
    return html`<div class="field">
      <label for=${id}>${label}${opts.required ? html` <span aria-hidden="true">*</span>` : nothing}</label>
      <input id=${id} type=${opts.type || 'text'} .value=${value == null ? '' : String(value)}
        autocomplete=${opts.autocomplete || 'off'} placeholder=${opts.placeholder || nothing}
        ?required=${opts.required} aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described || nothing}
        min=${opts.min ?? nothing} max=${opts.max ?? nothing}
        @input=${(e) => this.set(name, e.target.value)}>
      ${opts.help ? html`<p class="help" id="${id}-help">${opts.help}</p>` : nothing}
      ${this.unreadableMark(name, id)}
      ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : nothing}
    </div>`;
  }

  check(name, label, help) {
    const id = name.replace(/[.[\]]/g, '-');
    const value = name.split('.').reduce((o, k) => o[k], this.form);
    return html`<div class="field"><label class="check"><input type="checkbox" id=${id} .checked=${!!value}
      @change=${(e) => this.set(name, e.target.checked)}> ${label}</label>
      ${help ? html`<p class="help">${help}</p>` : nothing}</div>`;
  }

  request() {
    const f = this.form;
    const body = {
      name: f.name, tenantUrl: f.tenantUrl, notificationEmail: f.notificationEmail || null,
      notifyOnFailure: f.notifyOnFailure, provisioningStatus: f.provisioningStatus, scope: f.scope,
      skipNotEffectivelyEntitled: f.skipNotEffectivelyEntitled, patchDialect: f.patchDialect, actions: f.actions,
      skipOutOfScopeDeletions: f.skipOutOfScopeDeletions,
      // the defaults stay "the defaults" (an empty list) until someone edits them
      userMappings: this.usingDefaults && !this.mappingsTouched ? [] : f.userMappings.map((m) => ({
        type: m.type, source: m.type === 'NONE' ? null : m.source, target: m.target,
        defaultValue: m.defaultValue === '' ? null : m.defaultValue, apply: m.apply || 'ALWAYS',
        matchingPrecedence: Number(m.matchingPrecedence) || 0,
      })),
      userScopingFilters: f.userScopingFilters.map((g) => ({
        name: g.name || null,
        clauses: g.clauses.map((c) => ({ attribute: c.attribute, operator: c.operator, value: UNARY.has(c.operator) ? null : c.value })),
      })),
      cycleInterval: f.cycleInterval || null, deletionThreshold: whole(f.deletionThreshold),
      deletionThresholdPercent: whole(f.deletionThresholdPercent),
      source: f.source.type === 'MICROSOFT_GRAPH'
        ? {
          type: 'MICROSOFT_GRAPH',
          graph: {
            ...f.source.graph, clientSecret: f.source.graph.clientSecret || null,
            authorityUrl: f.source.graph.authorityUrl || null, graphUrl: f.source.graph.graphUrl || null,
          },
        }
        : { type: 'DIRECTORY_FILE', directoryFile: f.source.directoryFile },
    };
    if (f.secretToken) {
      body.secretToken = f.secretToken;
    }
    return body;
  }

  async save(e) {
    e.preventDefault();
    try {
      const saved = this.jobId
        ? await api('PUT', `/jobs/${enc(this.jobId)}`, this.request())
        : await api('POST', '/jobs', this.request());
      this.saveError = null;
      this.saved = `Saved (revision ${saved.revision}) at ${when(saved.updatedAt)}.`;
      this.mappingsTouched = false;
      this.usingDefaults = saved.userMappings.length === 0;
      if (!this.jobId) {
        window.location.hash = `#/jobs/${enc(saved.id)}/configure`;
        return;
      }
      this.job = saved;
      this.repairing = null;
      this.unreadableFields = null;
      this.form = { ...formOf(saved), userMappings: this.usingDefaults ? this.form.userMappings : saved.userMappings };
      this.loadAudit();
    } catch (err) {
      this.saveError = err;
      this.saved = null;
      this.updateComplete.then(() => this.querySelector('#save-problem')?.scrollIntoView({ block: 'nearest' }));
    }
  }

  async testConnection() {
    this.testing = true;
    this.connection = null;
    this.connectionError = null;
    try {
      this.connection = this.jobId && !this.repairing && !this.form.secretToken && this.form.tenantUrl === this.job.tenantUrl
        ? await api('POST', `/jobs/${enc(this.jobId)}/test-connection`)
        : await api('POST', '/jobs/test-connection', { tenantUrl: this.form.tenantUrl, secretToken: this.form.secretToken });
    } catch (e) {
      this.connectionError = e;
    } finally {
      this.testing = false;
    }
  }

  async remove() {
    // eslint-disable-next-line no-alert
    if (!window.confirm(`Delete the job "${this.job.name}"? Druva keeps what it holds; the job's logs are deleted.`)) {
      return;
    }
    try {
      await api('DELETE', `/jobs/${enc(this.jobId)}`);
      window.location.hash = '#/jobs';
    } catch (e) {
      this.saveError = e;
    }
  }

  render() {
    if (this.loadError) {
      return html`<h1>Configure</h1>${problem(this.loadError, 'The job cannot be read')}`;
    }
    if (this.jobId && !this.job) {
      return html`<h1>Configure</h1><p aria-live="polite">Loading…</p>`;
    }
    const adminWhy = denied('admin');
    const f = this.form;
    // a saved Graph secret is kept when the field is left empty (never while repairing: it is in the unreadable row)
    const graphSecretSet = !this.repairing && !!this.job?.source?.graph?.clientSecretSet;
    return html`
      <h1>${this.repairing ? `Repair job ${this.job.id}` : this.jobId ? `Configure ${this.job.name}` : 'New provisioning job'}</h1>
      ${this.repairing ? html`<div id="repair">${problem(this.repairing, 'Its stored configuration cannot be read')}
        <p class="banner info" id="repair-help">${this.configKnown
          ? 'The stored configuration could be read and is filled in below.'
          : 'The stored configuration cannot be read: the form shows the job\'s name and provisioning status, and the defaults for the rest.'}
          ${this.unreadableFields && this.unreadableFields.includes('deletion_threshold')
            ? html`The stored deletion threshold (<code>deletion_threshold</code>) cannot be read: the defaults are filled in.`
            : 'The deletion threshold is filled in as stored.'}
          Enter the job's whole configuration, secret token included, and save: the stored row is replaced in place,
          and the job keeps its id, provisioning log and the objects it manages in Druva. Its next cycle is a full one.</p></div>` : nothing}
      ${this.jobId && !this.repairing ? html`<job-controls .job=${this.job} @changed=${() => this.load()}></job-controls>` : nothing}
      ${adminWhy ? html`<p class="banner info" id="read-only">Read-only: saving a change ${adminWhy.charAt(0).toLowerCase()}${adminWhy.slice(1)}
        You can still test the connection and the mappings.</p>` : nothing}
      <form @submit=${(e) => this.save(e)} novalidate>
        <section class="card" id="credentials">
          <h2>Admin credentials</h2>
          ${this.text('name', 'Name', { required: true })}
          ${this.text('tenantUrl', 'Tenant URL', { required: true, type: 'url', placeholder: 'https://apis.druva.com/insync/scim', help: 'Druva\'s SCIM endpoint (GovCloud: https://govcloudapis.druva.com/insync/scim).' })}
          ${this.text('secretToken', 'Secret token', {
            type: 'password', autocomplete: 'new-password', required: !this.jobId || !!this.repairing,
            placeholder: !this.repairing && this.job && this.job.secretTokenConfigured ? 'set (hidden): type to replace it' : '',
            help: this.repairing
              ? 'Required for the repair: the stored token is in the row that cannot be read and is not used. Write-only: encrypted when saved and never shown again.'
              : 'Write-only: the token is encrypted when saved and never shown again.' })}
          <div class="controls">
            <button type="button" id="test-connection" class="secondary" @click=${() => this.testConnection()}
              ?disabled=${this.testing || !!this.testWhy()} title=${this.testWhy() || nothing}>Test connection</button>
            ${this.testing ? html`<span aria-live="polite">Testing…</span>` : nothing}
          </div>
          ${this.testWhy() ? html`<p class="help">${this.testWhy()}</p>` : nothing}
          <div id="connection-result" aria-live="polite">
            ${this.connection ? html`<p class=${this.connection.success ? 'notice' : 'problem'}>
              ${this.connection.success ? '✓ The connection works: ' : `✗ ${this.connection.errorCode || 'The connection failed'}: `}${this.connection.message}
              ${this.connection.httpStatus ? html`<span class="muted">(Druva answered HTTP ${this.connection.httpStatus})</span>` : nothing}</p>` : nothing}
            ${problem(this.connectionError, 'Test connection refused')}
          </div>
        </section>
        <section class="card" id="notifications">
          <h2>Notifications</h2>
          ${this.text('notificationEmail', 'Notification email', { type: 'email', help: 'Failure digests and state emails (quarantine, held deletions, token expiry).' })}
          ${this.check('notifyOnFailure', 'Send an email notification when a failure occurs')}
        </section>
        <section class="card" id="source">
          <h2>Source</h2>
          <div class="field"><label for="source-type">Read Entra ID from</label>
            <select id="source-type" .value=${f.source.type} @change=${(e) => this.set('source.type', e.target.value)}>
              <option value="DIRECTORY_FILE">a directory file</option><option value="MICROSOFT_GRAPH">Microsoft Graph</option>
            </select></div>
          ${f.source.type === 'DIRECTORY_FILE'
            ? this.text('source.directoryFile', 'Directory file', { required: true, help: 'Absolute path of the directory JSON on the change-detector\'s machine.' })
            : html`${this.text('source.graph.tenantId', 'Tenant id', { required: true })}
                ${this.text('source.graph.clientId', 'Application (client) id', { required: true })}
                ${this.text('source.graph.clientSecret', 'Client secret', {
                  type: 'password', autocomplete: 'new-password', required: !graphSecretSet,
                  placeholder: graphSecretSet ? 'set (hidden): type to replace it' : '',
                  help: this.repairing
                    ? 'Required for the repair: the stored secret is in the row that cannot be read and is not used. Write-only.'
                    : graphSecretSet ? 'Write-only; empty keeps the saved one.'
                      : 'Write-only: the secret is encrypted when saved and never shown again.' })}
                ${this.text('source.graph.servicePrincipalId', 'Service principal object id of the Druva app', { required: true })}
                ${this.text('source.graph.authorityUrl', 'Authority URL', { type: 'url', placeholder: 'https://login.microsoftonline.com', help: 'Empty: the global cloud. A national cloud\'s sign-in authority (US Government: https://login.microsoftonline.us); a new one needs the client secret again.' })}
                ${this.text('source.graph.graphUrl', 'Graph URL', { type: 'url', placeholder: 'https://graph.microsoft.com/v1.0', help: 'Empty: the global cloud. A national cloud\'s Graph endpoint with its version, as requests are sent below it (US Government: https://graph.microsoft.us/v1.0); a new one needs the client secret again.' })}`}
        </section>
        <section class="card" id="scope">
          <h2>Scope</h2>
          <div class="field"><label for="scope-select">Scope</label>
            <select id="scope-select" .value=${f.scope} @change=${(e) => this.set('scope', e.target.value)}
              aria-describedby=${this.unreadable('scope') ? 'scope-select-unreadable' : nothing}>
              <option value="ASSIGNED_ONLY">Sync only assigned users and groups</option>
              <option value="ALL">Sync all users and groups</option>
            </select>${this.unreadableMark('scope', 'scope-select')}</div>
          ${this.check('skipNotEffectivelyEntitled', 'Skip users assigned only with Default Access')}
        </section>
        ${this.mappingsSection()}
        ${this.filtersSection()}
        <section class="card" id="settings">
          <h2>Settings</h2>
          <fieldset><legend>Target object actions</legend>
            ${this.check('actions.create', 'Create')}${this.check('actions.update', 'Update')}${this.check('actions.delete', 'Delete')}
          </fieldset>
          ${this.check('skipOutOfScopeDeletions', 'Skip out of scope deletions', 'Users who leave the scope are left alone in Druva instead of being disabled.')}
          ${this.text('deletionThreshold', 'Accidental deletion threshold', { type: 'number', min: 0, required: !!this.repairing, placeholder: this.jobId ? '' : `the default (${DEFAULT_THRESHOLD.count})`, help: 'Disables and deletes one cycle may send before all of them are held for review; 0 turns this limit off.' })}
          ${this.text('deletionThresholdPercent', 'Accidental deletion threshold (share)', { type: 'number', min: 0, max: 100, required: !!this.repairing, placeholder: this.jobId ? '' : `the default (${DEFAULT_THRESHOLD.percent})`, help: 'Per cent of the objects the job manages in Druva that one cycle may disable or delete (for jobs managing more than 100); whichever limit trips first holds the cycle\'s disables and deletes. 0 turns this limit off.' })}
          ${this.text('cycleInterval', 'Cycle interval', { placeholder: 'PT40M', help: `ISO-8601 duration between incremental cycles (PT40M is Entra's 40 minutes; at least PT5S): ${duration(f.cycleInterval)}.` })}
          <div class="field"><label for="patch-dialect">PATCH dialect</label>
            <select id="patch-dialect" .value=${f.patchDialect} @change=${(e) => this.set('patchDialect', e.target.value)}
              aria-describedby=${this.unreadable('patchDialect') ? 'patch-dialect-unreadable' : nothing}>
              <option value="ENTRA">Entra (what Entra sends Druva)</option><option value="RFC_STRICT">RFC 7644 strict</option>
            </select>${this.unreadableMark('patchDialect', 'patch-dialect')}</div>
          ${this.jobId && !this.repairing ? nothing : html`<div class="field"><label for="provisioning-status">Provisioning status</label>
            <select id="provisioning-status" .value=${f.provisioningStatus} aria-describedby=${this.repairing ? 'provisioning-status-help' : nothing}
              @change=${(e) => this.set('provisioningStatus', e.target.value)}>
              <option value="Off" ?selected=${f.provisioningStatus === 'Off'}>Off (start it later)</option>
              <option value="On" ?selected=${f.provisioningStatus === 'On'}>${this.repairing ? 'On (a full cycle starts now)' : 'On (the initial cycle starts now)'}</option>
            </select>
            ${this.repairing ? html`<p class="help" id="provisioning-status-help">As the stored row's state says
              (${this.job.state || 'unknown'}); the repair saves what is chosen here.</p>` : nothing}</div>`}
        </section>
        <div class="save-bar">
          <button type="submit" id="save" ?disabled=${!!adminWhy} title=${adminWhy || nothing}>${this.repairing ? 'Save and repair' : this.jobId ? 'Save' : 'Create job'}</button>
          ${this.jobId ? html`<button type="button" class="danger" id="delete-job" ?disabled=${!!adminWhy} @click=${() => this.remove()}>Delete job</button>` : nothing}
          <span role="status" id="save-status">${this.saved || ''}</span>
        </div>
        <div id="save-problem">${problem(this.saveError, 'Not saved')}</div>
      </form>
      ${this.jobId ? this.auditSection() : nothing}`;
  }

  testWhy() {
    const savedToken = this.jobId && !this.form.secretToken && this.job && this.form.tenantUrl === this.job.tenantUrl;
    return savedToken ? denied('operator') : denied('admin');
  }

  mappingsSection() {
    const list = this.form.userMappings;
    const adminWhy = denied('admin');
    return html`<section class="card" id="mappings">
      <h2>Attribute mappings</h2>
      ${this.usingDefaults && !this.mappingsTouched ? html`<p class="help">The job uses Druva's default mappings; editing them saves your own list.</p>` : nothing}
      <div class="table-wrap"><table id="mappings-table">
        <thead><tr><th scope="col">Target attribute</th><th scope="col">Type</th><th scope="col">Source</th>
          <th scope="col">Default</th><th scope="col">Apply</th><th scope="col">Matching</th><th scope="col">Actions</th></tr></thead>
        <tbody>${list.map((m, i) => {
          const error = this.saveError instanceof ApiError
            ? this.saveError.errors.filter((x) => x.field.startsWith(`userMappings[${i}]`)) : [];
          return html`<tr class=${error.length ? 'invalid' : ''}>
            <td><code>${m.target}</code>${error.map((x) => html`<p class="field-error">${x.field}: ${x.message}</p>`)}</td>
            <td>${m.type}</td><td class="wrap"><code>${m.type === 'NONE' ? '' : m.source}</code></td>
            <td>${m.defaultValue ?? ''}</td><td>${m.apply === 'ONLY_DURING_CREATION' ? 'On create' : 'Always'}</td>
            <td>${m.matchingPrecedence > 0 ? `precedence ${m.matchingPrecedence}` : ''}</td>
            <td class="actions"><button type="button" class="link" @click=${() => { this.editing = { index: i, mapping: { ...m } }; }}
                aria-label="Edit mapping of ${m.target}">${adminWhy ? 'View / test' : 'Edit'}</button>
              <button type="button" class="link" ?disabled=${!!adminWhy} aria-label="Remove mapping of ${m.target}"
                @click=${() => this.removeMapping(i)}>Remove</button></td></tr>`;
        })}</tbody>
      </table></div>
      <button type="button" id="add-mapping" class="secondary" ?disabled=${!!adminWhy}
        @click=${() => { this.editing = { index: -1, mapping: { type: 'DIRECT', source: '', target: '', defaultValue: '', apply: 'ALWAYS', matchingPrecedence: 0 } }; }}>Add new mapping</button>
      ${this.editing ? html`<mapping-editor .jobId=${this.jobId} .mapping=${this.editing.mapping}
          .isNew=${this.editing.index < 0} .readOnly=${!!adminWhy}
          @apply=${(e) => this.applyMapping(e.detail)} @cancel=${() => { this.editing = null; }}></mapping-editor>` : nothing}
    </section>`;
  }

  applyMapping(mapping) {
    const list = [...this.form.userMappings];
    if (this.editing.index < 0) {
      list.push(mapping);
    } else {
      list[this.editing.index] = mapping;
    }
    this.mappingsTouched = true;
    this.editing = null;
    this.set('userMappings', list);
  }

  removeMapping(i) {
    const list = this.form.userMappings.filter((_, j) => j !== i);
    this.mappingsTouched = true;
    this.set('userMappings', list);
  }

  filtersSection() {
    const groups = this.form.userScopingFilters;
    const update = (fn) => {
      const copy = structuredClone(groups);
      fn(copy);
      this.set('userScopingFilters', copy);
    };
    return html`<section class="card" id="scoping-filters">
      <h2>Scoping filters</h2>
      <p class="help">A user is in scope when every clause of at least one group holds (clauses are ANDed, groups ORed).
        No group: every user is in scope.</p>
      ${groups.map((g, gi) => html`<fieldset class="filter-group">
        <legend>Scoping filter group ${gi + 1}</legend>
        <div class="field"><label for="filter-${gi}-name">Group name</label>
          <input id="filter-${gi}-name" .value=${g.name || ''} @input=${(e) => update((c) => { c[gi].name = e.target.value; })}></div>
        ${g.clauses.map((c, ci) => {
          const base = `userScopingFilters[${gi}].clauses[${ci}]`;
          const err = this.saveError instanceof ApiError ? this.saveError.errors.filter((x) => x.field.startsWith(base)) : [];
          return html`<div class="clause" role="group" aria-label="Clause ${ci + 1} of group ${gi + 1}">
            <div class="field"><label for="clause-${gi}-${ci}-attribute">Source attribute</label>
              <input id="clause-${gi}-${ci}-attribute" list="source-attributes" .value=${c.attribute || ''}
                @input=${(e) => update((x) => { x[gi].clauses[ci].attribute = e.target.value; })}></div>
            <div class="field"><label for="clause-${gi}-${ci}-operator">Operator</label>
              <select id="clause-${gi}-${ci}-operator" .value=${c.operator}
                @change=${(e) => update((x) => { x[gi].clauses[ci].operator = e.target.value; })}>
                ${OPERATORS.map(([v, label]) => html`<option value=${v} ?selected=${v === c.operator}>${label}</option>`)}
              </select></div>
            <div class="field"><label for="clause-${gi}-${ci}-value">Value</label>
              <input id="clause-${gi}-${ci}-value" .value=${c.value ?? ''} ?disabled=${UNARY.has(c.operator)}
                aria-describedby=${UNARY.has(c.operator) ? `clause-${gi}-${ci}-unary` : nothing}
                @input=${(e) => update((x) => { x[gi].clauses[ci].value = e.target.value; })}>
              ${UNARY.has(c.operator) ? html`<p class="help" id="clause-${gi}-${ci}-unary">This operator takes no value.</p>` : nothing}</div>
            <button type="button" class="link" aria-label="Remove clause ${ci + 1} of group ${gi + 1}"
              @click=${() => update((x) => { x[gi].clauses.splice(ci, 1); })}>Remove clause</button>
            ${err.map((x) => html`<p class="field-error">${x.field}: ${x.message}</p>`)}
          </div>`;
        })}
        <button type="button" class="secondary" @click=${() => update((x) => { x[gi].clauses.push({ attribute: '', operator: 'EQUALS', value: '' }); })}>Add clause</button>
        <button type="button" class="link" @click=${() => update((x) => { x.splice(gi, 1); })}>Remove group ${gi + 1}</button>
      </fieldset>`)}
      <button type="button" id="add-filter-group" class="secondary"
        @click=${() => update((x) => { x.push({ name: '', clauses: [{ attribute: '', operator: 'EQUALS', value: '' }] }); })}>Add scoping filter group</button>
    </section>`;
  }

  auditSection() {
    const a = this.audit;
    return html`<section class="card" id="audit">
      <h2>Audit log</h2>
      ${!a ? html`<p aria-live="polite">Loading…</p>` : nothing}
      ${a && a.unavailable ? html`<p id="audit-unavailable">The audit log is not available on this server yet (the API
          answered that <code>GET /jobs/{id}/audit</code> does not exist).</p>` : nothing}
      ${a && a.error ? problem(a.error, 'The audit log cannot be read') : nothing}
      ${a && a.entries ? (a.entries.length === 0 ? html`<p>No entry.</p>` : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Details</th></tr></thead>
          <tbody>${a.entries.map((e) => {
            const { occurredAt, at, timestamp, actor, user, who, action, change, ...rest } = e;
            return html`<tr><td>${when(occurredAt || at || timestamp)}</td><td>${actor || user || who || ''}</td>
              <td>${action || change || ''}</td><td class="wrap"><code>${JSON.stringify(rest)}</code></td></tr>`;
          })}</tbody></table></div>`) : nothing}
    </section>`;
  }
}
customElements.define('job-configure', JobConfigure);

