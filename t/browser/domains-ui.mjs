// domains-ui.mjs - a tenant's custom domains in the admin UI's tenant
// list, in a real browser (Debian's chromium, driven by playwright-core).
// Started by t/domains-ui.t, which adds good.domui.test (its TXT record
// holds the token) and bad.domui.test (its record holds markup) to tenant
// domui, and passes, besides the settings admin-harness.mjs reads:
//
//   TENANTD_GOOD_TOKEN  the token of good.domui.test
//   TENANTD_BAD_RECORD  the text of bad.domui.test's TXT record
//
// Prints TAP.  Checks: both domains are listed as pending with the TXT
// record to create; Verify on bad.domui.test says what the DNS holds, as
// text, and leaves it pending; Verify on good.domui.test makes it active;
// no script errors, CSP violations or JavaScript dialogs.

import { group, login, openBrowser } from './admin-harness.mjs';
import { bailOut, is, like, ok } from './tap.mjs';

const GOOD_TOKEN = process.env.TENANTD_GOOD_TOKEN ?? '';
const BAD_RECORD = process.env.TENANTD_BAD_RECORD ?? '';
if (GOOD_TOKEN === '' || BAD_RECORD === '') {
	bailOut('TENANTD_GOOD_TOKEN or TENANTD_BAD_RECORD is not set (run this through t/domains-ui.t)');
}

const ui = await openBrowser({ runTimeoutMs: 300000 });
const { page, screenshot } = ui;

const row = page.locator('li.tenant-row[data-subdomain="domui"]');

function domainOf(name) {
	return row.locator(`li.tenant-domain[data-domain="${name}"]`);
}

await group('the tenant list shows the domains', async () => {
	await page.goto('/admin/tenants?search=domui');
	await page.waitForURL(/\/admin\/login/);
	await login(page);
	await page.waitForURL(/\/admin\/tenants/);
	const good = domainOf('good.domui.test');
	await good.waitFor();
	await is(await good.locator('.badge').textContent(), 'Pending', 'good.domui.test is pending');
	await is(await good.locator('.domain-record-name').textContent(), '_tenantd-challenge.good.domui.test',
	    'the TXT record to create: its name');
	await is(await good.locator('.domain-record-value').textContent(), GOOD_TOKEN,
	    'the TXT record to create: the token');
	await ok(await domainOf('bad.domui.test').isVisible(), 'bad.domui.test is listed too');
	await screenshot('tenant-domains-pending');
});

await group('Verify with the wrong record', async () => {
	await domainOf('bad.domui.test').getByRole('button', { name: 'Verify' }).click();
	const message = row.locator('.row-message');
	await page.waitForFunction((element) => /not verified/.test(element.textContent ?? ''),
	    await message.elementHandle());
	const text = await message.textContent();
	await like(text, /bad\.domui\.test is not verified: 1 TXT record at _tenantd-challenge\.bad\.domui\.test, not the token/,
	    'says what the DNS holds');
	await ok(text.includes(BAD_RECORD), 'the record is shown as it is');
	await is(await message.locator('b, img').count(), 0, 'its markup made no element');
	await is(await domainOf('bad.domui.test').locator('.badge').textContent(), 'Pending', 'still pending');
});

await group('Verify with the token', async () => {
	await domainOf('good.domui.test').getByRole('button', { name: 'Verify' }).click();
	const badge = domainOf('good.domui.test').locator('.badge', { hasText: 'Active' });
	await badge.waitFor();
	await is(await badge.textContent(), 'Active', 'good.domui.test is active');
	await is(await domainOf('good.domui.test').getByRole('button', { name: 'Verify' }).count(), 0,
	    'an active domain has no Verify button');
	await like(await row.locator('.row-message').textContent(), /good\.domui\.test is verified and served/,
	    'says it is served');
	await screenshot('tenant-domains-verified');
});

await is(ui.problems.join('\n'), '', 'no script errors, CSP violations or JavaScript dialogs');

await ui.finish();
