// templates-ui.mjs - the Templates page of the admin UI in a real browser
// (Debian's chromium, driven by playwright-core).  Started by
// t/templates-ui.t, which brings the stack up (deploys copying files),
// stores two template versions and passes, besides the settings
// admin-harness.mjs reads:
//
//   TENANTD_NEW_VERSION  the version `tenantctl template add` printed (the
//                        shipped template with one file changed); the
//                        shipped one is the default
//   TENANTD_TENANTS_DIR  the stack's tenants directory, where a tenant's
//                        file is changed by hand
//
// Prints TAP.  Checks: both versions listed with their facts and tenant
// counts; a rollout of the new version to 50% and then to all, the
// progress bar reaching 100% and the counts following; a rollout to
// listed tenants (an unknown name refused in the dialog, a tenant's
// changed file kept and listed); the new version made default; the
// tenant list showing each tenant's version; a rollout of a thousand
// tenants cancelled in the middle, the done tenants counted on the
// version; a reload coming back to the rollout.  Along the way: no
// script errors, no CSP violations, labels on every control, no sideways
// scrolling at 360 px.

import { chownSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

import {
	apiCall, BASE, createViaApi, group, JOB_TIMEOUT_MS, login, noSidewaysScroll, openBrowser, tenantBySubdomain,
	unlabelledControls, waitForJobViaApi,
} from './admin-harness.mjs';
import { bailOut, diag, is, like, ok } from './tap.mjs';

const NEW = process.env.TENANTD_NEW_VERSION ?? '';
if (!/^[0-9a-f]{12}$/.test(NEW)) {
	bailOut('TENANTD_NEW_VERSION is not a version (run this through t/templates-ui.t)');
}
const RUN_TIMEOUT_MS = 600000;
const SMALL = 10;
const LOAD = 1000;

const ui = await openBrowser({ runTimeoutMs: RUN_TIMEOUT_MS });
const { page, screenshot, docShots } = ui;

let OLD = '';

function tenantsText(count) {
	return `${count} ${count === 1 ? 'tenant' : 'tenants'}`;
}

async function apiVersions() {
	const r = await apiCall('GET', '/api/templates/');
	if (r.status !== 200 || !Array.isArray(r.json)) {
		throw new Error(`GET /api/templates/ -> ${r.status} ${r.text}`);
	}
	return new Map(r.json.map((v) => [v.version, v]));
}

function rowOf(version) {
	return page.locator(`li.version-row[data-version="${version}"]`);
}

async function fact(version, key) {
	return (await rowOf(version).locator(`[data-fact="${key}"] dd`).textContent())?.trim();
}

// The list drawn and not being read again.
async function versionsShown() {
	await page.locator('#version-list:not([aria-busy]) li.version-row').first().waitFor();
}

// Do the tenant counts the page shows agree with the API's?
async function countsAgree(description) {
	await versionsShown();
	const versions = await apiVersions();
	const shown = `${OLD}: ${await fact(OLD, 'tenants')}, ${NEW}: ${await fact(NEW, 'tenants')}`;
	await is(shown, `${OLD}: ${versions.get(OLD)?.tenants}, ${NEW}: ${versions.get(NEW)?.tenants}`, description);
	return versions;
}

async function tenantsOn(version) {
	return (await apiVersions()).get(version)?.tenants;
}

// Records every value the rollout's progress bar shows, in window.progressSeen.
async function recordProgress() {
	await page.evaluate(() => {
		window.progressSeen = [];
		window.progressObserver?.disconnect();
		window.progressObserver = new MutationObserver(() => {
			const bar = document.querySelector('#rollout [role="progressbar"]');
			const value = Number(bar?.getAttribute('aria-valuenow'));
			if (bar !== null && window.progressSeen.at(-1) !== value) {
				window.progressSeen.push(value);
			}
		});
		window.progressObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
	});
}

// Opens the rollout dialog of `version`, lets `choose(dialog)` fill it in,
// starts the rollout and returns the API's answer (job_id, tenants).
async function startRollout(version, choose) {
	await rowOf(version).getByRole('button', { name: 'Roll out…' }).click();
	const dialog = page.locator('dialog.rollout-dialog');
	await dialog.waitFor();
	await choose(dialog);
	const answer = page.waitForResponse((response) => response.request().method() === 'POST' &&
	    new URL(response.url()).pathname === `/api/templates/${version}/rollout/`);
	await dialog.getByRole('button', { name: 'Start rollout' }).click();
	const response = await answer;
	await is(response.status(), 202, `the rollout of ${version} is accepted (202)`);
	await dialog.waitFor({ state: 'detached' });
	return response.json();
}

// Waits for the rollout shown to end; returns its summary line.
async function rolloutSummary() {
	const summary = page.locator('#rollout-result .rollout-summary');
	await summary.waitFor({ timeout: JOB_TIMEOUT_MS });
	await versionsShown();
	return (await summary.textContent()).trim();
}

// Replaces a file of a tenant's site with other bytes, as the tenant's
// own change would (a new file, so no other tenant's copy or the store
// changes), owned as the folder is.
function changeTenantFile(tenantsDir, subdomain, path) {
	const file = `${tenantsDir}/${subdomain}/public/${path}`;
	const owner = statSync(`${tenantsDir}/${subdomain}/public`);
	const temporary = `${file}.test-change`;
	writeFileSync(temporary, `${readFileSync(file, 'utf8')}\n<!-- changed by the tenant -->\n`);
	chownSync(temporary, owner.uid, owner.gid);
	renameSync(temporary, file);
}

await group('setup through the API', async () => {
	const versions = await apiVersions();
	OLD = [...versions.values()].find((v) => v.is_default)?.version ?? '';
	await is(versions.size, 2, 'two template versions are stored');
	await ok(/^[0-9a-f]{12}$/.test(OLD) && OLD !== NEW, `the shipped template ${OLD} is the default, not ${NEW}`);
	const tenants = Array.from({ length: SMALL }, (_, i) => ({
		name: `Template Client ${i + 1}`, subdomain: `tpl-${String(i + 1).padStart(2, '0')}`,
	}));
	const r = await apiCall('POST', '/api/tenants/bulk-create/', { tenants, deploy: true });
	await is(r.json?.created_count, SMALL, `${SMALL} tenants created through the bulk API`);
	// Sites are deployed as the folders are built; a job deploys any left.
	if (r.json?.deploy_job_id !== null && r.json?.deploy_job_id !== undefined) {
		diag(`bulk create left a deploy job: ${r.json.deploy_job_id}`);
		await is((await waitForJobViaApi(r.json.deploy_job_id)).status, 'done', 'the deploy job it left is done');
	}
	await is(await tenantsOn(OLD), SMALL, `their sites are deployed: all ${SMALL} run the default version`);
});

await group('login', async () => {
	await page.goto('/admin/templates');
	await page.waitForURL(/\/admin\/login\?next=/);
	await login(page);
	await page.waitForURL(`${BASE}/admin/templates`);
	await ok(true, 'after logging in the browser is on the Templates page');
	await is(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).getAttribute('aria-current'),
	    'page', 'the navigation marks Templates as the current page');
});

