// tenants.js - /admin/tenants: the tenant list with search (debounced),
// active/archived filter, ordering and infinite scroll over the paged API
// (GET /api/tenants/, following "next"), and per tenant: its logo, module
// chips, the template version its site runs, a health badge checked as
// soon as the row is drawn, its custom domains (status, the TXT record of
// a pending one, Verify), and the actions edit, modules, deploy (labelled Deploy or Redeploy from the
// tenant's "deployed"), health details, archive/restore and delete.
// Search, filter and ordering live in the page URL, so a link such as
// /admin/tenants?search=acme opens the list already filtered.

import { api, ApiError, errorMessage, isQuiet } from './api.js';
import { openDialog } from './dialog.js';
import { byId, debounce, h, replaceContent, safeHref, uniqueId } from './dom.js';
import { colorField, FieldErrors, logoField, moduleIcon, textField } from './fields.js';
import { createProgress, jobStatusText, waitForJob } from './jobs.js';
import { showMessage, showPageError, showPageMessage, startPage } from './layout.js';
import {
	colorSwatches, formatDate, logoThumbnail, logoUrl, readyMailText, statusBadge, templateVersion,
} from './tenant-view.js';

const PAGE_SIZE = 20;
const SEARCH_DELAY_MS = 300;
// Start loading the next page this far before the end of the list shows.
const SCROLL_MARGIN_PX = 300;
// Health checks in flight at once: enough to fill a page quickly, few
// enough to leave workers for everything else.
const HEALTH_CHECKS_AT_ONCE = 4;
const ORDERINGS = new Set(['-created_at', 'created_at', 'name', '-name', 'subdomain', '-subdomain']);

const searchInput = byId('search');
const filterSelect = byId('filter');
const orderingSelect = byId('ordering');
const list = byId('tenant-list');
const listEnd = byId('list-end');
const listStatus = byId('list-status');
const listCount = byId('list-count');
const loadMoreButton = byId('load-more');

const rows = new Map();
let nextUrl = null;
let totalCount = 0;
let loading = false;
let listController = null;

// --- the list ------------------------------------------------------------------

function currentParams() {
	return {
		search: searchInput.value.trim(),
		isActive: filterSelect.value,
		ordering: orderingSelect.value,
	};
}

function firstPageUrl(params) {
	const query = new URLSearchParams({ page_size: String(PAGE_SIZE), ordering: params.ordering });
	if (params.search !== '') {
		query.set('search', params.search);
	}
	if (params.isActive !== '') {
		query.set('is_active', params.isActive);
	}
	return `/api/tenants/?${query}`;
}

// Keeps the page URL in step with the controls (without a history entry
// per keystroke).
function rememberParams(params) {
	const query = new URLSearchParams();
	if (params.search !== '') {
		query.set('search', params.search);
	}
	if (params.isActive !== '') {
		query.set('is_active', params.isActive);
	}
	if (params.ordering !== '-created_at') {
		query.set('ordering', params.ordering);
	}
	const text = query.toString();
	window.history.replaceState(null, '', text === '' ? window.location.pathname : `${window.location.pathname}?${text}`);
}

function readParamsFromUrl() {
	const query = new URLSearchParams(window.location.search);
	searchInput.value = query.get('search') ?? '';
	const isActive = query.get('is_active');
	filterSelect.value = isActive === 'true' || isActive === 'false' ? isActive : '';
	const ordering = query.get('ordering');
	orderingSelect.value = ORDERINGS.has(ordering) ? ordering : '-created_at';
}

function showCount() {
	const search = searchInput.value.trim();
	if (totalCount === 0) {
		listCount.textContent = search !== '' ? `No tenants match \u201c${search}\u201d.` : 'No tenants to show.';
		return;
	}
	listCount.textContent = `${totalCount} ${totalCount === 1 ? 'tenant' : 'tenants'}${search !== '' ? ` matching \u201c${search}\u201d` : ''}`;
}

function updateListEnd() {
	loadMoreButton.hidden = nextUrl === null || loading;
	if (loading) {
		listStatus.textContent = 'Loading tenants…';
	} else if (nextUrl === null && rows.size > 0) {
		listStatus.textContent = 'That is all of them.';
	} else {
		listStatus.textContent = '';
	}
}

