#!/usr/bin/env perl
# api-jobs.t - the job queue: GET /api/jobs/{id}/, `tenantctl worker`, and
# the job runners of the tenantd master.
#
# Covers: an async deploy run by `tenantctl worker --once` (progress 100,
# the result document, the job's JSON shape, 404s); jobs that fail (tenant
# gone, archived, unknown kind); a busy tenant sending its job back to the
# queue uncounted; stale jobs requeued or failed by the heartbeat timeout;
# 20 jobs shared by 3 parallel workers, each run exactly once; a worker
# killed with SIGKILL mid-deploy and the job finishing on another worker
# with a complete public/ and no staging directory left; SIGTERM letting a
# worker finish; and the runners inside tenantd (a job done by itself, a
# killed runner respawned, a drain that waits for the job in progress).

use strict;
use warnings;

use Config;
use File::Path qw(make_path);
use POSIX qw(WNOHANG _exit);
use Test::More;

use TenantdStack;
use TestUtil qw(wait_until spew);

my $HEARTBEAT_TIMEOUT = 5;
my $POLL_MS = 200;
my $BIG_FILES = 5000;
my $BIG_FILE_BYTES = 8192;

my $s = TenantdStack->new(nginx => 0, conf => {
	job_runners => 0,
	job_heartbeat_timeout => $HEARTBEAT_TIMEOUT,
	job_poll_ms => $POLL_MS,
	job_max_attempts => 3,
});
$s->start;
my $TENANTS = $s->tenants_dir;
my $RUN = $s->run_dir;

# Background processes this test started, killed at exit whatever happens.
my %spawned;

# What the workers wrote, searched for sanitizer reports at the end.
my @worker_output;
my @worker_logs;
END {
	kill 'KILL', keys %spawned if %spawned;
}


# One row of a query as a hash of its columns.
sub job_row {
	my ($id) = @_;
	my ($row) = $s->sql("SELECT status, progress, attempts, runner, error, "
	    . "result FROM jobs WHERE id = $id");
	return undef unless $row;
	my %h;
	@h{qw(status progress attempts runner error result)} = @$row;
	return \%h;
}

# Creates a tenant without the deploy job create would queue.  Returns
# its id.
sub create_tenant {
	my ($sub) = @_;
	my $r = $s->post('/api/tenants/?deploy=false', json => {
	    name => "Tenant $sub", subdomain => $sub });
	die "create $sub: $r->{status} $r->{content}\n" if $r->{status} != 201;
	return $r->{json}{id};
}

# Queues a deploy of tenant `id` through the API.  Returns the job id.
sub enqueue_deploy {
	my ($id, %o) = @_;
	my $query = $o{force} ? '?async=true&force=true' : '?async=true';
	my $r = $s->post("/api/tenants/$id/deploy_frontend/$query", json => {});
	die "async deploy of tenant $id: $r->{status} $r->{content}\n"
	    if $r->{status} != 202;
	return $r->{json}{job_id};
}

# Inserts a job row directly, for states the API cannot produce.
sub insert_job {
	my (%col) = @_;
	my @names = sort keys %col;
	$s->sql('INSERT INTO jobs (' . join(', ', @names) . ') VALUES ('
	    . join(', ', map { $col{$_} } @names) . ')');
	my ($row) = $s->sql('SELECT MAX(id) FROM jobs');
	return $row->[0];
}

# prctl(2) numbers of PR_SET_PDEATHSIG, so a worker dies with the test.
my %PRCTL_SYSCALL = (x86_64 => 157, aarch64 => 167, riscv64 => 167);
my ($ARCH) = $Config{archname} =~ /^([^-]+)/;

# Starts `tenantctl --config CONF worker ARGS` in the background with its
# output appended to `log`.  Returns the pid.
sub spawn_worker {
	my ($conf, $log, @args) = @_;
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		if (my $number = $PRCTL_SYSCALL{$ARCH // ''}) {
			syscall($number, 1, 9, 0, 0, 0);
		}
		open(STDIN, '<', '/dev/null') or _exit(126);
		open(STDOUT, '>>', $log) or _exit(126);
		open(STDERR, '>&', \*STDOUT) or _exit(126);
		{
			no warnings 'exec';
			exec($s->tenantctl_binary, '--config', $conf, 'worker',
			    @args);
		}
		_exit(127);
	}
	$spawned{$pid} = 1;
	push @worker_logs, $log;
	return $pid;
}

