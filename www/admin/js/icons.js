// icons.js - the module icons of etc/modules.json (and a few for the UI)
// as small inline SVG line drawings, so they look the same on every
// machine whatever fonts it has.  Built with createElementNS from the
// constant shapes below; icons are decorative (aria-hidden), the module
// name is always written next to them.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Each icon is a list of [element, attributes] on a 24 x 24 grid.
const SHAPES = {
	users: [
		['circle', { cx: 9, cy: 8, r: 3.5 }],
		['path', { d: 'M2.5 20c0-3.6 2.9-6.5 6.5-6.5s6.5 2.9 6.5 6.5' }],
		['circle', { cx: 17, cy: 9, r: 2.5 }],
		['path', { d: 'M17.5 13.6c2.3.3 4 2.2 4 4.6' }],
	],
	clock: [
		['circle', { cx: 12, cy: 12, r: 9 }],
		['path', { d: 'M12 7v5l3.5 2' }],
	],
	wallet: [
		['path', { d: 'M19 7V5.5A1.5 1.5 0 0 0 17.5 4H5a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V9a2 2 0 0 0-2-2H5' }],
		['circle', { cx: 16.5, cy: 13.5, r: 1.3 }],
	],
	'clipboard-list': [
		['rect', { x: 5, y: 4.5, width: 14, height: 16.5, rx: 2 }],
		['rect', { x: 9, y: 2.5, width: 6, height: 4, rx: 1 }],
		['path', { d: 'M9 11h6M9 15h6' }],
	],
	'message-square': [
		['path', { d: 'M4 6a2 2 0 0 1 2-2h12a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H9l-5 4z' }],
	],
	calendar: [
		['rect', { x: 3.5, y: 5, width: 17, height: 15.5, rx: 2 }],
		['path', { d: 'M3.5 10h17M8 3v4M16 3v4' }],
	],
	'bar-chart': [
		['path', { d: 'M4 20h16M7 16.5v-5M12 16.5V6M17 16.5v-8' }],
	],
	bell: [
		['path', { d: 'M6 16v-5a6 6 0 0 1 12 0v5l1.5 2h-15z' }],
		['path', { d: 'M10 20.5a2.2 2.2 0 0 0 4 0' }],
	],
	upload: [
		['path', { d: 'M12 15V4M7.5 8.5 12 4l4.5 4.5' }],
		['path', { d: 'M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3' }],
	],
	module: [
		['rect', { x: 4, y: 4, width: 16, height: 16, rx: 3 }],
		['path', { d: 'M4 12h16M12 4v16' }],
	],
};

// An <svg> drawing of icon `name` (a generic one for unknown names).
export function icon(name, className = 'icon') {
	const svg = document.createElementNS(SVG_NS, 'svg');
	svg.setAttribute('viewBox', '0 0 24 24');
	svg.setAttribute('class', className);
	svg.setAttribute('aria-hidden', 'true');
	svg.setAttribute('focusable', 'false');
	const shapes = Object.hasOwn(SHAPES, name) ? SHAPES[name] : SHAPES.module;
	for (const [tag, attributes] of shapes) {
		const shape = document.createElementNS(SVG_NS, tag);
		for (const [attribute, value] of Object.entries(attributes)) {
			shape.setAttribute(attribute, String(value));
		}
		svg.appendChild(shape);
	}
	return svg;
}
