// dom.js - builds the page from data without ever parsing HTML: strings
// become text nodes and values become attributes, so a tenant called
// "<img src=x onerror=...>" is shown as exactly those characters.

// Appends `child` to `parent`: nodes as they are, strings and numbers as
// text, arrays item by item; null, undefined and false are skipped.
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
	parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

// h('a', {href: '/', class: 'card', onclick: fn}, 'Text') returns a new
// element.  Keys starting with "on" add event listeners, "class" sets
// className, true sets an empty attribute, null/undefined/false leave the
// attribute out; everything else is set with setAttribute.
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
		} else {
			element.setAttribute(name, value === true ? '' : String(value));
		}
	}
	appendChild(element, children);
	return element;
}
