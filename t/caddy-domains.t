#!/usr/bin/env perl
# caddy-domains.t - custom domains through the Caddy front end
# (etc/caddy/Caddyfile.in, SPEC 11): a verified domain gets a certificate
# from Caddy's local CA at its first TLS handshake, once tenantd's
# GET /api/domains/check says 200, and is its tenant's site, config and
# module gate; a pending domain gets no certificate; one tenant's domain
# never answers with another's; a removed domain serves nothing.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 2, frontend => 'caddy', module_backend => 1);
$s->use_own_dns_server;
$s->start;

# A TLS handshake as `name`: whether it succeeded, then the certificate's
# names and issuer, or the reason it failed.
sub handshake {
	my ($name) = @_;
	my $socket = eval { $s->tls_connect($name) };
	chomp(my $error = $@);
	return (0, $error) unless $socket;
	my @peer = (join(' ', $socket->peer_certificate('subjectAltNames')),
	    $socket->peer_certificate('issuer'));
	close $socket;
	return (1, @peer);
}

my $on = sub {
	my ($host, $path, %o) = @_;
	return $s->get($path, host => $host, token => undef, %o);
};

my $acme = $s->create_deployed_tenant('acme', 'wallet');
my $globex = $s->create_deployed_tenant('globex', 'tasks');
$s->add_answered_domains([[$acme, 'hr.acme.test'], [$acme, 'pending.acme.test'],
    [$globex, 'jobs.globex.test']]);

my ($ok, $why) = handshake('hr.acme.test');
ok(!$ok, 'hr.acme.test gets no certificate before verify')
    or diag 'it got one';
like($why // '', qr/alert|handshake|SSL/i, "  ($why)");

my $r = $s->post("/api/tenants/$acme/domains/hr.acme.test/verify/");
is($r->{status}, 200, 'verify hr.acme.test') or diag $r->{content};
my ($names, $issuer);
($ok, $names, $issuer) = handshake('hr.acme.test');
ok($ok, 'a verified domain gets a certificate on demand') or diag $names;
like($names // '', qr/\bhr\.acme\.test\b/, '  for its name');
like($issuer // '', qr/Caddy Local Authority/, '  from the local CA');

# The site, config and assets are acme's.
$r = $on->('hr.acme.test', '/marker.txt');
is($r->{status}, 200, 'hr.acme.test serves a file of the site');
is($r->{content}, "site of acme\n", '  acme\'s');
$r = $on->('hr.acme.test', '/');
is($r->{status}, 200, 'hr.acme.test/ is the site');
like($r->{content}, qr/<html/i, '  its index');
$r = $on->('hr.acme.test', '/some/route');
is($r->{status}, 200, 'a route of the single-page site');
like($r->{headers}{'content-security-policy'} // '', qr/default-src 'self'/,
    '  with the tenant sites\' Content-Security-Policy');
for my $sub (qw(hr acme globex)) {
	$r = $on->('hr.acme.test', "/api/tenants/by-subdomain/$sub/config/");
	is($r->{status}, 200, "config through hr.acme.test asking for $sub");
	is($r->{json} && $r->{json}{tenant}{subdomain}, 'acme', '  is acme\'s');
}
$r = $on->('hr.acme.test', '/.env');
is($r->{status}, 404, 'no dot file');
$r = $s->get('/api/tenants/', host => 'hr.acme.test');
is($r->{status}, 404, 'no admin API through a custom domain');

# Module APIs: gated as on acme.localhost, the backend told acme.
$r = $on->('hr.acme.test', '/api/m/wallet/balance', headers => {
    'X-Tenant-Subdomain' => 'globex', 'X_Tenant_Subdomain' => 'globex' });
is($r->{status}, 200, 'acme\'s wallet API through hr.acme.test')
    or diag $r->{content};
is($r->{json} && $r->{json}{tenant}, 'acme', '  the backend is told acme');
is($r->{json} && $r->{json}{headers}{'x-tenant-subdomain'}, 'acme',
    '  in X-Tenant-Subdomain, not the client\'s');
ok(!exists(($r->{json} // {})->{headers}{'x_tenant_subdomain'}),
    '  and no underscored copy');
for my $path ('/api/m/tasks/list', '/api/m/wallet/x;jsessionid=1') {
	my $own = $on->('acme.localhost', $path);
	$r = $on->('hr.acme.test', $path);
	is($r->{status}, $own->{status}, "$path: as on acme.localhost");
	is($r->{content}, $own->{content}, '  with the same body');
}
$s->is_error($on->('hr.acme.test', '/api/m/tasks/list'), 403,
    'module_disabled', 'globex\'s tasks API through hr.acme.test');

# A pending domain gets no certificate.
($ok, $why) = handshake('pending.acme.test');
ok(!$ok, 'a pending domain gets no certificate') or diag 'it got one';
like($why // '', qr/alert|handshake|SSL/i, "  ($why)");

# globex's domain is globex's.
$r = $s->post("/api/tenants/$globex/domains/jobs.globex.test/verify/");
is($r->{status}, 200, 'verify jobs.globex.test') or diag $r->{content};
$r = $on->('jobs.globex.test', '/marker.txt');
is($r->{content}, "site of globex\n", 'jobs.globex.test is globex\'s site');
$r = $on->('jobs.globex.test', '/api/tenants/by-subdomain/acme/config/');
is($r->{json} && $r->{json}{tenant}{subdomain}, 'globex',
    '  asking it for acme\'s config gives globex\'s');
$s->is_error($on->('jobs.globex.test', '/api/m/wallet/balance'), 403,
    'module_disabled', '  it never opens acme\'s wallet');
$r = $on->('jobs.globex.test', '/api/m/tasks/list');
is($r->{json} && $r->{json}{tenant}, 'globex', '  its tasks API is told globex');

# Removed: the certificate Caddy holds stays, the site is gone at once.
$r = $s->delete("/api/tenants/$acme/domains/hr.acme.test/");
is($r->{status}, 204, 'remove hr.acme.test');
$r = $on->('hr.acme.test', '/marker.txt');
is($r->{status}, 404, 'a removed domain serves no file');
$r = $on->('hr.acme.test', '/');
is($r->{status}, 404, '  and the "not available" page');
like($r->{content}, qr/not available/i, '  says so');
$r = $on->('hr.acme.test', '/api/m/wallet/balance');
isnt($r->{status}, 200, '  and no module API');

$s->stop;
done_testing();
