// mail-ui.mjs - the ready e-mail in the admin UI's tenant list, in a real
// browser (Debian's chromium, driven by playwright-core).  Started by
// t/mail-ui.t, which brings the stack up with an SMTP server, has one
// tenant's e-mail sent (mailui-sent) and another's recorded as failed with
// a relay answer full of markup (mailui-failed), and passes, besides the
// settings admin-harness.mjs reads:
//
//   TENANTD_FAILED_ERROR  the last_error it stored for mailui-failed
//
// Prints TAP.  Checks: each row says where its e-mail stands; the relay's
// answer is shown as text, never as markup; a tenant without e-mail says
// nothing; no script errors, CSP violations or JavaScript dialogs.

import { group, login, openBrowser } from './admin-harness.mjs';
import { bailOut, is, like, ok } from './tap.mjs';

const FAILED_ERROR = process.env.TENANTD_FAILED_ERROR ?? '';
if (FAILED_ERROR === '') {
	bailOut('TENANTD_FAILED_ERROR is not set (run this through t/mail-ui.t)');
}

const ui = await openBrowser({ runTimeoutMs: 300000 });
const { page, screenshot } = ui;

function rowOf(subdomain) {
	return page.locator(`li.tenant-row[data-subdomain="${subdomain}"]`);
}

await group('the tenant list shows the ready e-mail', async () => {
	await page.goto('/admin/tenants?search=mailui');
	await page.waitForURL(/\/admin\/login/);
	await login(page);
	await page.waitForURL(/\/admin\/tenants/);
	const sent = rowOf('mailui-sent').locator('.tenant-mail');
	await sent.waitFor();
	await like(await sent.textContent(), /^Ready e-mail: sent \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d to sent@example\.com$/,
	    'a sent e-mail: when and to whom');
	const failed = rowOf('mailui-failed').locator('.tenant-mail');
	await failed.waitFor();
	await is(await failed.textContent(), `Ready e-mail: failed: ${FAILED_ERROR}`,
	    'a failed e-mail: the relay\'s answer as it is');
	await is(await failed.locator('*').count(), 0, 'the answer\'s markup made no element');
	await ok(await rowOf('mailui-silent').locator('.tenant-mail').isHidden(),
	    'a tenant without e-mail says nothing about it');
	await screenshot('tenants-ready-mail');
});

await is(ui.problems.join('\n'), '', 'no script errors, CSP violations or JavaScript dialogs');

await ui.finish();
