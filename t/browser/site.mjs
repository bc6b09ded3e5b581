// site.mjs - a tenant's site in a real browser (Debian's chromium, driven by
// playwright-core) at http://<sub>.localhost:<port>/ (https:// through
// Caddy), through whichever front end t/site.t started.  t/site.t creates
// the tenants and passes:
//
//   TENANTD_SITE_PORT       the front end's port on 127.0.0.1
//   TENANTD_SITE_SCHEME     https through Caddy (chromium trusts its local
//                           CA from the NSS database in $HOME, node from
//                           NODE_EXTRA_CA_CERTS), else http
//   TENANTD_FRONTEND        nginx, lighttpd or caddy (for messages and file
//                           names)
//   TENANTD_ADMIN_TOKEN     an API token, to toggle modules and archive
//   TENANTD_ADMIN_PASSWORD  the admin's password, to log in to the admin UI
//                           over HTTPS (with TENANTD_SITE_SCHEME https)
//   TENANTD_SITE_TENANTS    JSON {acme: {id, name, subdomain, primary,
//                           secondary, logo, modules}, globex: ..., markup: ...}
//   TENANTD_MODULE_KEYS     every module key in sort order, comma-separated
//   TENANTD_ARTIFACTS_DIR   where screenshots go (every run, and on failure)
//   TENANTD_SCREENSHOTS_DIR optional: when set and every test passed, the
//                           home page shot is copied there as tenant-site.png
//
// Prints TAP (tap.mjs).  Checked: all modules in order; locked ones dimmed
// (computed filter and opacity) with a lock badge, a tooltip on hover and
// on keyboard focus (role=tooltip, aria-describedby, Escape hides it)
// inside its own card, covering no other card,
// aria-disabled yet focusable, and Enter, Space or a click opening the
// upgrade dialog with the module key in its contact link instead of
// navigating; enabled ones navigating to their page; branding (the
// header's computed color is the tenant's primary color, the logo shown);
// a module toggled through the API changing the page after a reload; a
// locked module's own route showing the upgrade prompt; unknown and
// archived tenants getting the "not available" page (over HTTPS, an
// unknown tenant's host getting no certificate at all, and the admin UI's
// login page loading over the same trusted HTTPS); a failed load
// offering a retry; a tenant named like markup shown as text; no sideways
// scrolling at 360 px; no script errors or CSP violations anywhere.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { launchChromium } from './chromium.mjs';
import { bailOut, diag, doneTesting, fail, is, like, ok, onFailure } from './tap.mjs';

function required(name) {
	const value = process.env[name];
	if (value === undefined || value === '') {
		bailOut(`${name} is not set (run this through t/site.t)`);
	}
	return value;
}

const PORT = required('TENANTD_SITE_PORT');
const FRONTEND = process.env.TENANTD_FRONTEND || 'nginx';
const TOKEN = required('TENANTD_ADMIN_TOKEN');
const ADMIN_PASSWORD = process.env.TENANTD_ADMIN_PASSWORD || '';
const TENANTS = JSON.parse(required('TENANTD_SITE_TENANTS'));
const MODULE_KEYS = required('TENANTD_MODULE_KEYS').split(',');
const ARTIFACTS = required('TENANTD_ARTIFACTS_DIR');
const SCREENSHOTS = process.env.TENANTD_SCREENSHOTS_DIR || '';
const CHROMIUM = process.env.TENANTD_CHROMIUM || '/usr/bin/chromium';

const SCHEME = process.env.TENANTD_SITE_SCHEME || 'http';
const API = `${SCHEME}://127.0.0.1:${PORT}`;
const HINT = 'Not in your plan \u2014 contact us to upgrade';
const STEP_TIMEOUT_MS = 15000;
const RUN_TIMEOUT_MS = 300000;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 360, height: 780 };

mkdirSync(ARTIFACTS, { recursive: true });