await group('the versions', async () => {
	await versionsShown();
	const versions = await apiVersions();
	await is(await page.locator('li.version-row').count(), 2, 'both versions are listed');
	await ok(await rowOf(OLD).locator('.badge-default').isVisible(), 'the shipped version carries the Default badge');
	await is(await rowOf(NEW).locator('.badge-default').count(), 0, 'the new version does not');
	await is(await fact(OLD, 'tenants'), String(SMALL), `the shipped version counts ${SMALL} tenants`);
	await is(await fact(NEW, 'tenants'), '0', 'the new version none');
	await is(await fact(NEW, 'files'), String(versions.get(NEW).files), 'a version shows its number of files');
	await like(await fact(NEW, 'size'), /^\d+(\.\d)? KiB$/, `and its size, readable (${versions.get(NEW).bytes} bytes)`);
	await like(await fact(NEW, 'source'), /tenantctl template add/, 'and where it came from');
	await is(await rowOf(OLD).getByRole('button', { name: 'Make default' }).count(), 0, 'the default offers no Make default');
	await ok(await rowOf(NEW).getByRole('button', { name: 'Make default' }).isVisible(), 'the other version does');
	await like(await page.locator('#version-count').textContent(), new RegExp(`2 versions; new tenants get ${OLD}`),
	    'the page says how many versions there are and which one new tenants get');
	await is((await unlabelledControls(page)).join('\n'), '', 'Templates page: every control has a label');
});

