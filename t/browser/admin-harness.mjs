// admin-harness.mjs - what the admin UI's browser tests (admin-ui.mjs,
// templates-ui.mjs) share: their settings from the environment, the API
// as a script uses it (Bearer token), chromium with one page whose script
// errors, CSP violations and JavaScript dialogs are recorded, screenshots
// (and copies of the ones the README shows), groups of steps, the label
// check, the login form and the 360 px check.  Their t/*.t brings the
// stack up and passes:
//
//   TENANTD_UI_URL          http://127.0.0.1:PORT (nginx, admin host)
//   TENANTD_ADMIN_USER      the admin's user name
//   TENANTD_ADMIN_PASSWORD  the admin's password (for the login form)
//   TENANTD_ADMIN_TOKEN     an API token, to set up and verify through the API
//   TENANTD_ARTIFACTS_DIR   where screenshots go (every run, and on failure)
//   TENANTD_SCREENSHOTS_DIR optional: when set and every test passed, the
//                           screenshots the README shows are copied here

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { launchChromium } from './chromium.mjs';
import { bailOut, diag, doneTesting, fail, ok, onFailure } from './tap.mjs';

function required(name) {
	const value = process.env[name];
	if (value === undefined || value === '') {
		bailOut(`${name} is not set (run this through its t/*.t)`);
	}
	return value;
}

export const BASE = required('TENANTD_UI_URL').replace(/\/+$/, '');
export const ADMIN_USER = process.env.TENANTD_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = required('TENANTD_ADMIN_PASSWORD');
const ADMIN_TOKEN = required('TENANTD_ADMIN_TOKEN');
const ARTIFACTS = required('TENANTD_ARTIFACTS_DIR');
const SCREENSHOTS = process.env.TENANTD_SCREENSHOTS_DIR || '';
const CHROMIUM = process.env.TENANTD_CHROMIUM || '/usr/bin/chromium';

export const STEP_TIMEOUT_MS = 15000;
export const JOB_TIMEOUT_MS = 90000;
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 780 };

mkdirSync(ARTIFACTS, { recursive: true });

// --- the API, as a script would use it (Bearer token) -------------------------

export async function apiCall(method, path, body, headers = {}) {
	const init = { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, Accept: 'application/json', ...headers } };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	const response = await fetch(`${BASE}${path}`, init);
	const text = await response.text();
	let json = null;
	try {
		json = text === '' ? null : JSON.parse(text);
	} catch {
		json = null;
	}
	return { status: response.status, json, text };
}