const siteUrl = (subdomain, path = '/') => `${SCHEME}://${subdomain}.localhost:${PORT}${path}`;
const acme = TENANTS.acme;
// The keys acme has on, as created: core ones plus the chosen ones.
const CORE = new Set(['employees']);

// --- the API, as an administrator's script would use it ----------------------------

async function api(method, path, body) {
	const init = { method, headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' } };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	const response = await fetch(`${API}${path}`, init);
	const text = await response.text();
	return { status: response.status, text };
}

async function setModule(tenant, key, enabled) {
	const r = await api('POST', `/api/tenants/${tenant.id}/update_module/`, { module_key: key, is_enabled: enabled });
	if (r.status !== 200) {
		throw new Error(`update_module ${key}=${enabled} -> ${r.status} ${r.text}`);
	}
}

// "#5b21b6" -> "rgb(91, 33, 182)", the way getComputedStyle reports it.
function rgb(hex) {
	const [r, g, b] = [1, 3, 5].map((offset) => parseInt(hex.slice(offset, offset + 2), 16));
	return `rgb(${r}, ${g}, ${b})`;
}

// --- the browser ---------------------------------------------------------------------

const { browser, close: closeBrowser } = await launchChromium(CHROMIUM, RUN_TIMEOUT_MS);

const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB' });
context.setDefaultTimeout(STEP_TIMEOUT_MS);
const page = await context.newPage();

// Script errors, CSP violations and JavaScript dialogs anywhere fail the run.
const pageProblems = [];
page.on('pageerror', (error) => pageProblems.push(`script error: ${error.message}`));
page.on('console', (message) => {
	if (/Content Security Policy|Refused to/i.test(message.text())) {
		pageProblems.push(`CSP: ${message.text()}`);
	}
});
page.on('dialog', async (dialog) => {
	pageProblems.push(`a JavaScript ${dialog.type()} opened: ${dialog.message()}`);
	await dialog.dismiss().catch(() => {});
});

let shotNumber = 0;
async function screenshot(name, { fullPage = true } = {}) {
	shotNumber += 1;
	const path = join(ARTIFACTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path, fullPage });
	return path;
}
let docShot = null;

onFailure(async (description) => {
	const safe = description.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
	const path = await screenshot(`FAILED-${safe}`);
	diag(`screenshot of the failure: ${path}`);
	diag(`page URL: ${page.url()}`);
});

// Runs a group of steps; an exception fails one test with its stack and the
// run goes on with the next group.
async function group(name, steps) {
	diag(`--- ${FRONTEND}: ${name}`);
	try {
		await steps();
	} catch (error) {
		await fail(`${name}: finished without an exception`, error);
	}
}

// Opens `path` of tenant `subdomain` and waits until the site has settled
// (body[data-state] is no longer "loading").  Returns the HTTP response.
async function open(subdomain, path = '/') {
	const response = await page.goto(siteUrl(subdomain, path));
	await page.locator('body:not([data-state="loading"])').waitFor();
	return response;
}

const moduleItem = (key) => page.locator(`li.module[data-module="${key}"]`);
const lockedCard = (key) => page.locator(`li.module[data-module="${key}"] button.card`);
const tooltipOf = (key) => page.locator(`#tip-${key}`);
const dialog = page.locator('dialog#upgrade');

function expectedEnabled(tenant) {
	return new Set([...CORE, ...tenant.modules]);
}

// Where the (shown) tooltip of module `key` is: the other module cards it
// overlaps, whether it lies within its own card, and whether it is what
// shows at its own centre (nothing covers it).
function tooltipPlacement(key) {
	return page.evaluate((moduleKey) => {
		const tip = document.getElementById(`tip-${moduleKey}`);
		const box = tip.getBoundingClientRect();
		const own = tip.closest('li.module').getBoundingClientRect();
		const overlaps = (other) => box.left < other.right && other.left < box.right &&
		    box.top < other.bottom && other.top < box.bottom;
		// The tooltip lets the pointer through; hit-test it for a moment.
		tip.style.pointerEvents = 'auto';
		const atCentre = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
		tip.style.pointerEvents = '';
		return {
			covers: [...document.querySelectorAll('li.module')]
			    .filter((item) => item.dataset.module !== moduleKey && overlaps(item.getBoundingClientRect()))
			    .map((item) => item.dataset.module),
			inside: box.left >= own.left && box.right <= own.right && box.top >= own.top && box.bottom <= own.bottom,
			onTop: atCentre !== null && tip.contains(atCentre),
		};
	}, key);
}

