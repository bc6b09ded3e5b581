# api-domain-check.t - GET /api/domains/check?domain=<host>, the question a
# TLS front end asks before it takes a certificate on demand: 200 for the
# host of an active tenant, 404 for an unknown, archived or reserved one
# and for other domains, 400 for a missing, repeated or malformed domain
# (upper case, a port, a trailing dot, 254 bytes and more).  A custom
# domain is 200 once verified (against dnsmasq on loopback), 404 while
# pending, after its tenant is archived, and after it is removed.  It
# answers anyone on the admin host and nothing on a tenant host.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 1, nginx => 0);
$s->use_own_dns_server;
$s->start;

for my $sub (qw(active archived)) {
	my $r = $s->post('/api/tenants/?deploy=false',
	    json => { name => "Tenant $sub", subdomain => $sub });
	is($r->{status}, 201, "tenant $sub is created") or diag $r->{content};
	next unless $sub eq 'archived';
	$r = $s->post("/api/tenants/$r->{json}{id}/archive/");
	is($r->{status}, 200, 'tenant archived is archived') or diag $r->{content};
}

# Asks about `query` (the raw query string) anonymously.
sub check {
	my ($query, %o) = @_;
	return $s->get("/api/domains/check?$query", token => undef, %o);
}

my $r = check('domain=active.localhost');
is($r->{status}, 200, 'an active tenant\'s host: 200') or diag $r->{content};
is($r->{json} && $r->{json}{domain}, 'active.localhost', 'the answer names it');

for my $case (['unknown.localhost', 'an unknown subdomain'],
    ['archived.localhost', 'an archived tenant'],
    ['www.localhost', 'a reserved subdomain'],
    ['active.example.com', 'another domain'],
    ['a.active.localhost', 'two labels under the base domain'],
    ['localhost', 'the base domain itself']) {
	my ($domain, $what) = @$case;
	$r = check("domain=$domain");
	is($r->{status}, 404, "$what: 404") or diag $r->{content};
	is($r->{json} && $r->{json}{code}, 'not_found', "$what: not_found");
}

for my $case (['', 'no domain'],
    ['domain=', 'an empty domain'],
    ['domain=active.localhost&domain=active.localhost', 'a repeated domain'],
    ['domain=Active.localhost', 'upper case (TLS front ends lower-case the name)'],
    ['domain=active.localhost.', 'a trailing dot'],
    ['domain=active.localhost%3A443', 'a port'],
    ['domain=active%00.localhost', 'a NUL byte'],
    ['domain=%5B%3A%3A1%5D', 'an IPv6 address'],
    ['domain=act_ive.localhost', 'an underscore'],
    ['domain=' . join('.', ('a' x 60) x 5), 'a 304-byte host']) {
	my ($query, $what) = @$case;
	$r = check($query);
	is($r->{status}, 400, "$what: 400") or diag $r->{content};
	is($r->{json} && $r->{json}{code}, 'validation_failed',
	    "$what: validation_failed");
}

$r = check('domain=active.localhost', host => 'active.localhost');
is($r->{status}, 404, 'a tenant host does not answer it');

# Custom domains: hr.owner.test is verified, pending.owner.test is not.
$r = $s->post('/api/tenants/?deploy=false',
    json => { name => 'Owner', subdomain => 'owner' });
is($r->{status}, 201, 'tenant owner is created') or diag $r->{content};
my $owner = $r->{json}{id};
$s->add_answered_domains([[$owner, 'hr.owner.test'], [$owner, 'pending.owner.test']],
    prefix => 'custom domain: ', answer => ['hr.owner.test']);
$r = check('domain=hr.owner.test');
is($r->{status}, 404, 'a custom domain not verified yet: 404');
$r = $s->post("/api/tenants/$owner/domains/hr.owner.test/verify/");
is($r->{status}, 200, 'hr.owner.test is verified') or diag $r->{content};
$r = check('domain=hr.owner.test');
is($r->{status}, 200, 'an active custom domain: 200') or diag $r->{content};
is($r->{json} && $r->{json}{domain}, 'hr.owner.test', 'the answer names it');
$r = check('domain=pending.owner.test');
is($r->{status}, 404, 'a pending custom domain: 404');
$r = $s->post("/api/tenants/$owner/archive/");
is($r->{status}, 200, 'tenant owner is archived') or diag $r->{content};
$r = check('domain=hr.owner.test');
is($r->{status}, 404, 'the custom domain of an archived tenant: 404');
$r = $s->post("/api/tenants/$owner/restore/");
is($r->{status}, 200, 'tenant owner is restored') or diag $r->{content};
$r = check('domain=hr.owner.test');
is($r->{status}, 200, 'restored, its custom domain: 200 again');
$r = $s->delete("/api/tenants/$owner/domains/hr.owner.test/");
is($r->{status}, 204, 'hr.owner.test is removed') or diag $r->{content};
$r = check('domain=hr.owner.test');
is($r->{status}, 404, 'a removed custom domain: 404');

$s->stop;
done_testing();
