#!/usr/bin/env perl
# t/master.t - the tenantd master and its worker pool.
#
# Talks FastCGI to tenantd directly (no nginx) and checks what the master
# promises in src/master.h: the configured number of workers, respawn of a
# killed worker, crash-loop back-off, a SIGHUP reload that refuses nothing
# and replaces every worker, a bad configuration kept out on reload, a
# SIGTERM that lets an in-flight request finish before exiting 0, and a
# listening socket inherited on fd 0 (spawn-fcgi) or fd 3 (systemd).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Fcntl qw(F_SETFD);
use IO::Socket::UNIX;
use POSIX qw(WNOHANG _exit dup2);
use Socket qw(SOCK_STREAM SOMAXCONN);
use Test::More;

use FastCGIClient;
use TenantdStack;
use TestUtil qw(wait_until slurp spew);

# The pids of processes whose parent is `parent`, sorted.
sub children_of {
	my ($parent) = @_;
	my @pids;
	opendir(my $proc, '/proc') or return ();
	for my $entry (readdir $proc) {
		next unless $entry =~ /^\d+$/;
		my $stat = slurp("/proc/$entry/stat") // '';
		next unless length $stat;
		my ($state, $ppid) = split / /,
		    substr($stat, rindex($stat, ')') + 2);
		push @pids, $entry + 0 if $ppid == $parent && $state ne 'Z';
	}
	closedir $proc;
	return sort { $a <=> $b } @pids;
}

sub healthz {
	my ($client) = @_;
	my $r = eval { $client->request(uri => '/api/healthz') };
	return $r ? $r->{status} : "error: $@";
}

# Job runners are children of the master too; t/api-jobs.t covers them, so
# the counts here are of FastCGI workers alone.
my $stack = TenantdStack->new(workers => 2, nginx => 0,
    conf => { job_runners => 0 });
$stack->start;
my $client = FastCGIClient->new(socket => $stack->fastcgi_socket);
my $master = $stack->tenantd_pid;
my $log = $stack->log_path('tenantd');

