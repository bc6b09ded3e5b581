// login.js - /admin/login: exchanges a user name and password for a session
// cookie (POST /api/auth/login) and goes back to the page that sent the
// operator here (?next=, only paths of this admin UI), or the dashboard.

import { api, ApiError, currentUser, errorMessage, safeNext, setCsrfToken } from './api.js';
import { byId } from './dom.js';
import { showMessage } from './layout.js';

const form = byId('login-form');
const username = byId('username');
const password = byId('password');
const submit = byId('login-submit');
const message = byId('login-message');
const next = safeNext(new URLSearchParams(window.location.search).get('next'));

// The message for a refused login.
function loginFailure(error) {
	if (error instanceof ApiError && error.status === 401) {
		return 'Wrong user name or password.';
	}
	if (error instanceof ApiError && error.status === 429) {
		const wait = error.retryAfter !== null ? ` Try again in ${error.retryAfter} seconds.` : ' Try again later.';
		return `Too many failed attempts.${wait}`;
	}
	if (error instanceof ApiError && error.status === 400) {
		return 'Enter a user name and a password.';
	}
	return `Could not log in: ${errorMessage(error)}`;
}

form.addEventListener('submit', async (event) => {
	event.preventDefault();
	if (username.value.trim() === '' || password.value === '') {
		showMessage(message, 'Enter a user name and a password.', 'error');
		(username.value.trim() === '' ? username : password).focus();
		return;
	}
	submit.disabled = true;
	showMessage(message, 'Logging in…');
	try {
		const answer = await api('POST', '/api/auth/login', {
			json: { username: username.value.trim(), password: password.value },
			redirectOn401: false,
		});
		setCsrfToken(answer?.csrf_token);
		window.location.replace(next);
	} catch (error) {
		submit.disabled = false;
		password.value = '';
		showMessage(message, loginFailure(error), 'error');
		password.focus();
	}
});

// An operator who still has a session goes straight on.
(async () => {
	try {
		if (await currentUser() !== null) {
			window.location.replace(next);
			return;
		}
	} catch {
		// The form works without this shortcut; a failure shows on submit.
	}
	if (document.activeElement === document.body) {
		username.focus();
	}
})();
