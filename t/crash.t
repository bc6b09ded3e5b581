#!/usr/bin/env perl
# t/crash.t - a process killed at every crash point of lib/crash.h leaves
# nothing `tenantctl fsck --repair` cannot put right.
#
# Needs a build configured with --enable-crash-points, named by
# TENANTD_CRASH_BUILDDIR (./dev test and .ci/run make one in build-crash/);
# the whole stack runs from that build.  Without it the test skips.
# Create, import, delete, deploy, archive, restore and bulk create run through
# tenantctl with TENANTD_CRASH_AT set, so tenantctl dies with SIGKILL at
# the point; the update points run in a tenantd worker started with the
# variable, killed in the middle of a PATCH.  Afterwards: fsck exits 0 or 1 (reports the
# problem or nothing), fsck --repair exits 0, a second fsck is clean, and
# every row has its folder where it belongs and every folder its row; an
# interrupted update leaves config.json as the row renders it.  Time is
# moved on by hand (folder times and tenant locks 20 minutes back), since
# fsck leaves fresh leftovers to the operation that may still be running.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Find qw(find);
use File::Temp ();
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use Test::More;

use TenantdStack;

my $crash_build = $ENV{TENANTD_CRASH_BUILDDIR};
plan skip_all => 'no crash-point build: set TENANTD_CRASH_BUILDDIR to a '
    . 'build configured with --enable-crash-points (./dev test does)'
    unless $crash_build && -x "$crash_build/src/tenantctl"
    && -x "$crash_build/src/tenantd";
$ENV{TENANTD_BUILDDIR} = $crash_build;
delete $ENV{TENANTD_CRASH_AT};

my $s = TenantdStack->new(workers => 1, nginx => 0,
    conf => { job_runners => 0 });
$s->start;
my $TENANTS = $s->tenants_dir;
my $ARCHIVE = $s->archive_dir;
my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');