async function tooltipPlacedWell(key, how) {
	const placement = await tooltipPlacement(key);
	await is(placement.covers.join(','), '', `${how}: the tooltip covers no other module card`);
	await ok(placement.inside, `${how}: it lies within its own card`);
	await ok(placement.onTop, `${how}: nothing covers the tooltip itself`);
}

// --- the tests -------------------------------------------------------------------------

await group('the home page shows every module in order', async () => {
	const response = await open('acme');
	await is(response.status(), 200, 'acme\'s site answers 200');
	await is(await page.locator('body').getAttribute('data-state'), 'ready', 'the site is ready');
	const keys = await page.locator('li.module').evaluateAll((items) => items.map((item) => item.dataset.module));
	await is(keys.join(','), MODULE_KEYS.join(','), `all ${MODULE_KEYS.length} modules, in sort order`);
	const enabled = expectedEnabled(acme);
	for (const key of MODULE_KEYS) {
		const item = moduleItem(key);
		if (enabled.has(key)) {
			const link = item.locator('a.card');
			await is(await link.getAttribute('href'), `/${key}`, `${key}: enabled, a link to /${key}`);
			const style = await link.evaluate((element) => {
				const computed = getComputedStyle(element);
				return { filter: computed.filter, opacity: computed.opacity };
			});
			await ok(style.filter === 'none' && style.opacity === '1', `${key}: not dimmed (${JSON.stringify(style)})`);
			await is(await item.locator('.lock-badge').count(), 0, `${key}: no lock badge`);
		} else {
			const card = item.locator('button.card');
			await is(await card.count(), 1, `${key}: locked, a button rather than a link`);
			const facts = await card.evaluate((element) => {
				const computed = getComputedStyle(element);
				const tip = document.getElementById(element.getAttribute('aria-describedby'));
				return {
					filter: computed.filter,
					opacity: Number(computed.opacity),
					disabled: element.getAttribute('aria-disabled'),
					tabindex: element.getAttribute('tabindex'),
					focusable: element.tabIndex >= 0 && !element.disabled,
					tipRole: tip?.getAttribute('role'),
					tipText: tip?.textContent,
					tipVisibility: tip ? getComputedStyle(tip).visibility : null,
					href: element.getAttribute('href'),
				};
			});
			await like(facts.filter, /grayscale\(1\)/, `${key}: dimmed to gray (filter ${facts.filter})`);
			await ok(facts.opacity < 0.8, `${key}: with reduced opacity (${facts.opacity})`);
			await ok(await item.locator('.lock-badge').isVisible(), `${key}: a lock badge is shown`);
			await like(await item.locator('.lock-badge').textContent(), /Locked/, `${key}: it says Locked`);
			await is(facts.disabled, 'true', `${key}: aria-disabled="true"`);
			await ok(facts.tabindex === '0' && facts.focusable, `${key}: focusable (tabindex=0)`);
			await is(facts.tipRole, 'tooltip', `${key}: aria-describedby names a role=tooltip element`);
			await is(facts.tipText, HINT, `${key}: the tooltip says "${HINT}"`);
			await is(facts.tipVisibility, 'hidden', `${key}: the tooltip is hidden until asked for`);
			await is(facts.href, null, `${key}: no link to follow`);
		}
	}
});

