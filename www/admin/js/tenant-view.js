// tenant-view.js - small pieces of a tenant's display shared by the
// dashboard and the tenant list: the active/archived badge, dates, and the
// two brand colors as swatches.

import { h } from './dom.js';

// "Active" or "Archived" as a badge.
export function statusBadge(tenant) {
	return tenant?.is_active
	    ? h('span', { class: 'badge badge-active' }, 'Active')
	    : h('span', { class: 'badge badge-archived' }, 'Archived');
}

// An ISO 8601 time as a short local date ("26 Nov 2026"), or the text as
// given when it is not a date.
export function formatDate(iso) {
	if (typeof iso !== 'string' || iso === '') {
		return 'unknown';
	}
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) {
		return iso;
	}
	return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

// A #rrggbb value, or null for anything else (only checked values reach
// the style of an element).
function cssColor(value) {
	return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value : null;
}

// The primary and secondary color as two small squares with their values
// as text for screen readers and tooltips.
export function colorSwatches(tenant) {
	const swatch = (label, value) => {
		const element = h('span', { class: 'swatch', title: `${label} ${value ?? ''}` });
		const color = cssColor(value);
		if (color !== null) {
			element.style.backgroundColor = color;
		}
		return element;
	};
	return h('span', { class: 'tenant-swatches' },
	    swatch('Primary color', tenant.primary_color),
	    swatch('Secondary color', tenant.secondary_color),
	    h('span', { class: 'visually-hidden' },
		`Colors ${tenant.primary_color ?? ''} and ${tenant.secondary_color ?? ''}`));
}
