#!/usr/bin/perl
# tenantd never runs as root.  Started as root it refuses to go on without
# `user`; with it, it gives up root before any worker or job runner exists,
# so every child runs as that user, and the service still works (database,
# tenant folders) with what that user may do.  Its writes are confined to
# the tenant folders, the archive and the directories of its pid file and
# socket (Landlock, where the kernel has it).  tenantctl run by root
# becomes the same user, so what it writes stays tenantd's to change.

use strict;
use warnings;

use Test::More;

use TenantdStack;
use TestProcess qw(run_captured);

plan skip_all => 'dropping privileges needs root' if $> != 0;
my $user = $ENV{TENANTD_TEST_USER} // 'nobody';
my ($uid, $gid) = (getpwnam($user))[2, 3];
plan skip_all => "no user \"$user\" on this system" unless defined $uid;

my $s = TenantdStack->new(nginx => 0, tenantd => 0,
    conf => { job_runners => 1 });
$s->start;

sub status_field {
	my ($pid, $field) = @_;
	return ((TenantdStack->slurp("/proc/$pid/status") =~ /^\Q$field\E:\s*(\S+)/m)[0]) // '';
}

# --- root without `user` ---------------------------------------------------

my $conf = TenantdStack->slurp($s->conf_path);
my $rootish = $s->run_dir . '/root.conf';
open(my $fh, '>', $rootish) or die "$rootish: $!";
print $fh $conf =~ s/^user = .*\n//mr;
close $fh or die "$rootish: $!";
my ($rc, $out, $err) = run_captured([$s->tenantd_binary,
    '-c', $rootish, '-w', '1', '--job-runners', '0'], timeout => 10);
isnt($rc, 0, 'started as root without `user`, tenantd exits');
like($err, qr/started as root without `user`.*never runs as root/,
    '... saying why and what to set') or diag $err;
ok(!-e $s->fastcgi_socket, '... before serving anything');

# A user that does not exist: tenantd says so and leaves no socket behind.
open($fh, '>', $rootish) or die "$rootish: $!";
print $fh $conf =~ s/^user = .*$/user = no-such-user-for-tenantd/mr;
close $fh or die "$rootish: $!";
($rc, $out, $err) = run_captured([$s->tenantd_binary,
    '-c', $rootish, '-w', '1', '--job-runners', '0'], timeout => 10);
isnt($rc, 0, 'with a `user` that does not exist, tenantd exits');
like($err, qr/user "no-such-user-for-tenantd": no such user/,
    '... naming it') or diag $err;
ok(!-e $s->fastcgi_socket, '... and removes the socket it had opened');

# --- with `user` -------------------------------------------------------------

is($s->{conf}{user}, $user, "the stack names $user as tenantd's user");
$s->start_tenantd;
my $master = $s->tenantd_pid;

is(status_field($master, 'Uid'), $uid, "the master runs as $user");
my @children = ($s->worker_pids, $s->runner_pids);
ok(@children >= 3, 'workers and a job runner are running')
    or diag "children: @children";
for my $child (@children) {
	is(status_field($child, 'Uid'), $uid, "child $child runs as $user");
}
is(status_field($master, 'NoNewPrivs'), '1',
    'no_new_privs is set: nothing it runs can regain privileges');

my $log = TenantdStack->slurp($s->log_path('tenantd'));
SKIP: {
	skip 'this kernel cannot confine writes (Landlock)', 1
	    if $log =~ /writes are not confined/;
	like($log, qr/writes confined to \Q${\ $s->tenants_dir }\E, \Q${\ $s->archive_dir }\E/,
	    'writes are confined to tenants_dir, archive_dir and the run directories');
}
unlike($log, qr/SIGHUP cannot reload/, 'the configuration stays readable for reloads');

my $r = $s->get('/api/healthz');
is($r->{status}, 200, "the service answers as $user") or diag $r->{content};

$r = $s->post('/api/tenants/', json => { name => 'Unprivileged',
    subdomain => 'unprivileged', deploy => JSON::PP::false });
is($r->{status}, 201, "a tenant can be created as $user")
    or diag $r->{content};
is((stat($s->tenants_dir . '/unprivileged/config.json'))[4], $uid,
    "its folder belongs to $user");

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'From CLI',
    '--subdomain', 'fromcli');
is($rc, 0, 'tenantctl run by root creates a tenant') or diag $out, $err;
is((stat($s->tenants_dir . '/fromcli/config.json'))[4], $uid,
    "... whose folder belongs to $user, not root");
$r = $s->patch('/api/tenants/' . ($s->sql(
    "SELECT id FROM tenants WHERE subdomain = 'fromcli'"))[0][0] . '/',
    json => { primary_color => '#123456' });
is($r->{status}, 200, '... so tenantd can change it afterwards')
    or diag $r->{content};

is($s->stop_tenantd >> 8, 0, 'tenantd stops cleanly');
ok(!-e $s->fastcgi_socket, "the master removed its socket as $user");

done_testing;
