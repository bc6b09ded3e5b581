// upgrade.js - the upgrade prompt of a locked module: where to ask for it
// (a mail to sales at the tenants' domain, naming the module key) and the
// <dialog> that offers it instead of navigating.

import { baseDomain } from './config.js';

// The contact link for module `module` of tenant `tenantName`:
// mailto:sales@<base domain>?subject=Upgrade%20<key>&body=...
export function upgradeHref(module, tenantName) {
	const subject = `Upgrade ${module.key}`;
	const body = `Please add the ${module.name} module (${module.key}) to the plan of ${tenantName}.`;
	return `mailto:sales@${baseDomain()}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}

// What the prompt says about module `module`.
export function upgradeText(module, tenantName) {
	return `${module.name} is not part of the plan of ${tenantName} yet. ` +
		'Contact us and we will add it for your team.';
}

let lastTrigger = null;

// Wires the dialog's own controls once: Close, a click on the backdrop,
// and focus going back to the card that opened it.
export function setUpUpgradeDialog() {
	const dialog = document.getElementById('upgrade');
	document.getElementById('upgrade-close').addEventListener('click', () => dialog.close());
	dialog.addEventListener('click', (event) => {
		if (event.target === dialog) {
			dialog.close();
		}
	});
	dialog.addEventListener('close', () => {
		if (lastTrigger !== null && lastTrigger.isConnected) {
			lastTrigger.focus();
		}
		lastTrigger = null;
	});
}

// Opens the prompt for module `module`; `trigger` gets the focus back when
// it closes.
export function openUpgrade(module, tenantName, trigger) {
	const dialog = document.getElementById('upgrade');
	document.getElementById('upgrade-title').textContent = `${module.name} is not in your plan`;
	document.getElementById('upgrade-text').textContent = upgradeText(module, tenantName);
	const contact = document.getElementById('upgrade-contact');
	contact.href = upgradeHref(module, tenantName);
	contact.dataset.module = module.key;
	lastTrigger = trigger ?? null;
	if (!dialog.open) {
		dialog.showModal();
	}
	contact.focus();
}