let halfMoved = 0;

await group('roll out to 50%', async () => {
	await recordProgress();
	const answer = await startRollout(NEW, async (dialog) => {
		await is((await unlabelledControls(page, 'dialog.rollout-dialog')).join('\n'), '', 'rollout dialog: every control has a label');
		await dialog.getByLabel('Share of the tenants (%)').fill('0');
		await ok(await dialog.getByLabel('A share of them').isChecked(), 'typing a share chooses the share');
		const posted = [];
		const listener = (request) => {
			if (request.method() === 'POST') {
				posted.push(request.url());
			}
		};
		page.on('request', listener);
		await dialog.getByRole('button', { name: 'Start rollout' }).click();
		await like(await dialog.locator('.field-error:not([hidden])').textContent(), /whole number from 1 to 100/,
		    'a share of 0% is refused next to its field');
		page.off('request', listener);
		await is(posted.length, 0, '  and nothing is sent');
		await dialog.getByLabel('Share of the tenants (%)').fill('50');
		await screenshot('rollout-dialog');
	});
	const summary = await rolloutSummary();
	const job = (await apiCall('GET', `/api/jobs/${answer.job_id}/`)).json;
	await is(job?.status, 'done', 'API: the rollout job is done');
	halfMoved = job?.result?.deployed ?? -1;
	await ok(halfMoved > 0 && halfMoved < SMALL, `50% moved some tenants but not all (${halfMoved} of ${SMALL})`);
	await is(job?.result?.total, answer.tenants, 'API: the job moved the tenants the answer named');
	await is(summary, `Done: ${halfMoved} of ${tenantsText(answer.tenants)} moved to ${NEW}.`, 'the page says what the rollout did');
	await is(await page.locator('#rollout [role="progressbar"]').getAttribute('aria-valuenow'), '100', 'the progress bar reaches 100%');
	const seen = await page.evaluate(() => window.progressSeen);
	diag(`progress values seen: ${seen.join(' ')}`);
	await ok(seen.every((value, index) => index === 0 || value >= seen[index - 1]), 'the progress never goes back');
	await is(await page.locator('#rollout [data-count="deployed"] dd').textContent(), String(halfMoved), 'the moved count is shown');
	await is(await page.locator('#rollout [data-count="failed"] dd').textContent(), '0', 'and no failure');
	await like(page.url(), new RegExp(`\\?rollout=${answer.job_id}$`), 'the page URL names the rollout');
	const versions = await countsAgree('the tenant counts follow the rollout');
	await is(versions.get(NEW)?.tenants, halfMoved, `API: ${halfMoved} tenants on the new version`);
	await ok(await page.locator('#rollout-cancel').isHidden(), 'no Cancel button once it has ended');
});