await group('branding: name, logo and colors', async () => {
	await is(await page.title(), acme.name, 'the title is the tenant\'s name');
	await is(await page.locator('#tenant-name').textContent(), acme.name, 'the header shows the name');
	const colors = await page.evaluate(() => {
		const root = getComputedStyle(document.documentElement);
		return {
			primary: root.getPropertyValue('--tenant-primary').trim(),
			secondary: root.getPropertyValue('--tenant-secondary').trim(),
			header: getComputedStyle(document.querySelector('.site-header')).backgroundColor,
			cardIcon: getComputedStyle(document.querySelector('a.card .card-icon')).color,
			accent: getComputedStyle(document.querySelector('a.card')).borderTopColor,
		};
	});
	await is(colors.primary, acme.primary, '--tenant-primary is the tenant\'s primary color');
	await is(colors.secondary, acme.secondary, '--tenant-secondary is its secondary color');
	await is(colors.header, rgb(acme.primary), 'the header\'s computed background is the primary color');
	await is(colors.cardIcon, rgb(acme.primary), 'module icons use the primary color');
	await is(colors.accent, rgb(acme.secondary), 'enabled cards carry the secondary color');
	const logo = page.locator('#logo');
	await ok(await logo.isVisible(), 'the logo is shown');
	await ok(await logo.evaluate((image) => image.complete && image.naturalWidth === 64), 'the logo image loaded (64 px)');
	await like(await logo.getAttribute('src'), /^\/logo\.png$/, 'from the tenant\'s own site');
	await ok(!await page.locator('#monogram').isVisible(), 'no monogram when there is a logo');
});

await group('the tooltip shows on hover', async () => {
	const key = MODULE_KEYS.find((candidate) => !expectedEnabled(acme).has(candidate));
	await lockedCard(key).hover();
	await tooltipOf(key).waitFor({ state: 'visible' });
	await ok(await tooltipOf(key).isVisible(), `hovering ${key} shows its tooltip`);
	await page.waitForFunction((id) => getComputedStyle(document.getElementById(id)).opacity === '1', `tip-${key}`);
	await tooltipPlacedWell(key, 'hover');
	docShot = await screenshot('home-hover-tooltip', { fullPage: false });
	await page.mouse.move(2, 2);
	await tooltipOf(key).waitFor({ state: 'hidden' });
	await ok(true, 'moving away hides it again');
});

await group('the tooltip shows on keyboard focus; Enter opens the upgrade prompt', async () => {
	const key = MODULE_KEYS.find((candidate) => !expectedEnabled(acme).has(candidate));
	await page.locator('#page-title').click();
	let focused = null;
	for (let presses = 0; presses < 40 && focused !== key; presses += 1) {
		await page.keyboard.press('Tab');
		focused = await page.evaluate(() => document.activeElement?.closest('li.module.locked')?.dataset.module ?? null);
	}
	await is(focused, key, `Tab reaches the locked ${key} card`);
	await tooltipOf(key).waitFor({ state: 'visible' });
	await ok(await tooltipOf(key).isVisible(), 'keyboard focus shows its tooltip');
	await tooltipPlacedWell(key, 'keyboard focus');
	await screenshot('keyboard-focus-tooltip', { fullPage: false });
	await page.keyboard.press('Escape');
	await tooltipOf(key).waitFor({ state: 'hidden' });
	await ok(await lockedCard(key).evaluate((card) => card === document.activeElement), 'Escape hides it and keeps the focus');

	const before = page.url();
	await page.keyboard.press('Enter');
	await dialog.waitFor({ state: 'visible' });
	await ok(await dialog.evaluate((element) => element.open), 'Enter opens the upgrade dialog');
	await like(await page.locator('#upgrade-title').textContent(), /is not in your plan/, 'it says the module is not in the plan');
	const href = await page.locator('#upgrade-contact').getAttribute('href');
	await like(href, new RegExp(`^mailto:sales@localhost\\?subject=Upgrade%20${key}&`), `its contact link carries the key (${href})`);
	await is(page.url(), before, 'and the page did not navigate');
	await screenshot('upgrade-dialog', { fullPage: false });
	await page.getByRole('button', { name: 'Not now' }).click();
	await dialog.waitFor({ state: 'hidden' });
	await ok(await lockedCard(key).evaluate((card) => card === document.activeElement), 'closing it gives the focus back to the card');

	await page.keyboard.press('Space');
	await dialog.waitFor({ state: 'visible' });
	await ok(true, 'Space opens it too');
	await page.keyboard.press('Escape');
	await dialog.waitFor({ state: 'hidden' });
	await ok(true, 'Escape closes it');
});

