// dashboard.js - /admin/: statistics cards (GET /api/tenants/statistics/),
// module adoption bars (with names from GET /api/modules/) and the most
// recently created tenants (GET /api/tenants/?page_size=5).

import { api } from './api.js';
import { byId, h, replaceContent, safeHref } from './dom.js';
import { moduleIcon } from './fields.js';
import { showPageError, startPage } from './layout.js';
import { formatDate, statusBadge } from './tenant-view.js';

const STAT_KEYS = ['total', 'active', 'archived', 'created_last_30_days'];

function showStatistics(stats) {
	const list = byId('stats');
	for (const key of STAT_KEYS) {
		const value = list.querySelector(`[data-stat="${key}"] .stat-value`);
		value.textContent = String(Number(stats?.[key] ?? 0));
	}
	list.removeAttribute('aria-busy');
}

// One bar per module: enabled count out of all tenants.
function showAdoption(stats, modules) {
	const list = byId('adoption');
	const total = Number(stats?.total ?? 0);
	const counts = stats?.modules ?? {};
	const items = modules.map((module) => {
		const enabled = Number(counts[module.module_key] ?? 0);
		const percent = total > 0 ? Math.round((enabled / total) * 100) : 0;
		const fill = h('div', { class: 'bar-fill' });
		fill.style.width = `${percent}%`;
		return h('li', { class: 'adoption-item', dataset: { module: module.module_key } },
		    h('div', { class: 'adoption-head' },
			h('span', { class: 'adoption-name' }, moduleIcon(module.icon), module.module_name,
			    module.is_core ? [' ', h('span', { class: 'badge badge-core' }, 'core')] : null),
			h('span', { class: 'adoption-count' },
			    `${enabled} of ${total} ${total === 1 ? 'tenant' : 'tenants'} (${percent}%)`)),
		    h('div', { class: 'bar', 'aria-hidden': 'true' }, fill));
	});
	replaceContent(list, items.length > 0 ? items : h('li', { class: 'empty-note' }, 'No modules are defined.'));
	list.removeAttribute('aria-busy');
}

function showRecent(page) {
	const list = byId('recent');
	const tenants = Array.isArray(page?.results) ? page.results : [];
	const items = tenants.map((tenant) => {
		const href = safeHref(tenant.tenant_url);
		return h('li', { class: 'recent-item' },
		    h('div', null,
			h('a', { class: 'recent-name', href: `/admin/tenants?search=${encodeURIComponent(tenant.subdomain)}` }, tenant.name),
			h('div', { class: 'recent-meta' },
			    href !== null ? h('a', { href, rel: 'noopener noreferrer', target: '_blank' }, tenant.subdomain) : tenant.subdomain,
			    ` · created ${formatDate(tenant.created_at)}`)),
		    statusBadge(tenant));
	});
	replaceContent(list, items.length > 0 ? items
	    : h('li', { class: 'empty-note' }, 'No tenants yet. ', h('a', { href: '/admin/create-tenant' }, 'Create the first one.')));
	list.removeAttribute('aria-busy');
}

async function main() {
	await startPage();
	const [stats, modules, recent] = await Promise.allSettled([
		api('GET', '/api/tenants/statistics/'),
		api('GET', '/api/modules/'),
		api('GET', '/api/tenants/?page_size=5'),
	]);
	if (stats.status === 'fulfilled') {
		showStatistics(stats.value);
	} else {
		showPageError('Could not load the statistics', stats.reason);
	}
	if (stats.status === 'fulfilled' && modules.status === 'fulfilled') {
		showAdoption(stats.value, Array.isArray(modules.value) ? modules.value : []);
	} else if (modules.status === 'rejected') {
		showPageError('Could not load the modules', modules.reason);
	}
	if (recent.status === 'fulfilled') {
		showRecent(recent.value);
	} else {
		showPageError('Could not load the recent tenants', recent.reason);
	}
}

main();
