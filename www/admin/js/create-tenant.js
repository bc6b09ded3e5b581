// create-tenant.js - /admin/create-tenant: the form of the original plan
// (name, subdomain with Generate and a live availability check, email, two
// colors, logo, module cards), posted as multipart/form-data to
// POST /api/tenants/; then a progress bar driven by the deploy job
// (GET /api/jobs/{id}/) and a success panel with the tenant's URL.

import { api, ApiError, errorMessage, isQuiet } from './api.js';
import { byId, debounce, h, replaceContent, safeHref } from './dom.js';
import { colorField, FieldErrors, logoField, moduleIcon, setFieldError, textField } from './fields.js';
import { createProgress, jobStatusText, waitForJob } from './jobs.js';
import { showMessage, showPageError, startPage } from './layout.js';

const SUBDOMAIN_MAX = 63;
const CHECK_DELAY_MS = 300;

const form = byId('create-form');
const submitButton = byId('create-submit');
const formMessage = byId('form-message');
const fieldErrors = new FieldErrors();
const moduleBoxes = [];

// The subdomain the Generate button makes of a client name: accents
// dropped, lower case, every run of other characters one hyphen, no
// hyphen at either end, at most 63 characters.
function subdomainFromName(name) {
	return name.normalize('NFKD')
	    .replace(/[\u0300-\u036f]/g, '')
	    .toLowerCase()
	    .replace(/[^a-z0-9]+/g, '-')
	    .replace(/^-+|-+$/g, '')
	    .slice(0, SUBDOMAIN_MAX)
	    .replace(/-+$/, '');
}

// --- the fields --------------------------------------------------------------

const generateButton = h('button', { type: 'button', class: 'btn btn-secondary', id: 'generate-subdomain' }, 'Generate');
const subdomainStatus = h('p', { id: 'subdomain-status', class: 'subdomain-status', 'aria-live': 'polite' });

const nameField = textField({
	id: 'name', name: 'name', label: 'Client name', required: true,
	placeholder: 'e.g. Acme Corporation', autocomplete: 'organization',
});
const subdomainField = textField({
	id: 'subdomain', name: 'subdomain', label: 'Subdomain', required: true,
	placeholder: 'e.g. acme', maxlength: SUBDOMAIN_MAX, autocomplete: 'off',
	hint: 'Lower-case letters, digits and hyphens; the tenant\u2019s site is served at this subdomain.',
	extra: generateButton,
});
subdomainField.input.setAttribute('spellcheck', 'false');
subdomainField.input.setAttribute('autocapitalize', 'none');
subdomainField.element.append(subdomainStatus);
subdomainField.input.setAttribute('aria-describedby',
    `${subdomainField.input.getAttribute('aria-describedby')} subdomain-status`);
const emailField = textField({
	id: 'contact_email', name: 'contact_email', label: 'Contact email', type: 'email',
	placeholder: 'admin@acme.com', autocomplete: 'email', maxlength: 254,
});
const primaryField = colorField({ id: 'primary_color', name: 'primary_color', label: 'Primary color', value: '#3498db' });
const secondaryField = colorField({ id: 'secondary_color', name: 'secondary_color', label: 'Secondary color', value: '#2ecc71' });
const logo = logoField({ id: 'logo', label: 'Company logo' });

byId('basic-fields').append(nameField.element, subdomainField.element, emailField.element);
byId('color-fields').append(primaryField.element, secondaryField.element);
byId('logo-field').append(logo.element);

fieldErrors.register('name', nameField);
fieldErrors.register('subdomain', subdomainField);
fieldErrors.register('contact_email', emailField);
fieldErrors.register('primary_color', primaryField);
fieldErrors.register('secondary_color', secondaryField);
fieldErrors.register('logo', logo);

// --- subdomain: Generate and the availability check --------------------------------

const STATUS_LABEL = {
	available: 'Available',
	taken: 'Taken',
	reserved: 'Reserved',
	invalid: 'Invalid',
};
let checkController = null;

function setSubdomainStatus(state, text) {
	if (state === '') {
		delete subdomainStatus.dataset.state;
	} else {
		subdomainStatus.dataset.state = state;
	}
	subdomainStatus.textContent = text;
}

