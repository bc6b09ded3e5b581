#!/usr/bin/env perl
# template-xfs.t - tenants' copies of the template share blocks on a
# filesystem with reflinks (SPEC 10, "Cost").
#
# With template_files = copy a deploy copies each stored file with
# FICLONE first (lib/deploy_copy.c), so on XFS (or btrfs) a tenant's copy
# is a reflink: its extents are the stored file's, flagged shared, and it
# costs no data blocks of its own.  The test makes a sparse 512 MiB image,
# formats it with `mkfs.xfs -m reflink=1`, loop-mounts it under the run
# directory and puts tenants_dir and archive_dir there; then it creates
# and deploys 50 tenants and checks with `xfs_io -c 'fiemap -v'` that a
# tenant's file has the stored file's extents, flagged shared, that a
# root write into one tenant's file in place changes neither another
# tenant's file nor the stored one, and that the 50 tenants together
# used at most 64 KiB each (statvfs, before and after).
#
# Mounting needs root, as the suite and CI run.  Without root, or without
# the tools (Debian: xfsprogs; mount and losetup are util-linux), the test
# skips when run by hand and fails under CI=true.  The filesystem is
# unmounted and its loop device detached on exit, failed or not.

use strict;
use warnings;

use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;

use TenantdStack;
use TestUtil qw(slurp which);

