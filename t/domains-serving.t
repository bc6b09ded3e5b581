#!/usr/bin/env perl
# domains-serving.t - a tenant's active custom domain is that tenant's site
# through the front end (SPEC 11): Host hr.acme.test serves acme's files,
# config, assets and module gate within 2 s of verify, with no reload; a
# pending or removed domain, and an archived tenant's, get the "not
# available" page; restoring brings it back; one tenant's domain never
# answers with another's site, config or gate; the admin API does not
# exist there; a symlink planted in the site is not followed; module APIs
# are gated as on the tenant's own host, through nginx and lighttpd alike,
# and an allowed one reaches the backend naming the tenant; fsck repairs
# the links.
use strict;
use warnings;

use Test::More;
use Time::HiRes qw(time);

use TenantdStack;
use TestUtil qw(wait_until);

my @FRONTENDS = qw(nginx lighttpd);

for my $frontend (@FRONTENDS) {
	my $s = TenantdStack->new(workers => 2, frontend => $frontend,
	    module_backend => 1);
	$s->use_own_dns_server;
	$s->start;

	my $acme = $s->create_deployed_tenant('acme', 'wallet');
	my $globex = $s->create_deployed_tenant('globex', 'tasks');
	$s->add_answered_domains([[$acme, 'hr.acme.test'], [$acme, 'pending.acme.test'],
	    [$globex, 'jobs.globex.test']], prefix => "$frontend: ");

	my $on = sub {
		my ($host, $path) = @_;
		return $s->get($path, host => $host, token => undef);
	};
	my $unavailable = sub {
		my ($host, $what) = @_;
		my $r = $on->($host, '/');
		is($r->{status}, 404, "$frontend: $what: 404");
		like($r->{content}, qr/not available/i, "$frontend: $what: the not-available page");
		$r = $on->($host, '/marker.txt');
		is($r->{status}, 404, "$frontend: $what: no file of the site");
		$r = $on->($host, '/api/tenants/by-subdomain/acme/config/');
		is($r->{status}, 404, "$frontend: $what: no config");
	};

	$unavailable->('hr.acme.test', 'hr.acme.test before verify');

	my $r = $s->post("/api/tenants/$acme/domains/hr.acme.test/verify/");
	is($r->{status}, 200, "$frontend: verify hr.acme.test") or diag $r->{content};
	my $verified = time;
	my $served = wait_until(sub {
		my $x = $on->('hr.acme.test', '/marker.txt');
		return $x->{status} == 200 ? $x : undef;
	}, 5, 0.02);
	my $took = time - $verified;
	ok($served, "$frontend: hr.acme.test serves acme's site after verify");
	cmp_ok($took, '<', 2, "$frontend: ... within 2 s (took ${took}s)");
	is($served && $served->{content}, "site of acme\n", "$frontend: ... acme's own file");
	ok(! -l $s->tenants_dir . '/.domains/pending.acme.test',
	    "$frontend: a pending domain has no link");

	$r = $on->('hr.acme.test', '/');
	is($r->{status}, 200, "$frontend: hr.acme.test/ is the site");
	like($r->{content}, qr/<html/i, "$frontend: ... its index");
	$r = $on->('hr.acme.test', '/some/route');
	is($r->{status}, 200, "$frontend: a route of the single-page site");

	# Config and assets: the host names the tenant, whatever the path says.
	for my $sub (qw(hr acme globex)) {
		$r = $on->('hr.acme.test', "/api/tenants/by-subdomain/$sub/config/");
		is($r->{status}, 200, "$frontend: config through hr.acme.test asking for $sub");
		is($r->{json} && $r->{json}{tenant}{subdomain}, 'acme',
		    "$frontend: ... is acme's");
	}
	$r = $on->('hr.acme.test', '/api/tenants/by-subdomain/globex/assets/marker.txt');
	is($r->{status}, 200, "$frontend: an asset through hr.acme.test");
	is($r->{content}, "site of acme\n", "$frontend: ... acme's");

	# The gate answers for acme.
	$r = $on->('hr.acme.test', '/api/gate?module=wallet');
	is($r->{status}, 204, "$frontend: the gate lets acme's wallet through");
	$r = $on->('hr.acme.test', '/api/gate?module=tasks');
	is($r->{status}, 403, "$frontend: ... and not globex's tasks");
	is($r->{json} && $r->{json}{code}, 'module_disabled', "$frontend: ... module_disabled");

	# Module APIs are gated as on acme's own host: an enabled one reaches
	# the backend, told acme by the front end whatever the client sends;
	# a disabled one gets the same refusal as on acme.localhost, and so
	# does a malformed path; a toggle counts from the next request.
	my $module = sub {
		my ($host, $path) = @_;
		return $s->get($path, host => $host, token => undef, headers => {
		    'X-Tenant-Subdomain' => 'globex', 'X_Tenant_Subdomain' => 'globex' });
	};
	$r = $module->('hr.acme.test', '/api/m/wallet/balance');
	is($r->{status}, 200, "$frontend: acme's wallet API through hr.acme.test")
	    or diag $r->{content};
	is($r->{json} && $r->{json}{tenant}, 'acme', "$frontend: ... the backend is told acme");
	is($r->{json} && $r->{json}{headers}{'x-tenant-subdomain'}, 'acme',
	    "$frontend: ... in X-Tenant-Subdomain, once, not the client's");
	ok(!exists(($r->{json} // {})->{headers}{'x_tenant_subdomain'}),
	    "$frontend: ... and no underscored copy");
	my $before = scalar(my @hits = $s->module_backend_hits);
	for my $path ('/api/m/tasks/list', '/api/m/wallet/../tasks/list',
	    '/api/m/wallet/..;/tasks/x', '/api/m/wallet/x;jsessionid=1') {
		my $own = $module->('acme.localhost', $path);
		$r = $module->('hr.acme.test', $path);
		isnt($r->{status}, 200, "$frontend: $path through hr.acme.test is refused");
		is($r->{status}, $own->{status}, "$frontend: ... as on acme.localhost");
		is($r->{content}, $own->{content}, "$frontend: ... with the same body");
	}
	$s->is_error($module->('hr.acme.test', '/api/m/tasks/list'), 403,
	    'module_disabled', "$frontend: a disabled module through hr.acme.test");
	$s->is_error($module->('hr.acme.test', '/api/m/wallet/x;jsessionid=1'), 400,
	    'malformed_path', "$frontend: a malformed path through hr.acme.test");
	is(scalar(@hits = $s->module_backend_hits), $before,
	    "$frontend: ... the backend saw none of them");
	my $toggle = sub {
		my ($on) = @_;
		my $x = $s->post('/api/tenants/bulk-update-modules/', json => {
		    tenant_ids => [$acme], module_key => 'wallet',
		    is_enabled => $on ? JSON::PP::true : JSON::PP::false });
		is($x->{status}, 200, "$frontend: wallet " . ($on ? 'enabled' : 'disabled')
		    . ' for acme') or diag $x->{content};
	};
	$toggle->(0);
	$s->is_error($module->('hr.acme.test', '/api/m/wallet/balance'), 403,
	    'module_disabled', "$frontend: ... refused on the next request");
	$toggle->(1);
	$r = $module->('hr.acme.test', '/api/m/wallet/balance');
	is($r->{status}, 200, "$frontend: ... and allowed again on the next one");
	is($r->{json} && $r->{json}{tenant}, 'acme', "$frontend: ... for acme");

	# No admin API on a custom domain, credentials or not.
	$r = $s->get('/api/tenants/', host => 'hr.acme.test');
	is($r->{status}, 404, "$frontend: no admin API through a custom domain");

	# A symlink planted in acme's site is not followed.
	symlink($s->tenants_dir . '/globex/public/marker.txt',
	    $s->tenants_dir . '/acme/public/planted.txt') or die "symlink: $!";
	$r = $on->('hr.acme.test', '/planted.txt');
	isnt($r->{status}, 200, "$frontend: a planted symlink is not followed");
	unlike($r->{content}, qr/globex/, "$frontend: ... nothing of globex");

	# globex's domain is globex's.
	$r = $s->post("/api/tenants/$globex/domains/jobs.globex.test/verify/");
	is($r->{status}, 200, "$frontend: verify jobs.globex.test") or diag $r->{content};
	ok(wait_until(sub { $on->('jobs.globex.test', '/marker.txt')->{status} == 200 }, 5),
	    "$frontend: jobs.globex.test is served");
	is($on->('jobs.globex.test', '/marker.txt')->{content}, "site of globex\n",
	    "$frontend: ... with globex's site");
	$r = $on->('jobs.globex.test', '/api/tenants/by-subdomain/acme/config/');
	is($r->{json} && $r->{json}{tenant}{subdomain}, 'globex',
	    "$frontend: asking jobs.globex.test for acme's config gives globex's");
	$r = $on->('jobs.globex.test', '/api/gate?module=wallet');
	is($r->{status}, 403, "$frontend: globex's domain never opens acme's wallet");
	$s->is_error($on->('jobs.globex.test', '/api/m/wallet/balance'), 403,
	    'module_disabled', "$frontend: ... nor acme's wallet API");
	$r = $on->('jobs.globex.test', '/api/m/tasks/list');
	is($r->{status}, 200, "$frontend: globex's tasks API through its domain")
	    or diag $r->{content};
	is($r->{json} && $r->{json}{tenant}, 'globex', "$frontend: ... the backend is told globex");
	is($on->('hr.acme.test', '/marker.txt')->{content}, "site of acme\n",
	    "$frontend: hr.acme.test is still acme's");

	# A FIFO in place of globex's config.json blocks nothing: lighttpd
	# reads that file to learn a custom domain's tenant, and a read of a
	# FIFO would wait for a writer that never comes, in its only process.
	my $config = $s->tenants_dir . '/globex/config.json';
	rename($config, "$config.kept") or die "rename: $!";
	system('mkfifo', $config) == 0 or die 'mkfifo failed';
	for my $path ('/marker.txt', '/api/tenants/by-subdomain/globex/config/') {
		my $started = time;
		$r = $s->get($path, host => 'jobs.globex.test', token => undef, timeout => 10);
		cmp_ok(time - $started, '<', 5, "$frontend: $path with a FIFO as "
		    . "config.json answers at once ($r->{status})");
		isnt($r->{status}, 500, "$frontend: ... and not with a 500");
	}
	is($on->('hr.acme.test', '/marker.txt')->{content}, "site of acme\n",
	    "$frontend: ... and other hosts are served meanwhile");
	unlink($config) or die "unlink: $!";
	rename("$config.kept", $config) or die "rename: $!";

	# fsck: a lost link is made again, a stray one removed.
	my $links = $s->tenants_dir . '/.domains';
	my $fsck = sub {
		my ($exit, $out, $err) = $s->tenantctl('fsck', '--json', @_);
		my $doc = eval { JSON::PP::decode_json($out) } // {};
		return { map { ("$_->{problem} $_->{subdomain}" => $_) } @{$doc->{problems} // []} };
	};
	is_deeply($fsck->(), {}, "$frontend: fsck: the links agree with the rows");
	unlink("$links/hr.acme.test") or die "unlink: $!";
	symlink('../globex', "$links/pending.acme.test") or die "symlink: $!";
	system('touch', '-h', '-d', '1 hour ago', "$links/pending.acme.test") == 0
	    or die 'touch failed';
	symlink('../acme', "$links/fresh.acme.test") or die "symlink: $!";
	my $found = $fsck->();
	is_deeply([sort keys %$found],
	    ['missing domain link hr.acme.test', 'stray domain link pending.acme.test'],
	    "$frontend: fsck reports the missing and the stray link (not the fresh one)");
	$found = $fsck->('--repair');
	ok($found->{'missing domain link hr.acme.test'}{repaired}, "$frontend: fsck --repair links hr.acme.test again");
	ok($found->{'stray domain link pending.acme.test'}{repaired}, "$frontend: ... and removes the stray link");
	is(readlink("$links/hr.acme.test"), '../acme', "$frontend: ... to acme");
	ok(! -l "$links/pending.acme.test", "$frontend: ... the stray one is gone");
	is($on->('hr.acme.test', '/marker.txt')->{content}, "site of acme\n",
	    "$frontend: hr.acme.test is served again");
	unlink("$links/fresh.acme.test") or die "unlink: $!";

	# A pending domain and an unknown host serve nothing.
	$unavailable->('pending.acme.test', 'a pending domain');
	$unavailable->('unknown.example.test', 'an unknown domain');

	# Archive, restore.
	$r = $s->post("/api/tenants/$acme/archive/");
	is($r->{status}, 200, "$frontend: acme archived") or diag $r->{content};
	$unavailable->('hr.acme.test', 'the domain of an archived tenant');
	$r = $on->('hr.acme.test', '/api/gate?module=wallet');
	isnt($r->{status}, 204, "$frontend: ... its gate lets nothing through");
	$r = $s->post("/api/tenants/$acme/restore/");
	is($r->{status}, 200, "$frontend: acme restored") or diag $r->{content};
	$r = $on->('hr.acme.test', '/marker.txt');
	is($r->{status}, 200, "$frontend: the restored tenant's domain is served again");
	is($r->{content}, "site of acme\n", "$frontend: ... with acme's site");

	# Remove: gone at once.
	$r = $s->delete("/api/tenants/$acme/domains/hr.acme.test/");
	is($r->{status}, 204, "$frontend: remove hr.acme.test");
	$unavailable->('hr.acme.test', 'a removed domain');

	# Deleting a tenant takes its links.
	$r = $s->delete("/api/tenants/$globex/");
	is($r->{status}, 204, "$frontend: globex deleted") or diag $r->{content};
	ok(! -l $s->tenants_dir . '/.domains/jobs.globex.test',
	    "$frontend: ... and its domain's link");
	$unavailable->('jobs.globex.test', "a deleted tenant's domain");

	$s->stop;
}

done_testing();
