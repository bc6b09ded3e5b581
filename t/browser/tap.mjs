// tap.mjs - a tiny TAP producer for the browser tests: ok/is/like/diag and
// a plan printed at the end (done_testing), so the Perl wrapper (and
// prove) can read the results.  The process exit code is 0 only when every
// test passed and at least one ran.

let count = 0;
let failed = 0;
let finished = false;
const failureHooks = [];

function escapeDescription(text) {
	return String(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, ' ');
}

// Prints `text` as TAP diagnostics (each line prefixed with "# ").
export function diag(text) {
	for (const line of String(text).split('\n')) {
		process.stdout.write(`# ${line}\n`);
	}
}

// Runs `hook(description)` after every failed test (the browser test saves
// a screenshot there).  Hooks may be async; failures inside them are only
// reported.
export function onFailure(hook) {
	failureHooks.push(hook);
}

async function runFailureHooks(description) {
	for (const hook of failureHooks) {
		try {
			await hook(description);
		} catch (error) {
			diag(`failure hook: ${error?.message ?? error}`);
		}
	}
}

// One test: passes when `condition` is truthy.  Returns the condition as a
// boolean, so callers can add diagnostics.
export async function ok(condition, description) {
	count += 1;
	const passed = Boolean(condition);
	process.stdout.write(`${passed ? 'ok' : 'not ok'} ${count} - ${escapeDescription(description)}\n`);
	if (!passed) {
		failed += 1;
		await runFailureHooks(description);
	}
	return passed;
}

// Passes when `got` === `expected`; shows both when it fails.
export async function is(got, expected, description) {
	const passed = Object.is(got, expected);
	if (!await ok(passed, description)) {
		diag(`     got: ${JSON.stringify(got)}`);
		diag(`expected: ${JSON.stringify(expected)}`);
	}
	return passed;
}

// Passes when string `got` matches `pattern`.
export async function like(got, pattern, description) {
	const passed = typeof got === 'string' && pattern.test(got);
	if (!await ok(passed, description)) {
		diag(`     got: ${JSON.stringify(got)}`);
		diag(`expected to match: ${pattern}`);
	}
	return passed;
}

// A failed test for an exception that ended a group of steps.
export async function fail(description, error) {
	await ok(false, description);
	if (error !== undefined) {
		diag(String(error?.stack ?? error));
	}
}

// Prints a skipped test.
export function skip(description, reason) {
	count += 1;
	process.stdout.write(`ok ${count} - ${escapeDescription(description)} # SKIP ${escapeDescription(reason)}\n`);
}

// Ends the output with the plan "1..N" and returns the exit code to use.
export function doneTesting() {
	if (!finished) {
		finished = true;
		process.stdout.write(`1..${count}\n`);
	}
	if (failed > 0) {
		diag(`Looks like you failed ${failed} test${failed === 1 ? '' : 's'} of ${count}.`);
	}
	return failed === 0 && count > 0 ? 0 : 1;
}

// Stops at once (the environment is unusable): prints "Bail out!".
export function bailOut(reason) {
	process.stdout.write(`Bail out! ${escapeDescription(reason)}\n`);
	process.exit(255);
}