// Asks GET /api/tenants/check-subdomain/ about the current value; an
// answer for a value that has since changed is dropped.
async function checkSubdomain() {
	checkController?.abort();
	const value = subdomainField.input.value;
	if (value === '') {
		setSubdomainStatus('', '');
		return;
	}
	checkController = new AbortController();
	setSubdomainStatus('checking', 'Checking availability…');
	try {
		const answer = await api('GET',
		    `/api/tenants/check-subdomain/?subdomain=${encodeURIComponent(value)}`,
		    { signal: checkController.signal });
		if (subdomainField.input.value !== value) {
			return;
		}
		const state = answer?.available ? 'available' : String(answer?.reason ?? 'invalid');
		const label = Object.hasOwn(STATUS_LABEL, state) ? STATUS_LABEL[state] : 'Not available';
		setSubdomainStatus(state, `${label}: ${answer?.message ?? ''}`);
	} catch (error) {
		if (isQuiet(error)) {
			return;
		}
		setSubdomainStatus('error', `Could not check the subdomain: ${errorMessage(error)}`);
	}
}
const checkSoon = debounce(checkSubdomain, CHECK_DELAY_MS);

subdomainField.input.addEventListener('input', () => {
	checkController?.abort();
	if (subdomainField.input.value === '') {
		checkSoon.cancel();
		setSubdomainStatus('', '');
		return;
	}
	checkSoon();
});

generateButton.addEventListener('click', () => {
	const generated = subdomainFromName(nameField.input.value);
	if (generated === '') {
		if (nameField.input.value.trim() === '') {
			setFieldError(nameField, 'Enter the client name first; the subdomain is made from it.');
			nameField.input.focus();
		} else {
			setFieldError(subdomainField, 'The name has no Latin letters or digits to make a subdomain of; type one.');
			subdomainField.input.focus();
		}
		return;
	}
	subdomainField.input.value = generated;
	setFieldError(subdomainField, '');
	checkSoon.cancel();
	checkSubdomain();
});

// --- module cards --------------------------------------------------------------

function moduleCard(module) {
	const inputId = `module-${module.module_key}`;
	const box = h('input', {
		id: inputId, type: 'checkbox', name: 'module_keys', value: module.module_key,
		checked: Boolean(module.is_core), disabled: Boolean(module.is_core),
	});
	moduleBoxes.push(box);
	return h('label', {
		class: `module-card${module.is_core ? ' is-core' : ''}`, for: inputId,
		dataset: { module: module.module_key },
	},
	    box,
	    moduleIcon(module.icon),
	    h('span', { class: 'module-card-body' },
		h('span', { class: 'module-card-title' }, module.module_name,
		    module.is_core ? [' ', h('span', { class: 'badge badge-core' }, 'core')] : null),
		h('span', { class: 'module-card-description' },
		    module.description || (module.is_core ? 'Always included.' : ''))));
}

async function loadModules() {
	const container = byId('module-cards');
	try {
		const modules = await api('GET', '/api/modules/');
		replaceContent(container, (Array.isArray(modules) ? modules : []).map(moduleCard));
		if (moduleBoxes.length > 0) {
			const moduleField = { input: moduleBoxes.find((box) => !box.disabled) ?? moduleBoxes[0], error: byId('module_keys-error') };
			fieldErrors.register('module_keys', moduleField);
			// Changing the choice is correcting it.
			container.addEventListener('change', () => setFieldError(moduleField, ''));
		}
	} catch (error) {
		if (!isQuiet(error)) {
			replaceContent(container, h('p', { class: 'message message-error', role: 'alert' },
			    `Could not load the modules: ${errorMessage(error)} Reload the page to try again.`));
		}
	}
	container.removeAttribute('aria-busy');
}

// --- submit, deploy progress, success ------------------------------------------------

