// grid.js - the module grid: every module of the tenant's config, in the
// config's order.  An enabled module is a link to its page.  A locked one
// stays visible but dimmed, with a lock badge and a tooltip that shows on
// hover and on keyboard focus (a real role=tooltip element the card names
// with aria-describedby); it is aria-disabled, yet focusable, and
// activating it (click, Enter, Space) opens the upgrade prompt instead of
// navigating.

import { h } from './dom.js';
import { icon } from './icons.js';
import { openUpgrade } from './upgrade.js';

export const UPGRADE_HINT = 'Not in your plan \u2014 contact us to upgrade';

// The icon, name and description every card shows.
function cardBody(module) {
	return [
		h('span', { class: 'card-icon' }, icon(module.icon)),
		h('span', { class: 'card-title' }, module.name),
		h('span', { class: 'card-text' }, module.description),
	];
}

// An enabled module: a link to its page.
function enabledCard(module) {
	return h('li', { class: 'module', 'data-module': module.key },
		h('a', { class: 'card', href: module.route }, cardBody(module)));
}

// A locked module: the dimmed button, its badge and its tooltip.
function lockedCard(module, tenantName) {
	const tipId = `tip-${module.key}`;
	const item = h('li', { class: 'module locked', 'data-module': module.key });
	const card = h('button', {
		type: 'button',
		class: 'card locked',
		tabindex: '0',
		'aria-disabled': 'true',
		'aria-haspopup': 'dialog',
		'aria-describedby': tipId,
		onclick: () => openUpgrade(module, tenantName, card),
		// Escape hides the tooltip without moving focus (WCAG 1.4.13).
		onkeydown: (event) => {
			if (event.key === 'Escape') {
				item.classList.add('tip-dismissed');
			}
		},
		onblur: () => item.classList.remove('tip-dismissed'),
		onmouseleave: () => item.classList.remove('tip-dismissed'),
	}, cardBody(module),
	h('span', { class: 'lock-badge' }, icon('lock', 'lock-icon'), 'Locked'));
	item.append(card, h('span', { class: 'tooltip', role: 'tooltip', id: tipId }, UPGRADE_HINT));
	return item;
}

// The grid (<ul>) of `config.modules`.
export function moduleGrid(config) {
	return h('ul', { class: 'module-grid', id: 'modules', 'aria-label': 'Modules' },
		config.modules.map((module) => (module.enabled ? enabledCard(module) : lockedCard(module, config.name))));
}
