# api-health.t - GET /api/healthz, and what tenantd does while MariaDB is
# gone: 503 with Retry-After, then recovery without a restart of tenantd.
use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;

my $s = TenantdStack->new(workers => 2);
$s->start;

my $r = $s->get('/api/healthz', token => undef);
is($r->{status}, 200, 'healthz answers 200 anonymously');
is_deeply($r->{json}, { status => 'ok', database => 'ok' },
    'healthz body is {"status":"ok","database":"ok"}')
    or diag "got: $r->{content}";
like($r->{headers}{'content-type'} // '', qr{^application/json},
    'healthz is JSON');

$r = $s->get('/api/healthz/', token => undef);
is($r->{status}, 200, 'healthz with a trailing slash');

$r = $s->head('/api/healthz', token => undef);
is($r->{status}, 200, 'HEAD healthz answers 200');
is($r->{content}, '', 'HEAD healthz has no body');

$r = $s->get('/api/healthz', token => undef, host => 'acme.localhost');
is($r->{status}, 200, 'healthz answers on a tenant host too');

# --- MariaDB goes away ------------------------------------------------------

my $master = $s->tenantd_pid;
my @workers = $s->worker_pids;
$s->stop_mariadb;

# Every worker has to notice on its own; enough requests reach all of them.
for my $i (1 .. 6) {
	$r = $s->get('/api/healthz', token => undef);
	$s->is_error($r, 503, 'database_unavailable',
	    "healthz request $i while MariaDB is down");
	like($r->{headers}{'retry-after'} // '', qr/^\d+$/,
	    "healthz request $i: Retry-After is a number of seconds");
}

$r = $s->get('/api/tenants/');
$s->is_error($r, 503, 'database_unavailable',
    'an admin endpoint answers 503 (not 401) while the database is down');
ok(defined $r->{headers}{'retry-after'}, 'admin endpoint 503 has Retry-After');

$r = $s->post('/api/auth/login', token => undef,
    json => { username => 'admin', password => $s->admin_password });
$s->is_error($r, 503, 'database_unavailable', 'login while the database is down');

is($s->tenantd_pid, $master, 'the tenantd master survived the outage');

# --- MariaDB comes back -----------------------------------------------------

$s->start_mariadb;
my $deadline = time + 20;
do {
	$r = $s->get('/api/healthz', token => undef);
	sleep 0.1 if $r->{status} != 200;
} while ($r->{status} != 200 && time < $deadline);
is($r->{status}, 200, 'healthz is 200 again once MariaDB is back')
    or diag "last: $r->{status} $r->{content}";

my @statuses = map { $s->get('/api/healthz', token => undef)->{status} } 1 .. 10;
is_deeply(\@statuses, [(200) x 10],
    'every worker reconnected (10 requests in a row answer 200)');

$r = $s->get('/api/tenants/');
is($r->{status}, 200, 'admin endpoints work again after the outage')
    or diag $r->{content};

is($s->tenantd_pid, $master, 'tenantd was not restarted');
is_deeply([$s->worker_pids], \@workers,
    'the same workers serve after the outage (no respawn)');

# --- tenantd itself down: the front end says so in JSON ---------------------

$s->stop_tenantd;
$r = $s->get('/api/healthz', token => undef);
is($r->{status}, 503, 'nginx answers 503 while tenantd is down');
is($r->{json} && $r->{json}{code}, 'service_unavailable',
    'nginx 503 is a JSON error document');
ok(defined $r->{headers}{'retry-after'}, 'nginx 503 has Retry-After');
$s->stop;

# The same through lighttpd, on the admin host and on a tenant host.
my $l = TenantdStack->new(workers => 1, frontend => 'lighttpd');
$l->start;
$l->stop_tenantd;
for my $host (undef, 'acme.localhost') {
	my $where = defined $host ? 'a tenant host' : 'the admin host';
	$r = $l->get('/api/healthz', token => undef,
	    defined $host ? (host => $host) : ());
	is($r->{status}, 503, "lighttpd answers 503 on $where while tenantd is down");
	is($r->{json} && $r->{json}{code}, 'service_unavailable',
	    '... with the same JSON error document as nginx')
	    or diag $r->{content};
}
$l->stop;

done_testing;
