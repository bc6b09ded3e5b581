# api-check-subdomain.t - GET /api/tenants/check-subdomain/?subdomain=x, the
# admin UI's live availability check: available, taken (archived tenants
# included), reserved and invalid, the refusals of a missing, repeated,
# over-long or non-UTF-8 parameter, and that it needs an administrator.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 1, nginx => 0,
    conf => { reserved_subdomains => 'www, admin, billing' });
$s->start;

# GET the check for the raw (already encoded) query string `query`.
sub check {
	my ($query, %o) = @_;
	return $s->get("/api/tenants/check-subdomain/?$query", %o);
}

# Checks one answer: 200 with exactly the four documented keys.
sub answer_ok {
	my ($r, $subdomain, $available, $reason, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is($r->{status}, 200, "$name: 200") or diag $r->{content};
	my $json = ref $r->{json} eq 'HASH' ? $r->{json} : {};
	is_deeply([sort keys %$json], [qw(available message reason subdomain)],
	    "$name: subdomain, available, reason, message");
	is($json->{subdomain}, $subdomain, "$name: echoes the subdomain");
	ok(JSON::PP::is_bool($json->{available}), "$name: available is a boolean");
	is(!!$json->{available}, !!$available, "$name: available is "
	    . ($available ? 'true' : 'false'));
	is($json->{reason}, $reason, "$name: reason " . ($reason // 'null'));
	ok(defined $json->{message} && length $json->{message},
	    "$name: has a message");
	return $json;
}

my $r = $s->post('/api/tenants/', json => { name => 'Acme', subdomain => 'acme',
    deploy => JSON::PP::false });
is($r->{status}, 201, 'a tenant acme exists') or diag $r->{content};

answer_ok(check('subdomain=globex'), 'globex', 1, undef, 'a free subdomain');
answer_ok(check('subdomain=acme'), 'acme', 0, 'taken', 'an existing tenant');
answer_ok(check('subdomain=admin'), 'admin', 0, 'reserved', 'a default reserved name');
answer_ok(check('subdomain=billing'), 'billing', 0, 'reserved',
    'a name reserved by tenantd.conf');
my $json = answer_ok(check('subdomain=Acme'), 'Acme', 0, 'invalid', 'upper case');
like($json->{message}, qr/lower/i, 'upper case: the message says why');
answer_ok(check('subdomain=-acme'), '-acme', 0, 'invalid', 'a leading hyphen');
answer_ok(check('subdomain=a.b'), 'a.b', 0, 'invalid', 'a dot');
answer_ok(check('subdomain=' . ('a' x 64)), 'a' x 64, 0, 'invalid', '64 characters');
answer_ok(check('subdomain=' . ('a' x 63)), 'a' x 63, 1, undef, '63 characters');
answer_ok(check('subdomain='), '', 0, 'invalid', 'an empty value');
answer_ok(check('subdomain=%C3%A9t%C3%A9'), "\x{e9}t\x{e9}", 0, 'invalid',
    'UTF-8 letters are echoed and invalid');
answer_ok(check('subdomain=%3Cb%3Ex'), '<b>x', 0, 'invalid',
    'markup is echoed as a JSON string');

# Reserved wins over taken, invalid over reserved: the reason a create
# would give first.
$s->sql("UPDATE tenants SET subdomain = 'www' WHERE subdomain = 'acme'");
answer_ok(check('subdomain=www'), 'www', 0, 'reserved', 'reserved before taken');
$s->sql("UPDATE tenants SET subdomain = 'acme' WHERE subdomain = 'www'");

# An archived tenant still holds its subdomain.
$s->sql("UPDATE tenants SET is_active = 0, archived_at = NOW() WHERE subdomain = 'acme'");
answer_ok(check('subdomain=acme'), 'acme', 0, 'taken', 'an archived tenant');

$s->is_error(check(''), 400, 'validation_failed', 'no parameter', 'subdomain');
$s->is_error(check('subdomain=a&subdomain=b'), 400, 'validation_failed',
    'the parameter twice', 'subdomain');
$s->is_error(check('subdomain=' . ('a' x 256)), 400, 'validation_failed',
    'over 255 bytes', 'subdomain');
$s->is_error(check('subdomain=%FF%FE'), 400, 'validation_failed',
    'not UTF-8', 'subdomain');
$s->is_error(check('subdomain=a%00b'), 400, 'validation_failed',
    'a NUL byte', 'subdomain');

$s->is_error(check('subdomain=globex', token => undef), 401,
    'unauthenticated', 'anonymous');
$r = $s->post('/api/tenants/check-subdomain/', json => { subdomain => 'x' });
$s->is_error($r, 405, 'method_not_allowed', 'POST');
$r = $s->get('/api/tenants/check-subdomain?subdomain=globex');
is($r->{status}, 200, 'the trailing slash is optional');

done_testing();
