// chromium.mjs - Debian's chromium for the browser tests (admin-harness.mjs,
// site.mjs): started headless through playwright-core with the flags they
// all use, under a limit on the whole run.

import { chromium } from 'playwright-core';

import { doneTesting, fail } from './tap.mjs';

// Starts the chromium at `executablePath`.  Returns {browser, close()}:
// close() ends the limit and the browser.  A run still going after
// `runTimeoutMs` fails one test, closes the browser and exits with the
// plan printed.
export async function launchChromium(executablePath, runTimeoutMs) {
	const browser = await chromium.launch({
		executablePath,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const runTimer = setTimeout(async () => {
		await fail(`the browser test finished within ${runTimeoutMs / 1000} s`);
		await browser.close().catch(() => {});
		process.exit(doneTesting());
	}, runTimeoutMs);
	return {
		browser,
		close: async () => {
			clearTimeout(runTimer);
			await browser.close();
		},
	};
}