await group('a click on a locked module opens the prompt; enabled ones navigate', async () => {
	const locked = MODULE_KEYS.filter((candidate) => !expectedEnabled(acme).has(candidate));
	const key = locked[locked.length - 1];
	const before = page.url();
	// A real mouse click; force, since playwright will not click an
	// aria-disabled element by itself.
	await lockedCard(key).click({ force: true });
	await dialog.waitFor({ state: 'visible' });
	await like(await page.locator('#upgrade-contact').getAttribute('href'), new RegExp(`subject=Upgrade%20${key}&`),
	    `clicking ${key} opens the prompt for ${key}`);
	await is(await page.locator('#upgrade-contact').getAttribute('data-module'), key, '  naming its key');
	await is(page.url(), before, '  without navigating');
	await dialog.evaluate((element) => element.close());

	await moduleItem('attendance').locator('a.card').click();
	await page.waitForURL(siteUrl('acme', '/attendance'));
	await page.locator('body[data-state="ready"]').waitFor();
	await is(await page.locator('h1').textContent(), 'Attendance Tracking', 'an enabled module opens its page');
	await is(await page.title(), `Attendance Tracking \u2014 ${acme.name}`, '  titled with the module');
	await is(await page.locator('.upgrade-panel').count(), 0, '  without an upgrade prompt');
	await screenshot('module-page');
	await page.getByRole('link', { name: 'All modules', exact: true }).click();
	await page.waitForURL(siteUrl('acme', '/'));
	await page.locator('body[data-state="ready"]').waitFor();
	await ok(await page.locator('li.module').count() === MODULE_KEYS.length, 'its back link returns to the grid');
});

await group('a locked module\'s route shows the upgrade prompt', async () => {
	await open('acme', '/wallet');
	await is(await page.locator('h1').textContent(), 'Wallet & Salary', '/wallet shows the module\'s title');
	await ok(await page.locator('.upgrade-panel').isVisible(), '  and the upgrade prompt instead of the module');
	await like(await page.locator('#page-upgrade-contact').getAttribute('href'), /subject=Upgrade%20wallet&/,
	    '  whose contact link carries the key');
	await ok(await page.getByRole('link', { name: 'All modules', exact: true }).isVisible(), '  with a link back');
	await screenshot('locked-module-page');
	await open('acme', '/no-such-page');
	await is(await page.locator('h1').textContent(), 'Page not found', 'any other path says page not found');
});

await group('toggling a module through the API changes the page after a reload', async () => {
	await setModule(acme, 'wallet', true);
	await setModule(acme, 'attendance', false);
	await open('acme');
	await is(await moduleItem('wallet').locator('a.card').getAttribute('href'), '/wallet', 'wallet is a link now');
	await is(await moduleItem('wallet').locator('.lock-badge').count(), 0, '  without a lock');
	await is(await lockedCard('attendance').getAttribute('aria-disabled'), 'true', 'attendance is locked now');
	await ok(await moduleItem('attendance').locator('.lock-badge').isVisible(), '  with its badge');
	await open('acme', '/wallet');
	await is(await page.locator('.upgrade-panel').count(), 0, '/wallet now shows the module');
	await setModule(acme, 'wallet', false);
	await setModule(acme, 'attendance', true);
	await open('acme');
	await is(await lockedCard('wallet').count(), 1, 'switched back, wallet is locked again');
});

