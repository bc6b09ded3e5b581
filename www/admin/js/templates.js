// templates.js - /admin/templates: the template versions (GET
// /api/templates/, newest first) with their files, size, date and the
// tenants on each, the default one marked; per version "Make default"
// (after a confirmation) and "Roll out…", a dialog that chooses all
// tenants, a share of them or listed ones (ids or subdomains, looked up
// through the tenant search) and whether files tenants changed are
// replaced.  A rollout's job is then followed in the page: a progress
// bar, a Cancel button while it runs, and what it did (tenants moved and
// failed, the failures, the files kept); the versions are read again once
// it has ended.  The job followed is kept in the page URL (?rollout=ID),
// so a reload comes back to it.

import { api, ApiError, errorMessage, isQuiet } from './api.js';
import { openDialog } from './dialog.js';
import { byId, h, replaceContent, uniqueId } from './dom.js';
import { FieldErrors, textField } from './fields.js';
import { cancelJob, createProgress, jobStatusText, waitForJob } from './jobs.js';
import { showMessage, showPageError, showPageMessage, startPage } from './layout.js';
import { formatDateTime } from './tenant-view.js';

const SIZE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];
const SOURCE_TEXT = {
	template_dir: 'the template directory',
	added: 'tenantctl template add',
};
const SUBDOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ID_PATTERN = /^[1-9][0-9]{0,17}$/;
// Tenants a rollout dialog looks up at most (the API takes up to
// max_bulk_items ids, 1,000 by default); more is a job for a percentage.
const LOOKUPS_MAX = 1000;
const LOOKUPS_AT_ONCE = 4;
// Pages of a tenant search read to find one subdomain.
const SEARCH_PAGES_MAX = 10;

const versionList = byId('version-list');
const versionCount = byId('version-count');
const rolloutPanel = byId('rollout');
const rolloutTitle = byId('rollout-title');
const rolloutProgress = byId('rollout-progress');
const rolloutCancel = byId('rollout-cancel');
const rolloutResult = byId('rollout-result');

// The "Roll out…" buttons of the versions shown.
const rolloutButtons = new Set();
let versionsController = null;
// The rollout the page follows: {id, progress, percent, cancelling}.
let watched = null;

function plural(count, word) {
	return `${count} ${count === 1 ? word : `${word}s`}`;
}

// A size in bytes for people: "512 bytes", "4.2 KiB", "31 MiB".
function formatBytes(bytes) {
	let value = Number(bytes);
	if (!Number.isFinite(value) || value < 0) {
		return 'unknown';
	}
	if (value < 1024) {
		return plural(value, 'byte');
	}
	let unit = -1;
	while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
		value /= 1024;
		unit += 1;
	}
	return `${value.toFixed(value < 10 ? 1 : 0)} ${SIZE_UNITS[unit]}`;
}

function versionPath(version, action) {
	return `/api/templates/${encodeURIComponent(version)}/${action}/`;
}

// --- the versions ------------------------------------------------------------------

// Marks the "Roll out…" buttons unavailable while a rollout runs (they stay
// focusable; openRollout() says why it does not open).
function updateRolloutButtons() {
	for (const button of rolloutButtons) {
		if (watched !== null) {
			button.setAttribute('aria-disabled', 'true');
		} else {
			button.removeAttribute('aria-disabled');
		}
	}
}

