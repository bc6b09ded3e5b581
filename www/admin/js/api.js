// api.js - the admin UI's only way to talk to tenantd's API.
//
// Keeps the session's CSRF token in memory (from /api/auth/me or the login
// answer; never in storage), sends it with every unsafe request, turns
// error documents into ApiError, and sends the browser to the login page
// when the session is missing or has expired, with the current page as
// `next` so the operator comes back to it.

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOGIN_PATH = '/admin/login';
const HOME_PATH = '/admin/';

let csrfToken = null;
let redirecting = false;

// An API failure: `status` is the HTTP status (0 when the server could not
// be reached), `code` the machine code of the error document, `fields` its
// per-field messages.  `redirecting` is true when the page is already on
// its way to the login page and the error needs no message.
export class ApiError extends Error {
	constructor(status, code, message, fields, redirectingToLogin = false) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.fields = fields && typeof fields === 'object' ? fields : {};
		this.redirecting = redirectingToLogin;
	}
}

// The login page URL that brings the operator back to where they are now.
export function loginUrl() {
	const here = window.location.pathname + window.location.search;
	return `${LOGIN_PATH}?next=${encodeURIComponent(here)}`;
}

// Leaves for the login page (once, however many requests failed with 401).
export function redirectToLogin() {
	if (!redirecting) {
		redirecting = true;
		window.location.assign(loginUrl());
	}
}

// Where to go after logging in: the `next` parameter when it is a path of
// this admin UI on this origin (never another site, never the login page
// itself), else the dashboard.
export function safeNext(raw) {
	if (typeof raw !== 'string' || !raw.startsWith('/admin/')) {
		return HOME_PATH;
	}
	let url;
	try {
		url = new URL(raw, window.location.origin);
	} catch {
		return HOME_PATH;
	}
	if (url.origin !== window.location.origin ||
	    !url.pathname.startsWith('/admin/') ||
	    url.pathname === LOGIN_PATH || url.pathname.startsWith(`${LOGIN_PATH}.`)) {
		return HOME_PATH;
	}
	return url.pathname + url.search + url.hash;
}

// Remembers the CSRF token of a fresh login.
export function setCsrfToken(token) {
	csrfToken = typeof token === 'string' && token !== '' ? token : null;
}

// A message for an answer without a usable error document.
function fallbackMessage(status) {
	if (status === 413) {
		return 'The request is too large.';
	}
	if (status === 502 || status === 503 || status === 504) {
		return 'The service is not available right now; try again shortly.';
	}
	return `The server answered with status ${status}.`;
}

// Reads a response body: JSON when the server says so, else null.
async function readBody(response) {
	if (response.status === 204) {
		return null;
	}
	const type = response.headers.get('Content-Type') ?? '';
	if (!/[/+]json\b/.test(type)) {
		return null;
	}
	try {
		return await response.json();
	} catch {
		return null;
	}
}

// Sends one request.  `options.json` (an object, sent as JSON) or
// `options.form` (a FormData, sent as multipart) is the body; `signal`
// aborts it; `redirectOn401: false` hands a 401 back to the caller (the
// login page).
async function send(method, path, options) {
	const headers = { Accept: 'application/json' };
	let body;
	if (options.json !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(options.json);
	} else if (options.form !== undefined) {
		body = options.form;
	}
	if (UNSAFE_METHODS.has(method) && csrfToken !== null) {
		headers['X-CSRF-Token'] = csrfToken;
	}
	try {
		return await fetch(path, {
			method,
			headers,
			body,
			credentials: 'same-origin',
			cache: 'no-store',
			signal: options.signal,
		});
	} catch (error) {
		if (error.name === 'AbortError') {
			throw error;
		}
		throw new ApiError(0, 'network_error',
		    'Could not reach the server. Check the connection and try again.');
	}
}

// Calls the API and returns the decoded JSON (null for 204).  Throws
// ApiError for any status outside 2xx, and AbortError when aborted.  A
// session whose CSRF token went stale (a login in another tab) is asked
// for the current token once and the request is repeated.
export async function api(method, path, options = {}) {
	let response = await send(method, path, options);
	let data = await readBody(response);
	if (response.status === 403 && data?.code === 'csrf_failed' &&
	    !options.csrfRetried) {
		try {
			await refreshSession();
		} catch (error) {
			if (error instanceof ApiError && error.redirecting) {
				throw error;
			}
		}
		return api(method, path, { ...options, csrfRetried: true });
	}
	if (response.status === 401 && options.redirectOn401 !== false) {
		redirectToLogin();
		throw new ApiError(401, data?.code ?? 'unauthenticated',
		    'The session has expired; opening the login page.', null, true);
	}
	if (!response.ok) {
		const message = typeof data?.error === 'string' && data.error !== ''
		    ? data.error : fallbackMessage(response.status);
		const error = new ApiError(response.status,
		    data?.code ?? 'http_error', message, data?.fields);
		const retryAfter = Number.parseInt(
		    response.headers.get('Retry-After') ?? '', 10);
		error.retryAfter = Number.isFinite(retryAfter) ? retryAfter : null;
		throw error;
	}
	return data;
}

// GET /api/auth/me: the logged-in user, remembering the CSRF token.
async function refreshSession(options = {}) {
	const me = await api('GET', '/api/auth/me', { ...options, csrfRetried: true });
	setCsrfToken(me?.csrf_token);
	return me?.user ?? null;
}

// Every page but the login page starts here: returns the user, or sends
// the browser to the login page (and never resolves, so the page does not
// go on to draw itself for nobody).
export async function requireSession() {
	try {
		return await refreshSession();
	} catch (error) {
		if (error instanceof ApiError && error.redirecting) {
			return new Promise(() => {});
		}
		throw error;
	}
}

// For the login page: the user when a session is already alive, else null.
export async function currentUser() {
	try {
		return await refreshSession({ redirectOn401: false });
	} catch (error) {
		if (error instanceof ApiError && error.status === 401) {
			return null;
		}
		throw error;
	}
}

// Ends the session and goes to the login page.
export async function logout() {
	try {
		await api('POST', '/api/auth/logout', { redirectOn401: false });
	} catch (error) {
		if (!(error instanceof ApiError) || error.status !== 401) {
			throw error;
		}
	}
	csrfToken = null;
	redirecting = true;
	window.location.assign(LOGIN_PATH);
}

// Is `error` one the page should not show (an aborted request, or the
// login redirect already under way)?
export function isQuiet(error) {
	return error?.name === 'AbortError' ||
	    (error instanceof ApiError && error.redirecting);
}

// The text to show for a failed request.
export function errorMessage(error) {
	if (error instanceof ApiError) {
		return error.message;
	}
	return 'Something went wrong in the page; reload it and try again.';
}
