#!/usr/bin/env perl
# t/cluster.t - tenantd on more than one host (SPEC section 14): a 3-node
# Galera cluster behind HAProxy, two tenantd hosts in network namespaces
# behind one nginx upstream, a job runner on each (t/lib/ClusterStack.pm).
#
# Load clients create tenants, bulk-create them, deploy, switch modules and
# read configs through nginx while, in turn, the writing Galera node is
# stopped (HAProxy fails over to a backup) and started again (it fails
# back), one tenantd host is killed with SIGKILL (master, workers and
# runner), and the runner of a rollout deploying every tenant is killed in
# the middle of it.  Every module switch is read back from both hosts at
# once.  Then: every request answered 2xx is in the database, every job
# ended done once, the rollout's tenants left locked by a fault are
# deployed by a second one, `tenantctl fsck` finds nothing but folders of
# creates never acknowledged and is clean after --repair, both hosts'
# config and gate answers agree with the database, and every failed
# request of a fault was a 502 or 503 with a JSON body saying why, none a
# 500.  The figures (failures per fault, fail-over time, retries) are
# printed as diag lines.  Needs root; run by `./dev test --all`
# (and `./dev cluster-test`), not by plain `make check`: about a minute.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use HTTP::Tiny;
use JSON::PP ();
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);

use ClusterStack;
use TestUtil qw(wait_until slurp);

plan skip_all => 'needs root (network namespaces)' if $> != 0;

my $CLIENTS = 4;
# No client runs longer than this, whatever happens to the test process.
my $LOAD_LIMIT = 240;
# The module the clients switch on and off (not a core one).
my $MODULE = 'wallet';

my $JSON = JSON::PP->new->utf8->canonical;
my $c = ClusterStack->new(workers => 2);
$c->start;
my $events_path = $c->run_dir . '/load-events';
my $stop_path = $c->run_dir . '/load-stop';

# --- the load ---------------------------------------------------------------