# What tenantd has logged so far.
sub log_text { slurp($log) // '' }

# The inodes of the sockets process `pid` holds open.
sub socket_inodes {
	my ($pid) = @_;
	opendir(my $fds, "/proc/$pid/fd") or return ();
	my @inodes = map { (readlink("/proc/$pid/fd/$_") // '') =~ /^socket:\[(\d+)\]$/ ? $1 : () }
	    readdir $fds;
	closedir $fds;
	return @inodes;
}

# --- the pool ---------------------------------------------------------------

my @workers = @{ wait_until(sub {
	my @p = $stack->worker_pids;
	@p == 2 ? \@p : undef
}) // [] };
is(scalar @workers, 2, 'the master runs the configured 2 workers')
    or diag("workers: @{[$stack->worker_pids]}");
is(healthz($client), 200, 'GET /api/healthz answers 200 over FastCGI');

# --- a killed worker is replaced ----------------------------------------------

my $victim = $workers[0];
kill 'KILL', $victim;
my $replaced = wait_until(sub {
	my @p = $stack->worker_pids;
	@p == 2 && !grep { $_ == $victim } @p;
});
ok($replaced, "worker $victim killed with SIGKILL is replaced")
    or diag("workers now: @{[$stack->worker_pids]}");
my @statuses = map { healthz($client) } 1 .. 10;
is_deeply(\@statuses, [(200) x 10],
    'requests keep succeeding after a worker was killed');
like(log_text(), qr/worker $victim killed by signal 9; respawning/,
    'the death and respawn are logged');

# --- SIGHUP: a new generation, no request refused -------------------------------

my @before = $stack->worker_pids;
my @hup_statuses;
for my $i (1 .. 50) {
	kill 'HUP', $master if $i == 10;
	push @hup_statuses, healthz($client);
}
is_deeply(\@hup_statuses, [(200) x 50],
    '50 requests across a SIGHUP all answer 200');
my $all_new = wait_until(sub {
	my @p = $stack->worker_pids;
	my %old = map { $_ => 1 } @before;
	@p == 2 && !grep { $old{$_} } @p;
});
ok($all_new, 'after the reload every worker pid is new')
    or diag("before: @before; now: @{[$stack->worker_pids]}");
like(log_text(), qr/reloading: starting generation 2/,
    'the reload is logged');
like(log_text(), qr/generation 2 is ready; stopping 2 old processes/,
    'the old workers are stopped once the new ones are ready');
is($stack->tenantd_pid, $master, 'the master itself keeps running');

# --- a broken configuration is not applied on reload ---------------------------

my $conf_path = $stack->conf_path;
my $good_conf = slurp($conf_path);
spew($conf_path, $good_conf . "no_such_key = 1\n");
@before = $stack->worker_pids;
kill 'HUP', $master;
ok(wait_until(sub { log_text() =~ /keeping the running configuration/ }),
    'a reload with a broken file logs that the running configuration stays');
is_deeply([$stack->worker_pids], \@before,
    'the workers are left alone when the new configuration is broken');
is(healthz($client), 200, 'and they keep answering');
spew($conf_path, $good_conf);

# --- crash loop: respawns back off, the old generation keeps serving -------------

# Workers cannot open a tenants directory below a regular file, so every
# worker of this generation dies right after it starts.
@before = $stack->worker_pids;
spew($conf_path, $good_conf . "tenants_dir = $conf_path/impossible\n");
kill 'HUP', $master;
ok(wait_until(sub { log_text() =~ /respawning in 2 s/ }, 20),
    'a worker that keeps dying at start is respawned after 1 s, then 2 s')
    or diag(join '', grep { /respawn/ } split /^/, log_text());
my $log_text = log_text();
like($log_text, qr/exited with status 1; respawning in 1 s/,
    'the first quick death waits 1 s');
unlike($log_text, qr/generation 3 is ready/,
    'a generation that cannot start never counts as ready');
@statuses = map { healthz($client) } 1 .. 5;
is_deeply(\@statuses, [(200) x 5],
    'the old workers keep serving while the new generation crash-loops');
ok(!grep({ !kill(0, $_) } @before), 'the old workers are all still alive');
spew($conf_path, $good_conf);
kill 'HUP', $master;
ok(wait_until(sub { healthz($client) == 200 }, 20),
    'a reload with a good configuration ends the crash loop');
@workers = @{ wait_until(sub {
	my @p = $stack->worker_pids;
	my %old = map { $_ => 1 } @before;
	@p == 2 && !grep({ $old{$_} } @p) ? \@p : undef
}) // [] };
is(scalar @workers, 2, 'two workers of the new generation replace the old')
    or diag("old: @before; now: @{[$stack->worker_pids]}");

# --- SIGTERM drains the request in flight ----------------------------------------

my $body = '{"username":"admin","password":"not-the-password"}';
# A worker has accepted the connection once it holds a socket it did not
# hold before (nothing else connects to tenantd now); it then waits for
# the rest of the body.
my %held_before = map { my $pid = $_; ($pid => { map { $_ => 1 } socket_inodes($pid) }) }
    $stack->worker_pids;
my $conn = $client->begin(method => 'POST', uri => '/api/auth/login',
    content_type => 'application/json', content_length => length $body);
$conn->send_stdin(substr($body, 0, 12));
my ($serving) = @{ wait_until(sub {
	my @accepted = grep { my $pid = $_; grep { !$held_before{$pid}{$_} } socket_inodes($pid) }
	    keys %held_before;
	@accepted ? \@accepted : undef;
}) // [] };
ok($serving, 'a worker accepted the request' . ($serving ? " (pid $serving)" : ''));
my $logged_before = length log_text();
kill 'TERM', $master;
ok(wait_until(sub { substr(log_text(), $logged_before) =~ /stopping: waiting for \d+ processes/ }),
    'the master starts draining on SIGTERM');
ok(kill(0, $master), 'the master waits while a request is in flight');
ok($serving && kill(0, $serving), 'and so does the worker serving it');
$conn->send_stdin(substr($body, 12));
$conn->end_stdin;
my $response = eval { $conn->response };
ok($response, 'the request in flight gets its response after SIGTERM')
    or diag($@);
is($response && $response->{status}, 401,
    'the response is the login failure (401)');
like($response ? $response->{body} : '', qr/"code":"invalid_credentials"/,
    'with the JSON error document');
my $status = $stack->stop_tenantd;
is($status, 0, 'the master exits 0 after draining');
ok(!-e $stack->fastcgi_socket, 'the master removed the socket it created');
ok(!$client->can_connect, 'the socket no longer accepts connections');
like(log_text(), qr/stopping: waiting for \d+ processes/,
    'the drain is logged');

# --- an inherited listening socket ----------------------------------------------

# Starts tenantd on an already listening socket placed on fd `target` (0
# for spawn-fcgi, 3 for systemd socket activation).  Returns (pid, path).
sub start_inherited {
	my ($target, $name) = @_;
	my $path = $stack->run_dir . "/$name.sock";
	unlink $path;
	my $listener = IO::Socket::UNIX->new(Type => SOCK_STREAM,
	    Local => $path, Listen => SOMAXCONN)
	    or die "listen $path: $!";
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDOUT, '>>', $log) or _exit(126);
		open(STDERR, '>&', \*STDOUT) or _exit(126);
		if (fileno($listener) == $target) {
			# Perl marks descriptors above 2 close-on-exec.
			fcntl($listener, F_SETFD, 0) or _exit(126);
		} else {
			defined dup2(fileno($listener), $target) or _exit(126);
		}
		if ($target == 3) {
			$ENV{LISTEN_FDS} = 1;
			$ENV{LISTEN_PID} = $$;
			open(STDIN, '<', '/dev/null') or _exit(126);
		}
		{
			no warnings 'exec';
			exec($stack->tenantd_binary, '-c', $conf_path, '-w',
			    '1', '-p', $stack->run_dir . "/$name.pid");
		}
		_exit(127);
	}
	close $listener;
	return ($pid, $path);
}

# Stops an inherited-socket tenantd with `signal`; returns its wait status.
sub stop_inherited {
	my ($pid, $signal) = @_;
	kill $signal, $pid;
	my $done = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 40);
	return $? if $done;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return -1;
}

for my $case ([0, 'spawn-fcgi', 'INT'], [3, 'systemd', 'TERM']) {
	my ($fd, $name, $signal) = @$case;
	my ($pid, $path) = start_inherited($fd, $name);
	my $inherited = FastCGIClient->new(socket => $path);
	ok(wait_until(sub { healthz($inherited) == 200 }),
	    "tenantd answers on a socket inherited on fd $fd ($name)");
	my @pool = @{ wait_until(sub {
		my @p = children_of($pid);
		@p ? \@p : undef
	}) // [] };
	is(scalar @pool, 1, "-w 1 starts one worker ($name)");
	ok(!-e $stack->fastcgi_socket,
	    "it did not open the configured socket ($name)");
	is(stop_inherited($pid, $signal), 0,
	    "SIG$signal stops it with exit status 0 ($name)");
	ok(-S $path, "a socket it did not create is left in place ($name)");
	unlink $path;
}
like(log_text(), qr/using the inherited listening socket \(fd 0\)/,
    'the fd 0 socket was used');
like(log_text(), qr/using the inherited listening socket \(fd 3\)/,
    'the fd 3 socket was used');

done_testing();
