// fields.js - the form controls the create page and the edit dialog share:
// labelled text fields with an error slot, a color chosen with a picker or
// typed as #rrggbb (kept in sync), a logo upload with preview and
// client-side checks, and the mapping of the API's `fields` errors onto
// them, with a form message that goes once the marked fields are
// corrected.  Everything is built with h(); nothing is parsed as HTML.

import { h, uniqueId } from './dom.js';
import { icon } from './icons.js';
import { showMessage } from './layout.js';

export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const LOGO_MAX_BYTES = 2 * 1024 * 1024;
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;
// Fired (bubbling) by a field's error slot whenever its mark changes, so a
// form can tell when the last marked field was corrected.
const FIELD_ERROR_CHANGED = 'fielderrorchange';

// The icon of a module (decorative: its name is always written next to it).
export function moduleIcon(name) {
	return icon(typeof name === 'string' ? name : 'module', 'icon module-icon');
}

// Links input `input` to its hint and error paragraphs for screen readers.
function describe(input, ...elements) {
	const ids = elements.filter(Boolean).map((element) => element.id);
	if (ids.length > 0) {
		input.setAttribute('aria-describedby', ids.join(' '));
	}
}

function errorSlot(id) {
	return h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
}

// Shows `message` in a field's error slot and marks its input invalid; an
// empty message clears both.
export function setFieldError(field, message) {
	const wasMarked = !field.error.hidden;
	field.error.textContent = message;
	field.error.hidden = message === '';
	if (message === '') {
		field.input.removeAttribute('aria-invalid');
	} else {
		field.input.setAttribute('aria-invalid', 'true');
	}
	if (wasMarked !== !field.error.hidden) {
		field.error.dispatchEvent(new Event(FIELD_ERROR_CHANGED, { bubbles: true }));
	}
}

