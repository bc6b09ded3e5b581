#!/usr/bin/env perl
# api-metrics.t - GET /api/metrics: administrators only, the Prometheus
# text format 0.0.4, and counters of the whole worker pool that move with
# what happens (requests by route and status class, latency histograms,
# workers alive and respawns, config cache hits and misses, database
# reconnects, jobs by status).  Also the request log line: route and
# tenant, never the token, and that workers reconnect on the first request
# after the database is back.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;

my $WORKERS = 2;
my $s = TenantdStack->new(workers => $WORKERS);
$s->start;

# Parses an exposition into {types => {name => type}, samples =>
# {"name{labels}" => value}}; every line that breaks the format fails a
# test, so a malformed scrape cannot pass quietly.
sub parse_metrics {
	my ($text) = @_;
	my (%types, %samples, @bad);
	for my $line (split /\n/, $text) {
		if ($line =~ /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* \S/) {
			next;
		} elsif ($line =~ /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/) {
			push @bad, "type of $1 twice" if $types{$1};
			$types{$1} = $2;
		} elsif ($line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$/) {
			my ($name, $labels, $value) = ($1, $2 // '', $3);
			my $family = $name;
			$family =~ s/_(bucket|count|sum)$// unless $types{$name};
			push @bad, "no TYPE before $name" unless $types{$family};
			push @bad, "$name$labels twice" if exists $samples{"$name$labels"};
			$samples{"$name$labels"} = $value;
		} else {
			push @bad, "malformed line: $line";
		}
	}
	return { types => \%types, samples => \%samples, bad => \@bad };
}

# Scrapes once with the admin token; returns the parsed metrics.
sub scrape {
	my $r = $s->get('/api/metrics');
	is($r->{status}, 200, 'metrics answer 200') or diag $r->{content};
	my $m = parse_metrics($r->{content});
	is_deeply($m->{bad}, [], 'every line follows the text format')
	    or diag $r->{content};
	return $m;
}

# A sample's value, 0 when absent (a counter not yet moved).
sub value {
	my ($m, $key) = @_;
	return $m->{samples}{$key} // 0;
}

# --- access -----------------------------------------------------------------

my $r = $s->get('/api/metrics', token => undef);
is($r->{status}, 401, 'metrics without credentials: 401');
unlike($r->{content}, qr/tenantd_http_requests_total/,
    'no counters without credentials');
$r = $s->get('/api/metrics', token => 'tok_' . ('0' x 40));
is($r->{status}, 401, 'metrics with a wrong token: 401');
$r = $s->post('/api/metrics', json => {});
is($r->{status}, 405, 'POST /api/metrics: 405');

$r = $s->get('/api/metrics');
is($r->{status}, 200, 'metrics with the admin token: 200');
like($r->{headers}{'content-type'} // '',
    qr{^text/plain; version=0\.0\.4}, 'content type of the text format 0.0.4');

# --- the format and the process gauges ---------------------------------------

my $m = scrape();
is($m->{types}{tenantd_http_requests_total}, 'counter', 'requests: counter');
is($m->{types}{tenantd_http_request_duration_seconds}, 'histogram',
    'latency: histogram');
is($m->{types}{$_}, 'gauge', "$_: gauge")
    for qw(tenantd_workers_alive tenantd_job_runners_alive tenantd_jobs
    tenantd_database_up);
is($m->{types}{$_}, 'counter', "$_: counter")
    for qw(tenantd_respawns_total tenantd_db_reconnects_total
    tenantd_config_cache_hits_total tenantd_config_cache_misses_total);
is(value($m, 'tenantd_workers_alive'), $WORKERS, "$WORKERS workers alive");
is(value($m, 'tenantd_job_runners_alive'), scalar($s->runner_pids),
    'job runners alive as running');
is(value($m, 'tenantd_database_up'), 1, 'database up');

# Jobs by status: the four statuses, summing to the table's rows.
my ($jobs) = map { $_->[0] } $s->sql('SELECT COUNT(*) FROM jobs');
my $sum = 0;
for my $status (qw(queued running done failed)) {
	ok(exists $m->{samples}{"tenantd_jobs{status=\"$status\"}"},
	    "jobs with status $status are reported");
	$sum += value($m, "tenantd_jobs{status=\"$status\"}");
}
is($sum, $jobs, 'jobs by status add up to the jobs table');

# --- requests are counted pool-wide ------------------------------------------

my $HEALTH = 'route="/api/healthz"';
my $before = value($m, "tenantd_http_requests_total{$HEALTH,code=\"2xx\"}");
my $count_before = value($m,
    "tenantd_http_request_duration_seconds_count{$HEALTH}");
$s->get('/api/healthz', token => undef) for 1 .. 10;
$m = scrape();
is(value($m, "tenantd_http_requests_total{$HEALTH,code=\"2xx\"}") - $before,
    10, 'ten healthz requests on any worker count ten');
is(value($m, "tenantd_http_request_duration_seconds_count{$HEALTH}")
    - $count_before, 10, 'and ten latency observations');

# The histogram is cumulative and ends in +Inf = _count.
my @bounds = qw(0.001 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 +Inf);
my $previous = 0;
my $monotonic = 1;
for my $le (@bounds) {
	my $key = "tenantd_http_request_duration_seconds_bucket{$HEALTH,le=\"$le\"}";
	$monotonic = 0 unless exists $m->{samples}{$key}
	    && $m->{samples}{$key} >= $previous;
	$previous = value($m, $key);
}
ok($monotonic, 'buckets 1 ms to 2.5 s and +Inf, never decreasing');
is($previous, value($m, "tenantd_http_request_duration_seconds_count{$HEALTH}"),
    '+Inf bucket equals the count');
ok(value($m, "tenantd_http_request_duration_seconds_sum{$HEALTH}") > 0,
    'latency sum is positive');

my $unmatched = 'tenantd_http_requests_total{route="unmatched",code="4xx"}';
$before = value($m, $unmatched);
is($s->get('/api/no-such-thing')->{status}, 404, 'unknown path: 404');
$m = scrape();
is(value($m, $unmatched) - $before, 1, 'a 404 counts as route unmatched 4xx');

my $denied = 'tenantd_http_requests_total{route="/api/tenants/",code="4xx"}';
$before = value($m, $denied);
is($s->get('/api/tenants/', token => undef)->{status}, 401,
    'tenant list without credentials: 401');
$m = scrape();
is(value($m, $denied) - $before, 1, 'a 401 counts under its route as 4xx');

# --- config cache hits and misses ---------------------------------------------

my ($exit, $out, $err) = $s->tenantctl('tenant', 'create', '--name',
    'Metrics Co', '--subdomain', 'metricsco');
is($exit, 0, 'tenant metricsco created') or diag $err;
my $hits = value($m, 'tenantd_config_cache_hits_total');
my $misses = value($m, 'tenantd_config_cache_misses_total');
# Asked of tenantd straight: through nginx, which serves config.json
# itself, no lookup would reach a worker.
for (1 .. 6) {
	$r = $s->_fastcgi_request('GET',
	    '/api/tenants/by-subdomain/metricsco/config/',
	    { Host => '127.0.0.1' }, '', 30);
	is($r->{status}, 200, 'config by subdomain: 200');
}
$m = scrape();
my $new_hits = value($m, 'tenantd_config_cache_hits_total') - $hits;
my $new_misses = value($m, 'tenantd_config_cache_misses_total') - $misses;
is($new_hits + $new_misses, 6, 'six config lookups: hits and misses add up');
# Two workers: one of them served at least three, two of those from memory.
cmp_ok($new_hits, '>=', 2, 'repeated lookups are hits');
cmp_ok($new_misses, '>=', 1, 'the first lookup of a worker is a miss');
ok(value($m, 'tenantd_http_requests_total{route="/api/tenants/by-subdomain/{sub}/config/",code="2xx"}') >= 6,
    'the config route is counted under its pattern');

# --- the request log ------------------------------------------------------------

my $log = do {
	open(my $fh, '<', $s->log_path('tenantd')) or die "tenantd log: $!";
	local $/;
	<$fh>;
};
like($log, qr{GET /api/tenants/by-subdomain/metricsco/config/ 200 [0-9.]+ms route=/api/tenants/by-subdomain/\{sub\}/config/ tenant=metricsco},
    'the log line names the route pattern and the tenant');
like($log, qr{GET /api/metrics 200 [0-9.]+ms route=/api/metrics tenant=-},
    'an admin request logs tenant "-"');
my $token = $s->admin_token;
unlike($log, qr/\Q$token\E/, 'the admin token is never logged');

# --- respawns and database reconnects ------------------------------------------

my $respawns = value($m, 'tenantd_respawns_total');
my @workers = $s->worker_pids;
kill 'KILL', $workers[0];
my $deadline = time + 20;
my @now;
while (time < $deadline) {
	@now = $s->worker_pids;
	last if @now == $WORKERS && !grep { $_ == $workers[0] } @now;
	sleep 0.1;
}
is(scalar(@now), $WORKERS, 'the killed worker was replaced');
# Each scrape may land on either worker: all of them see the same pool.
for my $i (1 .. 4) {
	$m = scrape();
	is(value($m, 'tenantd_respawns_total') - $respawns, 1,
	    "scrape $i: one respawn, seen by every worker");
	is(value($m, 'tenantd_workers_alive'), $WORKERS,
	    "scrape $i: $WORKERS workers alive again");
}
cmp_ok(value($m, "tenantd_http_requests_total{$HEALTH,code=\"2xx\"}"), '>=',
    10, 'the dead worker\'s requests still count');

my $reconnects = value($m, 'tenantd_db_reconnects_total');
$s->restart_mariadb;
# The server answers again (start_mariadb waited for its ping).  Every
# worker's connection died with the old server; the first request a worker
# gets must notice that and reconnect, not answer 503.  First a scrape:
# its handler copes without the database, but its token is looked up there.
scrape();
my $ROUND = 4 * $WORKERS;
my @statuses = map { $s->get('/api/healthz', token => undef)->{status} }
    1 .. $ROUND;
is_deeply(\@statuses, [(200) x $ROUND],
    'every request after the database restart answers 200, the first too')
    or diag "statuses: @statuses";
$m = scrape();
cmp_ok(value($m, 'tenantd_db_reconnects_total') - $reconnects, '>=', 1,
    'database reconnects are counted');

# A worker that failed to reconnect a moment ago must still try again on
# the next request once the server is back.  The server's socket is moved
# aside (a connect then fails at once, as while the server is down) and
# tenantd's connections are killed; the requests that follow fail and
# leave failed attempts behind on the workers.  With the socket back, the
# very next requests must reconnect and answer 200.
my $socket = $s->mariadb_socket;
my $aside = "$socket.aside";
rename($socket, $aside) or die "rename $socket: $!";
# SQL as MariaDB's root through the socket moved aside; returns the output.
sub sql_aside {
	my ($statement) = @_;
	open(my $fh, '-|', 'mariadb', '--no-defaults', '--user=root',
	    "--socket=$aside", '--batch', '--skip-column-names',
	    '-e', $statement) or die "mariadb: $!";
	my $out = do { local $/; <$fh> };
	close $fh;
	return $? == 0 ? $out // '' : undef;
}
ok(defined sql_aside('KILL USER tenantd'), "tenantd's connections killed");
my $left;
$deadline = time + 20;
while (time < $deadline) {
	$left = sql_aside('SELECT COUNT(*) FROM information_schema.PROCESSLIST '
	    . "WHERE USER = 'tenantd'");
	last if defined $left && $left =~ /^0$/m;
	sleep 0.05;
}
like($left // '', qr/^0$/m, 'no connection of tenantd is left');
@statuses = map { $s->get('/api/healthz', token => undef)->{status} }
    1 .. $ROUND;
is_deeply(\@statuses, [(503) x $ROUND],
    'while the database cannot be reached, healthz answers 503')
    or diag "statuses: @statuses";
rename($aside, $socket) or die "rename $aside: $!";
@statuses = map { $s->get('/api/healthz', token => undef)->{status} }
    1 .. $ROUND;
is_deeply(\@statuses, [(200) x $ROUND],
    'the first requests once it is back reconnect at once and answer 200')
    or diag "statuses: @statuses";

$s->stop;
done_testing;
