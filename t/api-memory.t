# api-memory.t - a hostile JSON body cannot make a worker big, and a worker
# that grew anyway gives the memory back.
#
# The body of the report: 16 MB, one array of 8 million numbers, sent to
# POST /api/auth/login by anonymous clients, four at a time, then to the
# JSON endpoints of an admin.  Each is refused with 413 while parsing, and
# the workers' resident size (VmRSS in /proc/<pid>/status) is back under
# 64 MiB moments later.  A second stack with a worker_rss_high_water below
# a worker's idle size shows the other half: a worker above the mark exits
# after answering and the master replaces it at once, without back-off.
use strict;
use warnings;

use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time sleep);

use TenantdStack;
use TestUtil qw(wait_until);

my $RSS_LIMIT_KIB = 64 * 1024;

# The resident size of process `pid` in KiB, or undef when it is gone.
sub rss_kib {
	my ($pid) = @_;
	my $status = TenantdStack->slurp("/proc/$pid/status");
	return ($status =~ /^VmRSS:\s+(\d+) kB/m)[0];
}

# "pid=KiB ..." of the workers, for diagnostics.
sub describe_rss {
	my ($s) = @_;
	return join ' ', map { "$_=" . (rss_kib($_) // 'gone') . 'KiB' }
	    $s->worker_pids;
}

# Do `count` workers run, each under $RSS_LIMIT_KIB?
sub workers_small {
	my ($s, $count) = @_;
	my @pids = $s->worker_pids;
	return 0 unless @pids == $count;
	for my $pid (@pids) {
		my $rss = rss_kib($pid);
		return 0 unless defined $rss && $rss < $RSS_LIMIT_KIB;
	}
	return 1;
}

my $s = TenantdStack->new(workers => 2, conf => { job_runners => 0 });
$s->start;
ok(wait_until(sub { $s->worker_pids == 2 }, 15), 'two workers run');

my $huge = '[' . ('0,' x 7_999_999) . '0]';
is(length $huge, 16_000_001, 'the body: 16 MB, one array of 8 million numbers');

# --- anonymous logins, four at a time ---------------------------------------

my @clients;
for my $i (1 .. 4) {
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my $r = eval {
			$s->post('/api/auth/login', token => undef, body => $huge,
			    content_type => 'application/json', timeout => 120);
		};
		_exit($r && $r->{status} == 413 ? 0 : 1);
	}
	push @clients, $pid;
}
my $refused = 0;
for my $pid (@clients) {
	waitpid($pid, 0);
	$refused++ if $? == 0;
}
is($refused, 4, 'four 16 MB anonymous logins in parallel are each refused with 413');

my $r = $s->post('/api/auth/login', token => undef, body => $huge,
    content_type => 'application/json', timeout => 120);
$s->is_error($r, 413, 'body_too_large', 'a 16 MB anonymous login');
like($r->{json}{error} // '', qr/login request body too large/,
    'the login names its own limit');
ok(wait_until(sub { workers_small($s, 2) }, 5),
    'after them every worker is under 64 MiB resident')
    or diag('workers: ' . describe_rss($s));
note('workers: ' . describe_rss($s));

# --- an admin's JSON bodies: refused while parsing ------------------------------

$r = $s->post('/api/tenants/', body => $huge,
    content_type => 'application/json', timeout => 120);
$s->is_error($r, 413, 'body_too_large', 'the same body as a tenant to create');
like($r->{json}{error} // '', qr/more than 100000 values/,
    'the message names max_json_nodes');
$r = $s->post('/api/tenants/bulk-create/',
    body => '{"tenants": ' . $huge . '}',
    content_type => 'application/json', timeout => 120);
$s->is_error($r, 413, 'body_too_large',
    'the same array as the tenants of a bulk create');
$r = $s->post('/api/tenants/bulk-update-modules/',
    body => '{"module_key": "wallet", "is_enabled": true, "tenant_ids": '
    . $huge . '}', content_type => 'application/json', timeout => 120);
$s->is_error($r, 413, 'body_too_large',
    'the same array as the ids of a bulk module update');
ok(wait_until(sub { workers_small($s, 2) }, 5),
    'after them every worker is under 64 MiB resident')
    or diag('workers: ' . describe_rss($s));
note('workers: ' . describe_rss($s));

$r = $s->post('/api/tenants/', json => { name => 'Still Serving',
    subdomain => 'still-serving', module_keys => ['wallet'] });
is($r->{status}, 201, 'a tenant within the budget is created')
    or diag $r->{content};
$s->stop;

# --- worker_rss_high_water ---------------------------------------------------------

# 1M is below any worker's idle size: every request makes its worker leave.
my $recycling = TenantdStack->new(workers => 2, nginx => 0,
    conf => { job_runners => 0, worker_rss_high_water => '1M' });
$recycling->start;
my @before = @{ wait_until(sub {
	my @p = $recycling->worker_pids;
	@p == 2 ? \@p : undef
}, 15) // [] };
is(scalar @before, 2, 'two workers run');
my @statuses;
for my $i (1 .. 6) {
	my $answer = eval { $recycling->get('/api/healthz') };
	push @statuses, $answer ? $answer->{status} : "error: $@";
}
is_deeply(\@statuses, [(200) x 6],
    'every request is answered while workers leave after answering');
my %old = map { $_ => 1 } @before;
ok(wait_until(sub {
	my @p = $recycling->worker_pids;
	@p == 2 && !grep { $old{$_} } @p;
}, 10), 'both first workers left and were replaced')
    or diag("before: @before; now: @{[$recycling->worker_pids]}");
my $log = TenantdStack->slurp($recycling->log_path('tenantd'));
like($log, qr/resident after a request, above worker_rss_high_water \(1024 KiB\)/,
    'the worker logs why it leaves');
like($log, qr/worker \d+ left to give memory back; starting a fresh one/,
    'the master logs the replacement');
unlike($log, qr/respawning in/, 'no crash back-off for a worker that left');
$recycling->stop;

done_testing();
