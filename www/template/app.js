// app.js - the tenant site: finds this host's tenant, loads its config
// and shows the page for the current path.  "/" is the module grid; a
// module's route (/employees ...) is that module's page (the web server
// answers every path of the site with this same index.html); a host
// without a site says so, and a failed load offers a retry.  Data from the
// server reaches the page only as text and attributes (js/dom.js), never
// as HTML.  body[data-state] is loading, ready, unavailable or error.

import { applyBranding, brandPlain } from './js/branding.js';
import { loadConfig, SiteUnavailable, tenantSubdomain } from './js/config.js';
import { h } from './js/dom.js';
import { homePage, modulePage, notFoundPage, retryPage, unavailablePage } from './js/pages.js';
import { setUpUpgradeDialog } from './js/upgrade.js';

const main = document.getElementById('main');

// Replaces the main area with `view` and records the page's state and title.
function show(state, view, title) {
	main.replaceChildren(view);
	main.setAttribute('aria-busy', 'false');
	document.title = title;
	document.body.dataset.state = state;
}

// The module whose route is `path` (trailing slash optional), or null.
function moduleAt(modules, path) {
	const wanted = path.length > 1 ? path.replace(/\/+$/, '') : path;
	return modules.find((module) => module.route.replace(/\/+$/, '') === wanted) ?? null;
}

// The view, state and title for the current path once `config` is loaded.
function pageFor(config) {
	const path = window.location.pathname;
	if (path === '/' || path === '/index.html') {
		return ['ready', homePage(config), config.name];
	}
	const module = moduleAt(config.modules, path);
	if (module === null) {
		return ['ready', notFoundPage(), `Page not found \u2014 ${config.name}`];
	}
	return ['ready', modulePage(module, config), `${module.name} \u2014 ${config.name}`];
}

// Loads the config and shows the page; `retrying` is true when the user
// asked again after a failure (focus then moves to the new content).
async function start(retrying = false) {
	document.body.dataset.state = 'loading';
	main.setAttribute('aria-busy', 'true');
	if (retrying) {
		main.replaceChildren(h('p', { class: 'status', id: 'status', role: 'status' },
			'Loading your workspace\u2026'));
	}
	try {
		const config = await loadConfig(tenantSubdomain());
		applyBranding(config);
		show(...pageFor(config));
	} catch (error) {
		if (error instanceof SiteUnavailable) {
			brandPlain('Site not available');
			show('unavailable', unavailablePage(), 'This site is not available');
		} else {
			brandPlain(window.location.hostname);
			show('error', retryPage(() => start(true)), 'Could not load');
		}
	}
	if (retrying) {
		main.focus();
	}
}

setUpUpgradeDialog();
start();
