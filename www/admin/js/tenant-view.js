// tenant-view.js - small pieces of a tenant's display shared by the
// dashboard, the tenant list and the templates page: the active/archived
// badge, dates, the template version a tenant runs, the two brand colors
// as swatches, the logo, and where its ready e-mail stands.

import { h } from './dom.js';

// "Active" or "Archived" as a badge.
export function statusBadge(tenant) {
	return tenant?.is_active
	    ? h('span', { class: 'badge badge-active' }, 'Active')
	    : h('span', { class: 'badge badge-archived' }, 'Archived');
}

const DATE_FORMAT = { day: 'numeric', month: 'short', year: 'numeric' };

// An ISO 8601 time in the local time zone with `format` (as for
// toLocaleString), or the text as given when it is not a date.
function formatTime(iso, format) {
	if (typeof iso !== 'string' || iso === '') {
		return 'unknown';
	}
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) {
		return iso;
	}
	return date.toLocaleString(undefined, format);
}

// An ISO 8601 time as a short local date ("26 Nov 2026").
export function formatDate(iso) {
	return formatTime(iso, DATE_FORMAT);
}

// An ISO 8601 time as a short local date and time ("26 Nov 2026, 21:35").
export function formatDateTime(iso) {
	return formatTime(iso, { ...DATE_FORMAT, hour: '2-digit', minute: '2-digit' });
}

// The template version a tenant's site runs ("Template 1a2b3c4d5e6f"), or
// a note that it has none recorded (not deployed since versions exist).
export function templateVersion(tenant) {
	const version = tenant?.template_version;
	return typeof version === 'string' && version !== ''
	    ? h('span', { class: 'tenant-template', dataset: { version } }, 'Template ', h('code', null, version))
	    : h('span', { class: 'tenant-template' }, 'No template version yet');
}

// Where the last of a tenant's e-mails (GET /api/tenants/{id}/notifications/,
// oldest first) stands, as text for textContent: "Ready e-mail: sent
// 2 Dec 2026, 08:10 to a@acme.com", "Ready e-mail: failed: 550 ...",
// "Ready e-mail: queued (attempt 2)"; null when there is none.
export function readyMailText(notifications) {
	const last = Array.isArray(notifications) ? notifications[notifications.length - 1] : undefined;
	if (last === undefined || last === null) {
		return null;
	}
	const attempts = Number(last.attempts) || 0;
	switch (last.status) {
	case 'sent':
		return `Ready e-mail: sent ${formatDateTime(last.sent_at)} to ${last.to}`;
	case 'failed':
		return `Ready e-mail: failed: ${last.last_error ?? 'unknown error'}`;
	default:
		return attempts > 0
		    ? `Ready e-mail: queued (attempt ${attempts + 1}; last: ${last.last_error ?? 'no answer'})`
		    : 'Ready e-mail: queued';
	}
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

// Where the admin host serves the logo of `tenant` (the public asset
// route), or null when it has none, or is archived (its folder, and with it
// its assets, is offline).  updated_at rides along as a query, so a changed
// logo is not taken from the browser's cache under the same name.
export function logoUrl(tenant) {
	if (typeof tenant?.logo !== 'string' || tenant.logo === '' || !tenant.is_active) {
		return null;
	}
	const version = typeof tenant.updated_at === 'string' ? `?v=${encodeURIComponent(tenant.updated_at)}` : '';
	return `/api/tenants/by-subdomain/${encodeURIComponent(tenant.subdomain)}/assets/${encodeURIComponent(tenant.logo)}${version}`;
}

// The first letter of a name, for a tenant without a logo.
function initial(name) {
	const first = Array.from(typeof name === 'string' ? name.trim() : '')[0];
	return first === undefined ? '?' : first.toUpperCase();
}

// A small square with the tenant's logo, or its initial when there is no
// logo or it does not load.  Decorative: the tenant's name is always
// written next to it.
export function logoThumbnail(tenant) {
	const monogram = () => h('span', { class: 'tenant-logo tenant-monogram', 'aria-hidden': 'true' }, initial(tenant.name));
	const url = logoUrl(tenant);
	if (url === null) {
		return monogram();
	}
	const image = h('img', {
		class: 'tenant-logo-image', src: url, alt: '', width: '40', height: '40', decoding: 'async',
	});
	const frame = h('span', { class: 'tenant-logo' }, image);
	image.addEventListener('error', () => frame.replaceWith(monogram()));
	return frame;
}