// One version as a list item: its id and name, the default badge, its
// facts and its actions.
function versionRow(v) {
	const titleId = uniqueId('version-title');
	const fact = (key, label, value) => h('div', { class: 'version-fact', dataset: { fact: key } },
	    h('dt', null, label), h('dd', null, value));
	const rollout = h('button', {
		type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'rollout' },
		onclick: () => openRollout(v),
	}, 'Roll out…');
	rolloutButtons.add(rollout);
	const makeDefault = v.is_default ? null : h('button', {
		type: 'button', class: 'btn btn-small btn-secondary', dataset: { action: 'default' },
		onclick: () => openMakeDefault(v),
	}, 'Make default');
	const source = String(v.source ?? '');
	return h('li', { class: `version-row${v.is_default ? ' is-default' : ''}`, dataset: { version: v.version }, 'aria-labelledby': titleId },
	    h('div', { class: 'version-head' },
		h('h3', { id: titleId, class: 'version-title' }, h('code', null, v.version),
		    typeof v.name === 'string' && v.name !== '' ? h('span', { class: 'version-name' }, v.name) : null),
		v.is_default ? h('span', { class: 'badge badge-default' }, 'Default') : null),
	    h('dl', { class: 'version-facts' },
		fact('tenants', 'Tenants', String(Number(v.tenants ?? 0))),
		fact('files', 'Files', String(Number(v.files ?? 0))),
		fact('size', 'Size', formatBytes(v.bytes)),
		fact('created', 'Created', formatDateTime(v.created_at)),
		fact('source', 'From', Object.hasOwn(SOURCE_TEXT, source) ? SOURCE_TEXT[source] : source),
		typeof v.web_root === 'string' && v.web_root !== ''
		    ? fact('web-root', 'Web root', h('code', null, v.web_root)) : null),
	    h('div', { class: 'version-actions', role: 'group', 'aria-labelledby': titleId }, rollout, makeDefault));
}

// Draws `versions`, keeping keyboard focus on the same action of the same
// version when the list is drawn again under it.
function showVersions(versions) {
	const active = document.activeElement;
	const focused = versionList.contains(active)
	    ? { version: active.closest('li[data-version]')?.dataset.version, action: active.dataset?.action }
	    : null;
	rolloutButtons.clear();
	replaceContent(versionList, versions.length > 0 ? versions.map(versionRow)
	    : h('li', { class: 'empty-note' }, 'No template versions yet.'));
	updateRolloutButtons();
	const current = versions.find((v) => v.is_default);
	versionCount.textContent = `${plural(versions.length, 'version')}${current ? `; new tenants get ${current.version}` : ''}.`;
	if (focused !== null) {
		const row = [...versionList.querySelectorAll('li[data-version]')].find((item) => item.dataset.version === focused.version);
		(row?.querySelector(`button[data-action="${focused.action}"]`) ?? row?.querySelector('button') ??
		    byId('versions-title')).focus();
	}
}

// GET /api/templates/ into the list.
async function loadVersions() {
	versionsController?.abort();
	const controller = new AbortController();
	versionsController = controller;
	versionList.setAttribute('aria-busy', 'true');
	try {
		const versions = await api('GET', '/api/templates/', { signal: controller.signal });
		if (controller === versionsController) {
			showVersions(Array.isArray(versions) ? versions : []);
		}
	} catch (error) {
		if (controller === versionsController) {
			showPageError('Could not load the template versions', error);
		}
	} finally {
		if (controller === versionsController) {
			versionList.removeAttribute('aria-busy');
		}
	}
}

// --- make default --------------------------------------------------------------------

function openMakeDefault(v) {
	const message = h('p', { class: 'message', hidden: true });
	const confirm = h('button', { type: 'button', class: 'btn btn-primary' }, 'Make default');
	const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
	const { close } = openDialog({
		title: `Make ${v.version} the default?`,
		className: 'default-dialog',
		content: [
			h('p', null, 'New tenants get this version, and deploying a tenant (Deploy or Redeploy in the tenant list) ',
			    'moves it to this version. Other tenants stay on the version they have until then, or until a rollout moves them.'),
			message,
			h('div', { class: 'dialog-actions' }, cancel, confirm),
		],
	});
	cancel.addEventListener('click', close);
	let saving = false;
	confirm.addEventListener('click', async () => {
		if (saving) {
			return;
		}
		saving = true;
		confirm.setAttribute('aria-disabled', 'true');
		showMessage(message, 'Saving…');
		try {
			await api('POST', versionPath(v.version, 'default'), { json: {} });
			close();
			showPageMessage(`Version ${v.version} is now the default.`, 'success');
			await loadVersions();
		} catch (error) {
			saving = false;
			confirm.removeAttribute('aria-disabled');
			if (!isQuiet(error)) {
				showMessage(message, `Not changed: ${errorMessage(error)}`, 'error');
			}
		}
	});
	confirm.focus();
}

