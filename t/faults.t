#!/usr/bin/env perl
# t/faults.t - tenantd under faults and concurrency, through nginx.
#
# A small load generator (forked HTTP::Tiny clients doing GETs of a
# tenant's public config and of the admin tenant list) runs while a worker
# is killed with SIGKILL, while MariaDB restarts, across a SIGHUP and
# across a SIGTERM: each fault starts once the load runs, and the load
# stops once the stack has recovered, each a condition waited for.  Besides: config.json and public/ made
# immutable under a PATCH and a deploy, 50 concurrent creates of one
# subdomain, and 20 concurrent update_module calls on one tenant.  The
# requests sent and failed during each fault are printed as diag lines.
# Everything is bounded and loopback only.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Find qw(find);
use HTTP::Tiny;
use JSON::PP ();
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;
use TestUtil qw(wait_until slurp spew concurrently freeze_dir thaw_dir);

my $WORKERS = 4;
my $CLIENTS = 6;
# No load runs longer than this, whatever happens to the test process.
my $LOAD_LIMIT = 60;

my $s = TenantdStack->new(workers => $WORKERS);
$s->start;
my $TENANTS = $s->tenants_dir;

# Every file under `dir` with its bytes, for before/after comparisons.
sub snapshot {
	my ($dir) = @_;
	my %files;
	find({ no_chdir => 1, wanted => sub {
		return unless -f $_;
		$files{substr($_, length $dir)} = slurp($_);
	} }, $dir) if -d $dir;
	return \%files;
}

# `tenantctl fsck`: returns (exit status, output).
sub fsck {
	my ($status, $out, $err) = $s->tenantctl('fsck');
	return ($status, "$out$err");
}

