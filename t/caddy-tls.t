# caddy-tls.t - the Caddy front end's certificates (etc/caddy/Caddyfile.in):
# the admin host has one from Caddy's local CA at start; a tenant host gets
# one on demand at its first TLS handshake, and only after tenantd's
# GET /api/domains/check said 200; an unknown subdomain or an archived
# tenant's host gets none (the handshake fails, and the check was asked
# and said 404); a restored tenant gets one again.  The client trusts the
# local CA's root from Caddy's storage and nothing else; plain HTTP
# redirects to HTTPS; tenantd down is a JSON 503.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 2, frontend => 'caddy');
$s->start;

# The answers of GET /api/domains/check in tenantd's log, by status.
sub checks {
	my ($status) = @_;
	my @lines = grep { m{ GET /api/domains/check $status } }
	    split /\n/, $s->slurp($s->log_path('tenantd'));
	return scalar @lines;
}

# Waits until tenantd has logged `count` checks answered `status`: the log
# line is written after the answer Caddy acts on.
sub wait_checks {
	my ($status, $count) = @_;
	my $deadline = time + 10;
	while (checks($status) < $count && time < $deadline) {
		select(undef, undef, undef, 0.05);
	}
	return checks($status);
}

# A TLS handshake as `name`: the certificate's subject and issuer, or the
# reason it failed.
sub handshake {
	my ($name) = @_;
	my $socket = eval { $s->tls_connect($name) };
	return (0, $@) unless $socket;
	my @peer = ($socket->peer_certificate('subject'),
	    $socket->peer_certificate('issuer'),
	    join(' ', $socket->peer_certificate('subjectAltNames')));
	close $socket;
	return (1, @peer);
}

ok(-s $s->caddy_root_cert, 'the local CA\'s root is in Caddy\'s storage');

my ($ok, $subject, $issuer, $names) = handshake('127.0.0.1');
ok($ok, 'the admin host has a certificate') or diag $subject;
like($issuer // '', qr/Caddy Local Authority/, '  from the local CA');
my $r = $s->get('/api/healthz', token => undef);
is($r->{status}, 200, 'the admin host answers over HTTPS');

for my $sub (qw(acme gone)) {
	$r = $s->post('/api/tenants/?deploy=false',
	    json => { name => "Tenant $sub", subdomain => $sub });
	is($r->{status}, 201, "tenant $sub is created") or diag $r->{content};
	$s->{ids}{$sub} = $r->{json}{id};
}
$r = $s->post("/api/tenants/$s->{ids}{gone}/archive/");
is($r->{status}, 200, 'tenant gone is archived') or diag $r->{content};

my $allowed = checks(200);
($ok, $subject, $issuer, $names) = handshake('acme.localhost');
ok($ok, 'an active tenant\'s host gets a certificate on demand')
    or diag $subject;
like($names // '', qr/\bacme\.localhost\b/, '  for its name');
like($issuer // '', qr/Caddy Local Authority/, '  from the local CA');
is(wait_checks(200, $allowed + 1), $allowed + 1,
    '  after GET /api/domains/check said 200');
$r = $s->get('/api/healthz', token => undef, host => 'acme.localhost');
is($r->{status}, 200, '  and the host answers over HTTPS');
($ok) = handshake('acme.localhost');
ok($ok, 'a second handshake uses the same certificate');
is(checks(200), $allowed + 1, '  without asking again');

for my $case (['nosuch.localhost', 'an unknown subdomain'],
    ['gone.localhost', 'an archived tenant'],
    ['www.localhost', 'a reserved subdomain'],
    ['a.acme.localhost', 'a name two labels under the base domain']) {
	my ($name, $what) = @$case;
	my $refused = checks(404);
	my ($got, $reason) = handshake($name);
	ok(!$got, "$what gets no certificate: the handshake fails")
	    or diag "$name got a certificate";
	like($reason // '', qr/alert|handshake|SSL/i, "  ($reason)");
	is(wait_checks(404, $refused + 1), $refused + 1,
	    '  and GET /api/domains/check was asked and said 404')
	    unless $name eq 'a.acme.localhost';
}

$r = $s->post("/api/tenants/$s->{ids}{gone}/restore/");
is($r->{status}, 200, 'tenant gone is restored') or diag $r->{content};
($ok, $subject) = handshake('gone.localhost');
ok($ok, 'a restored tenant\'s host gets a certificate') or diag $subject;

# Plain HTTP answers the check and redirects everything else.
my $http = $s->_http_request_to($s->caddy_http_port, 'GET', '/admin/',
    { Host => '127.0.0.1:' . $s->caddy_http_port }, undef, 10);
is($http->{status}, 308, 'plain HTTP redirects');
is($http->{headers}{location}, 'https://127.0.0.1:' . $s->port . '/admin/',
    '  to the same URL over HTTPS');
$http = $s->_http_request_to($s->caddy_http_port, 'GET',
    '/api/domains/check?domain=acme.localhost',
    { Host => '127.0.0.1:' . $s->caddy_http_port }, undef, 10);
is($http->{status}, 200, 'the check answers on plain HTTP, for Caddy');

# tenantd down: the same JSON 503 as through nginx, on both kinds of host.
$s->stop_tenantd;
for my $host ('acme.localhost', '127.0.0.1') {
	$r = $s->get('/api/healthz', token => undef, host => $host);
	$s->is_error($r, 503, 'service_unavailable', "$host without tenantd");
	is($r->{headers}{'retry-after'}, '5', '  with Retry-After');
}

$s->stop;
done_testing();