// --- choosing the tenants of a rollout ----------------------------------------------

// Runs `fn` on every item, `limit` at a time; resolves with the results in
// the order of `items`.
async function mapLimited(items, limit, fn) {
	const results = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next;
			next += 1;
			results[index] = await fn(items[index]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}

// The tenant with id `id`, or null when there is none.
async function tenantById(id) {
	try {
		return await api('GET', `/api/tenants/${id}/`);
	} catch (error) {
		if (error instanceof ApiError && error.status === 404) {
			return null;
		}
		throw error;
	}
}

// The tenant with subdomain `subdomain` (the search matches parts of names
// and subdomains; the exact one is looked for over a few pages), or null.
async function tenantBySubdomain(subdomain) {
	let url = `/api/tenants/?${new URLSearchParams({ search: subdomain, ordering: 'subdomain', page_size: '100' })}`;
	for (let pages = 0; url !== null && pages < SEARCH_PAGES_MAX; pages += 1) {
		const page = await api('GET', url);
		const match = (Array.isArray(page?.results) ? page.results : []).find((tenant) => tenant.subdomain === subdomain);
		if (match !== undefined) {
			return match;
		}
		url = typeof page?.next === 'string' && page.next.startsWith('/api/tenants/?') ? page.next : null;
	}
	return null;
}

// A number is an id, unless no tenant has it; then, like anything else, it
// is taken as a subdomain.
async function findTenant(token) {
	if (ID_PATTERN.test(token)) {
		const tenant = await tenantById(token);
		if (tenant !== null) {
			return tenant;
		}
	}
	return SUBDOMAIN_PATTERN.test(token) ? tenantBySubdomain(token) : null;
}

// Reads "acme, 42 globex" as tenants: {ids} of the active tenants named,
// or {problem} naming what was not found, or archived.
async function resolveTenants(text) {
	const tokens = [...new Set(text.split(/[\s,;]+/).map((token) => token.toLowerCase()).filter((token) => token !== ''))];
	if (tokens.length === 0) {
		return { problem: 'Name at least one tenant, by id or subdomain.' };
	}
	if (tokens.length > LOOKUPS_MAX) {
		return { problem: `At most ${LOOKUPS_MAX} tenants at a time; choose a share or all of them instead.` };
	}
	const found = await mapLimited(tokens, LOOKUPS_AT_ONCE, findTenant);
	const unknown = tokens.filter((_, index) => found[index] === null);
	const archived = found.filter((tenant) => tenant !== null && !tenant.is_active).map((tenant) => tenant.subdomain);
	const problems = [];
	if (unknown.length > 0) {
		problems.push(`No tenant has the id or subdomain ${unknown.join(', ')}.`);
	}
	if (archived.length > 0) {
		problems.push(`Archived tenants cannot be moved: ${archived.join(', ')}.`);
	}
	if (problems.length > 0) {
		return { problem: problems.join(' ') };
	}
	return { ids: [...new Set(found.map((tenant) => tenant.id))] };
}

// A radio button with its label, and what goes with it (a field).
function choice(name, value, label, checked, extra) {
	const id = uniqueId(`${name}-${value}`);
	const radio = h('input', { id, type: 'radio', name, value, checked });
	return { radio, element: h('div', { class: 'rollout-choice' }, h('div', { class: 'choice-line' }, radio, h('label', { for: id }, label)), extra) };
}

// The body of the rollout request the dialog describes, or null after
// showing why it cannot be sent.
async function rolloutBody(form, parts) {
	const { percent, tenants, force, errors, message } = parts;
	const scope = form.querySelector('input[name="scope"]:checked')?.value ?? 'all';
	const body = {};
	if (scope === 'percent') {
		const text = percent.input.value.trim();
		if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100) {
			errors.report({ percent: 'Give a whole number from 1 to 100.' }, message, 'Not started');
			return null;
		}
		body.percent = Number(text);
	} else if (scope === 'ids') {
		showMessage(message, 'Looking up the tenants…');
		const found = await resolveTenants(tenants.input.value);
		if (found.problem !== undefined) {
			errors.report({ tenant_ids: found.problem }, message, 'Not started');
			return null;
		}
		body.tenant_ids = found.ids;
	} else {
		body.all = true;
	}
	if (force.checked) {
		body.force = true;
	}
	return body;
}

