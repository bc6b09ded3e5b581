#!/usr/bin/perl
# Started as root with `user` set, tenantd gives up root before any worker
# or job runner exists: every child runs as that user, and the service
# still works (database, tenant folders) with what that user may do.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Find qw(find);
use POSIX qw(_exit setgid setuid);
use Test::More;

use TenantdStack;

plan skip_all => 'dropping privileges needs root' if $> != 0;
my @nobody = getpwnam('nobody')
    or plan skip_all => 'no user "nobody" on this system';
my ($uid, $gid) = @nobody[2, 3];

my $s = TenantdStack->new(nginx => 0, tenantd => 0,
    conf => { user => 'nobody', job_runners => 1 });
$s->start;

# Can `nobody` reach the run directory at all?  A build tree under a
# private home directory (mode 0700) cannot be made reachable without
# changing directories this test does not own.
chmod 0755, $s->run_dir or die "chmod: $!";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	setgid($gid);
	setuid($uid);
	_exit(-x $s->run_dir ? 0 : 1);
}
waitpid($pid, 0);
if ($? != 0) {
	$s->stop;
	plan skip_all => 'the build tree is not reachable by "nobody"';
}

# The user needs the tenant folders, and the directory of its socket and
# pid file (as under systemd's RuntimeDirectory=).
find(sub { chown $uid, $gid, $_ }, $s->tenants_dir);
chown $uid, $gid, $s->run_dir, dirname($s->fastcgi_socket)
    or die "chown: $!";

$s->start_tenantd;
my $master = $s->tenantd_pid;

sub uid_of {
	my ($p) = @_;
	open(my $fh, '<', "/proc/$p/status") or return -1;
	while (my $line = <$fh>) {
		return (split ' ', $line)[1] if $line =~ /^Uid:/;
	}
	return -1;
}

is(uid_of($master), $uid, 'the master runs as nobody');
my @children = ($s->worker_pids, $s->runner_pids);
ok(@children >= 3, 'workers and a job runner are running')
    or diag "children: @children";
for my $child (@children) {
	is(uid_of($child), $uid, "child $child runs as nobody");
}

my $r = $s->get('/api/healthz');
is($r->{status}, 200, 'the service answers as nobody') or diag $r->{content};

$r = $s->post('/api/tenants/', json => { name => 'Unprivileged',
    subdomain => 'unprivileged', deploy => JSON::PP::false });
is($r->{status}, 201, 'a tenant can be created as nobody')
    or diag $r->{content};
my @st = stat($s->tenants_dir . '/unprivileged/config.json');
is($st[4], $uid, 'its folder belongs to nobody');

is($s->stop_tenantd >> 8, 0, 'tenantd stops cleanly');
ok(!-e $s->fastcgi_socket, 'the master removed its socket as nobody');

done_testing;