my $TENANTS_COUNT = 50;
my $MAX_OWN_BYTES = 64 * 1024;
my $IMAGE_BYTES = 512 * 1024 * 1024;
my $CI = ($ENV{CI} // '') =~ /^(true|1)$/i;

my @missing = grep { !defined which($_) } qw(mkfs.xfs xfs_io mount umount
    losetup);
my $unable = $> != 0 ? 'mounting an XFS image needs root'
    : @missing ? "missing @missing (Debian: xfsprogs, util-linux)" : undef;
if (defined $unable) {
	plan skip_all => $unable unless $CI;
	plan tests => 1;
	fail("under CI=true this test must run: $unable");
	exit 1;
}

# Whether this machine can loop-mount an image at all: a container
# without loop devices cannot, whoever runs the test.  That is the one
# reason to skip that t/skip-allowlist accepts under CI=true.
sub can_loop_mount {
	my $dir = tempdir('loop-probe-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $probe = "$dir/probe.img";
	open(my $fh, '>', $probe) or return 0;
	truncate($fh, $IMAGE_BYTES) or return 0;
	close $fh;
	return 0 unless system("mkfs.xfs -q -f '$probe' >/dev/null 2>&1") == 0;
	mkdir "$dir/mnt" or return 0;
	my $mounted = system("mount -o loop '$probe' '$dir/mnt' >/dev/null 2>&1")
	    == 0;
	if ($mounted) {
		system('umount', "$dir/mnt");
	}
	for my $line (`losetup -j '$probe' 2>/dev/null`) {
		my ($device) = $line =~ m{^(/dev/[^:]+):} or next;
		system('losetup', '-d', $device);
	}
	return $mounted;
}
plan skip_all => 'this machine cannot loop-mount an image (no loop device)'
    unless can_loop_mount();

my ($image, $mount_point);

# Unmounts the filesystem and detaches its loop device, whatever state
# the test left them in.  Runs before TenantdStack stops the stack and
# removes the run directory (END blocks run last defined first).
sub unmount_all {
	return unless defined $image;
	if (defined $mount_point &&
	    system('mountpoint', '-q', $mount_point) == 0) {
		system('umount', $mount_point) == 0
		    or system('umount', '-l', $mount_point);
	}
	for my $line (`losetup -j '$image' 2>/dev/null`) {
		my ($device) = $line =~ m{^(/dev/[^:]+):} or next;
		system('losetup', '-d', $device);
	}
}
END {
	local $?;
	unmount_all();
}

# Runs a command (no shell between); returns its output, dies when it
# fails (its error output goes to the test's log).
sub run_or_die {
	my (@command) = @_;
	open(my $ph, '-|', @command) or die "$command[0]: $!";
	local $/;
	my $output = <$ph> // '';
	close $ph or die "@command failed (status $?): $output";
	return $output;
}

# Makes the XFS image in the run directory and mounts it; tenants/ and
# archive/ go on it.
sub make_filesystem {
	my ($run) = @_;
	$image = "$run/xfs.img";
	$mount_point = "$run/xfs";
	open(my $fh, '>', $image) or die "$image: $!";
	truncate($fh, $IMAGE_BYTES) or die "truncate $image: $!";
	close $fh;
	run_or_die('mkfs.xfs', '-q', '-f', '-m', 'reflink=1', $image);
	make_path($mount_point);
	run_or_die('mount', '-o', 'loop', $image, $mount_point);
	chmod 0755, $mount_point or die "chmod $mount_point: $!";
	return $mount_point;
}

# Used blocks of the filesystem at `path`, in bytes, after a flush.
sub used_bytes {
	my ($path) = @_;
	run_or_die('sync', '-f', $path);
	my ($line) = grep { /^\d/ } split /\n/,
	    run_or_die('stat', '-f', '-c', '%S %b %f', $path);
	my ($block, $blocks, $free) = split ' ', $line;
	return ($blocks - $free) * $block;
}

# The extents of `file` as "physical-range:flags", from xfs_io's fiemap.
sub extents {
	my ($file) = @_;
	my @extents;
	for my $line (split /\n/, run_or_die('xfs_io', '-r', '-c',
	    'fiemap -v', $file)) {
		next unless $line =~ /^\s*\d+:\s+\[\d+\.\.\d+\]:\s+(\d+\.\.\d+)\s+\d+\s+0x([0-9a-f]+)/;
		push @extents, { range => $1, flags => hex $2 };
	}
	return @extents;
}

use constant FIEMAP_EXTENT_SHARED => 0x2000;

# Are the extents of `file` those of `stored`, each flagged shared?
sub shares_extents {
	my ($file, $stored) = @_;
	my @mine = extents($file);
	my @theirs = extents($stored);
	return 0 if !@mine || @mine != @theirs;
	for my $i (0 .. $#mine) {
		return 0 if $mine[$i]{range} ne $theirs[$i]{range}
		    || !($mine[$i]{flags} & FIEMAP_EXTENT_SHARED);
	}
	return 1;
}

my $s = TenantdStack->new(tenantd => 0, nginx => 0, admin => 0,
    data_dir => \&make_filesystem, conf => { template_files => 'copy' });
$s->start;
my $TENANTS = $s->tenants_dir;
like(run_or_die('stat', '-f', '-c', '%T', $TENANTS), qr/^xfs$/m,
    'tenants_dir is on the XFS image');

# Creates tenant `sub` with tenantctl, which deploys it.
sub make_tenant {
	my ($sub) = @_;
	my ($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name',
	    "Tenant $sub", '--subdomain', $sub);
	die "tenant create $sub: $out$err" if $rc != 0;
}

# The first tenant stores the template version; the 50 after it cost
# only what is their own.
make_tenant('first');
my $version = $s->sql_value("SELECT template_version FROM tenants "
    . "WHERE subdomain = 'first'");
my $STORED = "$TENANTS/.templates/$version/tree";
ok(-f "$STORED/app.js", "the template is stored as version $version");
my $before = used_bytes($TENANTS);
make_tenant(sprintf('tenant%02d', $_)) for 1 .. $TENANTS_COUNT;
my $after = used_bytes($TENANTS);
is($s->sql_value('SELECT COUNT(*) FROM tenants'), $TENANTS_COUNT + 1,
    "$TENANTS_COUNT more tenants are created and deployed");
my $per_tenant = ($after - $before) / $TENANTS_COUNT;
diag(sprintf('own blocks per tenant on XFS with reflinks: %.1f KiB '
    . '(%d bytes for %d tenants)', $per_tenant / 1024, $after - $before,
    $TENANTS_COUNT));
cmp_ok($per_tenant, '<=', $MAX_OWN_BYTES,
    'each tenant costs at most 64 KiB of its own');

my @paths = map { /^[0-9a-f]{64} \d+ (.+)$/ ? $1 : () }
    split /\n/, slurp("$TENANTS/.templates/$version/manifest");
my @unshared;
for my $sub ('tenant01', "tenant$TENANTS_COUNT") {
	for my $path (@paths) {
		my $file = "$TENANTS/$sub/public/$path";
		push @unshared, "$sub/public/$path"
		    unless (lstat $file)[1] != (lstat "$STORED/$path")[1]
		    && shares_extents($file, "$STORED/$path");
	}
}
is_deeply(\@unshared, [], 'every template file of a tenant is a file of its '
    . 'own whose extents are the stored file\'s, flagged shared');

# A root write into tenant01's file in place.
my $A = "$TENANTS/tenant01/public/app.js";
my $B = "$TENANTS/tenant02/public/app.js";
my $original = slurp("$STORED/app.js");
open(my $fh, '+<', $A) or die "$A: $!";
print {$fh} 'X' x 16;
close $fh or die "$A: $!";
isnt(slurp($A), $original, 'a write in place changes tenant01\'s app.js');
is(slurp($B), $original, '... not tenant02\'s');
is(slurp("$STORED/app.js"), $original, '... nor the stored file');
ok(!shares_extents($A, "$STORED/app.js"),
    '... whose first extent tenant01 no longer shares');
ok(shares_extents($B, "$STORED/app.js"), '... while tenant02 still does');

# Unmounted first: stopping the stack removes the run directory.
unmount_all();
ok(system('mountpoint', '-q', $mount_point) != 0, 'the image is unmounted');
is(`losetup -j '$image'`, '', '... and its loop device detached');
$s->stop;

done_testing();