// The "Roll out…" dialog of version `v`: which tenants, force, start.
function openRollout(v) {
	if (watched !== null) {
		showPageMessage('A rollout is running; wait for it to end, or cancel it, before starting another.', 'info');
		return;
	}
	const errors = new FieldErrors();
	const percent = textField({ name: 'percent', label: 'Share of the tenants (%)', type: 'number', value: '10',
		hint: 'Chosen by a stable hash of each tenant\u2019s id, so a larger share later includes the tenants of a smaller one.' });
	Object.assign(percent.input, { min: '1', max: '100', step: '1', inputMode: 'numeric' });
	const tenants = textField({ name: 'tenant_ids', label: 'Tenant ids or subdomains', autocomplete: 'off',
		placeholder: 'acme, 42, globex', hint: 'Separated by commas or spaces.' });
	tenants.input.spellcheck = false;
	errors.register('percent', percent);
	errors.register('tenant_ids', tenants);
	const all = choice('scope', 'all', 'All active tenants not on this version yet', true);
	const share = choice('scope', 'percent', 'A share of them', false, percent.element);
	const listed = choice('scope', 'ids', 'Specific tenants', false, tenants.element);
	// Typing in a choice's field chooses it.
	percent.input.addEventListener('input', () => { share.radio.checked = true; });
	tenants.input.addEventListener('input', () => { listed.radio.checked = true; });
	const forceId = uniqueId('rollout-force');
	const forceHintId = `${forceId}-hint`;
	const force = h('input', { id: forceId, type: 'checkbox', 'aria-describedby': forceHintId });
	const message = h('p', { class: 'message', hidden: true });
	const start = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Start rollout');
	const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
	const form = h('form', { novalidate: true },
	    h('p', null, 'Moves tenants to version ', h('code', null, v.version),
		', one after another, each site swapped in one step.'),
	    h('fieldset', { class: 'rollout-scope' }, h('legend', null, 'Which tenants'),
		all.element, share.element, listed.element),
	    h('div', { class: 'field' },
		h('div', { class: 'choice-line' }, force, h('label', { for: forceId }, 'Replace files tenants changed (force)')),
		h('p', { id: forceHintId, class: 'hint' }, 'Without it, a file a tenant changed is kept and listed in the result. ',
		    'With it, such files are replaced, and tenants already on this version are deployed again.')),
	    message,
	    h('div', { class: 'dialog-actions' }, cancel, start));
	let started = null;
	const { close } = openDialog({
		title: `Roll out ${v.version}`,
		content: form,
		className: 'rollout-dialog',
		onClose: () => {
			if (started !== null) {
				rolloutTitle.focus();
			}
		},
	});
	cancel.addEventListener('click', close);
	let sending = false;
	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		if (sending || watched !== null) {
			return;
		}
		sending = true;
		start.setAttribute('aria-disabled', 'true');
		errors.clear();
		showMessage(message, '');
		try {
			const body = await rolloutBody(form, { percent, tenants, force, errors, message });
			if (body !== null) {
				showMessage(message, 'Starting…');
				started = await api('POST', versionPath(v.version, 'rollout'), { json: body });
				close();
				watchRollout(started.job_id, { version: started.version ?? v.version, tenants: started.tenants });
			}
		} catch (error) {
			if (isQuiet(error)) {
				return;
			}
			if (error instanceof ApiError && error.status === 400 && Object.keys(error.fields).length > 0) {
				errors.report(error.fields, message, 'Not started');
			} else {
				showMessage(message, `Not started: ${errorMessage(error)}`, 'error');
			}
			if (error instanceof ApiError && error.status === 404) {
				loadVersions();
			}
		} finally {
			sending = false;
			start.removeAttribute('aria-disabled');
		}
	});
	all.radio.focus();
}

