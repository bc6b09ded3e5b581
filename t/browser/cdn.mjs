// cdn.mjs - a tenant site in a real browser (Debian's chromium, driven by
// playwright-core) with its static files on a CDN, or without one, for
// t/cdn.t, which starts the servers and passes:
//
//   TENANTD_SITE_URL        the tenant site: http://acme.localhost:<port>/
//   TENANTD_CDN_ORIGIN      the CDN's origin, http://127.0.0.1:<port2>, or
//                           "" for a site without asset_base_url
//   TENANTD_TENANT_NAME     the name the header must show
//   TENANTD_LABEL           nginx, lighttpd, ... (for messages and files)
//   TENANTD_ARTIFACTS_DIR   where screenshots go
//   TENANTD_SCREENSHOTS_DIR optional: when set and every test passed, the
//                           page is copied there as tenant-site-cdn.png
//   TENANTD_CHROMIUM        the chromium binary
//
// Every request the page makes is recorded.  With a CDN: the document and
// config.json come from the site's own origin; every stylesheet, script,
// image, icon and the logo from the CDN's origin; those the HTML names
// (stylesheet, entry script, icon) and the logo by content-named paths
// (<name>.<12 hex digits>.<ext>) answered with the immutable
// Cache-Control; every CDN answer allows any origin (CORS).  Without one:
// every request goes to the site's own origin.  Either way the page
// renders (name, module grid, logo) with no script error or CSP violation.
// js/config.js's assetUrl() takes a logo URL on the CDN and no other.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { launchChromium } from './chromium.mjs';
import { bailOut, diag, doneTesting, is, ok, onFailure } from './tap.mjs';

function required(name) {
	const value = process.env[name];
	if (value === undefined || value === '') {
		bailOut(`${name} is not set (run this through t/cdn.t)`);
	}
	return value;
}

const SITE = new URL(required('TENANTD_SITE_URL'));
const CDN = process.env.TENANTD_CDN_ORIGIN || '';
const NAME = required('TENANTD_TENANT_NAME');
const LABEL = process.env.TENANTD_LABEL || 'nginx';
const ARTIFACTS = required('TENANTD_ARTIFACTS_DIR');
const SCREENSHOTS = process.env.TENANTD_SCREENSHOTS_DIR || '';
const CHROMIUM = process.env.TENANTD_CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 15000;
const RUN_TIMEOUT_MS = 120000;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const STATIC = /\.(css|js|mjs|svg|png|jpe?g|gif|webp|avif|ico|woff2?|ttf)$/;
const CONTENT_NAMED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

mkdirSync(ARTIFACTS, { recursive: true });

const { browser, close: closeBrowser } = await launchChromium(CHROMIUM, RUN_TIMEOUT_MS);
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
context.setDefaultTimeout(STEP_TIMEOUT_MS);
const page = await context.newPage();

const problems = [];
page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
page.on('console', (message) => {
	if (/Content Security Policy|Refused to|Failed to load/i.test(message.text())) {
		problems.push(`console: ${message.text()}`);
	}
});
const requests = [];
page.on('request', (request) => requests.push(request.url()));
const responses = [];
page.on('response', (response) => responses.push(response));
const failures = [];
page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));

onFailure(async (description) => {
	const safe = description.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
	const path = join(ARTIFACTS, `FAILED-${safe}.png`);
	await page.screenshot({ path, fullPage: true }).catch(() => {});
	diag(`screenshot of the failure: ${path}`);
});

const origin = (url) => new URL(url).origin;

try {
	await page.goto(SITE.href, { waitUntil: 'networkidle' });
	await page.waitForFunction(() => document.body.dataset.state === 'ready');
	await page.waitForFunction(() => {
		const logo = document.getElementById('logo');
		return logo && !logo.hidden && logo.complete && logo.naturalWidth > 0;
	});
	await ok(true, `${LABEL}: the page is ready`);
} catch (error) {
	await ok(false, `${LABEL}: the page is ready (${error.message})`);
}

await is(await page.textContent('#tenant-name'), NAME, `${LABEL}: the header shows the tenant's name`);
const cards = await page.locator('.card').count();
await ok(cards > 0, `${LABEL}: the module grid is shown (${cards} cards)`);
const logoSource = await page.getAttribute('#logo', 'src');
await ok(await page.isVisible('#logo'), `${LABEL}: the logo is visible (${logoSource})`);