# One load client: creates its own tenants, then cycles through a bulk
# create, deploys, module switches and config reads of them until the
# stop file appears.  Every answer is one line of JSON appended (one
# write) to the events file: client, operation, status, time, the
# subdomains it acknowledged, its job, and the body of a failure.
sub load_client {
	my ($client) = @_;
	my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
	my $base = 'http://127.0.0.1:' . $c->port;
	my %auth = (Authorization => 'Bearer ' . $c->admin_token,
	    'Content-Type' => 'application/json');
	open(my $events, '>>', $events_path) or die "$events_path: $!";
	my (@mine, %enabled);
	my $deadline = time + $LOAD_LIMIT;
	my $serial = 0;
	for (my $i = 0; !-e $stop_path && time < $deadline; $i++) {
		my ($op, $method, $path, $body, $t, @subs);
		my $step = $i % 8;
		if (@mine < 3 || $step == 0) {
			my $sub = sprintf('c%d-%d-%d', $client, $$, $serial++);
			($op, $method, $path, $body) = ('create', 'POST',
			    '/api/tenants/', { name => "Cluster $sub",
			    subdomain => $sub });
			@subs = ($sub);
		} elsif ($step == 4) {
			@subs = map { sprintf('b%d-%d-%d', $client, $$,
			    $serial++) } 1 .. 5;
			($op, $method, $path, $body) = ('bulk', 'POST',
			    '/api/tenants/bulk-create/', { tenants => [map {
			    { name => "Bulk $_", subdomain => $_ } } @subs] });
		} elsif ($step == 2) {
			$t = $mine[$i % @mine];
			($op, $method, $path, $body) = ('deploy', 'POST',
			    "/api/tenants/$t->{id}/deploy_frontend/",
			    { async => JSON::PP::true });
		} elsif ($step == 6) {
			$t = $mine[$i % @mine];
			my $on = !$enabled{$t->{id}};
			($op, $method, $path, $body) = ('module', 'POST',
			    "/api/tenants/$t->{id}/update_module/",
			    { module_key => $MODULE,
			      is_enabled => $on ? JSON::PP::true : JSON::PP::false });
			$enabled{$t->{id}} = $on;
		} else {
			$t = $mine[$i % @mine];
			($op, $method, $path) = ('config', 'GET',
			    "/api/tenants/by-subdomain/$t->{sub}/config/");
		}
		my $started = time;
		my $r = $http->request($method, "$base$path", { headers => \%auth,
		    defined $body ? (content => $JSON->encode($body)) : () });
		my $json = eval { $JSON->decode($r->{content}) };
		my %event = (c => $client, op => $op, st => $r->{status},
		    t0 => $started, t => time);
		if ($r->{status} =~ /^2/) {
			if ($op eq 'create') {
				push @mine, { id => $json->{id}, sub => $subs[0] };
				$event{subs} = \@subs;
				$event{job} = $json->{deploy_job_id};
			} elsif ($op eq 'bulk') {
				my @made = map { $_->{subdomain} }
				    @{$json->{created_tenants} // []};
				push @mine, map { { id => $_->{id},
				    sub => $_->{subdomain} } }
				    @{$json->{created_tenants} // []};
				$event{subs} = \@made;
				$event{job} = $json->{deploy_job_id};
			} elsif ($op eq 'deploy') {
				$event{job} = $json->{job_id};
			} elsif ($op eq 'module') {
				$event{read} = read_back($t, $enabled{$t->{id}});
			}
		} else {
			$event{body} = substr($r->{content} // '', 0, 300);
			$event{type} = $r->{headers}{'content-type'};
		}
		syswrite($events, $JSON->encode(\%event) . "\n");
		sleep 0.2 if $r->{status} == 599;
	}
	close $events;
}

# Right after a module switch was acknowledged, what each host answers
# for tenant `t`: its config's module entry and the gate, straight from
# the host (no cache between).  Returns {host => 'fresh' or 'stale ...'},
# leaving out a host that does not answer (one killed in a fault).
sub read_back {
	my ($t, $on) = @_;
	my %read;
	for my $h (1, 2) {
		my $config = eval { $c->fastcgi($h, 'GET',
		    "/api/tenants/by-subdomain/$t->{sub}/config/", token => undef,
		    timeout => 10) };
		my $gate = eval { $c->fastcgi($h, 'GET', "/api/gate?module=$MODULE",
		    host => "$t->{sub}.localhost", token => undef, timeout => 10) };
		next unless $config && $config->{status} == 200 && $gate
		    && $gate->{status} =~ /^(204|403)$/;
		my $config_on = $config->{json}{modules}{$MODULE} ? 1 : 0;
		my $gate_on = $gate->{status} == 204 ? 1 : 0;
		$read{$h} = $config_on == $on && $gate_on == $on ? 'fresh'
		    : "stale: config $config_on, gate $gate->{status}, wanted $on";
	}
	return \%read;
}

sub events {
	return map { $JSON->decode($_) } split /\n/, slurp($events_path) // '';
}

# Answers 2xx since time `since` (of any operation, or of `op`).
sub ok_since {
	my ($since, $op) = @_;
	return scalar grep { $_->{st} =~ /^2/ && $_->{t0} >= $since
	    && (!$op || $_->{op} eq $op) } events();
}

my @children;
for my $client (1 .. $CLIENTS) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		eval { load_client($client); 1 } or print STDERR "client: $@";
		_exit(0);
	}
	push @children, $pid;
}
ok(wait_until(sub { ok_since(0, 'create') >= 3 * $CLIENTS }, 60),
    'the load runs: creates are acknowledged through nginx');

# --- the faults, in turn ----------------------------------------------------

my @faults;

# Fault 1: the writer goes away.  HAProxy's check sees it down and sends
# new connections to node 2; the fail-over time runs from the stop to
# the first create acknowledged after it.
{
	my $t0 = time;
	$c->stop_node(1);
	my $stopped = time;
	ok(wait_until(sub { ($c->haproxy_state)[0] =~ /DOWN/ }, 30),
	    'HAProxy marks the stopped writer down');
	my $down = time;
	ok(wait_until(sub { ok_since($stopped, 'create') >= $CLIENTS }, 60),
	    'creates are acknowledged again after the fail-over');
	my ($first) = sort { $a <=> $b } map { $_->{t} }
	    grep { $_->{op} eq 'create' && $_->{st} =~ /^2/ && $_->{t0} >= $stopped }
	    events();
	push @faults, { name => 'writer node stopped', from => $t0, to => time,
	    figure => sprintf('node stopped in %.1f s, HAProxy saw it down '
	    . 'after %.1f s, first create acknowledged %.1f s after the stop',
	    $stopped - $t0, $down - $stopped, ($first // time) - $stopped) };
}

# Then the stopped node starts again: it catches up by incremental state
# transfer, and HAProxy makes it the writer again, cutting the sessions
# on the backup (the connections reconnect to node 1).
{
	my $t0 = time;
	$c->start_node(1);
	my $synced = time;
	ok(wait_until(sub { ($c->haproxy_state)[0] eq 'UP' }, 30),
	    'HAProxy takes the rejoined node back as the writer');
	my $up = time;
	ok(wait_until(sub { ok_since($up, 'create') >= $CLIENTS }, 60),
	    'creates are acknowledged after the fail-back');
	push @faults, { name => 'writer node back (fail-back)', from => $t0,
	    to => time, figure => sprintf('node synced %.1f s after its '
	    . 'start, HAProxy had it up %.1f s after that (0: by then)',
	    $synced - $t0, $up - $synced) };
}

# The pids of the runners killed with SIGKILL (faults 2 and 3).  One can
# die between recording a job done (COMMIT) and logging it: that job is
# done once with no "done" line, which the check below accepts for them
# alone.
my %killed_runner;

# Fault 2: one tenantd host dies (kill -9 of every process).  nginx takes
# the other one; the host is then started again.
{
	my $t0 = time;
	$killed_runner{$_} = 1 for $c->runner_pids(2);
	$c->kill_host(2);
	ok(wait_until(sub { ok_since($t0) >= 4 * $CLIENTS }, 60),
	    'requests are answered by the other host after host 2 was killed');
	$c->start_host(2);
	push @faults, { name => 'tenantd host 2 killed (-9)', from => $t0,
	    to => time, figure => sprintf('host 2 back after %.1f s',
	    time - $t0) };
}

# Fault 3: the runner running a rollout of every tenant (a deploy of many
# tenants, one job) is killed in the middle of it.  Its heartbeat stops,
# the job is requeued and another runner runs it to the end.
my ($rollout_job, $rollout_result);
{
	my $t0 = time;
	# The first deploy stored the template as the default version.
	my $default = wait_until(sub {
		my $r = $c->request('GET', '/api/templates/');
		my ($version) = grep { $_->{is_default} }
		    ref $r->{json} eq 'ARRAY' ? @{$r->{json}} : ();
		return $version;
	}, 30, 0.2) // { version => 'none' };
	my $r = $c->request('POST', "/api/templates/$default->{version}/rollout/",
	    json => { all => JSON::PP::true, force => JSON::PP::true });
	is($r->{status}, 202, 'a rollout of every tenant is queued')
	    or diag($r->{content});
	$rollout_job = $r->{json}{job_id} // 0;
	my $runner = wait_until(sub {
		my ($row) = $c->sql("SELECT runner, progress FROM jobs WHERE "
		    . "id = $rollout_job AND status = 'running'");
		return $row && $row->[1] > 0 ? $row->[0] : undef;
	}, 60, 0.02);
	ok($runner, 'the rollout runs') or diag('runner: none');
	my ($runner_pid) = ($runner // '') =~ /:(\d+)$/;
	my ($host) = grep { my $h = $_; grep { $_ == ($runner_pid // 0) }
	    $c->runner_pids($h) } 1, 2;
	ok($host, "its runner (pid " . ($runner_pid // '?') . ') is one of '
	    . 'the hosts\'');
	$killed_runner{$runner_pid} = 1 if $host;
	kill 'KILL', $runner_pid if $host;
	my $done = wait_until(sub {
		$c->sql_value("SELECT status FROM jobs WHERE id = $rollout_job")
		    eq 'done' }, 90, 0.2);
	ok($done, 'the rollout ends done after its runner was killed');
	# The tenant whose deploy the kill cut keeps its lock until the
	# takeover age (job_heartbeat_timeout * 4): the second run reports
	# it failed unless that age had passed.
	$rollout_result = eval { $JSON->decode($c->sql_value(
	    "SELECT result FROM jobs WHERE id = $rollout_job")) } // {};
	my $result = $rollout_result;
	diag(sprintf('rollout: %s tenants, %s deployed, %s failed (%s)',
	    map({ $result->{$_} // '?' } qw(total deployed failed_count)),
	    join('; ', map { $JSON->encode($_) } @{$result->{failures} // []})));
	push @faults, { name => 'runner killed mid-rollout', from => $t0,
	    to => time, figure => sprintf('rollout done %.1f s after it was '
	    . 'queued, attempts %s', time - $t0, $c->sql_value(
	    "SELECT attempts FROM jobs WHERE id = $rollout_job") // '?') };
}

# --- after the load -----------------------------------------------------

open(my $stop, '>', $stop_path) or die "$stop_path: $!";
close $stop;
for my $pid (@children) {
	waitpid($pid, 0);
}
my @events = events();

ok(wait_until(sub { !$c->sql_value("SELECT COUNT(*) FROM jobs WHERE "
    . "status IN ('queued', 'running')") }, 90, 0.2),
    'the job queue drains');

# The tenants the rollout reported failed were locked by a deploy a fault
# cut short (the killed runner's, or one that could not release its lock
# while the writer node went away).  Once those locks are old enough to
# be taken over, a rollout of just those tenants deploys every one.
{
	my @failures = @{$rollout_result->{failures} // []};
	my @other = grep { $_->{error} !~ /another deploy, archive or restore/ }
	    @failures;
	ok(!@other, scalar(@failures) . ' tenants failed in the rollout, each '
	    . 'for a lock another deploy held') or diag($JSON->encode(\@other));
	my $ids = join ',', map { $_->{tenant_id} } @failures;
	my $age = $c->lock_takeover_seconds;
	ok(!@failures || wait_until(sub { !$c->sql_value('SELECT COUNT(*) '
	    . "FROM tenants WHERE id IN ($ids) AND busy_operation IS NOT NULL "
	    . "AND busy_since > UTC_TIMESTAMP(6) - INTERVAL $age SECOND") },
	    2 * $age, 0.5), 'their locks come of takeover age');
	my $redone = 0;
	if (@failures) {
		my $r = $c->request('POST', '/api/templates/'
		    . "$rollout_result->{version}/rollout/", json => {
		    tenant_ids => [map { $_->{tenant_id} } @failures],
		    force => JSON::PP::true });
		my $job = $r->{json}{job_id} // 0;
		my $done = wait_until(sub { ($c->sql_value('SELECT status FROM '
		    . "jobs WHERE id = $job") // '') eq 'done' }, 60, 0.2);
		my $again = $done && eval { $JSON->decode($c->sql_value(
		    "SELECT result FROM jobs WHERE id = $job")) } // {};
		$redone = $again->{deployed} // 0;
	}
	is($redone, scalar(@failures), 'a second rollout of them deploys them '
	    . 'all');
}

# Every acknowledged create is in the database.
{
	my %in_db = map { $_->[0] => 1 } $c->sql('SELECT subdomain FROM tenants');
	my @acknowledged = map { @{$_->{subs} // []} } grep { $_->{st} =~ /^2/ }
	    @events;
	my @missing = grep { !$in_db{$_} } @acknowledged;
	ok(@acknowledged > 0 && !@missing, scalar(@acknowledged)
	    . ' acknowledged tenants are all in the database')
	    or diag("missing: @missing");
}

# Every job ended done, and each once: a job's "done" line is logged by
# the runner that recorded it, so across both hosts' logs there is one.
{
	my @jobs = $c->sql('SELECT id, status, attempts, runner FROM jobs');
	my @not_done = grep { $_->[1] ne 'done' } @jobs;
	ok(@jobs > 0 && !@not_done, scalar(@jobs) . ' jobs, all done')
	    or diag('not done: ' . join(', ', map { "@$_" } @not_done));
	my %done;
	for my $h (1, 2) {
		$done{$_}++ for slurp($c->log_path("tenantd$h.log"))
		    =~ /job (\d+) done in/g;
	}
	my @twice = grep { $done{$_} > 1 } keys %done;
	my $by_killed = sub { ($_[0] // '') =~ /:(\d+)$/ && $killed_runner{$1} };
	my @unlogged = grep { !$done{$_->[0]} && !$by_killed->($_->[3]) } @jobs;
	diag('done by a runner killed before it could log it: ' . join(' ',
	    map { $_->[0] } grep { !$done{$_->[0]} && $by_killed->($_->[3]) }
	    @jobs));
	ok(!@twice && !@unlogged, 'each job was recorded done exactly once')
	    or diag("twice: @twice; never: " . join(' ', map { $_->[0] }
	    @unlogged));
	my %acked = map { $_->{job} => 1 } grep { $_->{job} } @events;
	my %known = map { $_->[0] => 1 } @jobs;
	my @lost = grep { !$known{$_} } keys %acked;
	ok(!@lost, scalar(keys %acked) . ' acknowledged jobs, none lost')
	    or diag("lost: @lost");
	my @rerun = grep { $_->[2] > 1 } @jobs;
	diag(scalar(@rerun) . ' jobs ran more than once (a runner died): '
	    . join(' ', map { "$_->[0]x$_->[2]" } @rerun));
}

# fsck: a host killed between a create's folder and its COMMIT leaves
# the folder of a tenant that never was (its request failed, the rows were
# rolled back).  Those, and only those, are allowed.  `fsck --repair`
# moves such a folder aside once it is unchanged for 10 minutes (a create
# may still be running before that): the folders are dated back by that
# much, as if the time had passed, then repaired, and fsck is clean.
{
	my %acked = map { $_ => 1 } map { @{$_->{subs} // []} }
	    grep { $_->{st} =~ /^2/ } @events;
	my ($status, $out, $err) = $c->tenantctl('fsck');
	my @problems = grep { !/^checked / } split /\n/, "$out$err";
	my @orphans = grep { /^(\S+): orphan folder:/ && !$acked{$1} } @problems;
	ok(@problems == @orphans, 'fsck finds no problem but folders of '
	    . 'creates that were never acknowledged') or diag("$out$err");
	diag(scalar(@orphans) . ' folders of creates cut by a fault: '
	    . join(' ', map { /^(\S+):/ } @orphans));
	my $past = time - 11 * 60;
	utime $past, $past, map { $c->tenants_dir . '/' . (/^(\S+):/)[0] }
	    @orphans;
	($status, $out, $err) = $c->tenantctl('fsck', '--repair') if @orphans;
	($status, $out, $err) = $c->tenantctl('fsck');
	is($status, 0, 'tenantctl fsck is clean' . (@orphans ? ' after '
	    . '--repair moved them aside' : '')) or diag("$out$err");
}

# Every module switch acknowledged under load was read back from both
# hosts at once: config and gate already said so.
{
	my @reads = map { my $e = $_; map { [$_, $e->{read}{$_}] }
	    sort keys %{$e->{read}} } grep { $_->{read} } @events;
	my @stale = grep { $_->[1] ne 'fresh' } @reads;
	ok(@reads > 0 && !@stale, scalar(@reads) . ' reads of a module switch '
	    . 'on both hosts right after it was acknowledged, none stale')
	    or diag(join "\n", map { "host $_->[0]: $_->[1]" } @stale);
}

# Both hosts answer config and gate as the database says, never stale.
{
	my %db;
	for my $row ($c->sql("SELECT t.subdomain, m.is_enabled FROM tenants t "
	    . "JOIN tenant_modules m ON m.tenant_id = t.id "
	    . "WHERE m.module_key = '$MODULE'")) {
		$db{$row->[0]} = $row->[1];
	}
	my (@stale, $checked);
	for my $sub (sort keys %db) {
		for my $h (1, 2) {
			my $config = $c->fastcgi($h, 'GET',
			    "/api/tenants/by-subdomain/$sub/config/", token => undef);
			my $on = $config->{json} ? ($config->{json}{modules}{$MODULE}
			    ? 1 : 0) : 'none';
			my $gate = $c->fastcgi($h, 'GET', "/api/gate?module=$MODULE",
			    host => "$sub.localhost", token => undef);
			my $gate_on = $gate->{status} == 204 ? 1 : 0;
			push @stale, "$sub on host $h: db $db{$sub}, config $on, "
			    . "gate $gate->{status}"
			    if "$on" ne "$db{$sub}" || $gate_on != $db{$sub};
			$checked++;
		}
	}
	ok($checked && !@stale, "config and gate of $checked tenant answers "
	    . 'agree with the database on both hosts')
	    or diag(join "\n", @stale);
}

# Failed requests: counted per fault; each a 502 or 503 with a JSON body
# saying why, never a 500, none outside a fault.
{
	my (%per, %during, @bad);
	for my $e (@events) {
		# A request that spans two faults is the later one's.
		my ($fault) = grep { $e->{t} >= $_->{from} && $e->{t0} <= $_->{to} }
		    reverse @faults;
		my $name = $fault ? $fault->{name} : 'outside the faults';
		$during{$name}++;
		next if $e->{st} =~ /^2/;
		$per{$name}{"$e->{op} $e->{st}"}++;
		my $code = eval { $JSON->decode($e->{body})->{code} };
		push @bad, "$name: $e->{op} $e->{st} $e->{body}"
		    if !$fault || ($e->{st} != 502 && $e->{st} != 503) || !$code;
	}
	my $sent = @events;
	diag("$sent requests under load");
	for my $fault (@faults, { name => 'outside the faults' }) {
		my $during = $during{$fault->{name}} // 0;
		my $failed = $per{$fault->{name}} // {};
		my $count = 0;
		$count += $_ for values %$failed;
		diag(sprintf('%s: %d of %d requests failed (%s)%s', $fault->{name},
		    $count, $during, join(', ', map { "$_: $failed->{$_}" }
		    sort keys %$failed) || 'none',
		    $fault->{figure} ? "; $fault->{figure}" : ''));
	}
	ok(!@bad, 'every failed request was a 502 or 503 with a JSON code, '
	    . 'during a fault') or diag(join "\n", @bad[0 .. ($#bad > 20 ? 20 : $#bad)]);
}

# The transactions the server aborted and tenantd ran again (each retry
# is logged with the server's message).
{
	my @retries = map { slurp($c->log_path("tenantd$_.log"))
	    =~ /^.*retrying the transaction.*$/mg } 1, 2;
	diag('transactions retried after a deadlock or Galera abort: '
	    . scalar(@retries));
	diag("  $_") for @retries[0 .. ($#retries > 9 ? 9 : $#retries)];
}

$c->stop;
done_testing;
