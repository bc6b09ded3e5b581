// dialog.js - modal dialogs of the tenant list, on the native <dialog>
// element: the browser traps focus inside and closes it on Escape; this
// adds a title, a close button, removal from the page once closed, and
// focus back on the control that opened it.

import { h, uniqueId } from './dom.js';

// Opens a modal dialog titled `title` holding `content` (nodes).  Returns
// {dialog, close()}; `onClose` runs once it has closed, however it was
// closed.
export function openDialog({ title, content, onClose, className = '' }) {
	const opener = document.activeElement;
	const titleId = uniqueId('dialog-title');
	const closeButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary dialog-close' }, 'Close');
	const dialog = h('dialog', { 'aria-labelledby': titleId, class: className },
	    h('div', { class: 'dialog-body' },
		h('div', { class: 'dialog-head' },
		    h('h2', { id: titleId }, title),
		    closeButton),
		content));
	closeButton.addEventListener('click', () => dialog.close());
	dialog.addEventListener('close', () => {
		dialog.remove();
		if (opener instanceof HTMLElement && opener.isConnected) {
			opener.focus();
		}
		onClose?.();
	}, { once: true });
	document.body.append(dialog);
	dialog.showModal();
	return { dialog, close: () => dialog.close() };
}
