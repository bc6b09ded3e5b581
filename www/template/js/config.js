// config.js - which tenant this site belongs to and what its config.json
// says.  The tenant is the first label of the host name (acme in
// acme.example.com); its config comes from tenantd's public endpoint,
// revalidated on every load (the ETag makes that cheap), so a module
// switched on or off in the admin UI shows at the next reload.

const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
// A path on this site: one or more segments of safe characters.
const ROUTE = /^(\/[A-Za-z0-9._~-]+)+\/?$/;
// The origin this module was loaded from: the site's own, or the CDN's
// when the site's files come from one (tenantd.conf's asset_base_url).
const ASSET_ORIGIN = new URL(import.meta.url).origin;

// The host has no site: an unknown or archived tenant (config 404), or a
// host name that cannot be a tenant's.
export class SiteUnavailable extends Error {
	constructor() {
		super('This site is not available');
		this.name = 'SiteUnavailable';
	}
}

// The config could not be loaded now (network, server error): worth a retry.
export class LoadFailed extends Error {
	constructor(reason) {
		super(`The workspace could not be loaded (${reason})`);
		this.name = 'LoadFailed';
	}
}

// The tenant's subdomain: the first label of `hostname`, or null when the
// host cannot be a tenant's (one label only, an IP address, not a label).
export function tenantSubdomain(hostname = window.location.hostname) {
	const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
	if (labels.length < 2 || labels.every((label) => /^\d+$/.test(label))) {
		return null;
	}
	return SUBDOMAIN.test(labels[0]) ? labels[0] : null;
}

// The domain the tenants live under (example.com for acme.example.com).
export function baseDomain(hostname = window.location.hostname) {
	const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
	return labels.slice(1).join('.');
}

// `value` if it is a string, else "".
function text(value) {
	return typeof value === 'string' ? value : '';
}

// A same-site path, or null: nothing that could leave the site
// ("//evil.example", "javascript:", backslashes) is ever used as a link.
export function sitePath(value) {
	return typeof value === 'string' && ROUTE.test(value) ? value : null;
}

// An absolute http(s) URL on the origin the site's own files come from
// (the CDN's with asset_base_url) with a path of safe characters and
// nothing else (no user, query or fragment), or null: the logo may come
// from that CDN, never from anywhere else.
export function assetUrl(value) {
	if (typeof value !== 'string') {
		return null;
	}
	let url;
	try {
		url = new URL(value);
	} catch {
		return null;
	}
	if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== ASSET_ORIGIN ||
	    url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' ||
	    !ROUTE.test(url.pathname) || url.href !== value) {
		return null;
	}
	return url.href;
}

// Keeps what the site shows from config.json, with the types it expects.
function normalize(data) {
	const tenant = data && typeof data.tenant === 'object' && data.tenant !== null ? data.tenant : {};
	const branding = data && typeof data.branding === 'object' && data.branding !== null ? data.branding : {};
	const list = data && Array.isArray(data.module_list) ? data.module_list : [];
	const modules = list
		.filter((module) => module && typeof module.key === 'string' && module.key !== '')
		.map((module) => ({
			key: module.key,
			name: text(module.name) || module.key,
			description: text(module.description),
			icon: text(module.icon),
			route: sitePath(module.route) ?? `/${encodeURIComponent(module.key)}`,
			core: module.is_core === true,
			enabled: module.enabled === true,
		}));
	return {
		name: text(tenant.name) || text(tenant.subdomain),
		primaryColor: COLOR.test(text(branding.primary_color)) ? branding.primary_color : null,
		secondaryColor: COLOR.test(text(branding.secondary_color)) ? branding.secondary_color : null,
		logoUrl: sitePath(branding.logo_url) ?? assetUrl(branding.logo_url),
		modules,
	};
}

// Loads the config of tenant `subdomain` (null: no tenant host).  Throws
// SiteUnavailable or LoadFailed.
export async function loadConfig(subdomain) {
	if (subdomain === null) {
		throw new SiteUnavailable();
	}
	const url = `/api/tenants/by-subdomain/${encodeURIComponent(subdomain)}/config/`;
	let response;
	try {
		response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
	} catch {
		throw new LoadFailed('the network is not reachable');
	}
	if (response.status === 404) {
		throw new SiteUnavailable();
	}
	if (!response.ok) {
		throw new LoadFailed(`status ${response.status}`);
	}
	try {
		return normalize(await response.json());
	} catch {
		throw new LoadFailed('the answer was not JSON');
	}
}