// --- following a rollout ---------------------------------------------------------------

// Keeps the job followed in the page URL, so a reload comes back to it.
function rememberRollout(id) {
	window.history.replaceState(null, '', `${window.location.pathname}?rollout=${encodeURIComponent(id)}`);
}

function tenantName(item) {
	const id = Number(item?.tenant_id);
	return typeof item?.subdomain === 'string' && item.subdomain !== '' ? `${item.subdomain} (id ${id})` : `tenant ${id}`;
}

// "… and N more" when a result lists fewer than it counts.
function moreItem(listed, count) {
	return count > listed ? h('li', { class: 'empty-note' }, `… and ${count - listed} more`) : null;
}

// What a finished rollout job did, as a summary line and its lists.
function showRolloutResult(job) {
	const result = job.result !== null && typeof job.result === 'object' ? job.result : null;
	const cancelled = job.status === 'cancelled';
	const summary = h('p', { class: 'rollout-summary' });
	if (result === null) {
		replaceContent(rolloutResult, summary);
		showMessage(summary, cancelled ? 'Cancelled before it started: no tenant was moved.' : 'Done.', 'info');
		return;
	}
	const total = Number(result.total ?? 0);
	const deployed = Number(result.deployed ?? 0);
	const failed = Number(result.failed_count ?? 0);
	const kept = Number(result.kept_count ?? 0);
	const failures = Array.isArray(result.failures) ? result.failures : [];
	const keptList = Array.isArray(result.kept) ? result.kept : [];
	const version = String(result.version ?? '');
	let text;
	if (cancelled) {
		text = `Cancelled: ${deployed} of ${plural(total, 'tenant')} moved to ${version}; the others stay on the version they had.`;
	} else if (total === 0) {
		text = `Done: no tenant needed moving to ${version}.`;
	} else {
		text = `Done: ${deployed} of ${plural(total, 'tenant')} moved to ${version}.`;
	}
	if (failed > 0) {
		text += ` ${failed} failed.`;
	}
	if (kept > 0) {
		text += ` ${plural(kept, 'tenant')} kept files they had changed.`;
	}
	const count = (key, label, value) => h('div', { class: 'version-fact', dataset: { count: key } },
	    h('dt', null, label), h('dd', null, String(value)));
	replaceContent(rolloutResult, summary,
	    h('dl', { class: 'version-facts rollout-counts' },
		count('total', 'Tenants chosen', total),
		count('deployed', 'Moved', deployed),
		count('failed', 'Failed', failed),
		count('kept', 'Kept changes', kept)),
	    failed > 0 ? [
		h('h3', null, `Failures (${failed})`),
		h('ul', { class: 'rollout-list rollout-failures' },
		    failures.map((item) => h('li', null, h('strong', null, tenantName(item)), `: ${String(item?.error ?? 'failed')}`)),
		    moreItem(failures.length, failed)),
	    ] : null,
	    kept > 0 ? [
		h('h3', null, `Changed files kept (${plural(kept, 'tenant')})`),
		h('p', { class: 'hint' }, 'Roll out again with \u201cReplace files tenants changed\u201d to replace them.'),
		h('ul', { class: 'rollout-list rollout-kept' },
		    keptList.map((item) => {
			const files = Array.isArray(item?.files) ? item.files : [];
			const filesKept = Number(item?.files_kept ?? files.length);
			return h('li', null, h('strong', null, tenantName(item)), `: ${plural(filesKept, 'file')}`,
			    h('ul', { class: 'file-list' }, files.map((file) => h('li', null, String(file))), moreItem(files.length, filesKept)));
		    }),
		    moreItem(keptList.length, kept)),
	    ] : null);
	showMessage(summary, text, failed > 0 ? 'error' : cancelled ? 'info' : 'success');
}