await group('roll out to all', async () => {
	await recordProgress();
	const answer = await startRollout(NEW, async (dialog) => {
		await ok(await dialog.getByLabel('All active tenants not on this version yet').isChecked(), 'All is chosen when the dialog opens');
	});
	await is(answer.tenants, SMALL - halfMoved, 'the rollout names the tenants not on the version yet');
	const summary = await rolloutSummary();
	await is(summary, `Done: ${SMALL - halfMoved} of ${tenantsText(SMALL - halfMoved)} moved to ${NEW}.`, 'the page says what the rollout did');
	await is(await page.locator('#rollout [role="progressbar"]').getAttribute('aria-valuenow'), '100', 'the progress bar reaches 100%');
	const versions = await countsAgree('the tenant counts follow the rollout');
	await is(versions.get(NEW)?.tenants, SMALL, `API: all ${SMALL} tenants on the new version`);
	await is(await fact(OLD, 'tenants'), '0', 'the shipped version shows none');
	await screenshot('templates-rollout-done');
});

await group('roll out to listed tenants, keeping a changed file', async () => {
	const tenantsDir = process.env.TENANTD_TENANTS_DIR ?? '';
	const second = await tenantBySubdomain('tpl-02');
	changeTenantFile(tenantsDir, 'tpl-01', 'index.html');
	const answer = await startRollout(OLD, async (dialog) => {
		const field = dialog.getByLabel('Tenant ids or subdomains');
		await field.fill('tpl-01, no-such-tenant');
		await ok(await dialog.getByLabel('Specific tenants').isChecked(), 'typing tenants chooses Specific tenants');
		await dialog.getByRole('button', { name: 'Start rollout' }).click();
		await like(await dialog.locator('.field-error:not([hidden])').textContent(), /No tenant has the id or subdomain no-such-tenant/,
		    'an unknown subdomain is refused next to the field');
		await field.fill(`TPL-01 ${second.id}`);
	});
	await is(answer.tenants, 2, 'a subdomain and an id name two tenants');
	const summary = await rolloutSummary();
	await is(summary, `Done: 2 of 2 tenants moved to ${OLD}. 1 tenant kept files they had changed.`,
	    'the page says the tenants moved and one kept a changed file');
	const kept = page.locator('#rollout .rollout-kept > li');
	await is(await kept.count(), 1, 'one tenant is listed with kept files');
	await like(await kept.textContent(), /^tpl-01 \(id \d+\): 1 file\s*index\.html$/, '  tpl-01 with its index.html');
	await countsAgree('the tenant counts follow the rollout');
	await is(await tenantsOn(OLD), 2, 'API: two tenants back on the shipped version');
	docShots.set('templates', await screenshot('templates-kept-files'));
});

await group('make a version the default', async () => {
	await rowOf(NEW).getByRole('button', { name: 'Make default' }).click();
	const dialog = page.locator('dialog.default-dialog');
	await dialog.waitFor();
	await like(await dialog.textContent(), /New tenants get this version/, 'a dialog asks for confirmation and says what it means');
	await dialog.getByRole('button', { name: 'Make default' }).click();
	await dialog.waitFor({ state: 'detached' });
	await like(await page.locator('#page-message').textContent(), new RegExp(`${NEW} is now the default`), 'the page confirms it');
	await versionsShown();
	await rowOf(NEW).locator('.badge-default').waitFor();
	await is(await rowOf(OLD).locator('.badge-default').count(), 0, 'the badge moved to the new version');
	await ok(await rowOf(OLD).getByRole('button', { name: 'Make default' }).isVisible(), 'the shipped version offers Make default now');
	await is((await apiVersions()).get(NEW)?.is_default, true, 'API: the new version is the default');
	await createViaApi({ name: 'Fresh Client', subdomain: 'tpl-fresh' });
	await is((await tenantBySubdomain('tpl-fresh'))?.template_version, NEW, 'API: a new tenant gets it');
});

