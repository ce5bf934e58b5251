import { html, nothing } from 'lit';
import { adoptTokenFromFragment, api, describeRoles, session, signIn, signOut, token } from './api.js';
import { Page, problem, when } from './ui.js';
import './jobs.js';
import './overview.js';
import './configure.js';
import './on-demand.js';
import './logs.js';

/** Entra's user attributes, and the virtual ones the engine adds, offered while typing a source attribute. */
const SOURCE_ATTRIBUTES = ['userPrincipalName', 'mail', 'mailNickname', 'givenName', 'surname', 'displayName',
  'jobTitle', 'department', 'companyName', 'employeeId', 'officeLocation', 'mobilePhone', 'telephoneNumber',
  'accountEnabled', 'objectId', 'IsSoftDeleted', 'appRoleAssignments'];

/** Druva's SCIM user attributes, offered while typing a target attribute. */
const TARGET_ATTRIBUTES = ['userName', 'emails[type eq "work"].value', 'active', 'displayName', 'name.givenName',
  'name.familyName', 'externalId', 'title', 'phoneNumbers[type eq "work"].value',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber'];

/**
 * The console's shell: who is signed in, the navigation, and the page of the address's fragment (#/jobs,
 * #/jobs/<id>, #/jobs/<id>/configure, #/jobs/<id>/on-demand, #/jobs/<id>/logs, #/new, #/sign-in).
 */
class ProvisioningConsole extends Page {
  static properties = { route: { state: true } };

  constructor() {
    super();
    // a page is made anew for each address and each sign-in, so that it reads its data with the current token
    this.signIns = 0;
    adoptTokenFromFragment();
    this.route = this.parse();
    window.addEventListener('hashchange', () => {
      if (adoptTokenFromFragment()) {
        this.signIns += 1;
      }
      this.route = this.parse();
    });
  }

  parse() {
    const hash = window.location.hash || '#/jobs';
    if (!hash.startsWith('#/')) {
      return this.route || { page: 'jobs', key: hash };
    }
    return { ...this.parsePath(hash), key: `${this.signIns}|${hash}` };
  }

  parsePath(hash) {
    const [path, query] = hash.slice(2).split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query || '');
    if (!token() || parts[0] === 'sign-in') {
      return { page: 'sign-in' };
    }
    if (parts[0] === 'new') {
      return { page: 'configure', jobId: null };
    }
    if (parts[0] === 'jobs' && parts[1]) {
      return { page: parts[2] || 'overview', jobId: parts[1], params };
    }
    return { page: 'jobs' };
  }

  updated(changed) {
    this.showPage(this.route);
    if (changed.has('route')) {
      const main = this.querySelector('#main');
      const page = main && main.firstElementChild;
      (page && page.updateComplete ? page.updateComplete : Promise.resolve()).then(() => {
        const title = this.querySelector('main h1');
        document.title = `${title ? title.textContent.trim() : 'Provisioning'} · Provisioning console`;
      });
      if (changed.get('route') && main) {
        main.focus({ preventScroll: true });
      }
    }
  }

  signOut() {
    signOut();
    this.signIns += 1;
    window.location.hash = '#/sign-in';
    this.route = this.parse();
  }

  signedIn() {
    this.signIns += 1;
    if (window.location.hash === '#/jobs') {
      this.route = this.parse();
    } else {
      window.location.hash = '#/jobs';
    }
  }

  skip(e) {
    e.preventDefault();
    this.querySelector('#main')?.focus();
  }

  render() {
    const s = session();
    const r = this.route;
    return html`
      <a class="skip" href="#/" @click=${this.skip}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/jobs">Provisioning console</a>
        <span class="muted">Microsoft Entra ID → Druva</span>
        <span class="spacer"></span>
        ${s ? html`<span class="who" id="who">${s.who} · ${describeRoles(s)}${s.expiresAt
            ? html` · token until ${when(s.expiresAt)}` : nothing}</span>
          <button class="link" @click=${() => this.signOut()}>Sign out</button>`
          : nothing}
      </header>
      ${r.jobId ? html`<nav class="job-nav" aria-label="Job">
          <a href="#/jobs">All jobs</a>
          ${[['overview', 'Overview'], ['configure', 'Configure'], ['on-demand', 'Provision on demand'], ['logs', 'Provisioning logs']]
            .map(([page, label]) => html`<a href="#/jobs/${encodeURIComponent(r.jobId)}${page === 'overview' ? '' : `/${page}`}"
                aria-current=${r.page === page ? 'page' : 'false'}>${label}</a>`)}
        </nav>` : nothing}
      <main id="main" tabindex="-1"></main>
      <datalist id="source-attributes">${SOURCE_ATTRIBUTES.map((a) => html`<option value=${a}></option>`)}</datalist>
      <datalist id="target-attributes">${TARGET_ATTRIBUTES.map((a) => html`<option value=${a}></option>`)}</datalist>`;
  }

  /**
   * Puts a new page element into <main> for each address and each sign-in (so that it reads its data with the current
   * token). Done by hand rather than by a Lit binding: a page swapped for another of the same element type must be a
   * new element, never the old one with new properties.
   */
  showPage(r) {
    const main = this.querySelector('#main');
    if (!main || this.shownKey === r.key) {
      return;
    }
    this.shownKey = r.key;
    const tags = {
      'sign-in': 'sign-in-page', overview: 'job-overview', configure: 'job-configure', 'on-demand': 'provision-on-demand',
      logs: 'provisioning-logs',
    };
    const page = document.createElement(tags[r.page] || 'jobs-page');
    page.jobId = r.jobId || null;
    page.initial = r.params;
    page.addEventListener('signed-in', () => this.signedIn());
    main.replaceChildren(page);
  }
}
customElements.define('provisioning-console', ProvisioningConsole);

