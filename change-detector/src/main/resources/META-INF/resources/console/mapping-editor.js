import { html, nothing } from 'lit';
import { api, denied, enc } from './api.js';
import { Page, debounce, problem } from './ui.js';

/**
 * Entra's "Edit attribute" dialog, inline: mapping type, source attribute / constant / expression (validated as it
 * is typed, by the same parser that validates a saved job), target, default value, apply, matching precedence; and a
 * test of the mapping against a user of the job's source, showing the value Druva would receive.
 */
class MappingEditor extends Page {
  static properties = {
    jobId: {}, mapping: {}, isNew: {}, readOnly: {},
    m: { state: true }, validation: { state: true }, validationError: { state: true },
    users: { state: true }, userId: { state: true }, searchError: { state: true },
    result: { state: true }, testError: { state: true }, testing: { state: true },
  };

  constructor() {
    super();
    this.validateSoon = debounce((text) => this.validate(text), 250);
    this.searchSoon = debounce((text) => this.search(text), 250);
  }

  connectedCallback() {
    super.connectedCallback();
    if (this.jobId && !denied('operator')) {
      this.search('');
    }
  }

  /** Another mapping to edit (the element stays, the mapping changes): start over from it. */
  willUpdate(changed) {
    if (changed.has('mapping')) {
      this.m = { ...this.mapping, defaultValue: this.mapping.defaultValue ?? '' };
      this.validation = null;
      this.result = null;
      this.testError = null;
      if (this.m.type === 'EXPRESSION') {
        this.validate(this.m.source || '');
      }
    }
  }

  firstUpdated() {
    this.querySelector('#mapping-type')?.focus();
  }

  set(key, value) {
    this.m = { ...this.m, [key]: value };
    this.result = null;
    if (key === 'source' && this.m.type === 'EXPRESSION') {
      this.validateSoon(value);
    }
    if (key === 'type') {
      this.validation = null;
      if (value === 'EXPRESSION') {
        this.validate(this.m.source || '');
      }
    }
  }

  async validate(text) {
    try {
      const v = await api('POST', '/expressions/validate', { expression: text });
      if (this.m.type === 'EXPRESSION' && (this.m.source || '') === text) {
        this.validation = v;
        this.validationError = null;
      }
    } catch (e) {
      this.validationError = e;
    }
  }

  async search(text) {
    try {
      this.users = (await api('GET', `/jobs/${enc(this.jobId)}/source-objects?limit=25&search=${enc(text)}`))
        .filter((o) => o.objectType === 'USER');
      if (!this.users.some((u) => u.id === this.userId)) {
        this.userId = this.users.length ? this.users[0].id : null;
      }
      this.searchError = null;
    } catch (e) {
      this.searchError = e;
    }
  }

  async test() {
    this.testing = true;
    this.result = null;
    this.testError = null;
    try {
      this.result = await api('POST', `/jobs/${enc(this.jobId)}/mappings/test`, { mapping: this.payload(), objectId: this.userId });
    } catch (e) {
      this.testError = e;
    } finally {
      this.testing = false;
    }
  }

  payload() {
    const m = this.m;
    return {
      type: m.type, source: m.type === 'NONE' ? null : (m.source ?? ''), target: m.target,
      defaultValue: m.defaultValue === '' ? null : m.defaultValue, apply: m.apply || 'ALWAYS',
      matchingPrecedence: Number(m.matchingPrecedence) || 0,
    };
  }