function buildForm() {
	const data = new FormData();
	data.append('name', nameField.input.value);
	data.append('subdomain', subdomainField.input.value);
	data.append('contact_email', emailField.input.value.trim());
	data.append('primary_color', primaryField.value());
	data.append('secondary_color', secondaryField.value());
	const file = logo.change();
	if (file instanceof File) {
		data.append('logo', file, file.name);
	}
	for (const box of moduleBoxes) {
		if (box.checked) {
			data.append('module_keys', box.value);
		}
	}
	return data;
}

function showSuccess(tenant) {
	const href = safeHref(tenant.tenant_url);
	replaceContent(byId('success-text'), `\u201c${tenant.name}\u201d is set up and its site is deployed. It is served at:`);
	const link = byId('success-url');
	link.textContent = tenant.tenant_url ?? tenant.subdomain;
	if (href !== null) {
		link.href = href;
	}
	byId('success-list-link').href = `/admin/tenants?search=${encodeURIComponent(tenant.subdomain)}`;
	const panel = byId('success-panel');
	panel.hidden = false;
	panel.focus();
}

// Shows the deploy of the new tenant: a job to follow, or (deploy_job_id
// null: the site was deployed while the tenant was created) done at once.
async function followDeploy(tenant) {
	const panel = byId('deploy-panel');
	const progress = createProgress(`Deploying ${tenant.subdomain}`);
	replaceContent(byId('deploy-progress'), progress.element);
	panel.hidden = false;
	byId('deploy-title').focus();
	const jobId = tenant.deploy_job_id;
	if (jobId === null || jobId === undefined) {
		progress.set(100, 'The tenant was created and its site deployed.');
		showSuccess(tenant);
		return;
	}
	progress.set(0, 'The tenant was created; deploying its site…');
	try {
		await waitForJob(jobId, (job) => progress.set(job.progress, jobStatusText(job)));
		progress.set(100, 'The site is deployed.');
		showSuccess(tenant);
	} catch (error) {
		if (isQuiet(error)) {
			return;
		}
		progress.fail();
		const message = byId('deploy-message');
		showMessage(message, `The tenant was created, but deploying its site failed: ${errorMessage(error)}`, 'error');
		message.append(' ', h('a', { href: `/admin/tenants?search=${encodeURIComponent(tenant.subdomain)}` },
		    'Deploy it again from the tenant list.'));
	}
}

let ready = false;
let submitting = false;

// Marks the submit button busy without disabling it, so keyboard focus
// stays where it was.
function setSubmitting(busy) {
	submitting = busy;
	if (busy) {
		submitButton.setAttribute('aria-disabled', 'true');
	} else {
		submitButton.removeAttribute('aria-disabled');
	}
	replaceContent(submitButton, busy ? 'Creating…' : 'Create tenant');
}

async function submit(event) {
	event.preventDefault();
	if (!ready || submitting) {
		return;
	}
	fieldErrors.clear();
	showMessage(formMessage, '');
	setSubmitting(true);
	let tenant;
	try {
		tenant = await api('POST', '/api/tenants/', { form: buildForm() });
	} catch (error) {
		setSubmitting(false);
		if (isQuiet(error)) {
			return;
		}
		if (error instanceof ApiError && error.status === 409) {
			setFieldError(subdomainField, error.message);
			setSubdomainStatus('taken', `${STATUS_LABEL.taken}: ${error.message}`);
			subdomainField.input.focus();
			fieldErrors.keepUntilCorrected(formMessage, 'The tenant was not created: the subdomain is taken.');
			return;
		}
		if (error instanceof ApiError && error.status === 400 && Object.keys(error.fields).length > 0) {
			fieldErrors.report(error.fields, formMessage, 'The tenant was not created');
			return;
		}
		if (error instanceof ApiError && error.status === 400) {
			showMessage(formMessage, `The tenant was not created: ${error.message}`, 'error');
			return;
		}
		showMessage(formMessage, `The tenant was not created: ${errorMessage(error)}`, 'error');
		return;
	}
	form.hidden = true;
	await followDeploy(tenant);
}

async function main() {
	await startPage();
	ready = true;
	await loadModules();
}

byId('deploy-title').setAttribute('tabindex', '-1');
form.addEventListener('submit', submit);
main().catch((error) => showPageError('The page failed to start', error));
