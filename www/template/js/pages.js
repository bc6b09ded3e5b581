// pages.js - the views of the site's main area: the home page with the
// module grid, a module's own page, and the pages for a path that is no
// module, a host without a site and a load that failed.

import { h } from './dom.js';
import { moduleGrid } from './grid.js';
import { icon } from './icons.js';
import { upgradeHref, upgradeText } from './upgrade.js';

// The link from a page back to the grid.
function backLink() {
	return h('p', { class: 'back' },
		h('a', { class: 'back-link', href: '/' }, icon('back', 'back-icon'), 'All modules'));
}

// "/": the greeting and every module.
export function homePage(config) {
	const enabled = config.modules.filter((module) => module.enabled).length;
	return h('section', { class: 'home', 'aria-labelledby': 'page-title' },
		h('h1', { id: 'page-title' }, `Welcome to ${config.name}`),
		h('p', { class: 'lead' },
			`${enabled} of ${config.modules.length} modules are in your plan. ` +
			'Locked ones can be added at any time.'),
		moduleGrid(config));
}

// A module's route: its title and, when it is locked, the upgrade prompt.
export function modulePage(module, config) {
	const content = module.enabled
		? h('div', { class: 'panel' },
			h('h2', {}, `${module.name} is ready`),
			h('p', {}, `Everything your team does in ${module.name} starts here.`))
		: h('div', { class: 'panel upgrade-panel', role: 'region', 'aria-labelledby': 'upgrade-panel-title' },
			icon('lock', 'panel-icon'),
			h('h2', { id: 'upgrade-panel-title' }, `${module.name} is not in your plan`),
			h('p', {}, upgradeText(module, config.name)),
			h('a', { class: 'button primary', id: 'page-upgrade-contact', href: upgradeHref(module, config.name),
				'data-module': module.key }, 'Contact us to upgrade'));
	return h('section', { class: `module-page${module.enabled ? '' : ' locked'}`, 'data-module': module.key,
		'aria-labelledby': 'page-title' },
		backLink(),
		h('div', { class: 'module-heading' },
			h('span', { class: 'card-icon' }, icon(module.icon)),
			h('h1', { id: 'page-title' }, module.name),
			module.enabled ? null : h('span', { class: 'lock-badge' }, icon('lock', 'lock-icon'), 'Locked')),
		h('p', { class: 'lead' }, module.description),
		content);
}

// A path of the site that is no module's.
export function notFoundPage() {
	return h('section', { class: 'problem', 'aria-labelledby': 'page-title' },
		h('h1', { id: 'page-title' }, 'Page not found'),
		h('p', {}, 'There is no page at this address.'),
		backLink());
}

// An unknown or archived tenant.
export function unavailablePage() {
	return h('section', { class: 'problem unavailable', 'aria-labelledby': 'page-title' },
		h('h1', { id: 'page-title' }, 'This site is not available'),
		h('p', {}, 'There is no workspace at this address, or it has been archived.'),
		h('p', {}, 'Check the address, or ask the person who sent you the link.'));
}

// A load that failed; `retry` runs it again.
export function retryPage(retry) {
	return h('section', { class: 'problem', 'aria-labelledby': 'page-title' },
		h('h1', { id: 'page-title' }, 'Your workspace could not be loaded'),
		h('p', {}, 'The connection failed or the service is busy. Check your connection and try again.'),
		h('p', {}, h('button', { type: 'button', class: 'button primary', id: 'retry', onclick: retry }, 'Try again')));
}