# Waits up to `seconds` for a spawned worker.  Returns its exit status,
# or undef (after killing it) when it did not end in time.
sub reap_worker {
	my ($pid, $seconds) = @_;
	my $done = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, $seconds);
	my $status = $?;
	if (!$done) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
		delete $spawned{$pid};
		return undef;
	}
	delete $spawned{$pid};
	return $status >> 8;
}

# Runs `tenantctl worker --once` to completion.  Returns ($exit, $stderr).
sub worker_once {
	my (@conf) = @_;
	my ($exit, undef, $err) = $s->tenantctl(@conf, 'worker', '--once');
	push @worker_output, $err;
	return ($exit, $err);
}

# Leftover staging directories of a deploy in tenants/<sub>/.
sub staging_dirs {
	my ($sub) = @_;
	opendir(my $dh, "$TENANTS/$sub") or return ('(no folder)');
	my @left = grep { /staging/ } readdir $dh;
	closedir $dh;
	return @left;
}

# --- one async deploy, run by `tenantctl worker --once` -----------------------

my $first = create_tenant('jobs-first');
my ($queued) = $s->sql("SELECT COUNT(*) FROM jobs WHERE tenant_id = $first");
is($queued->[0], 0, 'a tenant created with deploy=false has no job');

my $job_id = enqueue_deploy($first);
like($job_id, qr/^[1-9]\d*$/, 'async deploy answers with a job id');

my $r = $s->get("/api/jobs/$job_id/");
is($r->{status}, 200, 'GET /api/jobs/{id}/ answers 200') or diag $r->{content};
my $job = $r->{json} // {};
is_deeply([sort keys %$job], [sort qw(id kind tenant_id status progress
    result error attempts created_at started_at finished_at)],
    'a job has exactly the documented keys');