await group('the tenant list shows the template version', async () => {
	for (const [subdomain, version] of [['tpl-01', OLD], ['tpl-03', NEW]]) {
		await page.goto(`/admin/tenants?search=${subdomain}`);
		const row = page.locator(`li.tenant-row[data-subdomain="${subdomain}"]`);
		await row.waitFor();
		await is((await tenantBySubdomain(subdomain))?.template_version, version, `API: ${subdomain} runs ${version}`);
		await is(await row.locator('.tenant-template').textContent(), `Template ${version}`, `its row says so`);
	}
	await screenshot('tenant-list-version', { fullPage: false });
	const r = await apiCall('POST', '/api/tenants/?deploy=false', { name: 'Undeployed Client', subdomain: 'tpl-undeployed' });
	await page.goto('/admin/tenants?search=tpl-undeployed');
	await is(await page.locator('li.tenant-row[data-subdomain="tpl-undeployed"] .tenant-template').textContent(),
	    'No template version yet', 'a tenant never deployed has no version yet');
	await is((await apiCall('DELETE', `/api/tenants/${r.json?.id}/`)).status, 204, 'cleanup: it is deleted');
});

await group('cancel a rollout', async () => {
	const tenants = Array.from({ length: LOAD }, (_, i) => ({ name: `Load ${i + 1}`, subdomain: `load-${i + 1}` }));
	const r = await apiCall('POST', '/api/tenants/bulk-create/', { tenants, deploy: false });
	await is(r.json?.created_count, LOAD, `${LOAD} more tenants created (sites not deployed)`);
	await page.goto('/admin/templates');
	await versionsShown();
	const before = await apiVersions();
	await recordProgress();
	const answer = await startRollout(OLD, async () => {});
	const total = answer.tenants;
	await ok(total > LOAD, `the rollout names every tenant not on the version (${total})`);
	await page.waitForFunction(() => Number(document.querySelector('#rollout [role="progressbar"]')
	    ?.getAttribute('aria-valuenow')) > 0, null, { timeout: JOB_TIMEOUT_MS });
	await is(await rowOf(NEW).getByRole('button', { name: 'Roll out…' }).getAttribute('aria-disabled'), 'true',
	    'while it runs, no other rollout can be started');
	const cancelled = page.waitForResponse((response) => response.request().method() === 'POST' &&
	    new URL(response.url()).pathname === `/api/jobs/${answer.job_id}/cancel/`);
	await page.getByRole('button', { name: 'Cancel rollout' }).click();
	const cancelAnswer = await cancelled;
	await ok([200, 202].includes(cancelAnswer.status()), `the cancel is accepted (${cancelAnswer.status()})`);
	const summary = await rolloutSummary();
	const job = (await apiCall('GET', `/api/jobs/${answer.job_id}/`)).json;
	await is(job?.status, 'cancelled', 'API: the job is cancelled');
	const moved = job?.result?.deployed ?? -1;
	await ok(moved >= 0 && moved < total, `it stopped in the middle (${moved} of ${total} moved)`);
	await is(summary, `Cancelled: ${moved} of ${tenantsText(total)} moved to ${OLD}; the others stay on the version they had.`,
	    'the page says the rollout was cancelled and how far it came');
	const percent = Number(await page.locator('#rollout [role="progressbar"]').getAttribute('aria-valuenow'));
	await ok(percent < 100, `the progress bar stops short of 100% (${percent}%)`);
	const versions = await countsAgree('the tenant counts follow the cancelled rollout');
	await is(versions.get(OLD)?.tenants, before.get(OLD).tenants + moved, 'API: the moved tenants, and only they, are on the version');
	await ok(await page.getByRole('button', { name: 'Cancel rollout' }).isHidden(), 'the Cancel button is gone');
	await is(await rowOf(NEW).getByRole('button', { name: 'Roll out…' }).getAttribute('aria-disabled'), null,
	    'rollouts can be started again');
	await screenshot('templates-cancelled');

	await page.reload();
	await page.locator('#rollout-result .rollout-summary').waitFor();
	await is((await page.locator('#rollout-result .rollout-summary').textContent()).trim(), summary,
	    'a reload comes back to the rollout the URL names');
});

await group('a small screen', async () => {
	await noSidewaysScroll(ui, '/admin/templates', 'templates page');
});

await is(ui.problems.join('\n'), '', 'no script errors, CSP violations or JavaScript dialogs in any page');

await ui.finish();
