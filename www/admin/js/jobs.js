// jobs.js - progress of background jobs (deploys, rollouts): a progress bar
// built for assistive technology, a poller that drives it from
// GET /api/jobs/{id}/ until the job is done, has failed or was cancelled,
// and the request that cancels a job.

import { api, ApiError } from './api.js';
import { h, uniqueId } from './dom.js';

const POLL_INTERVAL_MS = 300;
// Consecutive failed polls tolerated (a worker restarting, a blip).
const POLL_FAILURES_MAX = 5;

const STATUS_TEXT = {
	queued: 'Queued, waiting for a job runner…',
	running: 'Deploying the site…',
	done: 'Done.',
	failed: 'Failed.',
	cancelled: 'Cancelled.',
};

// What a job of a kind other than a deploy says while it runs.
const RUNNING_TEXT = {
	rollout: 'Moving tenants to the version…',
};

// A progress bar: returns {element, set(percent, text)}.  The bar is a
// role=progressbar with aria-valuenow; the text under it is a polite live
// region, so a screen reader hears the phases without every percent.
export function createProgress(label) {
	const labelId = uniqueId('progress-label');
	const fill = h('div', { class: 'progress-fill' });
	const track = h('div', {
		class: 'progress-track',
		role: 'progressbar',
		'aria-labelledby': labelId,
		'aria-valuemin': 0,
		'aria-valuemax': 100,
		'aria-valuenow': 0,
	}, fill);
	const percentText = h('span', { class: 'progress-percent' }, '0%');
	const statusText = h('p', { class: 'progress-status', 'aria-live': 'polite' });
	const element = h('div', { class: 'progress' },
	    h('div', { class: 'progress-head' },
		h('span', { id: labelId, class: 'progress-label' }, label),
		percentText),
	    track, statusText);
	return {
		element,
		set(percent, text) {
			const value = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
			track.setAttribute('aria-valuenow', String(value));
			fill.style.width = `${value}%`;
			percentText.textContent = `${value}%`;
			if (text !== undefined && statusText.textContent !== text) {
				statusText.textContent = text;
			}
		},
		fail() {
			element.classList.add('progress-failed');
		},
	};
}

function sleep(ms, signal) {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			clearTimeout(timer);
			reject(new DOMException('aborted', 'AbortError'));
		}, { once: true });
	});
}

// The text for a job's current state.
export function jobStatusText(job) {
	const status = String(job?.status ?? 'unknown');
	if (status === 'running' && Object.hasOwn(RUNNING_TEXT, String(job?.kind))) {
		return RUNNING_TEXT[job.kind];
	}
	return Object.hasOwn(STATUS_TEXT, status) ? STATUS_TEXT[status] : `Status: ${status}`;
}

// Polls job `id` every 300 ms, calling onUpdate(job) each time, until it is
// done (resolves with the job), failed (rejects with an ApiError whose
// message is the job's error) or cancelled (rejects with an ApiError of
// code 'job_cancelled' whose `job` is the job, with what it did before it
// stopped).  A few failed polls in a row are retried before giving up.
export async function waitForJob(id, onUpdate, { signal } = {}) {
	let failures = 0;
	for (;;) {
		let job;
		try {
			job = await api('GET', `/api/jobs/${encodeURIComponent(id)}/`,
			    { signal });
			failures = 0;
		} catch (error) {
			if (error?.name === 'AbortError' ||
			    (error instanceof ApiError && (error.redirecting ||
			    error.status === 404))) {
				throw error;
			}
			failures += 1;
			if (failures >= POLL_FAILURES_MAX) {
				throw error;
			}
			await sleep(POLL_INTERVAL_MS, signal);
			continue;
		}
		onUpdate(job);
		if (job?.status === 'done') {
			return job;
		}
		if (job?.status === 'failed') {
			throw new ApiError(200, 'job_failed',
			    typeof job.error === 'string' && job.error !== ''
				? job.error : 'the job failed');
		}
		if (job?.status === 'cancelled') {
			const cancelled = new ApiError(200, 'job_cancelled', 'the job was cancelled');
			cancelled.job = job;
			throw cancelled;
		}
		await sleep(POLL_INTERVAL_MS, signal);
	}
}

// POST /api/jobs/{id}/cancel/: resolves with true when the job stops (at
// once when it was queued, within a few seconds when it runs; the poller
// sees it end), false when it had already finished.  Throws ApiError for
// anything else (404: no such job).
export async function cancelJob(id) {
	try {
		await api('POST', `/api/jobs/${encodeURIComponent(id)}/cancel/`, { json: {} });
		return true;
	} catch (error) {
		if (error instanceof ApiError && error.status === 409) {
			return false;
		}
		throw error;
	}
}