# The points, from the list in lib/crash.h.
my $header = TenantdStack->slurp($s->srcdir . '/lib/crash.h') // '';
my ($list) = $header =~ /#define CRASH_POINT_NAMES((?:[^\n]*\\\n)*[^\n]*)/;
my @POINTS = ($list // '') =~ /"([a-z_]+\.[a-z_]+)"/g;
ok(@POINTS >= 16, scalar(@POINTS) . ' crash points listed in lib/crash.h');

my $serial = 0;

sub ctl {
	my @args = @_;
	my ($status, $out, $err) = $s->tenantctl(@args);
	return ($status, "$out$err");
}

sub ctl_ok {
	my ($name, @args) = @_;
	my ($status, $out) = ctl(@args);
	is($status, 0, $name) or diag $out;
	return $out;
}

# Runs tenantctl with TENANTD_CRASH_AT=`point`; checks it died by SIGKILL.
sub ctl_crash {
	my ($point, @args) = @_;
	local $ENV{TENANTD_CRASH_AT} = $point;
	my ($status, $out) = ctl(@args);
	is($status, 128 + 9, "$point: tenantctl @args[0 .. 1] is killed there")
	    or diag $out;
}

# Moves time on for fsck: every entry of both directories and the tenant
# locks 20 minutes back, as if the killed process were long gone.
sub age_everything {
	my $old = time - 20 * 60;
	for my $dir ($TENANTS, $ARCHIVE) {
		next unless -d $dir;
		find({ no_chdir => 1, wanted => sub {
			utime($old, $old, $_) unless -l $_;
		} }, $dir);
	}
	$s->sql('UPDATE tenants SET busy_since = busy_since - INTERVAL 1 DAY '
	    . 'WHERE busy_since IS NOT NULL');
	$s->sql('UPDATE jobs SET heartbeat_at = heartbeat_at - INTERVAL 1 DAY '
	    . 'WHERE heartbeat_at IS NOT NULL');
}

# Every row has its folder where it belongs (config.json in it), every
# folder in either directory its row.  Returns the problems found.
sub disagreements {
	my @problems;
	my %rows;
	for my $row ($s->sql('SELECT subdomain, is_active FROM tenants')) {
		my ($sub, $active) = @$row;
		$rows{$sub} = $active;
		if ($active) {
			push @problems, "$sub: active, no folder" unless -d "$TENANTS/$sub";
			push @problems, "$sub: active, no config.json"
			    unless -f "$TENANTS/$sub/config.json";
			push @problems, "$sub: active, also in the archive" if -e "$ARCHIVE/$sub";
		} else {
			push @problems, "$sub: archived, not in the archive" unless -d "$ARCHIVE/$sub";
			push @problems, "$sub: archived, folder in tenants/" if -e "$TENANTS/$sub";
		}
	}
	for my $dir ($TENANTS, $ARCHIVE) {
		opendir(my $dh, $dir) or next;
		for my $entry (grep { !/^\./ } readdir $dh) {
			push @problems, "$dir/$entry: no row" unless exists $rows{$entry};
		}
		closedir $dh;
	}
	return @problems;
}

# After a crash: fsck reports or is clean, --repair fixes, fsck is clean,
# and rows and folders agree.
sub settle {
	my ($point) = @_;
	age_everything();
	my ($status, $out) = ctl('fsck');
	ok($status == 0 || $status == 1, "$point: fsck reports the problem or nothing (exit $status)")
	    or diag $out;
	note "$point: fsck: $out";
	($status, $out) = ctl('fsck', '--repair');
	is($status, 0, "$point: fsck --repair exits 0") or diag $out;
	($status, $out) = ctl('fsck');
	is($status, 0, "$point: fsck is clean afterwards") or diag $out;
	my @problems = disagreements();
	is_deeply(\@problems, [], "$point: every row has its folder and every folder its row")
	    or diag explain \@problems;
}

# A fresh tenant made and deployed without crash points (no job runner
# deploys it here); returns its subdomain.
sub new_tenant {
	my ($prefix, %o) = @_;
	my $sub = sprintf('%s%d', $prefix, ++$serial);
	ctl_ok("make tenant $sub", 'tenant', 'create', '--name', "Crash $sub",
	    '--subdomain', $sub, '--no-deploy');
	ctl_ok("deploy tenant $sub", 'tenant', 'deploy', $sub)
	    unless defined $o{deploy} && !$o{deploy};
	return $sub;
}

sub points_of {
	my ($operation) = @_;
	return grep { /^\Q$operation\E\./ } @POINTS;
}

for my $point (points_of('create')) {
	my $sub = sprintf('create%d', ++$serial);
	ctl_crash($point, 'tenant', 'create', '--name', "Crash $sub",
	    '--subdomain', $sub);
	settle($point);
}

# An import, killed after unpacking and at every point of the create it
# goes through: the tenant is all there or not at all, and no unpack
# directory is left.
my $export_dir = File::Temp::tempdir(CLEANUP => 1);
chmod(0777, $export_dir) or die "chmod: $!";	# tenantctl drops privileges
my $exported = "$export_dir/tenant.tar.zst";
{
	my $sub = new_tenant('export');
	ctl_ok("export $sub", 'tenant', 'export', $sub, '-o', $exported);
}
for my $point (points_of('import'), points_of('create')) {
	my $sub = sprintf('import%d', ++$serial);
	ctl_crash($point, 'tenant', 'import', $exported, '--as', $sub);
	settle($point);
	opendir(my $dh, $TENANTS) or die "$TENANTS: $!";
	my @debris = grep { /^\.import-/ } readdir $dh;
	closedir $dh;
	is_deeply(\@debris, [], "$point: no unpack directory left");
	my ($status, $out) = ctl('tenant', 'import', $exported, '--as',
	    "${sub}b");
	is($status, 0, "$point: the import works afterwards") or diag $out;
}

for my $point (points_of('delete')) {
	my $sub = new_tenant('delete');
	ctl_crash($point, 'tenant', 'delete', $sub, '--yes');
	settle($point);
}

# A first deploy, so public/ has to be built and swapped.
for my $point (points_of('deploy')) {
	my $sub = new_tenant('deploy', deploy => 0);
	ctl_crash($point, 'tenant', 'deploy', $sub, '--force');
	settle($point);
	ok(-f "$TENANTS/$sub/public/index.html", "$point: public/ holds the site");
}

# A template version added, killed before it is renamed into place: no
# version, its debris removed by fsck --repair, the same add works again.
for my $point (points_of('template_store')) {
	my $template = $s->run_dir . "/template$serial";
	$serial++;
	system('cp', '-a', $s->srcdir . '/www/template', $template) == 0
	    or die "cp -a failed\n";
	open(my $fh, '>>', "$template/style.css") or die "$template: $!";
	print {$fh} "/* $point */\n";
	close $fh or die "$template: $!";
	system('chmod', '-R', 'a+rX', $template) == 0 or die "chmod failed\n";
	ctl_crash($point, 'template', 'add', $template);
	settle($point);
	opendir(my $dh, "$TENANTS/.templates") or die "$TENANTS/.templates: $!";
	my @debris = grep { /^\.adding-/ } readdir $dh;
	closedir $dh;
	is_deeply(\@debris, [], "$point: no half-added version left");
	my ($status, $out) = ctl('template', 'add', $template);
	is($status, 0, "$point: the same add works afterwards") or diag $out;
}

# Archive and restore, of a deployed tenant and of one never deployed
# (no public/ yet).
for my $deployed (1, 0) {
	for my $point (points_of('archive')) {
		my $sub = new_tenant('archive', deploy => $deployed);
		ctl_crash($point, 'tenant', 'archive', $sub);
		settle($point);
	}
	for my $point (points_of('restore')) {
		my $sub = new_tenant('restore', deploy => $deployed);
		ctl_ok("archive $sub", 'tenant', 'archive', $sub);
		ctl_crash($point, 'tenant', 'restore', $sub);
		settle($point);
	}
}

# Bulk points: a batch of three, in chunks (the default) and with
# --atomic for the point only an atomic batch reaches.
my $batch_dir = $s->run_dir;
for my $point (points_of('bulk')) {
	my $batch = "$batch_dir/batch$serial.json";
	my @items = map { { name => "Bulk $serial $_",
	    subdomain => sprintf('bulk%d-%d', $serial, $_) } } 1 .. 3;
	$serial++;
	open(my $fh, '>', $batch) or die "open $batch: $!";
	print {$fh} JSON::PP->new->encode({ tenants => \@items });
	close $fh or die "close $batch: $!";
	ctl_crash($point, 'bulk-create', $batch, '--no-deploy',
	    $point =~ /atomic/ ? '--atomic' : ());
	settle($point);
	my ($rows) = $s->sql('SELECT COUNT(*) FROM tenants WHERE subdomain IN ('
	    . join(', ', map { "'$_->{subdomain}'" } @items) . ')');
	ok($rows->[0] == 0 || $rows->[0] == 3,
	    "$point: the batch (one chunk) is all there or not at all ($rows->[0] of 3)");
}

# Update points: a worker started with TENANTD_CRASH_AT dies in a PATCH.
for my $point (points_of('update')) {
	my $sub = new_tenant('update');
	my ($row) = $s->sql("SELECT id, name FROM tenants WHERE subdomain = '$sub'");
	my ($id, $old_name) = @$row;
	$s->stop_tenantd;
	{
		local $ENV{TENANTD_CRASH_AT} = $point;
		$s->start_tenantd;
	}
	my $r = eval {
		$s->patch("/api/tenants/$id/", timeout => 20, multipart => [
		    name => 'Renamed', logo => { filename => 'logo.png',
		    type => 'image/png', content => $PNG } ]);
	};
	ok(!$r || $r->{status} >= 500,
	    "$point: the PATCH dies with its worker (" . ($r ? $r->{status} : 'no answer') . ')');
	$s->stop_tenantd;
	$s->start_tenantd;
	settle($point);
	my ($name) = $s->sql("SELECT name FROM tenants WHERE id = $id");
	my $config = TenantdStack->read_json_file("$TENANTS/$sub/config.json") // {};
	is($config->{tenant}{name}, $name->[0],
	    "$point: config.json has the name of the row ($name->[0])");
	my ($logo) = $s->sql("SELECT COALESCE(logo, '') FROM tenants WHERE id = $id");
	opendir(my $dh, "$TENANTS/$sub/public") or die "public/ of $sub: $!";
	my @logos = sort grep { /^(\.pending-)?logo\./ } readdir $dh;
	closedir $dh;
	is_deeply(\@logos, [$logo->[0] eq '' ? () : $logo->[0]],
	    "$point: public/ holds the row's logo and no other")
	    or diag explain \@logos;
}

done_testing;
