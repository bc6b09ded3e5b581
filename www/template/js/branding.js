// branding.js - the tenant's name, logo and colors on the page.  Colors
// become the CSS custom properties --tenant-primary and --tenant-secondary
// (style.css uses nothing else for brand colors), each with an --on-*
// text color chosen for contrast.

// WCAG relative luminance of a #rrggbb color.
function luminance(hex) {
	const channels = [1, 3, 5].map((offset) => parseInt(hex.slice(offset, offset + 2), 16) / 255);
	const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
	return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// White or near-black, whichever reads better on `background`.
function readableOn(background) {
	const light = luminance(background);
	const onWhite = 1.05 / (light + 0.05);
	const onDark = (light + 0.05) / (luminance('#111827') + 0.05);
	return onWhite >= onDark ? '#ffffff' : '#111827';
}

// Up to two initials of `name`, for tenants without a logo.
function initials(name) {
	const words = name.trim().split(/\s+/).filter(Boolean);
	const letters = words.slice(0, 2).map((word) => Array.from(word)[0].toUpperCase());
	return letters.join('') || '?';
}

// Shows the initials of `name` where the logo would be.
function showMonogram(name) {
	const monogram = document.getElementById('monogram');
	monogram.textContent = initials(name);
	monogram.hidden = false;
	document.getElementById('logo').hidden = true;
}

// Applies `config` (from config.js) to the page header and the document.
export function applyBranding(config) {
	const root = document.documentElement.style;
	if (config.primaryColor !== null) {
		root.setProperty('--tenant-primary', config.primaryColor);
		root.setProperty('--tenant-on-primary', readableOn(config.primaryColor));
	}
	if (config.secondaryColor !== null) {
		root.setProperty('--tenant-secondary', config.secondaryColor);
		root.setProperty('--tenant-on-secondary', readableOn(config.secondaryColor));
	}
	document.getElementById('tenant-name').textContent = config.name;

	const logo = document.getElementById('logo');
	if (config.logoUrl === null) {
		showMonogram(config.name);
		return;
	}
	// The name is written next to it, so the logo itself is decoration.
	logo.addEventListener('error', () => showMonogram(config.name), { once: true });
	logo.alt = '';
	logo.src = config.logoUrl;
	logo.hidden = false;
}

// The header when there is no tenant to show: `text` instead of a name.
export function brandPlain(text) {
	document.getElementById('tenant-name').textContent = text;
	document.getElementById('logo').hidden = true;
	document.getElementById('monogram').hidden = true;
}