const document = requests.find((url) => new URL(url).pathname === '/');
await is(document && origin(document), SITE.origin, `${LABEL}: the document comes from the site`);
const config = requests.filter((url) => /\/config\/$/.test(new URL(url).pathname));
await ok(config.length > 0 && config.every((url) => origin(url) === SITE.origin),
    `${LABEL}: config.json comes from the site (${config.join(' ')})`);

const assets = requests.filter((url) => STATIC.test(new URL(url).pathname));
await ok(assets.length >= 5, `${LABEL}: the page loaded its static files (${assets.length})`);
if (CDN === '') {
	const elsewhere = requests.filter((url) => origin(url) !== SITE.origin);
	await is(elsewhere.join(' '), '', `${LABEL}: without a CDN every request goes to the site`);
} else {
	const offCdn = assets.filter((url) => origin(url) !== CDN);
	await is(offCdn.join(' '), '', `${LABEL}: every static file comes from the CDN`);
	const configModule = requests.find((url) => /\/js\/config\.js$/.test(url));
	const verdicts = await page.evaluate(async ([moduleUrl, cdn, site]) => {
		const { assetUrl } = await import(moduleUrl);
		const logo = `${cdn}/t/acme/logo.0123456789ab.png`;
		return [logo, `${site}/t/acme/logo.png`, 'https://evil.example/logo.png',
		    'javascript:alert(1)', `${logo}?x=1`, `${logo}#x`,
		    `${cdn.replace('//', '//user@')}/t/acme/logo.png`, `${cdn}/t/acme/../x.png`,
		    `${cdn}/t/acme/a b.png`, `//${new URL(cdn).host}/t/acme/logo.png`, 42]
		    .map((value) => assetUrl(value) !== null);
	}, [configModule, CDN, SITE.origin]);
	await is(JSON.stringify(verdicts), JSON.stringify([true, false, false, false, false, false, false, false, false, false, false]),
	    `${LABEL}: assetUrl() takes a logo on the CDN and nothing else`);
	const named = [
		['the stylesheet', /\/style\.[0-9a-f]{12}\.css$/],
		['the entry script', /\/app\.[0-9a-f]{12}\.js$/],
		['the icon', /\/favicon\.[0-9a-f]{12}\.svg$/],
		['the logo', /\/logo\.[0-9a-f]{12}\.png$/],
	];
	for (const [what, pattern] of named) {
		const url = assets.find((candidate) => pattern.test(candidate));
		await ok(url !== undefined, `${LABEL}: ${what} is loaded by a content-named URL (${url})`);
	}
	const cdnResponses = responses.filter((response) => origin(response.url()) === CDN);
	const withoutCors = cdnResponses.filter((response) => response.headers()['access-control-allow-origin'] !== '*');
	await is(withoutCors.map((response) => response.url()).join(' '), '',
	    `${LABEL}: every CDN answer allows any origin (CORS)`);
	const namedResponses = cdnResponses.filter((response) => CONTENT_NAMED.test(new URL(response.url()).pathname));
	await ok(namedResponses.length >= 4, `${LABEL}: content-named answers (${namedResponses.length})`);
	const notImmutable = namedResponses.filter((response) => response.headers()['cache-control'] !== IMMUTABLE);
	await is(notImmutable.map((response) => response.url()).join(' '), '',
	    `${LABEL}: every content-named answer is cached for good`);
}
await is(failures.join('; '), '', `${LABEL}: no request failed`);
await is(problems.join('; '), '', `${LABEL}: no script error or CSP violation`);
diag(`requests: ${requests.join(' ')}`);

const shot = join(ARTIFACTS, `tenant-site-${CDN === '' ? 'same-origin' : 'cdn'}.png`);
await page.screenshot({ path: shot });
await closeBrowser();
const exitCode = doneTesting();
if (exitCode === 0 && SCREENSHOTS !== '' && CDN !== '') {
	copyFileSync(shot, join(SCREENSHOTS, 'tenant-site-cdn.png'));
}
process.exit(exitCode);
