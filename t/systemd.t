#!/usr/bin/env perl
# systemd.t - the systemd units of etc/systemd/ pass `systemd-analyze
# verify`.
#
# The units are rendered from their .in templates the way `make` renders
# them, except that the programs are the ones of this build tree (verify
# insists that every ExecStart binary exists and is executable) and the
# state directory lies under the test's own directory.  `--man=no` because
# the manual pages named in Documentation= are not installed yet.  Skips when
# systemd-analyze is not installed (Debian package: systemd).

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use Test::More;

use TestUtil qw(slurp spew which);

my $SRCDIR = $ENV{TENANTD_SRCDIR} // '.';
my $BUILDDIR = $ENV{TENANTD_BUILDDIR} // '.';
my @UNITS = qw(tenantd.socket tenantd.service tenantd-worker.service);

# Runs a command; returns (exit status, standard output and error together).
sub run_command {
	my (@command) = @_;
	my $pid = open my $out, '-|' // die "fork: $!";
	if ($pid == 0) {
		open STDERR, '>&', \*STDOUT or die "dup: $!";
		exec @command or die "exec $command[0]: $!";
	}
	my $text = do { local $/; <$out> } // '';
	close $out;
	return ($? >> 8, $text);
}

my $analyze = which('systemd-analyze');
plan skip_all => 'systemd-analyze is not installed (Debian package: systemd)'
    unless $analyze;

my $dir = "$BUILDDIR/t/var/systemd-$$";
remove_tree($dir);
make_path("$dir/units", "$dir/state/lib/tenantd");

my %values = (
	sbindir => "$BUILDDIR/src",
	bindir => "$BUILDDIR/src",
	sysconfdir => "$dir/etc",
	localstatedir => "$dir/state",
);
my @rendered;
for my $unit (@UNITS) {
	my $text = slurp("$SRCDIR/etc/systemd/$unit.in");
	$text =~ s/\@(\w+)\@/exists $values{$1} ? $values{$1} : "\@$1\@"/ge;
	unlike $text, qr/\@\w+\@/, "$unit has no placeholder left";
	spew("$dir/units/$unit", $text);
	push @rendered, "$dir/units/$unit";
}

ok -x "$BUILDDIR/src/tenantd", 'tenantd is built';
ok -x "$BUILDDIR/src/tenantctl", 'tenantctl is built';

my ($status, $output) = run_command($analyze, 'verify', '--man=no',
    @rendered);
is $status, 0, 'systemd-analyze verify accepts the units';
is $output, '', 'systemd-analyze verify has nothing to say';

my $service = slurp("$dir/units/tenantd.service");
like $service, qr/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m,
    'reload sends SIGHUP';
like $service, qr/^NoNewPrivileges=yes$/m, 'no new privileges';
like $service, qr/^ProtectSystem=strict$/m, 'read-only system';
like $service, qr/^CapabilityBoundingSet=$/m, 'no capabilities';
like slurp("$dir/units/tenantd.socket"),
    qr{^ListenStream=/run/tenantd/tenantd\.sock$}m, 'socket path';

# A unit whose program is missing must fail, or the test proves nothing.
(my $broken = $service) =~ s{/src/tenantd }{/src/tenantd-missing }g;
spew("$dir/units/tenantd.service", $broken);
($status) = run_command($analyze, 'verify', '--man=no',
    "$dir/units/tenantd.socket", "$dir/units/tenantd.service");
isnt $status, 0, 'verify rejects a unit whose program is missing';

remove_tree($dir) unless $ENV{TENANTD_KEEP_TEST_DIRS};
done_testing;