// Waits for job `id` to end (done, failed or cancelled) and returns it.
export async function waitForJobViaApi(id) {
	const deadline = Date.now() + JOB_TIMEOUT_MS;
	while (Date.now() < deadline) {
		const r = await apiCall('GET', `/api/jobs/${id}/`);
		if (['done', 'failed', 'cancelled'].includes(r.json?.status)) {
			return r.json;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`job ${id} did not finish within ${JOB_TIMEOUT_MS} ms`);
}

// Creates a tenant through the API and waits for its deploy; dies on
// failure (setup, not a test).
export async function createViaApi(fields) {
	const r = await apiCall('POST', '/api/tenants/', fields);
	if (r.status !== 201) {
		throw new Error(`POST /api/tenants/ ${JSON.stringify(fields)} -> ${r.status} ${r.text}`);
	}
	if (r.json?.deploy_job_id !== undefined && r.json.deploy_job_id !== null) {
		await waitForJobViaApi(r.json.deploy_job_id);
	}
	return r.json;
}

export async function tenantBySubdomain(subdomain) {
	const r = await apiCall('GET', `/api/tenants/?search=${encodeURIComponent(subdomain)}&page_size=100`);
	return (r.json?.results ?? []).find((tenant) => tenant.subdomain === subdomain) ?? null;
}

// --- the browser ------------------------------------------------------------------

// Starts chromium with one desktop-sized page on the admin host.  Returns
// {browser, context, page, problems, dialogsOpened(), screenshot(name),
// docShots, finish()}: `problems` collects script errors, CSP violations
// and JavaScript dialogs; screenshot() saves a numbered PNG into the
// artifacts and returns its path; `docShots` maps a README screenshot's
// name to such a path; finish() prints the plan, copies `docShots` into
// TENANTD_SCREENSHOTS_DIR when every test passed, and exits.  A run longer
// than `runTimeoutMs` fails and exits; a failed test saves a screenshot.
export async function openBrowser({ runTimeoutMs }) {
	const { browser, close } = await launchChromium(CHROMIUM, runTimeoutMs);
	const context = await browser.newContext({ baseURL: BASE, viewport: DESKTOP, locale: 'en-GB' });
	context.setDefaultTimeout(STEP_TIMEOUT_MS);
	const page = await context.newPage();
	const problems = [];
	let dialogsOpened = 0;
	page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
	page.on('console', (message) => {
		const text = message.text();
		if (/Content Security Policy|Refused to/i.test(text)) {
			problems.push(`CSP: ${text}`);
		}
	});
	page.on('dialog', async (dialog) => {
		dialogsOpened += 1;
		problems.push(`a JavaScript ${dialog.type()} opened: ${dialog.message()}`);
		await dialog.dismiss().catch(() => {});
	});
	let shotNumber = 0;
	const screenshot = async (name, { fullPage = true } = {}) => {
		shotNumber += 1;
		const path = join(ARTIFACTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
		await page.screenshot({ path, fullPage });
		return path;
	};
	onFailure(async (description) => {
		const safe = description.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
		const path = await screenshot(`FAILED-${safe}`);
		diag(`screenshot of the failure: ${path}`);
		diag(`page URL: ${page.url()}`);
	});
	const docShots = new Map();
	const finish = async () => {
		await close();
		const exitCode = doneTesting();
		if (exitCode === 0 && SCREENSHOTS !== '') {
			mkdirSync(SCREENSHOTS, { recursive: true });
			for (const [name, path] of docShots) {
				copyFileSync(path, join(SCREENSHOTS, `${name}.png`));
			}
			diag(`copied ${docShots.size} screenshots to ${SCREENSHOTS}`);
		}
		process.exit(exitCode);
	};
	return { browser, context, page, problems, dialogsOpened: () => dialogsOpened, screenshot, docShots, finish };
}

// Runs a group of steps; an exception fails one test with its stack and
// the run goes on with the next group.
export async function group(name, steps) {
	diag(`--- ${name}`);
	try {
		await steps();
	} catch (error) {
		await fail(`${name}: finished without an exception`, error);
	}
}

// Controls without an accessible name on `page` (or in `scope`).
export async function unlabelledControls(page, scope = 'body') {
	return page.evaluate((selector) => {
		const root = document.querySelector(selector);
		const missing = [];
		for (const element of root.querySelectorAll('input, select, textarea, button, a[href]')) {
			if (element.type === 'hidden' || element.closest('[hidden]')) {
				continue;
			}
			const labelled = (element.labels && element.labels.length > 0) ||
			    element.getAttribute('aria-label') ||
			    element.getAttribute('aria-labelledby') ||
			    ((element.tagName === 'BUTTON' || element.tagName === 'A') && element.textContent.trim() !== '');
			if (!labelled) {
				missing.push(element.outerHTML.slice(0, 120));
			}
		}
		return missing;
	}, scope);
}

// Fills in and sends the login form shown on `page`.
export async function login(page) {
	await page.getByLabel('User name').fill(ADMIN_USER);
	await page.getByLabel('Password').fill(ADMIN_PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
}

// Opens `path` 360 px wide and checks that nothing scrolls sideways.
export async function noSidewaysScroll(ui, path, description) {
	const { page } = ui;
	await page.setViewportSize(PHONE);
	await page.goto(path);
	await page.locator('body:not(.is-loading)').waitFor();
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	await ok(width <= PHONE.width, `${description}: no sideways scrolling at 360 px (page is ${width} px wide)`);
	await ui.screenshot(`phone-${description.replace(/[^a-z]+/gi, '-')}`);
	await page.setViewportSize(DESKTOP);
}
