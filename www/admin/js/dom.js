// dom.js - builds DOM nodes for the admin UI without ever parsing HTML.
//
// Every page builds its dynamic parts with h(): strings become text nodes,
// so a tenant called "<img src=x onerror=...>" is shown as those characters
// and never becomes markup.  Nothing in the admin UI uses innerHTML.

// Attributes that are set as properties, because the property (not the
// attribute) is what the element shows once the user has touched it.
const PROPERTIES = new Set(['value', 'checked']);

// Appends `child` to `parent`: nodes as they are, strings and numbers as
// text, arrays one by one; null, undefined and false are skipped.
function appendChild(parent, child) {
	if (child === null || child === undefined || child === false) {
		return;
	}
	if (Array.isArray(child)) {
		for (const item of child) {
			appendChild(parent, item);
		}
		return;
	}
	if (child instanceof Node) {
		parent.appendChild(child);
		return;
	}
	parent.appendChild(document.createTextNode(String(child)));
}

// h('button', {type: 'button', class: 'btn', onclick: fn}, 'Save') returns
// a new element.  Keys starting with "on" add event listeners, "class" sets
// className, "dataset" copies into data-*, true sets an empty attribute and
// null/undefined/false leave the attribute out.
export function h(tag, attributes, ...children) {
	const element = document.createElement(tag);
	for (const [name, value] of Object.entries(attributes ?? {})) {
		if (value === null || value === undefined || value === false) {
			continue;
		}
		if (name.startsWith('on') && typeof value === 'function') {
			element.addEventListener(name.slice(2), value);
		} else if (name === 'class') {
			element.className = value;
		} else if (name === 'dataset') {
			Object.assign(element.dataset, value);
		} else if (PROPERTIES.has(name)) {
			element[name] = value;
		} else if (value === true) {
			element.setAttribute(name, '');
		} else {
			element.setAttribute(name, String(value));
		}
	}
	appendChild(element, children);
	return element;
}

// Replaces the children of `element` with `children` (same rules as h()).
export function replaceContent(element, ...children) {
	element.replaceChildren();
	appendChild(element, children);
	return element;
}

// Shorthand for document.getElementById that fails loudly: a page whose
// markup lost an element it needs is a bug, not something to work around.
export function byId(id) {
	const element = document.getElementById(id);
	if (element === null) {
		throw new Error(`the page has no element #${id}`);
	}
	return element;
}

// A link target that is safe to put in href: only http(s) URLs and
// same-origin paths, so data from the server can never become a
// javascript: link.  Returns null for anything else.
export function safeHref(url) {
	if (typeof url !== 'string' || url === '') {
		return null;
	}
	let parsed;
	try {
		parsed = new URL(url, window.location.origin);
	} catch {
		return null;
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		return null;
	}
	return parsed.href;
}

// Runs `fn` once calls have stopped for `delay` milliseconds (the search box
// and the subdomain check wait for the user to pause typing).
export function debounce(fn, delay) {
	let timer = null;
	const debounced = (...args) => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			timer = null;
			fn(...args);
		}, delay);
	};
	debounced.cancel = () => {
		clearTimeout(timer);
		timer = null;
	};
	return debounced;
}

// A unique id for elements built at run time (labels need ids to point at).
let idCounter = 0;
export function uniqueId(prefix) {
	idCounter += 1;
	return `${prefix}-${idCounter}`;
}