  apply(e) {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent('apply', { detail: this.payload() }));
  }

  render() {
    const m = this.m;
    const testWhy = !this.jobId ? 'Save the job first: the test reads a user from the job\'s source.' : denied('operator');
    return html`<div class="card editor" id="mapping-editor" role="region" aria-labelledby="mapping-editor-title">
      <h3 id="mapping-editor-title">${this.isNew ? 'New attribute mapping' : `Edit attribute mapping: ${this.mapping.target}`}</h3>
      <fieldset class="plain" ?disabled=${this.readOnly}>
      <div class="field"><label for="mapping-type">Mapping type</label>
        <select id="mapping-type" .value=${m.type} @change=${(e) => this.set('type', e.target.value)}>
          <option value="DIRECT">Direct</option><option value="CONSTANT">Constant</option>
          <option value="EXPRESSION">Expression</option><option value="NONE">None</option>
        </select></div>
      ${m.type === 'DIRECT' ? html`<div class="field"><label for="mapping-source">Source attribute</label>
          <input id="mapping-source" list="source-attributes" .value=${m.source || ''} @input=${(e) => this.set('source', e.target.value)}></div>` : nothing}
      ${m.type === 'CONSTANT' ? html`<div class="field"><label for="mapping-source">Constant value</label>
          <input id="mapping-source" .value=${m.source || ''} @input=${(e) => this.set('source', e.target.value)}></div>` : nothing}
      ${m.type === 'EXPRESSION' ? html`<div class="field"><label for="mapping-expression">Expression</label>
          <textarea id="mapping-expression" rows="3" spellcheck="false" .value=${m.source || ''}
            aria-describedby="expression-status" aria-invalid=${this.validation && !this.validation.valid ? 'true' : 'false'}
            @input=${(e) => this.set('source', e.target.value)}></textarea>
          <div id="expression-status" aria-live="polite">${this.expressionStatus()}</div></div>` : nothing}
      <div class="field"><label for="mapping-target">Target attribute</label>
        <input id="mapping-target" list="target-attributes" .value=${m.target || ''} @input=${(e) => this.set('target', e.target.value)}></div>
      <div class="field"><label for="mapping-default">Default value if null (optional)</label>
        <input id="mapping-default" .value=${m.defaultValue ?? ''} aria-describedby="mapping-default-help"
          @input=${(e) => this.set('defaultValue', e.target.value)}>
        <p class="help" id="mapping-default-help">Sent when the user is created and the source gives no value.</p></div>
      <div class="field"><label for="mapping-apply">Apply this mapping</label>
        <select id="mapping-apply" .value=${m.apply || 'ALWAYS'} @change=${(e) => this.set('apply', e.target.value)}>
          <option value="ALWAYS">Always</option><option value="ONLY_DURING_CREATION">Only during object creation</option>
        </select></div>
      <div class="field"><label for="mapping-matching">Matching precedence</label>
        <input id="mapping-matching" type="number" min="0" .value=${String(m.matchingPrecedence || 0)}
          aria-describedby="mapping-matching-help" @input=${(e) => this.set('matchingPrecedence', Number(e.target.value))}>
        <p class="help" id="mapping-matching-help">0: not a matching attribute; 1 is tried first when matching Druva users.</p></div>
      </fieldset>
      <fieldset class="test"><legend>Test this mapping</legend>
        ${testWhy ? html`<p class="help">${testWhy}</p>` : html`
          <div class="field"><label for="test-user-search">Find a source user</label>
            <input id="test-user-search" type="search" placeholder="name, email or id" @input=${(e) => this.searchSoon(e.target.value)}></div>
          <div class="field"><label for="test-user">Source user</label>
            <select id="test-user" .value=${this.userId || ''} @change=${(e) => { this.userId = e.target.value; }}>
              ${(this.users || []).map((u) => html`<option value=${u.id} ?selected=${u.id === this.userId}>${u.displayName || u.id} (${u.userPrincipalName || u.mail || u.id})</option>`)}
            </select></div>
          ${problem(this.searchError, 'The source cannot be searched')}
          <button type="button" id="test-mapping" class="secondary" ?disabled=${!this.userId || this.testing} @click=${() => this.test()}>Test</button>
          <div id="mapping-test-result" aria-live="polite">${this.testResult()}${problem(this.testError, 'The test was refused')}</div>`}
      </fieldset>
      <div class="controls">
        ${this.readOnly ? nothing : html`<button type="button" id="apply-mapping" @click=${(e) => this.apply(e)}>${this.isNew ? 'Add' : 'Apply'}</button>`}
        <button type="button" class="secondary" @click=${() => this.dispatchEvent(new CustomEvent('cancel'))}>${this.readOnly ? 'Close' : 'Cancel'}</button>
        ${this.readOnly ? nothing : html`<span class="help">Changes are kept when the job is saved.</span>`}
      </div>
    </div>`;
  }

  expressionStatus() {
    if (this.validationError) {
      return problem(this.validationError, 'The expression cannot be checked');
    }
    const v = this.validation;
    if (!v) {
      return nothing;
    }
    if (!v.valid) {
      const e = v.errors[0];
      const text = this.m.source || '';
      return html`<p class="field-error" id="expression-error">✗ ${e.message}</p>
        <pre class="caret" aria-hidden="true">${text}\n${' '.repeat(Math.max(0, e.position - 1))}^</pre>`;
    }
    return html`<p class="ok" id="expression-valid">✓ Valid expression${v.functions.length ? html` · functions ${v.functions.join(', ')}` : nothing}${v.attributes.length ? html` · reads ${v.attributes.map((a) => `[${a}]`).join(', ')}` : nothing}</p>`;
  }

  testResult() {
    const r = this.result;
    if (!r) {
      return nothing;
    }
    const who = html`for <strong>${r.displayName || r.objectId}</strong>`;
    const value = (v) => html`<code class="value">${typeof v === 'string' ? `"${v}"` : JSON.stringify(v)}</code>`;
    let line;
    switch (r.outcome) {
      case 'SENT':
        line = html`<p class="ok" id="test-value">Sent ${who} to <code>${r.target}</code>${r.createOnly ? ' (on create only)' : ''}: ${value(r.value)}</p>`;
        break;
      case 'DEFAULT_ON_CREATE':
        line = html`<p class="ok" id="test-value">No value ${who}: the default ${value(r.value)} is sent to <code>${r.target}</code> when the user is created; nothing on update.</p>`;
        break;
      case 'NOT_SENT':
        line = html`<p id="test-value">Not sent ${who}: the value is null, and Entra never sends null (set a default value to send one on create).</p>`;
        break;
      case 'IGNORED':
        line = html`<p id="test-value">Not sent ${who}: the expression leaves the attribute out (IgnoreFlowIfNullOrEmpty).</p>`;
        break;
      default:
        line = html`<p class="field-error" id="test-value">✗ The mapping fails ${who}: ${r.error}. The user would be logged as ExpressionEvaluationFailed.</p>`;
    }
    return html`${line}${r.scope ? html`<p class="help">Note: ${r.scope}.</p>` : nothing}`;
  }
}
customElements.define('mapping-editor', MappingEditor);