# One load client (number `client`): GETs alternately the public config of
# `sub` and the admin tenant list until the file `stop` appears (or
# $LOAD_LIMIT passes), then prints its tally as JSON.  Each answer is also
# appended at once to the file `events` as "client kind status", so the
# test process sees how the load is doing while it runs.  A failure is any
# answer but 200; connection refusals are counted apart, and for failures
# the status, whether Retry-After came, and the JSON code are kept, as is
# the time.
sub load_client {
	my ($writer, $client, $sub, $events, $stop) = @_;
	my $deadline = time + $LOAD_LIMIT;
	my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
	my $base = $s->base_url;
	my %tally = (sent => 0, ok => 0, failed => 0, refused => 0,
	    failures => [], by => {});
	my @paths = ("/api/tenants/by-subdomain/$sub/config/", '/api/tenants/');
	open(my $event_fh, '>>', $events) or die "$events: $!";
	my $i = 0;
	while (!-e $stop && time < $deadline) {
		my $path = $paths[$i++ % 2];
		my $r = $http->get("$base$path", { headers => {
		    Authorization => 'Bearer ' . $s->admin_token } });
		$tally{sent}++;
		# One write(2) of a short line to an O_APPEND file: lines of
		# different clients never mix.
		syswrite($event_fh, sprintf("%d %s %d\n", $client,
		    $path =~ /by-subdomain/ ? 'public' : 'admin', $r->{status}));
		if ($r->{status} == 200) {
			$tally{ok}++;
			next;
		}
		if ($r->{status} == 599 && $r->{content} =~ /refused|No such file/i) {
			$tally{refused}++;
			sleep 0.02;	# before connecting again
			next;
		}
		$tally{failed}++;
		my $code = eval { JSON::PP->new->decode($r->{content})->{code} };
		$tally{by}{"$r->{status} " . ($code // '-')}++;
		push @{$tally{failures}}, { status => $r->{status},
		    path => $path, time => time, code => $code,
		    retry_after => $r->{headers}{'retry-after'},
		    type => $r->{headers}{'content-type'} }
		    if @{$tally{failures}} < 2000;
		sleep 0.02 if $r->{status} == 599;	# before connecting again
	}
	print {$writer} JSON::PP->new->encode(\%tally);
	close $writer;
}

# The answers the load clients logged in file `events` from line `from`
# on, as [client, kind, status].
sub load_events {
	my ($events, $from) = @_;
	my @lines = split /\n/, slurp($events) // '';
	return map { [split / /] } @lines[($from // 0) .. $#lines];
}

# Has every one of `clients` clients `count` answers in `events` (the
# list load_events() returns) for which `match` holds (default: any)?
sub every_client {
	my ($clients, $count, $events, $match) = @_;
	my %per;
	$per{$_->[0]}++ for grep { !$match || $match->($_) } @$events;
	return !grep { ($per{$_} // 0) < $count } 1 .. $clients;
}

# Runs `action` in the test process while `clients` clients load the
# stack.  The action starts once every client has had a 200 (the load
# runs) and gets a function telling whether the load has met an answer of
# status `status` since the action started.  After it the load goes on
# until every client has had a 200 of both kinds since the action ended
# (the stack recovered), or, with `recovers => 0`, 3 answers of any kind.
# Returns the summed tally (sent, ok, failed, refused, failures => [...],
# lost_clients, load_started, load_outlasted) and the action's return
# value.
sub under_load {
	my (%o) = @_;
	my $clients = $o{clients} // $CLIENTS;
	my $events = $s->run_dir . '/load-events';
	my $stop = $s->run_dir . '/load-stop';
	unlink $events, $stop;
	my @children;
	for my $client (1 .. $clients) {
		pipe(my $reader, my $writer) or die "pipe: $!";
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			close $reader;
			eval { load_client($writer, $client, $o{sub}, $events, $stop) };
			_exit(0);
		}
		close $writer;
		push @children, [$pid, $reader];
	}
	my $started = wait_until(sub {
		every_client($clients, 1, [load_events($events)], sub { $_[0][2] == 200 });
	});
	my $from = () = load_events($events);
	my $seen = sub {
		my ($status) = @_;
		return grep { $_->[2] == $status } load_events($events, $from);
	};
	my $result = $o{action} ? $o{action}->($seen) : undef;
	$from = () = load_events($events);
	my $outlasted = wait_until(sub {
		my @after = load_events($events, $from);
		return every_client($clients, 3, \@after) if defined $o{recovers} && !$o{recovers};
		return every_client($clients, 1, \@after, sub { $_[0][1] eq 'public' && $_[0][2] == 200 })
		    && every_client($clients, 1, \@after, sub { $_[0][1] eq 'admin' && $_[0][2] == 200 });
	});
	spew($stop, '');
	my %sum = (sent => 0, ok => 0, failed => 0, refused => 0,
	    failures => [], by => {}, load_started => $started ? 1 : 0,
	    load_outlasted => $outlasted ? 1 : 0);
	for my $child (@children) {
		my ($pid, $reader) = @$child;
		local $/;
		my $text = <$reader>;
		close $reader;
		waitpid($pid, 0);
		my $tally = eval { JSON::PP->new->decode($text // '') };
		if (!$tally) {
			$sum{lost_clients}++;
			next;
		}
		$sum{$_} += $tally->{$_} for qw(sent ok failed refused);
		$sum{by}{$_} += $tally->{by}{$_} for keys %{$tally->{by}};
		push @{$sum{failures}}, @{$tally->{failures}};
	}
	return (\%sum, $result);
}

# Prints the figures of a fault and checks the load spanned it.
sub figures {
	my ($fault, $load) = @_;
	diag(sprintf('figures: %s: %d requests sent, %d failed, '
	    . '%d connection refused', $fault, $load->{sent}, $load->{failed},
	    $load->{refused}));
	ok($load->{load_started} && $load->{load_outlasted} && !$load->{lost_clients},
	    "$fault: the load ran before, during and after it");
}

sub failure_summary {
	my ($load) = @_;
	my $by = $load->{by};
	return join(', ', map { "$by->{$_} x $_" } sort keys %$by) || 'none';
}

# --- a tenant to load -----------------------------------------------------

my $r = $s->post('/api/tenants/', json => { name => 'Load Co',
    subdomain => 'loadco', module_keys => ['wallet'] });
is($r->{status}, 201, 'create the tenant the load reads') or diag $r->{content};
my $load_id = $r->{json}{id};
$r = $s->get('/api/tenants/by-subdomain/loadco/config/', token => undef);
is($r->{status}, 200, 'its public config answers');

# --- kill -9 a worker under load -------------------------------------------

my @workers = @{ wait_until(sub {
	my @p = $s->worker_pids;
	@p == $WORKERS ? \@p : undef
}) // [] };
is(scalar @workers, $WORKERS, "$WORKERS workers run");
my $victim = $workers[0];
my ($load) = under_load(sub => 'loadco', action => sub {
	kill 'KILL', $victim;
});
figures('kill -9 of a worker', $load);
ok($load->{sent} > 50, "the load ran ($load->{sent} requests)");
ok($load->{failed} <= $WORKERS,
    "at most $WORKERS failures (in flight on the killed worker): $load->{failed}")
    or diag failure_summary($load);
is($load->{refused}, 0, 'no connection refused');
ok(wait_until(sub {
	my @p = $s->worker_pids;
	@p == $WORKERS && !grep { $_ == $victim } @p;
}), 'the master replaced the killed worker');
my ($fsck_status, $fsck_out) = fsck();
is($fsck_status, 0, 'fsck is clean afterwards') or diag $fsck_out;

# --- restart MariaDB under load --------------------------------------------

my @before = $s->worker_pids;
my $outage_start;
my $outage_end;
my $outage_met;
($load) = under_load(sub => 'loadco', action => sub {
	my ($seen) = @_;
	$outage_start = time;
	$s->stop_mariadb;
	$outage_met = wait_until(sub { $seen->(503) });
	$s->start_mariadb;
	$outage_end = time;
});
figures('MariaDB restart', $load);
my @not_503 = grep {
	!($_->{status} == 503 && defined $_->{retry_after}
	    && ($_->{type} // '') =~ /json/
	    && ($_->{code} // '') eq 'database_unavailable')
} @{$load->{failures}};
is(scalar @not_503, 0,
    'every failure during the outage is a JSON 503 database_unavailable with Retry-After')
    or diag explain [@not_503[0 .. ($#not_503 < 4 ? $#not_503 : 4)]];
is(scalar(grep { $_->{path} =~ /by-subdomain/ } @{$load->{failures}}), 0,
    'the public config kept answering 200 (it needs no database)');
ok($outage_met && $load->{failed} > 0,
    "requests did meet the outage ($load->{failed} answered 503)");
is($load->{refused}, 0, 'no connection refused');
ok(wait_until(sub { $s->get('/api/tenants/')->{status} == 200 }),
    'the admin API answers 200 again without a tenantd restart');
is_deeply([$s->worker_pids], \@before, 'no worker died (same pids)');

# --- config.json that cannot be written --------------------------------------

SKIP: {
	my $folder = "$TENANTS/loadco";
	skip 'cannot make a folder unwritable here (needs root: chattr +i or a bind mount)', 11
	    unless freeze_dir($folder);
	my $config_before = slurp("$folder/config.json");
	my ($row_before) = $s->sql("SELECT name, updated_at FROM tenants WHERE id = $load_id");
	$r = $s->patch("/api/tenants/$load_id/", json => { name => 'Renamed Co' });
	is($r->{status}, 500, 'PATCH while the tenant folder is immutable answers 500')
	    or diag $r->{content};
	like($r->{headers}{'content-type'} // '', qr/json/, 'as JSON');
	ok(length($r->{json}{error} // ''), "with a message: @{[$r->{json}{error} // '']}");
	is(slurp("$folder/config.json"), $config_before, 'config.json is exactly as it was');
	my ($row_after) = $s->sql("SELECT name, updated_at FROM tenants WHERE id = $load_id");
	is_deeply($row_after, $row_before, 'the tenant row is unchanged');
	thaw_dir($folder);

	$r = $s->post("/api/tenants/$load_id/deploy_frontend/?force=true");
	is($r->{status}, 200, 'deploy the tenant site') or diag $r->{content};
	my $public = "$folder/public";
	# A file the forced deploy must put back, so public/ is rebuilt.
	spew("$public/index.html", "changed by the tenant\n");
	my $public_before = snapshot($public);
	ok(freeze_dir($public), 'public/ made unwritable too');
	$r = $s->post("/api/tenants/$load_id/deploy_frontend/?force=true");
	ok($r->{status} >= 500 && $r->{json} && length($r->{json}{error} // ''),
	    "deploy onto an immutable public/ fails with a JSON error ($r->{status})")
	    or diag $r->{content};
	is_deeply(snapshot($public), $public_before, 'public/ is exactly as it was');
	thaw_dir($public);
	$r = $s->patch("/api/tenants/$load_id/", json => { name => 'Renamed Co' });
	is($r->{status}, 200, 'PATCH works once the folder is writable again');
	($fsck_status, $fsck_out) = fsck();
	is($fsck_status, 0, 'fsck is clean') or diag $fsck_out;
}

# --- 50 concurrent creates of one subdomain ----------------------------------

my @answers = concurrently(50, sub {
	my ($i) = @_;
	my $res = $s->post('/api/tenants/', json => {
	    name => "Racer $i", subdomain => 'racer' });
	return "$res->{status} " . ($res->{json} ? $res->{json}{code} // '-' : '-');
});
diag(sprintf('figures: 50 concurrent creates: %d x 201, %d x 409',
    scalar(grep { /^201\b/ } @answers), scalar(grep { /^409\b/ } @answers)));
is(scalar(grep { /^201\b/ } @answers), 1, 'exactly one of 50 concurrent creates wins')
    or diag explain \@answers;
is(scalar(grep { /^409\b/ } @answers), 49, 'the other 49 get 409')
    or diag explain \@answers;
my ($rows) = $s->sql("SELECT COUNT(*) FROM tenants WHERE subdomain = 'racer'");
is($rows->[0], 1, 'one row for the raced subdomain');
ok(-f "$TENANTS/racer/config.json", 'and one folder with its config.json');

# --- 20 concurrent update_module calls ------------------------------------------

my @modules = map { $_->{module_key} } grep { !$_->{is_core} }
    @{$s->get('/api/modules/')->{json} // []};
ok(@modules >= 2, "optional modules to toggle: @modules");
@answers = concurrently(20, sub {
	my ($i) = @_;
	my $res = $s->post("/api/tenants/$load_id/update_module/", json => {
	    module_key => $modules[$i % @modules],
	    is_enabled => ($i % 3 ? JSON::PP::true() : JSON::PP::false()) });
	return "$res->{status}";
});
is(scalar(grep { $_ eq '200' } @answers), 20, 'all 20 update_module calls answer 200')
    or diag explain \@answers;
$r = $s->get("/api/tenants/$load_id/health/");
is($r->{json}{config_valid}, JSON::PP::true(),
    'health: config.json is exactly what the DB renders (config_valid)')
    or diag $r->{content};
my %enabled_in_db = map { $_->[0] => 1 } $s->sql(
    "SELECT module_key FROM tenant_modules "
    . "WHERE tenant_id = $load_id AND is_enabled = 1");
my $config = TenantdStack->read_json_file("$TENANTS/loadco/config.json") // {};
my %enabled_in_file = map { $_ => 1 }
    grep { $config->{modules}{$_} } keys %{$config->{modules} // {}};
is_deeply(\%enabled_in_file, \%enabled_in_db,
    'the enabled modules of config.json are those of the DB');

# --- SIGHUP under load ----------------------------------------------------------

my $master = $s->tenantd_pid;
@before = $s->worker_pids;
($load) = under_load(sub => 'loadco', action => sub {
	kill 'HUP', $master;
	wait_until(sub {
		my %old = map { $_ => 1 } @before;
		my @p = $s->worker_pids;
		@p == $WORKERS && !grep { $old{$_} } @p;
	});
});
figures('SIGHUP', $load);
is($load->{failed} + $load->{refused}, 0, 'zero failed requests across a SIGHUP')
    or diag failure_summary($load);
ok(wait_until(sub {
	my %old = map { $_ => 1 } @before;
	my @p = $s->worker_pids;
	@p == $WORKERS && !grep { $old{$_} } @p;
}), 'every worker was replaced');

# --- SIGTERM under load ---------------------------------------------------------
# Through nginx a request that meets the closed socket gets nginx's JSON 503
# service_unavailable, and nginx logs each connect() that failed; a request
# cut off in flight would show as the upstream closing early instead.  So
# the 503s up to the number of failed connects are the refused ones.

my $nginx_log = $s->log_path('nginx');
my $log_before = length(slurp($nginx_log) // '');
my $exit_status;
($load) = under_load(sub => 'loadco', recovers => 0, action => sub {
	$exit_status = $s->stop_tenantd('TERM');
});
my $nginx_new = substr(slurp($nginx_log) // '', $log_before);
my $connect_failed = () = $nginx_new =~ /connect\(\) to unix:\S+ failed/g;
my $cut_off = () = $nginx_new =~ /prematurely closed|reset by peer/g;
my $unavailable = delete $load->{by}{'503 service_unavailable'} // 0;
my $refused = $unavailable > $connect_failed ? $connect_failed : $unavailable;
$load->{refused} += $refused;
$load->{failed} -= $refused;
figures('SIGTERM', $load);
is($exit_status, 0, 'tenantd exits 0 on SIGTERM');
is($cut_off, 0, 'nginx saw no request cut off in flight');
is($unavailable, $refused,
    "every 503 from nginx is a connect() to the closed socket ($connect_failed logged)");
is($load->{failed}, 0, 'no failures but requests after the socket closed')
    or diag failure_summary($load);
$s->start_tenantd;
is($s->get('/api/tenants/')->{status}, 200, 'tenantd starts again');

done_testing;
