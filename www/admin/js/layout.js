// layout.js - what every signed-in page of the admin UI does first: check
// the session (or go to the login page), show who is logged in, wire the
// logout button, and reveal the page.  Also the page-wide message area.

import { errorMessage, isQuiet, logout, requireSession } from './api.js';
import { byId, replaceContent } from './dom.js';

// Starts a signed-in page.  Resolves with the user once the session is
// confirmed; never resolves when the browser is on its way to the login
// page, or when the session could not be checked (the page then shows
// why, and stays empty rather than half drawn).
export async function startPage() {
	let user;
	try {
		user = await requireSession();
	} catch (error) {
		document.body.classList.remove('is-loading');
		showPageMessage(`Could not check the session: ${errorMessage(error)} Reload the page to try again.`,
		    'error');
		return new Promise(() => {});
	}
	replaceContent(byId('session-user'), user?.username ?? '');
	byId('logout').addEventListener('click', async () => {
		try {
			await logout();
		} catch (error) {
			showPageMessage(`Could not log out: ${errorMessage(error)}`,
			    'error');
		}
	});
	document.body.classList.remove('is-loading');
	return user;
}

// Shows `text` in the page's message area (#page-message), as
// showMessage() does.
export function showPageMessage(text, kind = 'info') {
	showMessage(byId('page-message'), text, kind);
}

// Shows a failed request in the page message area, unless it needs no
// message (aborted, or the login redirect is under way).
export function showPageError(prefix, error) {
	if (isQuiet(error)) {
		return;
	}
	showPageMessage(`${prefix}: ${errorMessage(error)}`, 'error');
}

const MESSAGE_KINDS = ['info', 'success', 'error'];

// Shows `text` in message element `element` (a page, form, dialog or row
// message): 'error' is announced at once (role=alert), 'info' and
// 'success' politely.  An empty text hides the element.
export function showMessage(element, text, kind = 'info') {
	element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
	for (const other of MESSAGE_KINDS) {
		element.classList.toggle(`message-${other}`, other === kind);
	}
	element.classList.add('message');
	element.hidden = text === '';
	replaceContent(element, text);
}