// Is the end of the list (near) on screen?
function listEndVisible() {
	return listEnd.getBoundingClientRect().top < window.innerHeight + SCROLL_MARGIN_PX;
}

// Loads one page from `url` and appends its rows.
async function loadPage(url) {
	const controller = listController;
	loading = true;
	updateListEnd();
	try {
		const page = await api('GET', url, { signal: controller.signal });
		if (controller !== listController) {
			return;
		}
		totalCount = Number(page?.count ?? 0);
		for (const tenant of Array.isArray(page?.results) ? page.results : []) {
			if (!rows.has(tenant.id)) {
				const row = new TenantRow(tenant);
				rows.set(tenant.id, row);
				list.append(row.element);
			}
		}
		// Only follow links back into the tenant list.
		nextUrl = typeof page?.next === 'string' && page.next.startsWith('/api/tenants/?') ? page.next : null;
		showCount();
	} catch (error) {
		if (controller !== listController || isQuiet(error)) {
			return;
		}
		nextUrl = null;
		showPageError('Could not load the tenants', error);
	} finally {
		if (controller === listController) {
			loading = false;
			updateListEnd();
		}
	}
	// A short page may leave the end in view: no scroll event will come.
	if (controller === listController && nextUrl !== null && listEndVisible()) {
		loadMore();
	}
}

function loadMore() {
	if (loading || nextUrl === null) {
		return;
	}
	loadPage(nextUrl);
}

// Starts the list again from page 1 with the controls' current values.
function reload() {
	listController?.abort();
	listController = new AbortController();
	const params = currentParams();
	rememberParams(params);
	for (const row of rows.values()) {
		row.dispose();
	}
	rows.clear();
	healthQueue.length = 0;
	list.replaceChildren();
	nextUrl = null;
	totalCount = 0;
	listCount.textContent = '';
	showPageMessage('');
	loadPage(firstPageUrl(params));
}

const reloadSoon = debounce(reload, SEARCH_DELAY_MS);

// --- health ------------------------------------------------------------------------

// The verdict on a health report: {label, kind}.
function healthVerdict(health) {
	const missing = Array.isArray(health?.missing_files) ? health.missing_files.length : 0;
	const modified = Array.isArray(health?.modified_files) ? health.modified_files.length : 0;
	if (!health?.folder_exists || !health?.config_exists || !health?.config_valid) {
		return { label: 'Needs attention', kind: 'attention' };
	}
	if (!health.frontend_deployed) {
		return { label: 'Not deployed', kind: 'attention' };
	}
	if (missing > 0 || modified > 0) {
		return { label: 'Needs attention', kind: 'attention' };
	}
	return { label: 'Healthy', kind: 'healthy' };
}

// Every row asks for its health as soon as it is drawn, not when it is
// scrolled to, so no row shows a stale state; the checks wait in a queue
// and run HEALTH_CHECKS_AT_ONCE at a time.
const healthQueue = [];
let healthChecksRunning = 0;

function checkHealthSoon(row) {
	healthQueue.push(row);
	runHealthChecks();
}

function runHealthChecks() {
	while (healthChecksRunning < HEALTH_CHECKS_AT_ONCE && healthQueue.length > 0) {
		const row = healthQueue.shift();
		if (row.disposed) {
			continue;
		}
		healthChecksRunning += 1;
		row.loadHealth().finally(() => {
			healthChecksRunning -= 1;
			runHealthChecks();
		});
	}
}

// --- one tenant ----------------------------------------------------------------------