is($job->{id}, $job_id, 'id');
is($job->{kind}, 'deploy', 'kind is deploy');
is($job->{tenant_id}, $first, 'tenant_id');
is($job->{status}, 'queued', 'a new job is queued');
is($job->{progress}, 0, 'with progress 0');
is($job->{attempts}, 0, 'and no attempts');
is($job->{result}, undef, 'result is null before it ran');
is($job->{error}, undef, 'error is null');
like($job->{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'created_at is UTC ISO 8601');
is($job->{started_at}, undef, 'started_at is null before it ran');
is($job->{finished_at}, undef, 'finished_at is null before it ran');

my ($exit, $err) = worker_once();
is($exit, 0, 'tenantctl worker --once exits 0') or diag $err;
like($err, qr/job runner \S+:\d+ started/, 'the worker logs its runner id');

$r = $s->get("/api/jobs/$job_id/");
$job = $r->{json} // {};
is($job->{status}, 'done', 'the job is done') or diag $r->{content};
is($job->{progress}, 100, 'with progress 100');
is($job->{attempts}, 1, 'after one attempt');
is($job->{error}, undef, 'without an error');
like($job->{started_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'started_at is set');
like($job->{finished_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'finished_at is set');
is(ref $job->{result}, 'HASH', 'result is an embedded JSON object');
my $result = ref $job->{result} eq 'HASH' ? $job->{result} : {};
ok(JSON::PP::is_bool($result->{success}) && $result->{success},
    'result.success is true');
cmp_ok($result->{files_copied} // 0, '>', 0, 'result.files_copied > 0');
is($result->{files_kept}, 0, 'result.files_kept is 0 on a first deploy');
is_deeply($result->{kept}, [], 'result.kept is an empty list');
is($result->{tenant_url}, "http://jobs-first.localhost:" . $s->port,
    'result.tenant_url');
ok(-f "$TENANTS/jobs-first/public/index.html",
    'the template reached tenants/<sub>/public/');
like(job_row($job_id)->{runner} // '', qr/^\S+:\d+$/,
    'the runner column holds host:pid');

$r = $s->get('/api/jobs/987654321/');
$s->is_error($r, 404, 'not_found', 'an unknown job');
$r = $s->get('/api/jobs/0/');
is($r->{status}, 404, 'job id 0 is not a job');
$r = $s->get("/api/jobs/$job_id/", token => undef);
is($r->{status}, 401, 'jobs need an administrator');
$r = $s->post("/api/jobs/$job_id/", json => {});
is($r->{status}, 405, 'jobs are read-only');

# --- jobs that fail -------------------------------------------------------------

my $gone_job = insert_job(kind => "'deploy'", tenant_id => 999999,
    payload => "'{\"force\":false}'");
my $odd_job = insert_job(kind => "'no_such_kind'", payload => "'{}'");
my $archived = create_tenant('jobs-archived');
$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP() "
    . "WHERE id = $archived");
my $archived_job = insert_job(kind => "'deploy'", tenant_id => $archived,
    payload => "'{}'");
($exit, $err) = worker_once();
is($exit, 0, 'worker --once exits 0 when jobs failed') or diag $err;
for my $case ([$gone_job, 'tenant not found', 'a deploy of a deleted tenant'],
    [$odd_job, 'unknown job kind', 'a job of an unknown kind'],
    [$archived_job, 'tenant is archived', 'a deploy of an archived tenant']) {
	my ($id, $message, $name) = @$case;
	$r = $s->get("/api/jobs/$id/");
	is($r->{json}{status}, 'failed', "$name fails") or diag $r->{content};
	is($r->{json}{error}, $message, "$name: error '$message'");
	is($r->{json}{result}, undef, "$name: no result");
}
$r = $s->get("/api/jobs/$odd_job/");
is($r->{json}{tenant_id}, undef, 'a job without a tenant has tenant_id null');

# --- a busy tenant: the job goes back to the queue, uncounted -------------------

my $busy = create_tenant('jobs-busy');
my $busy_job = enqueue_deploy($busy);
$s->sql("UPDATE tenants SET busy_operation = 'archive', "
    . "busy_token = REPEAT('a', 32), busy_since = UTC_TIMESTAMP(6) "
    . "WHERE id = $busy");
($exit, $err) = worker_once();
is($exit, 0, 'worker --once exits 0 when the only job is for a busy tenant')
    or diag $err;
my $row = job_row($busy_job);
is($row->{status}, 'queued', 'the job of a busy tenant is queued again');
is($row->{attempts}, 0, 'and the attempt is not counted');
$s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, "
    . "busy_since = NULL WHERE id = $busy");
# The job went back with its heartbeat a poll interval ahead: claimable
# again once that time has come.
ok(wait_until(sub {
	my ($due) = $s->sql("SELECT heartbeat_at <= UTC_TIMESTAMP(6) FROM jobs "
	    . "WHERE id = $busy_job");
	$due && $due->[0];
}, 10), 'the requeued job becomes claimable after a poll interval');
($exit, $err) = worker_once();
$row = job_row($busy_job);
is($row->{status}, 'done', 'once the tenant is free the job runs')
    or diag "$err\n$row->{error}";
is($row->{attempts}, 1, 'with one attempt counted');

# --- stale jobs: requeued, or failed when out of attempts -------------------------

my $stale_tenant = create_tenant('jobs-stale');
my $stale = insert_job(kind => "'deploy'", tenant_id => $stale_tenant,
    payload => "'{}'", status => "'running'", attempts => 1,
    runner => "'gone:1'", started_at => 'UTC_TIMESTAMP(6)',
    heartbeat_at => 'UTC_TIMESTAMP(6) - INTERVAL 1 HOUR');
my $exhausted = insert_job(kind => "'deploy'", tenant_id => $stale_tenant,
    payload => "'{}'", status => "'running'", attempts => 3,
    runner => "'gone:2'", started_at => 'UTC_TIMESTAMP(6)',
    heartbeat_at => 'UTC_TIMESTAMP(6) - INTERVAL 1 HOUR');
my $alive = insert_job(kind => "'deploy'", tenant_id => $stale_tenant,
    payload => "'{}'", status => "'running'", attempts => 1,
    runner => "'alive:3'", started_at => 'UTC_TIMESTAMP(6)',
    heartbeat_at => 'UTC_TIMESTAMP(6)');
($exit, $err) = worker_once();
is($exit, 0, 'worker --once exits 0 after reaping') or diag $err;
$row = job_row($stale);
is($row->{status}, 'done', 'a job whose runner went silent is run again');
is($row->{attempts}, 2, 'as its second attempt');
$row = job_row($exhausted);
is($row->{status}, 'failed', 'a silent job out of attempts fails');
is($row->{error}, 'the runner stopped responding 3 times',
    'with the number of attempts in the error');
$row = job_row($alive);
is($row->{status}, 'running', 'a job with a fresh heartbeat is left alone');
is($row->{runner}, 'alive:3', 'with its runner');
$s->sql("DELETE FROM jobs WHERE id = $alive");

# --- 20 jobs, 3 workers in parallel: every job runs exactly once ------------------

my @many;
for my $i (1 .. 20) {
	my $id = create_tenant(sprintf('jobs-many-%02d', $i));
	push @many, enqueue_deploy($id);
}
my $parallel_log = "$RUN/parallel-workers.log";
my @pids = map { spawn_worker($s->conf_path, $parallel_log, '--once') } 1 .. 3;
my @exits = map { reap_worker($_, 120) } @pids;
is_deeply(\@exits, [0, 0, 0], 'three parallel workers --once all exit 0')
    or diag(TenantdStack->slurp($parallel_log));
my $ids = join(', ', @many);
my @rows = $s->sql("SELECT id, status, attempts, runner FROM jobs "
    . "WHERE id IN ($ids) ORDER BY id");
is(scalar @rows, 20, 'all 20 jobs are there');
is(scalar(grep { $_->[1] eq 'done' } @rows), 20, 'every job is done')
    or diag(join "\n", map { "@$_[0..2]" } @rows);
is(scalar(grep { $_->[2] == 1 } @rows), 20, 'every job ran exactly once')
    or diag(join "\n", map { "@$_[0..2]" } @rows);
my %runners = map { ($_->[3] // '') => 1 } @rows;
diag(scalar(keys %runners) . ' distinct runners shared the 20 jobs');
my $log_text = TenantdStack->slurp($parallel_log);
my %started;
$started{$1}++ while $log_text =~ /job (\d+) \(deploy\) started /g;
is(scalar(grep { $started{$_} && $started{$_} > 1 } @many), 0,
    'no job was started by two workers');

# --- SIGTERM: an idle worker stops at once with status 0 ------------------------

my $idle_log = "$RUN/idle-worker.log";
my $idle = spawn_worker($s->conf_path, $idle_log);
ok(wait_until(sub { TenantdStack->slurp($idle_log) =~ /job runner \S+ started/ },
    20), 'a worker without --once starts and waits for jobs');
kill 'TERM', $idle;
is(reap_worker($idle, 10), 0, 'SIGTERM stops an idle worker with status 0');

# --- a worker killed mid-deploy: the job finishes on another ------------------------

my $big = "$RUN/big-template";
for my $dir (0 .. 29) {
	make_path(sprintf('%s/d%02d', $big, $dir));
}
for my $n (0 .. $BIG_FILES - 1) {
	my $path = sprintf('%s/d%02d/f%05d.bin', $big, $n % 30, $n);
	spew($path, substr(("$n-" x $BIG_FILE_BYTES), 0, $BIG_FILE_BYTES));
}
my ($manifest_exit, $manifest_text, $manifest_err) =
    $s->tenantctl('manifest', $big);
is($manifest_exit, 0, 'tenantctl manifest writes the big template manifest')
    or diag $manifest_err;
spew("$RUN/big.manifest", $manifest_text);
my @big_paths = map { $_->{path} }
    TenantdStack->manifest_entries("$RUN/big.manifest");
is(scalar @big_paths, $BIG_FILES, "the manifest lists $BIG_FILES files");
my $big_conf = "$RUN/big.conf";
# Copies, not links to the template store, so the deploy lasts long
# enough to be killed in the middle.
spew($big_conf, TenantdStack->slurp($s->conf_path)
    . "template_dir = $big\ntemplate_manifest = $RUN/big.manifest\n"
    . "template_files = copy\n");

my $victim_tenant = create_tenant('jobs-victim');
my $victim_job = enqueue_deploy($victim_tenant);
my $worker_log = "$RUN/killed-worker.log";
my $first_worker = spawn_worker($big_conf, $worker_log);
my $seen = wait_until(sub {
	my $row = job_row($victim_job);
	$row && $row->{status} eq 'running' && $row->{progress} > 0;
}, 60);
ok($seen, 'the first worker is deploying (running, progress > 0)')
    or diag(TenantdStack->slurp($worker_log));
kill 'KILL', $first_worker;
reap_worker($first_worker, 10);
$row = job_row($victim_job);
is($row->{status}, 'running', 'after SIGKILL the job is still marked running')
    or diag "status $row->{status} progress $row->{progress}";
cmp_ok($row->{progress}, '<', 100, 'and unfinished');

my $second_log = "$RUN/second-worker.log";
my $second_worker = spawn_worker($big_conf, $second_log);
my $finished = wait_until(sub {
	my $row = job_row($victim_job);
	$row && $row->{status} =~ /^(?:done|failed)$/;
}, 8 * $HEARTBEAT_TIMEOUT + 60);
$row = job_row($victim_job);
is($row->{status}, 'done', 'another worker took the job over and finished it')
    or diag("job: " . join(' ', map { "$_=" . ($row->{$_} // 'NULL') }
    sort keys %$row) . "\n" . TenantdStack->slurp($second_log));
is($row->{attempts}, 2, 'on the second attempt');
isnt($row->{runner}, undef, 'the runner column names the second worker');
my @missing = grep { !-f "$TENANTS/jobs-victim/public/$_" } @big_paths;
is(scalar @missing, 0, 'public/ holds every file of the manifest')
    or diag("missing, e.g.: @missing[0 .. ($#missing < 4 ? $#missing : 4)]");
my @short = grep { (-s "$TENANTS/jobs-victim/public/$_" // 0)
    != $BIG_FILE_BYTES } @big_paths;
is(scalar @short, 0, 'every file has its full size');
is_deeply([staging_dirs('jobs-victim')], [], 'no staging directory is left');
like(TenantdStack->slurp($second_log), qr/requeued 1 jobs whose runner stopped/,
    'the second worker logged the requeue');
kill 'TERM', $second_worker;
is(reap_worker($second_worker, 20), 0, 'SIGTERM stops the second worker with 0');

# --- runners inside tenantd ------------------------------------------------------

$s->stop_tenantd;
$s->start_tenantd('--job-runners', '1');
my $runner = wait_until(sub { ($s->runner_pids)[0] }, 20);
ok($runner, 'tenantd started a job runner child (named tenantd-runner)');
my $inside = create_tenant('jobs-inside');
my $inside_job = enqueue_deploy($inside);
ok(wait_until(sub { (job_row($inside_job)->{status} // '') eq 'done' }, 30),
    'an async deploy completes by itself with a runner in tenantd')
    or diag(TenantdStack->slurp($s->log_path('tenantd')));
my @workers_now = $s->worker_pids;
ok(!grep({ $_ == ($runner // 0) } @workers_now),
    'worker_pids does not count the job runner');

kill 'KILL', $runner if $runner;
my $respawned = wait_until(sub {
	my @r = $s->runner_pids;
	@r == 1 && $r[0] != ($runner // 0) ? $r[0] : undef;
}, 20);
ok($respawned, 'a killed job runner is respawned by the master');
like(TenantdStack->slurp($s->log_path('tenantd')),
    qr/job runner \d+ killed by signal 9; respawning/,
    'the master logs the runner death and respawn');
my $after = enqueue_deploy($inside, force => 1);
ok(wait_until(sub { (job_row($after)->{status} // '') eq 'done' }, 30),
    'the respawned runner runs the next job');

# SIGHUP replaces the runner as it replaces workers.
kill 'HUP', $s->tenantd_pid;
my $reloaded = wait_until(sub {
	my @r = $s->runner_pids;
	@r == 1 && $r[0] != ($respawned // 0) ? $r[0] : undef;
}, 20);
ok($reloaded, 'a reload starts a new job runner and retires the old one');

# The drain waits for the job in progress: a big deploy, then SIGTERM.
$s->stop_tenantd;
spew($s->conf_path, TenantdStack->slurp($big_conf));
$s->start_tenantd('--job-runners', '1');
my $drained_tenant = create_tenant('jobs-drained');
my $drained_job = enqueue_deploy($drained_tenant);
ok(wait_until(sub {
	my $row = job_row($drained_job);
	$row && $row->{status} eq 'running' && $row->{progress} > 0;
}, 60), 'the runner is deploying when tenantd is asked to stop');
my $status = $s->stop_tenantd('TERM');
is($status, 0, 'tenantd exits 0 after draining');
is(job_row($drained_job)->{status}, 'done',
    'the job in progress finished before the runner stopped');
is_deeply([staging_dirs('jobs-drained')], [], 'no staging directory is left');

# A sanitizer build reports into the workers' output, which no stack
# check reads.
my @reports = grep { /==\d+==ERROR: \w+Sanitizer|runtime error: / }
    map { split /\n/ } @worker_output,
    map { TenantdStack->slurp($_) } @worker_logs;
is_deeply(\@reports, [], 'no sanitizer report from tenantctl worker');

done_testing();