// Follows rollout job `id` in the rollout panel until it ends, then reads
// the versions again (their tenant counts changed).
async function watchRollout(id, { version = null, tenants = null } = {}) {
	const label = typeof tenants === 'number' ? `Moving ${plural(tenants, 'tenant')}` : 'Moving tenants';
	const watch = { id, progress: createProgress(label), percent: 0, cancelling: false };
	watched = watch;
	updateRolloutButtons();
	rememberRollout(id);
	replaceContent(rolloutTitle, 'Rollout', version !== null ? [' of ', h('code', null, version)] : ` (job ${id})`);
	replaceContent(rolloutProgress, watch.progress.element);
	replaceContent(rolloutResult);
	rolloutCancel.hidden = false;
	rolloutCancel.removeAttribute('aria-disabled');
	rolloutPanel.hidden = false;
	watch.progress.set(0, 'Starting the rollout…');
	const update = (job) => {
		watch.percent = Number(job.progress) || 0;
		watch.progress.set(watch.percent, watch.cancelling && job.status === 'running'
		    ? 'Cancelling: the tenant being moved is finished first…' : jobStatusText(job));
	};
	try {
		const job = await waitForJob(id, update);
		watch.progress.set(100, jobStatusText(job));
		showRolloutResult(job);
	} catch (error) {
		if (error instanceof ApiError && error.code === 'job_cancelled') {
			showRolloutResult(error.job);
		} else if (!isQuiet(error)) {
			watch.progress.fail();
			const summary = h('p', { class: 'rollout-summary' });
			replaceContent(rolloutResult, summary);
			showMessage(summary, `The rollout failed: ${errorMessage(error)}`, 'error');
		}
	} finally {
		if (watched === watch) {
			const hadFocus = rolloutCancel === document.activeElement;
			watched = null;
			rolloutCancel.hidden = true;
			updateRolloutButtons();
			if (hadFocus) {
				rolloutTitle.focus();
			}
			loadVersions();
		}
	}
}

// POST cancel for the rollout followed; its poller sees it end.
async function cancelRollout() {
	const watch = watched;
	if (watch === null || watch.cancelling) {
		return;
	}
	watch.cancelling = true;
	rolloutCancel.setAttribute('aria-disabled', 'true');
	watch.progress.set(watch.percent, 'Cancelling…');
	try {
		await cancelJob(watch.id);
	} catch (error) {
		watch.cancelling = false;
		rolloutCancel.removeAttribute('aria-disabled');
		showPageError('Could not cancel the rollout', error);
	}
}

// Follows the rollout the page URL names (after a reload), if it is one.
async function resumeRollout(id) {
	let job;
	try {
		job = await api('GET', `/api/jobs/${encodeURIComponent(id)}/`);
	} catch (error) {
		showPageError(`Could not show rollout ${id}`, error);
		return;
	}
	if (job?.kind !== 'rollout') {
		showPageMessage(`Job ${id} is not a rollout.`, 'error');
		return;
	}
	watchRollout(id, { version: typeof job.result?.version === 'string' ? job.result.version : null });
}

// --- start ------------------------------------------------------------------------

async function main() {
	await startPage();
	rolloutCancel.addEventListener('click', cancelRollout);
	const resume = new URLSearchParams(window.location.search).get('rollout');
	if (resume !== null && ID_PATTERN.test(resume)) {
		resumeRollout(resume);
	}
	await loadVersions();
}

main().catch((error) => showPageError('The page failed to start', error));