await group('unknown and archived tenants get a clear page', async () => {
	// Over HTTPS a host that is no active tenant's gets no certificate
	// (Caddy asks tenantd first), so the page cannot even load.
	const noCertificate = async (url, what) => {
		const refused = await page.goto(url).then(() => 'loaded', (error) => error.message);
		await ok(/ERR_SSL|ERR_CERT|ERR_CONNECTION/.test(refused),
		    `${what} gets no certificate (${refused.split('\n')[0]})`);
	};
	let response;
	if (SCHEME === 'https') {
		await noCertificate(siteUrl('nosuch'), 'an unknown tenant\'s host');
	} else {
		response = await page.goto(siteUrl('nosuch'));
		await is(response.status(), 404, 'an unknown tenant\'s host is 404');
		await is(await page.locator('h1').textContent(), 'This site is not available', 'with "This site is not available"');
		await ok((await page.locator('body').innerText()).length > 40, '  and an explanation, not a blank page');
		await screenshot('unknown-tenant');
	}
	const archived = await api('POST', `/api/tenants/${TENANTS.globex.id}/archive/`);
	await is(archived.status, 200, 'globex is archived through the API');
	if (SCHEME === 'https') {
		await noCertificate(siteUrl('globex', '/wallet'), 'its host');
	} else {
		response = await page.goto(siteUrl('globex', '/wallet'));
		await is(response.status(), 404, 'its host is 404 now');
		await is(await page.locator('h1').textContent(), 'This site is not available', '  with the same page');
	}
	const restored = await api('POST', `/api/tenants/${TENANTS.globex.id}/restore/`);
	await is(restored.status, 200, 'globex is restored');
	if (SCHEME === 'https') {
		// Chromium keeps the failed handshake's error page for a moment;
		// wait until the host loads, as it must once a certificate is
		// issued.
		const deadline = Date.now() + STEP_TIMEOUT_MS;
		let loaded = false;
		while (!loaded && Date.now() < deadline) {
			loaded = await page.goto(siteUrl('globex')).then(() => true, () => false);
		}
		await ok(loaded, 'its host gets a certificate again');
	}
	await open('globex');
	await is(await page.locator('#tenant-name').textContent(), 'Globex', 'and its site is back');
	await is(await page.evaluate(() => getComputedStyle(document.querySelector('.site-header')).backgroundColor),
	    rgb(TENANTS.globex.primary), '  in its own colors');
	await ok(await page.locator('#monogram').isVisible(), '  with a monogram instead of a logo');
	await is(await page.locator('#monogram').textContent(), 'G', '  of its initial');
});