class TenantRow {
	constructor(tenant) {
		this.tenant = tenant;
		this.health = null;
		this.healthController = null;
		this.busy = false;
		this.disposed = false;
		const nameId = uniqueId('tenant-name');
		this.nameElement = h('h2', { class: 'tenant-name', id: nameId });
		this.statusSlot = h('span');
		this.healthBadge = h('span', { class: 'badge health-badge' }, 'Health: checking…');
		this.logoSlot = h('span', { class: 'tenant-logo-slot' });
		this.swatchSlot = h('span');
		this.link = h('a', { class: 'tenant-link', target: '_blank', rel: 'noopener noreferrer' });
		this.created = h('span');
		this.templateSlot = h('span');
		this.mailSlot = h('span', { class: 'tenant-mail', hidden: true });
		this.domainsSlot = h('ul', { class: 'tenant-domains', 'aria-label': 'Custom domains', hidden: true });
		this.chips = h('ul', { class: 'chips', 'aria-label': 'Enabled modules' });
		this.progressSlot = h('div');
		this.message = h('p', { class: 'message row-message', hidden: true });
		this.editButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => this.openEdit() }, 'Edit');
		this.modulesButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => this.openModules() }, 'Modules');
		this.deployButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => this.deploy(false) }, 'Deploy');
		this.healthButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => this.openHealth() }, 'Health');
		this.archiveButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => this.toggleArchive() }, 'Archive');
		this.deleteButton = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => this.openDelete() }, 'Delete');
		this.element = h('li', { class: 'tenant-row', 'aria-labelledby': nameId },
		    h('div', { class: 'tenant-head' }, this.logoSlot, this.nameElement, this.statusSlot, this.healthBadge, this.swatchSlot),
		    h('div', { class: 'tenant-meta' }, this.link, this.created, this.templateSlot, this.mailSlot),
		    this.chips,
		    this.domainsSlot,
		    this.progressSlot,
		    this.message,
		    h('div', { class: 'tenant-actions', role: 'group', 'aria-labelledby': nameId },
			this.editButton, this.modulesButton, this.deployButton, this.healthButton,
			this.archiveButton, this.deleteButton));
		this.update(tenant);
		checkHealthSoon(this);
	}

	// Redraws the row for `tenant` (the API's answer after a change).
	update(tenant) {
		this.tenant = tenant;
		this.element.dataset.subdomain = tenant.subdomain;
		this.element.classList.toggle('is-archived', !tenant.is_active);
		this.nameElement.textContent = tenant.name;
		replaceContent(this.logoSlot, logoThumbnail(tenant));
		replaceContent(this.statusSlot, statusBadge(tenant));
		replaceContent(this.swatchSlot, colorSwatches(tenant));
		const href = safeHref(tenant.tenant_url);
		this.link.textContent = tenant.subdomain;
		if (href !== null && tenant.is_active) {
			this.link.href = href;
		} else {
			this.link.removeAttribute('href');
		}
		this.created.textContent = `Created ${formatDate(tenant.created_at)}`;
		replaceContent(this.templateSlot, templateVersion(tenant));
		const enabled = (Array.isArray(tenant.modules) ? tenant.modules : []).filter((module) => module.is_enabled);
		replaceContent(this.chips, enabled.length > 0
		    ? enabled.map((module) => h('li', { class: 'chip', dataset: { module: module.module_key } },
			moduleIcon(module.icon), module.module_name))
		    : h('li', { class: 'chip' }, 'No modules'));
		replaceContent(this.archiveButton, tenant.is_active ? 'Archive' : 'Restore');
		replaceContent(this.deployButton, tenant.deployed ? 'Redeploy' : 'Deploy');
		this.deployButton.hidden = !tenant.is_active;
		this.healthButton.hidden = !tenant.is_active;
		this.healthBadge.hidden = !tenant.is_active;
	}

	dispose() {
		this.disposed = true;
		this.healthController?.abort();
	}

	say(text, kind = 'info') {
		showMessage(this.message, text, kind);
	}

	// Marks the deploy, archive/restore and delete buttons unavailable while
	// one of them runs (the server would answer 409 busy anyway).  They stay
	// focusable (aria-disabled, not disabled), so keyboard focus is not lost;
	// their handlers check this.busy.
	setBusy(busy) {
		this.busy = busy;
		for (const button of [this.deployButton, this.archiveButton, this.deleteButton]) {
			if (busy) {
				button.setAttribute('aria-disabled', 'true');
			} else {
				button.removeAttribute('aria-disabled');
			}
		}
	}

	showHealth() {
		if (this.health === null) {
			this.healthBadge.className = 'badge health-badge';
			this.healthBadge.textContent = 'Health: unknown';
			replaceContent(this.deployButton, this.tenant.deployed ? 'Redeploy' : 'Deploy');
			return;
		}
		const verdict = healthVerdict(this.health);
		this.healthBadge.className = `badge health-badge badge-${verdict.kind}`;
		this.healthBadge.textContent = verdict.label;
		replaceContent(this.deployButton, this.health.frontend_deployed ? 'Redeploy' : 'Deploy');
	}

	// GET /api/tenants/{id}/health/ into the badge; "unknown" when it fails.
	async loadHealth() {
		if (!this.tenant.is_active) {
			return null;
		}
		this.healthController?.abort();
		const controller = new AbortController();
		this.healthController = controller;
		this.healthBadge.className = 'badge health-badge';
		this.healthBadge.textContent = 'Health: checking…';
		try {
			this.health = await api('GET', `/api/tenants/${this.tenant.id}/health/`, { signal: controller.signal });
		} catch (error) {
			if (error?.name === 'AbortError' || (error instanceof ApiError && error.redirecting)) {
				return null;
			}
			this.health = null;
		}
		this.showHealth();
		await Promise.all([this.loadMail(controller.signal), this.loadDomains(controller.signal)]);
		return this.health;
	}

	// GET /api/tenants/{id}/notifications/ into the row: the last e-mail's
	// status, as text only (a relay's answer is no markup); hidden when
	// there is none or the list cannot be read.
	async loadMail(signal) {
		let text = null;
		try {
			text = readyMailText(await api('GET', `/api/tenants/${this.tenant.id}/notifications/`, { signal }));
		} catch (error) {
			if (error?.name === 'AbortError' || (error instanceof ApiError && error.redirecting)) {
				return;
			}
		}
		this.mailSlot.textContent = text ?? '';
		this.mailSlot.hidden = text === null;
	}

	// GET /api/tenants/{id}/domains/ into the row: each custom domain with
	// its status and, while pending, the TXT record to create and a Verify
	// button; hidden when there is none or the list cannot be read.
	async loadDomains(signal) {
		let domains = [];
		try {
			domains = await api('GET', `/api/tenants/${this.tenant.id}/domains/`, { signal });
		} catch (error) {
			if (error?.name === 'AbortError' || (error instanceof ApiError && error.redirecting)) {
				return;
			}
		}
		this.showDomains(Array.isArray(domains) ? domains : []);
	}

	showDomains(domains) {
		replaceContent(this.domainsSlot, domains.map((domain) => this.domainItem(domain)));
		this.domainsSlot.hidden = domains.length === 0;
	}

	// One domain as a list item; every value from the API is text.
	domainItem(domain) {
		const active = domain.status === 'active';
		const item = h('li', { class: 'tenant-domain', dataset: { domain: String(domain.domain) } },
		    h('span', { class: 'domain-name' }, String(domain.domain)), ' ',
		    h('span', { class: `badge ${active ? 'badge-active' : 'badge-pending'}` }, active ? 'Active' : 'Pending'));
		if (!active) {
			const verify = h('button', { type: 'button', class: 'btn btn-small btn-secondary' }, 'Verify');
			verify.addEventListener('click', () => this.verifyDomain(domain, verify));
			item.append(' ',
			    h('span', { class: 'domain-record' }, 'TXT record ',
				h('code', { class: 'domain-record-name' }, String(domain.verification?.name ?? '')), ' = ',
				h('code', { class: 'domain-record-value' }, String(domain.verification?.value ?? ''))),
			    ' ', verify);
		}
		return item;
	}

	// POST .../domains/{domain}/verify/: active when the TXT record holds
	// the token; otherwise the server's account of what the DNS holds.
	async verifyDomain(domain, button) {
		if (button.getAttribute('aria-disabled') === 'true') {
			return;
		}
		button.setAttribute('aria-disabled', 'true');
		this.say(`Checking the TXT record of ${domain.domain}…`);
		try {
			const answer = await api('POST',
			    `/api/tenants/${this.tenant.id}/domains/${encodeURIComponent(domain.domain)}/verify/`);
			this.say(`${answer.domain} is verified and served.`, 'success');
		} catch (error) {
			if (isQuiet(error)) {
				return;
			}
			this.say(this.failureText(`${domain.domain} is not verified`, error), 'error');
		} finally {
			button.removeAttribute('aria-disabled');
		}
		await this.loadDomains();
	}

	// --- deploy -----------------------------------------------------------

	async deploy(force) {
		if (this.busy) {
			return;
		}
		this.setBusy(true);
		this.say('');
		const progress = createProgress(`Deploying ${this.tenant.subdomain}`);
		replaceContent(this.progressSlot, progress.element);
		progress.set(0, 'Starting the deploy…');
		try {
			const answer = await api('POST', `/api/tenants/${this.tenant.id}/deploy_frontend/?async=true`,
			    { json: { force } });
			let result = answer;
			if (answer?.job_id !== undefined && answer?.job_id !== null) {
				const job = await waitForJob(answer.job_id, (update) => progress.set(update.progress, jobStatusText(update)));
				result = job.result ?? {};
			}
			progress.set(100, 'Deployed.');
			const copied = Number(result?.files_copied);
			this.say(Number.isFinite(copied) ? `Deployed: ${copied} ${copied === 1 ? 'file' : 'files'} copied.` : 'Deployed.', 'success');
		} catch (error) {
			if (isQuiet(error)) {
				return;
			}
			progress.fail();
			this.say(this.failureText('The deploy failed', error), 'error');
		} finally {
			this.setBusy(false);
		}
		await Promise.all([this.reloadTenant(), this.loadHealth()]);
	}

	// Reads the tenant again after a deploy, which moves it to the default
	// template version.  When that fails the row stays as it was.
	async reloadTenant() {
		try {
			this.update(await api('GET', `/api/tenants/${this.tenant.id}/`));
		} catch {
			// The next load of the list shows the tenant as it is.
		}
	}

	failureText(prefix, error) {
		if (error instanceof ApiError && error.code === 'busy') {
			return `${prefix}: another deploy, archive or restore is running for this tenant; try again when it has finished.`;
		}
		return `${prefix}: ${errorMessage(error)}`;
	}

	// --- archive / restore -------------------------------------------------------

	async toggleArchive() {
		if (this.busy) {
			return;
		}
		const archiving = this.tenant.is_active;
		this.setBusy(true);
		this.say(archiving ? 'Archiving…' : 'Restoring…');
		try {
			const tenant = await api('POST', `/api/tenants/${this.tenant.id}/${archiving ? 'archive' : 'restore'}/`, { json: {} });
			this.update(tenant?.id === this.tenant.id ? tenant : { ...this.tenant, is_active: !archiving });
			this.say(archiving ? 'Archived: the site is offline until the tenant is restored.' : 'Restored: the site is online again.', 'success');
			if (!archiving) {
				this.health = null;
				await this.loadHealth();
			}
		} catch (error) {
			if (!isQuiet(error)) {
				this.say(this.failureText(archiving ? 'Could not archive' : 'Could not restore', error), 'error');
			}
		} finally {
			this.setBusy(false);
		}
	}

	// --- edit ---------------------------------------------------------------------

	openEdit() {
		const tenant = this.tenant;
		const errors = new FieldErrors();
		const name = textField({ name: 'name', label: 'Client name', value: tenant.name, required: true });
		const email = textField({ name: 'contact_email', label: 'Contact email', type: 'email', value: tenant.contact_email ?? '', maxlength: 254 });
		const primary = colorField({ name: 'primary_color', label: 'Primary color', value: tenant.primary_color });
		const secondary = colorField({ name: 'secondary_color', label: 'Secondary color', value: tenant.secondary_color });
		const logo = logoField({ label: 'Logo', currentUrl: logoUrl(tenant) });
		errors.register('name', name);
		errors.register('contact_email', email);
		errors.register('primary_color', primary);
		errors.register('secondary_color', secondary);
		errors.register('logo', logo);
		const message = h('p', { class: 'message', hidden: true });
		const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
		const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
		const form = h('form', { novalidate: true },
		    h('p', { class: 'hint' }, `Subdomain: ${tenant.subdomain} (cannot be changed)`),
		    name.element, email.element,
		    h('div', { class: 'form-grid' }, primary.element, secondary.element),
		    logo.element, message,
		    h('div', { class: 'dialog-actions' }, cancel, save));
		const { close } = openDialog({ title: `Edit ${tenant.name}`, content: form, className: 'edit-dialog' });
		cancel.addEventListener('click', close);
		let saving = false;
		form.addEventListener('submit', async (event) => {
			event.preventDefault();
			if (saving) {
				return;
			}
			errors.clear();
			const data = new FormData();
			data.append('name', name.input.value);
			data.append('contact_email', email.input.value.trim());
			data.append('primary_color', primary.value());
			data.append('secondary_color', secondary.value());
			const logoChange = logo.change();
			if (logoChange instanceof File) {
				data.append('logo', logoChange, logoChange.name);
			} else if (logoChange === null) {
				data.append('logo', new File([], ''), '');
			}
			saving = true;
			save.setAttribute('aria-disabled', 'true');
			showMessage(message, 'Saving…');
			try {
				const updated = await api('PATCH', `/api/tenants/${tenant.id}/`, { form: data });
				this.update(updated);
				close();
				this.say('Saved.', 'success');
			} catch (error) {
				saving = false;
				save.removeAttribute('aria-disabled');
				if (isQuiet(error)) {
					return;
				}
				if (error instanceof ApiError && error.status === 400 && Object.keys(error.fields).length > 0) {
					errors.report(error.fields, message, 'Not saved');
				} else {
					showMessage(message, `Not saved: ${errorMessage(error)}`, 'error');
				}
			}
		});
		name.input.focus();
	}

	// --- modules --------------------------------------------------------------------

	openModules() {
		const tenant = this.tenant;
		const status = h('p', { class: 'message', hidden: true });
		const items = (Array.isArray(tenant.modules) ? tenant.modules : []).map((module) => {
			const inputId = uniqueId(`toggle-${module.module_key}`);
			const box = h('input', {
				id: inputId, type: 'checkbox', checked: Boolean(module.is_enabled),
				disabled: Boolean(module.is_core), dataset: { module: module.module_key },
			});
			box.addEventListener('change', () => this.setModule(module, box, status));
			return h('li', { class: 'module-toggle' }, box,
			    h('label', { for: inputId }, moduleIcon(module.icon), module.module_name,
				module.is_core ? h('span', { class: 'badge badge-core' }, 'core') : null));
		});
		const done = h('button', { type: 'button', class: 'btn btn-primary' }, 'Done');
		const { close } = openDialog({
			title: `Modules of ${tenant.name}`,
			className: 'modules-dialog',
			content: [
				h('p', { class: 'section-description' }, 'Changes apply at once; the tenant\u2019s config.json is rewritten. Core modules are always on.'),
				h('ul', { class: 'module-toggles' }, items),
				status,
				h('div', { class: 'dialog-actions' }, done),
			],
		});
		done.addEventListener('click', close);
		items.find((item) => !item.querySelector('input').disabled)?.querySelector('input').focus();
	}

	// POST update_module for one checkbox; puts it back when refused.
	async setModule(module, box, status) {
		const wanted = box.checked;
		box.disabled = true;
		showMessage(status, `${wanted ? 'Enabling' : 'Disabling'} ${module.module_name}…`);
		try {
			const updated = await api('POST', `/api/tenants/${this.tenant.id}/update_module/`,
			    { json: { module_key: module.module_key, is_enabled: wanted } });
			this.update(updated);
			showMessage(status, `${module.module_name} is ${wanted ? 'enabled' : 'disabled'}.`, 'success');
		} catch (error) {
			box.checked = !wanted;
			if (!isQuiet(error)) {
				showMessage(status, `Could not change ${module.module_name}: ${errorMessage(error)}`, 'error');
			}
		} finally {
			box.disabled = Boolean(module.is_core);
			box.focus();
		}
	}

	// --- health details -------------------------------------------------------------

	async openHealth() {
		const body = h('div', { 'aria-live': 'polite' }, h('p', null, 'Checking the tenant\u2019s folder…'));
		const refresh = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Check again');
		const repair = h('button', { type: 'button', class: 'btn btn-primary' }, 'Redeploy, overwriting changes');
		const { close } = openDialog({
			title: `Health of ${this.tenant.name}`,
			className: 'health-dialog',
			content: [body, h('div', { class: 'dialog-actions' }, refresh, repair)],
		});
		const draw = async () => {
			const health = await this.loadHealth();
			if (health === null) {
				replaceContent(body, h('p', { class: 'message message-error', role: 'alert' },
				    'The health of this tenant could not be checked.'));
				return;
			}
			const check = (label, ok) => h('li', null, h('span', null, label),
			    h('span', { class: ok ? 'check-ok' : 'check-bad' }, ok ? 'yes' : 'no'));
			const files = (title, names) => (Array.isArray(names) && names.length > 0
			    ? [h('h3', null, `${title} (${names.length})`), h('ul', { class: 'file-list' }, names.map((file) => h('li', null, String(file))))]
			    : null);
			const verdict = healthVerdict(health);
			replaceContent(body,
			    h('p', null, 'Overall: ', h('span', { class: `badge badge-${verdict.kind}` }, verdict.label)),
			    h('ul', { class: 'health-checks' },
				check('Folder exists', health.folder_exists),
				check('config.json exists', health.config_exists),
				check('config.json is valid', health.config_valid),
				check('Site deployed', health.frontend_deployed),
				h('li', null, h('span', null, 'Modules enabled'),
				    h('span', null, `${Number(health.enabled_modules_count ?? 0)} of ${Number(health.modules_count ?? 0)}`))),
			    files('Missing files', health.missing_files),
			    files('Modified files', health.modified_files),
			    (health.missing_files?.length ?? 0) + (health.modified_files?.length ?? 0) === 0
				? h('p', null, 'Every file of the template is in place and unchanged.') : null);
		};
		refresh.addEventListener('click', draw);
		repair.addEventListener('click', () => {
			close();
			this.deploy(true);
		});
		await draw();
	}

	// --- delete -----------------------------------------------------------------------

	openDelete() {
		const tenant = this.tenant;
		const inputId = uniqueId('confirm-subdomain');
		const input = h('input', { id: inputId, type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
		const message = h('p', { class: 'message', hidden: true });
		const confirm = h('button', { type: 'submit', class: 'btn btn-danger', disabled: true }, 'Delete this tenant');
		const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
		const form = h('form', { novalidate: true },
		    h('p', null, 'This deletes ', h('strong', null, tenant.name), ', its modules and its folder with the deployed site. It cannot be undone.'),
		    h('div', { class: 'field' },
			h('label', { for: inputId }, 'Type the subdomain ', h('code', null, tenant.subdomain), ' to confirm'),
			input),
		    message,
		    h('div', { class: 'dialog-actions' }, cancel, confirm));
		const { close } = openDialog({ title: `Delete ${tenant.name}?`, content: form, className: 'delete-dialog' });
		cancel.addEventListener('click', close);
		input.addEventListener('input', () => {
			confirm.disabled = input.value !== tenant.subdomain;
		});
		form.addEventListener('submit', async (event) => {
			event.preventDefault();
			if (input.value !== tenant.subdomain || this.busy) {
				return;
			}
			confirm.disabled = true;
			this.setBusy(true);
			showMessage(message, 'Deleting…');
			try {
				await api('DELETE', `/api/tenants/${tenant.id}/`);
				close();
				this.remove();
				showPageMessage(`Deleted \u201c${tenant.name}\u201d (${tenant.subdomain}).`, 'success');
			} catch (error) {
				this.setBusy(false);
				confirm.disabled = false;
				if (!isQuiet(error)) {
					showMessage(message, this.failureText('Not deleted', error), 'error');
				}
				input.focus();
			}
		});
		input.focus();
	}

	// Takes the row out of the list after a delete.
	remove() {
		this.dispose();
		rows.delete(this.tenant.id);
		this.element.remove();
		totalCount = Math.max(0, totalCount - 1);
		showCount();
		updateListEnd();
		searchInput.focus();
	}
}

// --- start ------------------------------------------------------------------------

async function main() {
	readParamsFromUrl();
	await startPage();
	searchInput.addEventListener('input', reloadSoon);
	filterSelect.addEventListener('change', () => {
		reloadSoon.cancel();
		reload();
	});
	orderingSelect.addEventListener('change', () => {
		reloadSoon.cancel();
		reload();
	});
	byId('list-controls').addEventListener('submit', (event) => {
		event.preventDefault();
		reloadSoon.cancel();
		reload();
	});
	loadMoreButton.addEventListener('click', loadMore);
	new IntersectionObserver((entries) => {
		if (entries.some((entry) => entry.isIntersecting)) {
			loadMore();
		}
	}, { rootMargin: `${SCROLL_MARGIN_PX}px` }).observe(listEnd);
	reload();
}

main().catch((error) => showPageError('The page failed to start', error));