/**
 * Sign-in with an access token for the provisioning API. Locally the run command prints a link that carries one;
 * with Entra ID as the issuer, a person gets one with the Azure CLI.
 */
class SignInPage extends Page {
  static properties = { error: { state: true }, busy: { state: true } };

  async submit(e) {
    e.preventDefault();
    const value = this.querySelector('#token').value.trim();
    if (!value) {
      this.error = { title: 'Paste an access token first', errors: [{ field: 'token', message: 'is required' }] };
      return;
    }
    signIn(value);
    this.busy = true;
    try {
      await api('GET', '/jobs');
      this.dispatchEvent(new CustomEvent('signed-in', { bubbles: true }));
    } catch (err) {
      signOut();
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  render() {
    return html`
      <h1>Sign in</h1>
      <p>The console reads and changes provisioning jobs through the jobs API with your access token. The token stays in
        this browser tab (session storage) and is sent only to this server.</p>
      <form @submit=${this.submit} class="card narrow">
        <label for="token">Access token</label>
        <textarea id="token" rows="5" autocomplete="off" spellcheck="false"
          aria-describedby="token-help"></textarea>
        <p id="token-help" class="help">A JWT for the provisioning API carrying one of the roles Provisioning.Admin,
          Provisioning.Operator or Provisioning.Reader.</p>
        <button type="submit" ?disabled=${this.busy}>Sign in</button>
        ${problem(this.error, 'Sign-in refused')}
      </form>
      <h2>Getting a token</h2>
      <ul>
        <li><strong>Locally</strong>: the run command prints a console link that signs the local administrator in;
          the tokens are also in <code>demo-launcher/target/demo/admin-token</code>, <code>operator-token</code> and
          <code>reader-token</code>.</li>
        <li><strong>Entra ID</strong>: with the Azure CLI, signed in to your tenant:
          <pre>az account get-access-token --scope api://&lt;API client id&gt;/.default --query accessToken -o tsv</pre>
          (the Azure CLI must be an authorized client application of the Provisioning API; see the README's Security
          section).</li>
      </ul>`;
  }
}
customElements.define('sign-in-page', SignInPage);