if (SCHEME === 'https') {
	await group('the admin UI over the same HTTPS', async () => {
		const response = await page.goto(`${API}/admin/login`);
		await is(response.status(), 200, 'the login page is 200');
		await is(await page.locator('#login-form h1').textContent(), 'Log in', '  and shows its form');
		await ok(await page.evaluate(() => window.isSecureContext), '  in a secure context (the local CA is trusted)');
		await screenshot('admin-login');

		// A real session over HTTPS: the Secure cookie, the dashboard's
		// numbers from the API, the tenant list.
		await page.getByLabel('User name').fill('admin');
		await page.getByLabel('Password').fill(ADMIN_PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL((url) => url.pathname === '/admin/' || url.pathname === '/admin', { timeout: 15000 });
		await ok(true, 'logging in leads to the dashboard');
		const session = (await page.context().cookies()).find((cookie) => cookie.httpOnly);
		await ok(session !== undefined && session.secure, '  with a Secure, HttpOnly session cookie');
		await page.locator('#stats:not([aria-busy])').waitFor();
		const stats = JSON.parse((await api('GET', '/api/tenants/statistics/')).text);
		await is(await page.locator('[data-stat="total"] .stat-value').textContent(), String(stats.total),
		    `  whose tenant count is the API's (${stats.total})`);
		await page.goto(`${API}/admin/tenants?search=${TENANTS.acme.subdomain}`);
		await page.getByText(TENANTS.acme.name, { exact: true }).first().waitFor();
		await ok(true, `the tenant list finds ${TENANTS.acme.name}`);
	});
}

await group('a site whose config is gone says so; a failed load offers a retry', async () => {
	await page.route('**/api/tenants/by-subdomain/acme/config/', (route) => route.fulfill({
		status: 404, contentType: 'application/json', body: '{"error":"no such tenant","code":"not_found"}',
	}));
	await open('acme');
	await is(await page.locator('body').getAttribute('data-state'), 'unavailable', 'a config 404 makes the site unavailable');
	await is(await page.locator('h1').textContent(), 'This site is not available', '  and says so');
	await page.unroute('**/api/tenants/by-subdomain/acme/config/');

	await page.route('**/api/tenants/by-subdomain/acme/config/', (route) => route.abort('internetdisconnected'));
	await open('acme');
	await is(await page.locator('body').getAttribute('data-state'), 'error', 'a network error is an error state');
	const retry = page.getByRole('button', { name: 'Try again' });
	await ok(await retry.isVisible(), 'with a "Try again" button');
	await like(await page.locator('main').innerText(), /could not be loaded/, '  and a message');
	await is(await page.locator('#tenant-name').textContent(), 'acme.localhost', '  under the host\'s name');
	await screenshot('load-failed');
	await page.unroute('**/api/tenants/by-subdomain/acme/config/');
	await retry.click();
	await page.locator('body[data-state="ready"]').waitFor();
	await is(await page.locator('li.module').count(), MODULE_KEYS.length, 'Try again loads the site');
});

await group('a tenant named like markup is shown as text', async () => {
	await open('markup');
	const name = TENANTS.markup.name;
	await is(await page.locator('#tenant-name').textContent(), name, 'the name is shown exactly');
	await is(await page.title(), name, 'the title too');
	await is(await page.locator('header img:not(#logo), header b, main b').count(), 0, 'no element was made from it');
	const colors = await page.evaluate(() => getComputedStyle(document.querySelector('.site-header')).color);
	await is(colors, 'rgb(17, 24, 39)', 'dark text on its light primary color');
	await is(await page.locator('li.module a.card').count(), 1, 'only the core module is enabled');
});

await group('phones: 360 px wide', async () => {
	await page.setViewportSize(PHONE);
	await open('acme');
	const layout = await page.evaluate(() => ({
		scroll: document.documentElement.scrollWidth,
		width: document.documentElement.clientWidth,
		columns: getComputedStyle(document.querySelector('.module-grid')).gridTemplateColumns.split(' ').length,
	}));
	await ok(layout.scroll <= layout.width, `no sideways scrolling (${layout.scroll} <= ${layout.width})`);
	await is(layout.columns, 1, 'one column of modules');
	const key = MODULE_KEYS.find((candidate) => !expectedEnabled(acme).has(candidate));
	await lockedCard(key).focus();
	await tooltipOf(key).waitFor({ state: 'visible' });
	const box = await tooltipOf(key).boundingBox();
	await ok(box !== null && box.x >= 0 && box.x + box.width <= PHONE.width, 'the tooltip fits the screen');
	await tooltipPlacedWell(key, 'phone');
	await screenshot('phone');
	await page.setViewportSize(DESKTOP);
});

await is(pageProblems.join('\n'), '', 'no script errors, CSP violations or JavaScript dialogs in any page');

await closeBrowser();
const exitCode = doneTesting();
if (exitCode === 0 && SCREENSHOTS !== '' && docShot !== null) {
	mkdirSync(SCREENSHOTS, { recursive: true });
	copyFileSync(docShot, join(SCREENSHOTS, 'tenant-site.png'));
	diag(`copied ${docShot} to ${SCREENSHOTS}/tenant-site.png`);
}
process.exit(exitCode);