// A labelled text input: returns {element, input, error}.  `extra` is
// placed right after the input (the Generate button, a status line).
// Typing in it clears its error: the user is correcting it.
export function textField({ id, name, label, type = 'text', value = '',
    required = false, autocomplete, placeholder, hint, maxlength, extra }) {
	const inputId = id ?? uniqueId(name);
	const input = h('input', {
		id: inputId, name, type, value, autocomplete, placeholder, maxlength,
		required, 'aria-required': required ? 'true' : null,
	});
	const hintElement = hint ? h('p', { id: `${inputId}-hint`, class: 'hint' }, hint) : null;
	const error = errorSlot(inputId);
	describe(input, hintElement, error);
	input.addEventListener('input', () => setFieldError({ input, error }, ''));
	const element = h('div', { class: 'field' },
	    h('label', { for: inputId }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
	    extra ? h('div', { class: 'field-row' }, input, extra) : input,
	    hintElement, error);
	return { element, input, error };
}

// A color as a picker plus a #rrggbb text field, kept in sync both ways.
// Returns {element, input, picker, error, value()}; `input` (the text
// field) is what the form sends.
export function colorField({ id, name, label, value }) {
	const inputId = id ?? uniqueId(name);
	const pickerId = `${inputId}-picker`;
	const initial = COLOR_PATTERN.test(value ?? '') ? value.toLowerCase() : '#000000';
	const picker = h('input', { id: pickerId, type: 'color', value: initial, class: 'color-picker' });
	const input = h('input', {
		id: inputId, name, type: 'text', value: initial, class: 'color-text',
		maxlength: 7, spellcheck: 'false', autocomplete: 'off',
		pattern: '#[0-9a-fA-F]{6}',
	});
	const swatchLabel = h('label', { for: pickerId, class: 'visually-hidden' }, `${label} picker`);
	const hint = h('p', { id: `${inputId}-hint`, class: 'hint' }, 'Pick a color or type it as #rrggbb.');
	const error = errorSlot(inputId);
	describe(input, hint, error);
	const field = { input, picker, error };
	picker.addEventListener('input', () => {
		input.value = picker.value;
		setFieldError(field, '');
	});
	input.addEventListener('input', () => {
		const text = input.value.trim();
		if (COLOR_PATTERN.test(text)) {
			picker.value = text.toLowerCase();
			setFieldError(field, '');
		}
	});
	input.addEventListener('change', () => {
		const text = input.value.trim();
		setFieldError(field, COLOR_PATTERN.test(text) ? '' : 'Use the form #rrggbb, e.g. #3498db.');
	});
	const element = h('div', { class: 'field color-field' },
	    h('label', { for: inputId }, label),
	    h('div', { class: 'field-row' }, swatchLabel, picker, input),
	    hint, error);
	return { ...field, element, value: () => input.value.trim() };
}

// Is `file` one the server will take as a logo (judged by what the
// browser knows; the server decides from the bytes)?  Returns an error
// message, or '' when it looks right.
export function logoProblem(file) {
	if (!LOGO_TYPES.includes(file.type)) {
		return 'The logo must be a PNG, JPEG, GIF or WebP image.';
	}
	if (file.size > LOGO_MAX_BYTES) {
		return `The logo must be at most 2 MiB; this file has ${(file.size / 1048576).toFixed(1)} MiB.`;
	}
	return '';
}

// A logo upload with preview and a remove button.  `currentUrl` shows the
// logo a tenant already has.  Returns {element, input, error, change()}:
// change() is undefined (leave the logo as it is), a File (upload it) or
// null (remove the logo).
export function logoField({ id, label, currentUrl = null }) {
	const inputId = id ?? uniqueId('logo');
	let objectUrl = null;
	let file = null;
	let removed = false;
	const input = h('input', {
		id: inputId, name: 'logo', type: 'file', class: 'upload-input',
		accept: LOGO_TYPES.join(','),
	});
	const hint = h('p', { id: `${inputId}-hint`, class: 'hint' },
	    'PNG, JPEG, GIF or WebP, at most 2 MiB.');
	const error = errorSlot(inputId);
	error.setAttribute('role', 'alert');
	describe(input, hint, error);
	const image = h('img', { class: 'logo-preview-image', alt: 'Logo preview' });
	const removeButton = h('button', { type: 'button', class: 'btn btn-small btn-secondary' }, 'Remove logo');
	const preview = h('div', { class: 'logo-preview', hidden: true }, image, removeButton);
	const field = { input, error };

	function showPreview(url) {
		if (url === null) {
			image.removeAttribute('src');
			preview.hidden = true;
			return;
		}
		image.src = url;
		preview.hidden = false;
	}
	function dropObjectUrl() {
		if (objectUrl !== null) {
			URL.revokeObjectURL(objectUrl);
			objectUrl = null;
		}
	}
	// The current logo may be missing on disk; then it is simply not shown.
	image.addEventListener('error', () => {
		if (file === null) {
			showPreview(null);
		}
	});

	input.addEventListener('change', () => {
		const chosen = input.files?.[0] ?? null;
		if (chosen === null) {
			return;
		}
		const problem = logoProblem(chosen);
		if (problem !== '') {
			input.value = '';
			setFieldError(field, problem);
			return;
		}
		setFieldError(field, '');
		dropObjectUrl();
		file = chosen;
		removed = false;
		objectUrl = URL.createObjectURL(chosen);
		showPreview(objectUrl);
	});
	removeButton.addEventListener('click', () => {
		dropObjectUrl();
		input.value = '';
		file = null;
		removed = currentUrl !== null;
		setFieldError(field, '');
		showPreview(null);
		input.focus();
	});
	if (currentUrl !== null) {
		showPreview(currentUrl);
	}

	const element = h('div', { class: 'field logo-field' },
	    h('span', { class: 'field-label', id: `${inputId}-label` }, label),
	    h('div', { class: 'upload' },
		input,
		h('label', { for: inputId, class: 'upload-box' },
		    icon('upload', 'icon upload-icon'),
		    h('span', null, currentUrl !== null ? 'Choose a new logo…' : 'Choose a logo…'))),
	    hint, preview, error);
	return {
		element,
		input,
		error,
		change() {
			if (file !== null) {
				return file;
			}
			return removed ? null : undefined;
		},
		reset() {
			dropObjectUrl();
			input.value = '';
			file = null;
			removed = false;
			showPreview(currentUrl);
		},
	};
}

// Maps the API's {"fields": {name: message}} onto registered fields, and
// keeps the form's message ("correct the marked fields") only as long as
// a field is still marked.
export class FieldErrors {
	constructor() {
		this.fields = new Map();
		this.pending = null;
		this.watchedForm = null;
	}

	register(name, field) {
		this.fields.set(name, field);
	}

	clear() {
		this.pending = null;
		for (const field of this.fields.values()) {
			setFieldError(field, '');
		}
	}

	// Does any registered field show an error?
	marked() {
		return [...this.fields.values()].some((field) => !field.error.hidden);
	}

	// Shows the API's field errors next to their fields and, in message
	// element `message`, "<prefix>; correct the marked fields." with the
	// problems no field shows.  Once every marked field is corrected, only
	// those problems stay ("<prefix>: ..."), or the message goes.
	report(fieldMessages, message, prefix) {
		const unplaced = this.show(fieldMessages);
		const rest = unplaced.length > 0 ? `${prefix}: ${unplaced.join('; ')}` : '';
		if (!this.marked()) {
			showMessage(message, rest, 'error');
			return;
		}
		this.keepUntilCorrected(message,
		    `${prefix}; correct the marked fields.${unplaced.length > 0 ? ` ${unplaced.join('; ')}` : ''}`, rest);
	}

	// Shows error `text` in `message` (inside the form of the fields) until
	// no field is marked any more; then `rest` takes its place ('' hides
	// the message).
	keepUntilCorrected(message, text, rest = '') {
		showMessage(message, text, 'error');
		this.pending = { message, rest };
		const form = message.closest('form');
		if (form !== null && form !== this.watchedForm) {
			form.addEventListener(FIELD_ERROR_CHANGED, () => this.dropWhenCorrected());
			this.watchedForm = form;
		}
	}

	dropWhenCorrected() {
		if (this.pending === null || this.marked()) {
			return;
		}
		const { message, rest } = this.pending;
		this.pending = null;
		showMessage(message, rest, 'error');
	}

	// Shows each message next to its field, focuses the first one, and
	// returns the ones that had no field (as "name: message" strings).
	show(fieldMessages) {
		const unplaced = [];
		const shown = [];
		for (const [name, message] of Object.entries(fieldMessages ?? {})) {
			const field = this.fields.get(name);
			if (field === undefined) {
				unplaced.push(`${name}: ${String(message)}`);
				continue;
			}
			setFieldError(field, String(message));
			shown.push(field);
		}
		// The first field on the page, not the first in the answer.
		shown.sort((a, b) => (a.input.compareDocumentPosition(b.input) &
		    Node.DOCUMENT_POSITION_FOLLOWING) ? -1 : 1);
		shown[0]?.input.focus();
		return unplaced;
	}
}
