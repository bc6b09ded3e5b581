// admin-ui.mjs - the admin UI in a real browser (Debian's chromium, driven
// by playwright-core) against a running stack: nginx + tenantd + MariaDB.
// Started by t/admin-ui.t, which brings the stack up and passes the
// settings admin-harness.mjs reads.
//
// Prints TAP.  Every check the issue asks for is here: login and the
// redirect back, dashboard statistics, create with a logo and chosen
// modules watching the deploy progress reach 100% (the "correct the marked
// fields" message going once they are corrected), search, every row's
// deploy label, health and logo without scrolling, a module toggle,
// colors edited, archive and restore, delete with the typed confirmation,
// a tenant named like markup shown as text, and an expired session that
// goes to the login page and back.  Along the way: no script errors, no
// CSP violations, no alert(), labels on every control, visible focus, and
// no sideways scrolling at 360 px.

import { deflateSync } from 'node:zlib';

import {
	ADMIN_USER, apiCall, BASE, createViaApi, DESKTOP, group, JOB_TIMEOUT_MS, login, noSidewaysScroll, openBrowser,
	tenantBySubdomain, unlabelledControls,
} from './admin-harness.mjs';
import { diag, is, like, ok, skip } from './tap.mjs';

// The whole run; t/admin-ui.t has its own, longer limit around it.
const RUN_TIMEOUT_MS = 600000;
const XSS_NAME = '<img src=x onerror=alert(1)>';
const SEED_COUNT = 24;

// Does the API have this route?  The router answers OPTIONS with 204 on
// every known path and 404 on unknown ones.
async function routeExists(path) {
	const r = await apiCall('OPTIONS', path);
	return r.status !== 404;
}

// --- a PNG made here, so the test needs no image files ---------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k += 1) {
		c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	}
	return c >>> 0;
});

function crc32(buffer) {
	let crc = 0xffffffff;
	for (const byte of buffer) {
		crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
	}
	return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(typeAndData));
	return Buffer.concat([length, typeAndData, crc]);
}

