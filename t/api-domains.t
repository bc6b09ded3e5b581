#!/usr/bin/env perl
# api-domains.t - a tenant's custom domains through the API (SPEC 11):
# add (201, pending, the TXT record to create), list, delete (204); the
# rule for a name, every hostile spelling a 400 naming `domain`, in the
# body and in the path; one tenant per domain (409 domain_taken, also for
# the same tenant twice); 404 for an unknown tenant or domain; an archived
# tenant takes no new domain; the audit rows; a deleted tenant's domains
# go with it.  Verification by DNS is t/domains-dns.t's.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 2, nginx => 0);
$s->start;

sub create {
	my ($sub) = @_;
	my $r = $s->post('/api/tenants/', json => { name => "Tenant $sub",
	    subdomain => $sub, deploy => JSON::PP::false() });
	die "create $sub: $r->{status} $r->{content}\n" if $r->{status} != 201;
	return $r->{json}{id};
}

sub audit_count {
	my ($id, $action) = @_;
	return $s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id "
	    . "AND action = '$action'");
}

my $acme = create('acme');
my $globex = create('globex');
my $base = "/api/tenants/$acme/domains/";

my $r = $s->get($base);
is($r->{status}, 200, 'a tenant without domains lists them');
is_deeply($r->{json}, [], '... as an empty list');

$r = $s->post($base, json => { domain => 'hr.acme.test' });
is($r->{status}, 201, 'POST domains/ adds hr.acme.test') or diag $r->{content};
my $d = $r->{json};
is($d->{domain}, 'hr.acme.test', '... named as sent');
is($d->{status}, 'pending', '... pending');
is($d->{verification}{type}, 'dns-txt', '... verified by a DNS TXT record');
is($d->{verification}{name}, '_tenantd-challenge.hr.acme.test',
    '... at _tenantd-challenge.<domain>');
like($d->{verification}{value}, qr/^[0-9a-f]{32}$/, '... holding a random token');
is($d->{verified_at}, undef, '... not verified yet');
is(audit_count($acme, 'domain.add'), 1, '... audited domain.add');

$r = $s->post($base, form => [domain => 'xn--bcher-kva.test']);
is($r->{status}, 201, 'a punycode name is accepted, from a form too')
    or diag $r->{content};
isnt($r->{json}{verification}{value}, $d->{verification}{value},
    '... with a token of its own');

$r = $s->get($base);
is($r->{status}, 200, 'GET domains/');
is_deeply([map { "$_->{domain} $_->{status}" } @{$r->{json}}],
    ['hr.acme.test pending', 'xn--bcher-kva.test pending'],
    '... lists both by name with their status');
is($r->{json}[0]{verification}{value}, $d->{verification}{value},
    '... and the token to publish');

# One tenant per domain.
$r = $s->post("/api/tenants/$globex/domains/", json => { domain => 'hr.acme.test' });
is($r->{status}, 409, "another tenant cannot add acme's domain");
is($r->{json}{code}, 'domain_taken', '... domain_taken');
$r = $s->post($base, json => { domain => 'hr.acme.test' });
is($r->{status}, 409, 'the same tenant cannot add it twice');
is($r->{json}{code}, 'domain_taken', '... domain_taken');
is($s->sql_value("SELECT COUNT(*) FROM domains WHERE name = 'hr.acme.test'"), 1,
    '... one row for the name');
is(audit_count($globex, 'domain.add'), 0, '... and no audit row for the refusal');

# Hostile names: 400 naming `domain`, nothing written.
my @bad = (
	['hr.acme.test.', 'a trailing dot', qr/empty label/],
	['.hr.acme.test', 'a leading dot', qr/empty label/],
	['hr..acme.test', 'a double dot', qr/empty label/],
	['HR.acme.test', 'upper case', qr/lower case/],
	['*.acme.test', 'a wildcard', qr/only a-z/],
	['hr acme.test', 'a space', qr/only a-z/],
	[' hr.acme.test', 'a leading space', qr/only a-z/],
	['a' x 300, '300 bytes', qr/at most 253/],
	[join('.', ('a' x 64), 'test'), 'a 64-byte label', qr/at most 63/],
	["b\x{fc}cher.test", 'UTF-8', qr/punycode/],
	['localhost', 'localhost', qr/two labels/],
	['app.localhost', 'under localhost (and base_domain)', qr/localhost|base_domain/],
	['1.2.3.4', 'an IPv4 address', qr/IP address/],
	['[::1]', 'an IPv6 literal', qr/IP address/],
	['::1', 'an IPv6 address', qr/IP address/],
	['test', 'one label', qr/two labels/],
	['-hr.acme.test', "a label starting with '-'", qr/'-'/],
	['hr-.acme.test', "a label ending with '-'", qr/'-'/],
	['hr.acme.test:8080', 'a port', qr/IP address|only a-z/],
	['xn--.test', 'an empty punycode label', qr/punycode|'-'/],
	['xn--zz-z9999999.test', 'punycode that does not decode', qr/punycode/],
	["hr.acme.test\0.evil", 'a NUL byte', qr/only a-z/],
	['', 'empty', qr/empty/],
);
for my $case (@bad) {
	my ($name, $what, $why) = @$case;
	$r = $s->post($base, json => { domain => $name });
	is($r->{status}, 400, "$what: 400") or diag $r->{content};
	like($r->{json}{fields}{domain} // '', $why, "$what: names domain and why");
}
$r = $s->post($base, json => { domain => ['hr.acme.test'] });
is($r->{status}, 400, 'a list for domain: 400');
ok(exists $r->{json}{fields}{domain}, '... naming domain');
$r = $s->post($base, json => {});
is($r->{status}, 400, 'no domain: 400');
ok(exists $r->{json}{fields}{domain}, '... naming domain');
is($s->sql_value("SELECT COUNT(*) FROM domains"), 2, 'no refused name was written');

# The {domain} of a path follows the same rule.
$r = $s->post("${base}HR.acme.test/verify/");
is($r->{status}, 400, 'verify of an upper-case name: 400');
ok(exists $r->{json}{fields}{domain}, '... naming domain');
$r = $s->delete("${base}1.2.3.4/");
is($r->{status}, 400, 'delete of an IP address: 400');
ok(exists $r->{json}{fields}{domain}, '... naming domain');
$r = $s->post("${base}%2A.acme.test/verify/");
is($r->{status}, 404, 'an encoded byte in {domain} matches no route');

# Unknown tenants and domains.
$r = $s->get('/api/tenants/999999/domains/');
is($r->{status}, 404, 'domains of an unknown tenant: 404');
$r = $s->post('/api/tenants/999999/domains/', json => { domain => 'x.example.test' });
is($r->{status}, 404, 'adding to an unknown tenant: 404');
$r = $s->post("${base}nope.acme.test/verify/");
is($r->{status}, 404, 'verifying an unknown domain: 404');
like($r->{json}{error}, qr/domain not found/, '... saying the domain is missing');
$r = $s->post("/api/tenants/$globex/domains/hr.acme.test/verify/");
is($r->{status}, 404, "verifying acme's domain through globex: 404");
$r = $s->delete("/api/tenants/$globex/domains/hr.acme.test/");
is($r->{status}, 404, "deleting acme's domain through globex: 404");
is($s->sql_value("SELECT COUNT(*) FROM domains WHERE name = 'hr.acme.test'"), 1,
    '... which is still there');

# Delete.
$r = $s->delete("${base}xn--bcher-kva.test/");
is($r->{status}, 204, 'DELETE domains/{domain}/: 204') or diag $r->{content};
is(audit_count($acme, 'domain.remove'), 1, '... audited domain.remove');
$r = $s->delete("${base}xn--bcher-kva.test/");
is($r->{status}, 404, '... and again: 404');
$r = $s->post("/api/tenants/$globex/domains/", json => { domain => 'xn--bcher-kva.test' });
is($r->{status}, 201, 'a removed domain is free for another tenant');

# An archived tenant takes no new domain.
my $initech = create('initech');
$r = $s->post("/api/tenants/$initech/archive/");
is($r->{status}, 200, 'initech archived') or diag $r->{content};
$r = $s->post("/api/tenants/$initech/domains/", json => { domain => 'hr.initech.test' });
is($r->{status}, 409, 'an archived tenant takes no domain');
is($r->{json}{code}, 'archived', '... archived');

# Deleting a tenant deletes its domains.
$r = $s->delete("/api/tenants/$globex/");
is($r->{status}, 204, 'globex deleted') or diag $r->{content};
is($s->sql_value("SELECT COUNT(*) FROM domains WHERE tenant_id = $globex"), 0,
    "... and its domains with it");

$s->stop;
done_testing();