// A width x height RGB PNG; pixel(x, y) returns [r, g, b].
function makePng(width, height, pixel) {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.writeUInt8(8, 8);
	header.writeUInt8(2, 9);
	const raw = Buffer.alloc((width * 3 + 1) * height);
	let offset = 0;
	for (let y = 0; y < height; y += 1) {
		raw[offset] = 0;
		offset += 1;
		for (let x = 0; x < width; x += 1) {
			const [r, g, b] = pixel(x, y);
			raw[offset] = r;
			raw[offset + 1] = g;
			raw[offset + 2] = b;
			offset += 3;
		}
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', header),
		pngChunk('IDAT', deflateSync(raw)),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

// A round badge in two colors: the logo the create test uploads.
const LOGO_PNG = makePng(96, 96, (x, y) => {
	const dx = x - 47.5;
	const dy = y - 47.5;
	const distance = Math.sqrt(dx * dx + dy * dy);
	if (distance > 46) {
		return [255, 255, 255];
	}
	if (distance > 30) {
		return [0x34, 0x48, 0xc5];
	}
	return y < 48 ? [0xf5, 0xa5, 0x24] : [0x2e, 0xcc, 0x71];
});

// --- the browser ------------------------------------------------------------------

const ui = await openBrowser({ runTimeoutMs: RUN_TIMEOUT_MS });
const { context, page, screenshot, docShots } = ui;

function countRequests(pattern) {
	const seen = [];
	const listener = (request) => {
		if (pattern.test(request.url())) {
			seen.push(request.url());
		}
	};
	page.on('request', listener);
	return { seen, stop: () => page.off('request', listener) };
}

function rowOf(subdomain) {
	return page.locator(`li.tenant-row[data-subdomain="${subdomain}"]`);
}

// Shows the list filtered down to `subdomain` and returns its row.
async function findInList(subdomain) {
	await page.goto(`/admin/tenants?search=${encodeURIComponent(subdomain)}`);
	const row = rowOf(subdomain);
	await row.waitFor();
	return row;
}

const routes = {};

// --- the tests ------------------------------------------------------------------------

await group('setup through the API', async () => {
	for (const [name, path] of [['archive', '/api/tenants/1/archive/'], ['restore', '/api/tenants/1/restore/'],
	    ['deploy', '/api/tenants/1/deploy_frontend/'], ['health', '/api/tenants/1/health/'], ['jobs', '/api/jobs/1/']]) {
		routes[name] = await routeExists(path);
		if (!routes[name]) {
			diag(`the API has no ${path} yet; its UI tests are skipped`);
		}
	}
	const palette = ['#3498db', '#e74c3c', '#8e44ad', '#16a085', '#d35400', '#2c3e50'];
	const companies = ['Northwind Traders', 'Globex Corporation', 'Initech', 'Umbrella Health', 'Stark Logistics',
		'Wayne Foods', 'Hooli Cloud', 'Pied Piper', 'Vandelay Imports', 'Soylent Farms', 'Wonka Sweets',
		'Cyberdyne Systems', 'Tyrell Biotech', 'Oceanic Air', 'Gringotts Finance', 'Monarch Studios',
		'Nakatomi Trading', 'Dunder Paper', 'Prestige Worldwide', 'Bluth Homes', 'Sterling Cooper',
		'Los Pollos Staffing', 'Wernham Hogg', 'Duff Brewing'];
	for (let i = 0; i < SEED_COUNT; i += 1) {
		const name = companies[i % companies.length];
		await createViaApi({
			name,
			subdomain: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
			contact_email: `hr@${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`,
			primary_color: palette[i % palette.length],
			secondary_color: palette[(i + 2) % palette.length],
			module_keys: ['attendance', 'wallet', 'tasks', 'complaints', 'shifts', 'reports', 'notifications']
			    .filter((_, index) => (i + index) % 3 !== 0),
		});
	}
	await ok(true, `${SEED_COUNT} tenants created through the API`);
});

await group('login', async () => {
	await page.goto('/admin/tenants');
	await page.waitForURL(/\/admin\/login\?next=/);
	await is(new URL(page.url()).searchParams.get('next'), '/admin/tenants',
	    'a page without a session redirects to the login page with next=');
	await ok(await page.getByLabel('User name').isVisible(), 'the login form is shown');
	await is((await unlabelledControls(page)).join('\n'), '', 'login page: every control has a label');
	docShots.set('login', await screenshot('login'));
	await page.getByLabel('User name').fill(ADMIN_USER);
	await page.getByLabel('Password').fill('wrong password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await like(await page.getByRole('alert').textContent(), /wrong user name or password/i,
	    'a wrong password is reported in the page');
	await screenshot('login-refused');
	await login(page);
	await page.waitForURL(`${BASE}/admin/tenants`);
	await ok(true, 'after logging in the browser is back on the page it came from');

	await page.goto('/admin/login?next=https://evil.example/');
	await page.waitForURL(`${BASE}/admin/`);
	await ok(true, 'with a session, the login page goes on, and a foreign next= becomes the dashboard');
});

await group('dashboard', async () => {
	await page.goto('/admin/');
	await page.locator('#stats:not([aria-busy])').waitFor();
	const stats = (await apiCall('GET', '/api/tenants/statistics/')).json;
	for (const key of ['total', 'active', 'archived', 'created_last_30_days']) {
		await is(await page.locator(`[data-stat="${key}"] .stat-value`).textContent(), String(stats[key]),
		    `dashboard card ${key} shows ${stats[key]}`);
	}
	await page.locator('#adoption:not([aria-busy])').waitFor();
	const modules = (await apiCall('GET', '/api/modules/')).json;
	await is(await page.locator('#adoption li').count(), modules.length, 'one adoption bar per module');
	const wallet = await page.locator('#adoption li[data-module="wallet"]').textContent();
	await like(wallet, new RegExp(`Wallet & Salary.*${stats.modules.wallet} of ${stats.total} tenants`),
	    'the wallet bar names the module and counts its tenants');
	await page.locator('#recent:not([aria-busy])').waitFor();
	await is(await page.locator('#recent li').count(), 5, 'five recent tenants');
	await is((await unlabelledControls(page)).join('\n'), '', 'dashboard: every control has a label');
	await page.keyboard.press('Tab');
	const focus = await page.evaluate(() => {
		const element = document.activeElement;
		const style = getComputedStyle(element);
		return { text: element.textContent.trim(), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
	});
	await ok(focus.outline !== 'none' && focus.width >= 2,
	    `keyboard focus is visible (first Tab: "${focus.text}", outline ${focus.outline} ${focus.width}px)`);
	await noSidewaysScroll(ui, '/admin/', 'dashboard');
});

const CREATED = { name: 'Acme Widgets & Co.', subdomain: 'acme-widgets-co' };

await group('create a tenant', async () => {
	await page.goto('/admin/create-tenant');
	await page.locator('#module-cards:not([aria-busy])').waitFor();
	await is(await page.locator('.module-card').count(), 8, 'a card per module');
	const core = page.locator('#module-employees');
	await ok(await core.isChecked() && await core.isDisabled(), 'the core module is checked and locked');
	await like(await page.locator('.module-card[data-module="employees"]').textContent(), /core/i,
	    'the core module carries a core badge');
	await is((await unlabelledControls(page)).join('\n'), '', 'create page: every control has a label');

	await page.getByLabel('Client name').fill(CREATED.name);
	await page.getByRole('button', { name: 'Generate' }).click();
	await is(await page.getByRole('textbox', { name: 'Subdomain', exact: true }).inputValue(), CREATED.subdomain,
	    'Generate makes the subdomain from the name');
	const status = page.locator('#subdomain-status');
	await page.locator('#subdomain-status[data-state="available"]').waitFor();
	await like(await status.textContent(), /available/i, 'a free subdomain is reported available');

	const subdomain = page.getByRole('textbox', { name: 'Subdomain', exact: true });
	const checks = countRequests(/\/api\/tenants\/check-subdomain\//);
	await subdomain.fill('');
	await subdomain.pressSequentially('initech', { delay: 10 });
	await page.locator('#subdomain-status[data-state="taken"]').waitFor();
	await page.waitForTimeout(400);
	checks.stop();
	await is(checks.seen.length, 1, 'typing quickly sends one availability check (debounced)');
	await like(await status.textContent(), /taken/i, 'an existing tenant\'s subdomain is reported taken');
	await subdomain.fill('admin');
	await page.locator('#subdomain-status[data-state="reserved"]').waitFor();
	await ok(true, 'a reserved subdomain is reported reserved');
	await subdomain.fill('Not_Valid');
	await page.locator('#subdomain-status[data-state="invalid"]').waitFor();
	await ok(true, 'a malformed subdomain is reported invalid');

	await page.getByLabel('Contact email').fill('it@acme-widgets.example');
	await page.locator('#primary_color-picker').fill('#c0392b');
	await is(await page.getByLabel('Primary color', { exact: true }).inputValue(), '#c0392b',
	    'the primary color picker fills the text field');
	await page.getByLabel('Secondary color', { exact: true }).fill('#1abc9c');
	await is(await page.locator('#secondary_color-picker').inputValue(), '#1abc9c',
	    'typing the secondary color moves its picker');

	const logoInput = page.locator('#logo');
	await logoInput.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
	await like(await page.locator('#logo-error').textContent(), /PNG, JPEG, GIF or WebP/,
	    'an SVG logo is refused before upload');
	await ok(await page.locator('.logo-preview').isHidden(), 'no preview for a refused logo');
	await logoInput.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(2 * 1024 * 1024 + 1) });
	await like(await page.locator('#logo-error').textContent(), /at most 2 MiB/,
	    'a logo over 2 MiB is refused before upload');
	await logoInput.setInputFiles({ name: 'acme.png', mimeType: 'image/png', buffer: LOGO_PNG });
	await page.locator('.logo-preview img').waitFor();
	await like(await page.locator('.logo-preview img').getAttribute('src'), /^blob:/,
	    'a PNG logo is previewed from a blob: URL');
	await ok(await page.locator('#logo-error').isHidden(), 'the logo error is gone');
	await page.getByRole('button', { name: 'Remove logo' }).click();
	await ok(await page.locator('.logo-preview').isHidden(), 'Remove logo takes the preview away');
	await logoInput.setInputFiles({ name: 'acme.png', mimeType: 'image/png', buffer: LOGO_PNG });
	await page.locator('.logo-preview img').waitFor();

	await page.locator('#module-wallet').check();
	await page.locator('#module-tasks').check();
	await page.locator('#module-reports').check();

	await subdomain.fill(CREATED.subdomain);
	await page.locator('#subdomain-status[data-state="available"]').waitFor();
	await page.getByRole('heading', { name: 'Create a tenant' }).click();
	docShots.set('create-tenant', await screenshot('create-form'));

	// A reserved subdomain and a malformed email: the server's field errors
	// land next to the fields and nothing typed is lost.
	const email = page.getByLabel('Contact email');
	await subdomain.fill('admin');
	await email.fill('not an address');
	await page.getByRole('button', { name: 'Create tenant' }).click();
	await page.locator('#subdomain-error:not([hidden])').waitFor();
	await like(await page.locator('#subdomain-error').textContent(), /reserved/i,
	    'the server\'s field error is shown next to the subdomain');
	await ok(await page.locator('#contact_email-error').isVisible(), 'and next to the email');
	await is(await page.getByLabel('Client name').inputValue(), CREATED.name, 'the name is kept after the error');
	await ok(await page.locator('#module-wallet').isChecked(), 'the chosen modules are kept after the error');
	await ok(await page.locator('.logo-preview img').isVisible(), 'the logo is kept after the error');
	await is(await page.evaluate(() => document.activeElement?.id), 'subdomain', 'focus moves to the field in error');
	const formMessage = page.locator('#form-message');
	await like(await formMessage.textContent(), /not created; correct the marked fields/, 'the form says to correct the marked fields');

	await subdomain.fill(CREATED.subdomain);
	await ok(await page.locator('#subdomain-error').isHidden(), 'correcting the subdomain clears its error');
	await ok(await formMessage.isVisible(), 'the form message stays while the email is still marked');
	await email.fill('it@acme-widgets.example');
	await ok(await page.locator('#contact_email-error').isHidden(), 'correcting the email clears its error');
	await ok(await formMessage.isHidden(), 'with every marked field corrected, the form message is gone');
	await page.locator('#subdomain-status[data-state="available"]').waitFor();

	// Record every value the progress bar shows.
	await page.evaluate(() => {
		window.progressSeen = [];
		new MutationObserver(() => {
			for (const bar of document.querySelectorAll('#deploy-progress [role="progressbar"]')) {
				const value = Number(bar.getAttribute('aria-valuenow'));
				if (window.progressSeen.at(-1) !== value) {
					window.progressSeen.push(value);
				}
			}
		}).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
	});
	const jobPolls = countRequests(/\/api\/jobs\/\d+\/$/);
	const createAnswer = page.waitForResponse((response) => response.request().method() === 'POST' &&
	    new URL(response.url()).pathname === '/api/tenants/');
	await page.getByRole('button', { name: 'Create tenant' }).click();
	const answer = await (await createAnswer).json();
	await page.locator('#deploy-progress [role="progressbar"]').waitFor();
	await page.locator('#success-panel:not([hidden])').waitFor({ timeout: JOB_TIMEOUT_MS });
	jobPolls.stop();
	const seen = await page.evaluate(() => window.progressSeen);
	diag(`deploy_job_id ${answer.deploy_job_id}; ${jobPolls.seen.length} job polls; progress values seen: ${seen.join(' ')}`);
	if (answer.deploy_job_id !== null && answer.deploy_job_id !== undefined) {
		await ok(jobPolls.seen.length >= 1 && jobPolls.seen.every((url) => url.endsWith(`/api/jobs/${answer.deploy_job_id}/`)),
		    'the progress bar follows the deploy job (GET /api/jobs/{id}/)');
	} else {
		skip('the progress bar follows the deploy job (GET /api/jobs/{id}/)', 'the create answered without a deploy job');
	}
	await is(await page.locator('#deploy-progress [role="progressbar"]').getAttribute('aria-valuenow'), '100',
	    'the progress bar reaches 100%');
	await ok(seen.every((value, index) => index === 0 || value >= seen[index - 1]), 'the progress never goes back');
	const tenant = await tenantBySubdomain(CREATED.subdomain);
	await ok(tenant !== null, 'the tenant exists in the API');
	await is(await page.locator('#success-url').textContent(), tenant?.tenant_url, 'the success panel shows the tenant URL');
	await is(await page.locator('#success-url').getAttribute('href'), new URL(tenant?.tenant_url ?? 'http://missing/').href,
	    'the tenant URL is a link');
	docShots.set('create-tenant-done', await screenshot('create-success'));
	await is(tenant?.name, CREATED.name, 'API: the name as typed');
	await is(tenant?.contact_email, 'it@acme-widgets.example', 'API: the contact email');
	await is(tenant?.primary_color, '#c0392b', 'API: the primary color from the picker');
	await is(tenant?.secondary_color, '#1abc9c', 'API: the secondary color as typed');
	await like(tenant?.logo ?? '', /^logo\.png$/, 'API: the logo was stored as a PNG');
	await is(JSON.stringify(tenant?.enabled_modules), JSON.stringify(['employees', 'wallet', 'tasks', 'reports']),
	    'API: exactly the chosen modules and the core one');
	if (tenant?.logo) {
		const asset = await fetch(`${BASE}/api/tenants/by-subdomain/${CREATED.subdomain}/assets/${tenant.logo}`);
		const bytes = Buffer.from(await asset.arrayBuffer());
		await ok(asset.status === 200 && bytes.equals(LOGO_PNG), 'the uploaded logo is served byte for byte');
	}
	await noSidewaysScroll(ui, '/admin/create-tenant', 'create page');
});

await group('tenant list', async () => {
	await page.goto('/admin/tenants');
	await page.locator('li.tenant-row').first().waitFor();
	if (routes.health) {
		await page.waitForFunction(() => [...document.querySelectorAll('li.tenant-row')].slice(0, 3)
		    .every((row) => /badge-(healthy|attention)/.test(row.querySelector('.health-badge').className)));
	}
	docShots.set('tenants', await screenshot('tenant-list', { fullPage: false }));

	await createViaApi({ name: XSS_NAME, subdomain: 'markup-name', module_keys: ['wallet'] });
	const total = (await apiCall('GET', '/api/tenants/?page_size=1')).json.count;
	await page.goto('/admin/tenants?ordering=name');
	await page.locator('li.tenant-row').first().waitFor();
	await is(await page.locator('li.tenant-row').count() >= 20, true, 'the first page of rows is shown');
	await is((await unlabelledControls(page)).join('\n'), '', 'tenant list: every control has a label');
	for (let i = 0; i < 10 && await page.locator('li.tenant-row').count() < total; i += 1) {
		await page.locator('#list-end').scrollIntoViewIfNeeded();
		await page.waitForTimeout(300);
	}
	await is(await page.locator('li.tenant-row').count(), total, `scrolling down loads every page (${total} tenants)`);
	await like(await page.locator('#list-status').textContent(), /all of them/i, 'the end of the list is marked');
	const firstByName = (await apiCall('GET', '/api/tenants/?ordering=name&page_size=1')).json.results[0];
	await is(await page.locator('li.tenant-row .tenant-name').first().textContent(), firstByName.name,
	    'sorted by name, the first row is the API\'s first');

	const listRequests = countRequests(/\/api\/tenants\/\?/);
	await page.getByLabel('Search').pressSequentially('acme-widgets', { delay: 10 });
	await page.waitForFunction(() => document.querySelectorAll('li.tenant-row').length === 1);
	await page.waitForTimeout(400);
	listRequests.stop();
	await is(listRequests.seen.length, 1, 'the search waits for a pause in typing (one request)');
	await is(await rowOf(CREATED.subdomain).count(), 1, 'searching finds the new tenant');
	await like(page.url(), /search=acme-widgets/, 'the search is kept in the page URL');
	const row = rowOf(CREATED.subdomain);
	await like(await row.locator('.tenant-name').textContent(), /^Acme Widgets & Co\.$/, 'the row shows the name');
	const chips = await row.locator('.chips li').allTextContents();
	await is(chips.length, 4, 'the row shows a chip per enabled module');
	const created = await tenantBySubdomain(CREATED.subdomain);
	await is(await row.locator('a.tenant-link').getAttribute('href'), new URL(created.tenant_url).href,
	    'the subdomain links to the tenant site');
	if (routes.health) {
		await row.locator('.health-badge.badge-healthy, .health-badge.badge-attention').waitFor();
		await like(await row.locator('.health-badge').textContent(), /Healthy|Needs attention|Not deployed/,
		    'the health badge is loaded when the row is visible');
	} else {
		skip('the health badge is loaded when the row is visible', 'no health endpoint');
	}

	await page.getByLabel('Show').selectOption('false');
	await page.locator('#list-count').filter({ hasText: /No tenants|tenant/ }).waitFor();
	await page.waitForFunction(() => !document.querySelector('#list-status').textContent.includes('Loading'));
	await is(await page.locator('li.tenant-row').count(), 0, 'the archived filter hides active tenants');
	await page.getByLabel('Show').selectOption('');
	await rowOf(CREATED.subdomain).waitFor();
	await noSidewaysScroll(ui, `/admin/tenants?search=${CREATED.subdomain}`, 'tenant list');
});

await group('every row shows its deploy label, health and logo without scrolling', async () => {
	const fresh = await apiCall('POST', '/api/tenants/?deploy=false', { name: 'Undeployed Ltd', subdomain: 'undeployed-ltd' });
	await is(fresh.status, 201, 'setup: a tenant created without deploying its site');
	const firstPage = (await apiCall('GET', `/api/tenants/?page_size=20&ordering=-created_at`)).json.results;
	await ok(firstPage.some((tenant) => tenant.deployed) && firstPage.some((tenant) => !tenant.deployed),
	    'API: the first page holds deployed tenants and one that is not');
	await page.goto('/admin/tenants');
	await page.locator('li.tenant-row').first().waitFor();
	// The page's rows are drawn together, so this is each row as first shown.
	const drawn = await page.evaluate(() => [...document.querySelectorAll('li.tenant-row')].map((row) => {
		const deploy = [...row.querySelectorAll('.tenant-actions button')].find((button) => /deploy/i.test(button.textContent));
		return `${row.dataset.subdomain}: ${deploy?.textContent}`;
	}));
	await is(drawn.join(', '), firstPage.map((tenant) => `${tenant.subdomain}: ${tenant.deployed ? 'Redeploy' : 'Deploy'}`).join(', '),
	    'from the moment they are drawn, rows offer Redeploy for a deployed site and Deploy otherwise');
	const last = page.locator('li.tenant-row').last();
	const lastTop = (await last.boundingBox())?.y ?? 0;
	await ok(lastTop > DESKTOP.height, `the last row starts below the fold (${Math.round(lastTop)} px)`);
	const verdicts = await page.waitForFunction(() => [...document.querySelectorAll('li.tenant-row .health-badge')]
	    .every((badge) => /badge-(healthy|attention)/.test(badge.className)), null, { timeout: 30000 })
	    .then(() => true, () => false);
	await ok(verdicts, 'without scrolling, every row gets its health verdict');
	await is(await page.evaluate(() => window.scrollY), 0, '  (the page was not scrolled)');
	await is(await last.locator('.health-badge').count(), 1, '  the last row included');
	await like(await last.locator('.health-badge').textContent(), /^(Healthy|Needs attention|Not deployed)$/,
	    `  the last row says "${await last.locator('.health-badge').textContent()}"`);
	const undeployed = rowOf('undeployed-ltd');
	await is(await undeployed.locator('.health-badge').textContent(), 'Not deployed', 'the tenant without a site says Not deployed');
	await is(await undeployed.getByRole('button', { name: /deploy/i }).textContent(), 'Deploy', '  and offers Deploy');

	const logo = rowOf(CREATED.subdomain).locator('img.tenant-logo-image');
	await is(await logo.count(), 1, 'a tenant with a logo shows it in its row');
	await like(await logo.getAttribute('src') ?? '', new RegExp(`^/api/tenants/by-subdomain/${CREATED.subdomain}/assets/logo\\.png(\\?|$)`),
	    '  from the asset route');
	const loaded = await page.waitForFunction((sub) => {
		const image = document.querySelector(`li.tenant-row[data-subdomain="${sub}"] img.tenant-logo-image`);
		return image !== null && image.complete && image.naturalWidth === 96;
	}, CREATED.subdomain).then(() => true, () => false);
	await ok(loaded, '  and it loaded (96 px wide)');
	await is(await undeployed.locator('img').count(), 0, 'a tenant without a logo has no image');
	await is(await undeployed.locator('.tenant-monogram').textContent(), 'U', '  but its initial instead');
	await screenshot('tenant-list-rows', { fullPage: false });
	await is((await apiCall('DELETE', `/api/tenants/${fresh.json?.id}/`)).status, 204, 'cleanup: the undeployed tenant is deleted');
});

await group('toggle a module', async () => {
	const row = await findInList(CREATED.subdomain);
	await row.getByRole('button', { name: 'Modules' }).click();
	const dialog = page.locator('dialog.modules-dialog');
	await dialog.waitFor();
	await is((await unlabelledControls(page, 'dialog.modules-dialog')).join('\n'), '', 'modules dialog: every control has a label');
	await ok(await dialog.locator('input[data-module="employees"]').isDisabled(), 'the core module cannot be switched off');
	await is(await page.evaluate(() => document.activeElement?.dataset.module), 'attendance',
	    'the dialog opens with focus on the first module that can change');
	const toggle = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/update_module/'));
	await page.keyboard.press('Space');
	const csrf = (await toggle).headers()['x-csrf-token'] ?? '';
	await like(csrf, /^[0-9a-f]{16,}$/, 'the change is posted with the session\'s X-CSRF-Token');
	await dialog.getByRole('status').filter({ hasText: 'Attendance Tracking is enabled' }).waitFor();
	await ok(true, 'a module is switched on from the keyboard');
	await dialog.getByLabel('Wallet & Salary').uncheck();
	await dialog.getByRole('status').filter({ hasText: 'Wallet & Salary is disabled' }).waitFor();
	const tenant = await tenantBySubdomain(CREATED.subdomain);
	await is(JSON.stringify(tenant.enabled_modules), JSON.stringify(['employees', 'attendance', 'tasks', 'reports']),
	    'API: attendance enabled and wallet disabled');
	const config = (await apiCall('GET', `/api/tenants/by-subdomain/${CREATED.subdomain}/config/`)).json;
	await ok(config?.modules?.attendance === true && config?.modules?.wallet === false,
	    'config.json: attendance true, wallet false');
	await page.keyboard.press('Escape');
	await dialog.waitFor({ state: 'detached' });
	await is(await page.evaluate(() => document.activeElement?.textContent), 'Modules', 'Escape closes the dialog and focus returns to its button');
	await ok(await row.locator('.chips li[data-module="attendance"]').count() === 1 &&
	    await row.locator('.chips li[data-module="wallet"]').count() === 0, 'the row\'s chips follow the change');
});

await group('edit the colors', async () => {
	const row = await findInList(CREATED.subdomain);
	await row.getByRole('button', { name: 'Edit' }).click();
	const dialog = page.locator('dialog.edit-dialog');
	await dialog.waitFor();
	await is((await unlabelledControls(page, 'dialog.edit-dialog')).join('\n'), '', 'edit dialog: every control has a label');
	await is(await dialog.getByLabel('Client name').inputValue(), CREATED.name, 'the dialog is filled in');
	await dialog.getByLabel('Primary color', { exact: true }).fill('#112233');
	await dialog.getByLabel('Secondary color picker').fill('#445566');
	await is(await dialog.getByLabel('Secondary color', { exact: true }).inputValue(), '#445566', 'the picker fills the text');
	await screenshot('edit-dialog');
	await dialog.getByRole('button', { name: 'Save changes' }).click();
	await dialog.waitFor({ state: 'detached' });
	const tenant = await tenantBySubdomain(CREATED.subdomain);
	await is(tenant.primary_color, '#112233', 'API: the new primary color');
	await is(tenant.secondary_color, '#445566', 'API: the new secondary color');
	await is(tenant.logo, 'logo.png', 'API: the logo is kept when not touched');
	const config = (await apiCall('GET', `/api/tenants/by-subdomain/${CREATED.subdomain}/config/`)).json;
	await ok(config?.branding?.primary_color === '#112233' && config?.branding?.secondary_color === '#445566',
	    'config.json has the new colors');
	await like(await row.locator('.row-message').textContent(), /saved/i, 'the row says it was saved');

	await row.getByRole('button', { name: 'Edit' }).click();
	await dialog.waitFor();
	await dialog.getByLabel('Contact email').fill('not an address');
	await dialog.getByRole('button', { name: 'Save changes' }).click();
	await dialog.locator('.field-error:not([hidden])').first().waitFor();
	await ok(await dialog.isVisible(), 'a refused edit keeps the dialog open with the field error');
	await like(await dialog.locator('p.message').textContent(), /correct the marked fields/, 'and says to correct it');
	await dialog.getByLabel('Contact email').fill('it@acme-widgets.example');
	await ok(await dialog.locator('.field-error:not([hidden])').count() === 0 && await dialog.locator('p.message').isHidden(),
	    'correcting the email clears its error and the dialog\'s message');
	await page.keyboard.press('Escape');
	await dialog.waitFor({ state: 'detached' });
});

await group('deploy and health', async () => {
	if (!routes.deploy || !routes.health) {
		skip('redeploy with progress', 'no deploy or health endpoint');
		return;
	}
	const row = await findInList(CREATED.subdomain);
	const deploy = row.getByRole('button', { name: /deploy/i });
	await deploy.click();
	await row.locator('.row-message.message-success, .row-message.message-error').waitFor({ timeout: JOB_TIMEOUT_MS });
	await is(await row.locator('[role="progressbar"]').getAttribute('aria-valuenow'), '100', 'the redeploy progress reaches 100%');
	await like(await row.locator('.row-message').textContent(), /Deployed/, 'the row reports the deploy');
	await row.getByRole('button', { name: 'Health' }).click();
	const dialog = page.locator('dialog.health-dialog');
	await dialog.locator('.health-checks').waitFor();
	await like(await dialog.textContent(), /Folder exists\s*yes/, 'the health dialog lists the checks');
	await screenshot('health-dialog');
	await page.keyboard.press('Escape');
	await dialog.waitFor({ state: 'detached' });
});

await group('archive and restore', async () => {
	if (!routes.archive || !routes.restore) {
		skip('archive and restore', 'no archive or restore endpoint');
		return;
	}
	const row = await findInList(CREATED.subdomain);
	await row.getByRole('button', { name: 'Archive' }).click();
	await row.locator('.badge-archived').waitFor();
	await is((await tenantBySubdomain(CREATED.subdomain)).is_active, false, 'API: archived');
	await ok(await row.getByRole('button', { name: 'Restore' }).isVisible(), 'an archived row offers Restore');
	await row.getByRole('button', { name: 'Restore' }).click();
	await row.locator('.badge-active').waitFor();
	await is((await tenantBySubdomain(CREATED.subdomain)).is_active, true, 'API: restored');
	const config = await apiCall('GET', `/api/tenants/by-subdomain/${CREATED.subdomain}/config/`);
	await is(config.status, 200, 'the restored tenant\'s config is served again');
});

await group('markup in a tenant name is text', async () => {
	await page.goto('/admin/');
	await page.locator('#recent:not([aria-busy])').waitFor();
	await ok((await page.locator('#recent').textContent()).includes(XSS_NAME), 'dashboard: the name is shown as text');
	await is(await page.locator('img[src="x"]').count(), 0, 'dashboard: no <img src="x"> element');
	const row = await findInList('markup-name');
	await is(await row.locator('.tenant-name').textContent(), XSS_NAME, 'list: the name is shown as text');
	await is(await page.locator('img[src="x"]').count(), 0, 'list: no <img src="x"> element');
	await row.getByRole('button', { name: 'Edit' }).click();
	await page.locator('dialog.edit-dialog').waitFor();
	await is(await page.locator('dialog.edit-dialog h2').textContent(), `Edit ${XSS_NAME}`, 'edit dialog: the name is text');
	await page.keyboard.press('Escape');
	await row.getByRole('button', { name: 'Delete' }).click();
	await page.locator('dialog.delete-dialog').waitFor();
	await is(await page.locator('img[src="x"]').count(), 0, 'delete dialog: no <img src="x"> element');
	await page.keyboard.press('Escape');
	await page.waitForTimeout(200);
	await is(ui.dialogsOpened(), 0, 'no JavaScript dialog was opened');
});

await group('delete with typed confirmation', async () => {
	const row = await findInList(CREATED.subdomain);
	await row.getByRole('button', { name: 'Delete' }).click();
	const dialog = page.locator('dialog.delete-dialog');
	await dialog.waitFor();
	await is((await unlabelledControls(page, 'dialog.delete-dialog')).join('\n'), '', 'delete dialog: every control has a label');
	const confirm = dialog.getByRole('button', { name: 'Delete this tenant' });
	await ok(await confirm.isDisabled(), 'delete is disabled before typing');
	await dialog.getByLabel(/Type the subdomain/).fill('acme-widgets');
	await ok(await confirm.isDisabled(), 'a wrong subdomain keeps it disabled');
	await dialog.getByLabel(/Type the subdomain/).fill(CREATED.subdomain);
	await ok(await confirm.isEnabled(), 'the exact subdomain enables it');
	await screenshot('delete-dialog');
	await confirm.click();
	await row.waitFor({ state: 'detached' });
	await like(await page.locator('#page-message').textContent(), /Deleted/, 'the page confirms the delete');
	await is(await tenantBySubdomain(CREATED.subdomain), null, 'API: the tenant is gone');
});

await group('an expired session goes to the login page and back', async () => {
	await page.goto('/admin/tenants');
	await page.locator('li.tenant-row').first().waitFor();
	// The rows' health checks must be done: any request that meets the
	// ended session (rightly) goes to the login page too.
	await page.waitForLoadState('networkidle');
	// End the browser's session from outside, as an expiry would.
	const session = (await context.cookies()).find((cookie) => cookie.name === 'tenantd_session');
	await ok(session !== undefined, 'the browser holds a session cookie');
	const cookie = `tenantd_session=${session?.value}`;
	const me = await fetch(`${BASE}/api/auth/me`, { headers: { Cookie: cookie } }).then((r) => r.json());
	const out = await fetch(`${BASE}/api/auth/logout`, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': me.csrf_token } });
	await is(out.status, 204, 'the session was ended from outside');
	await page.getByLabel('Search').fill('globex');
	await page.waitForURL(/\/admin\/login\?next=/);
	await is(new URL(page.url()).searchParams.get('next'), '/admin/tenants?search=globex',
	    'the next API call sends the browser to the login page, remembering the page');
	await login(page);
	await page.waitForURL(`${BASE}/admin/tenants?search=globex`);
	await rowOf('globex-corporation').waitFor();
	await ok(true, 'after logging in again the same list is back');
	await page.getByRole('button', { name: 'Log out' }).click();
	await page.waitForURL(`${BASE}/admin/login`);
	await page.goto('/admin/');
	await page.waitForURL(/\/admin\/login\?next=%2Fadmin%2F/);
	await ok(true, 'after logging out the dashboard asks for a login again');
});

await group('the dashboard with data', async () => {
	await login(page);
	await page.waitForURL(`${BASE}/admin/`);
	await page.locator('#recent:not([aria-busy])').waitFor();
	await page.locator('#adoption:not([aria-busy])').waitFor();
	docShots.set('dashboard', await screenshot('dashboard'));
	await ok(true, 'dashboard screenshot taken');
});

await is(ui.problems.join('\n'), '', 'no script errors, CSP violations or JavaScript dialogs in any page');

await ui.finish();
