#!/usr/bin/perl
# Where the tenant folders live.  tenantd creates tenants_dir and
# archive_dir (with their parents) when they are missing, and either may
# be a symlink onto a data volume; both hold although tenantd confines its
# writes to those directories at start (sandbox.h): the directories are
# made before, and a symlink stands for the directory it points to.

use strict;
use warnings;

use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use Test::More;

use TenantdStack;

my $user = $> == 0 ? ($ENV{TENANTD_TEST_USER} // 'nobody') : undef;
my ($uid, $gid) = defined $user ? (getpwnam($user))[2, 3] : ($>, $) + 0);

my $var = TenantdStack->new->builddir . '/t/var';
my $base = tempdir('tenants-dir-XXXXXX', DIR => $var, CLEANUP => 1);
chmod 0755, $base;
mkdir "$base/volume" or die "mkdir: $!";
mkdir "$base/volume/tenants" or die "mkdir: $!";
symlink "$base/volume/tenants", "$base/tenants-link" or die "symlink: $!";
# tenantd's user may create what is missing below $base.
chown $uid, $gid, $base, "$base/volume", "$base/volume/tenants"
    or die "chown: $!";

# Starts a stack on `tenants_dir` and `archive_dir`, creates and deploys a
# tenant called `sub`, archives and restores it; returns the stack.
sub exercise {
	my ($what, $tenants, $archive, $sub, $remove) = @_;
	my $s = TenantdStack->new(nginx => 0, tenantd => 0,
	    conf => { tenants_dir => $tenants, archive_dir => $archive,
	    job_runners => 1 });
	$s->start;
	# tenantctl made tenants_dir while the stack started; take it away
	# again so that tenantd itself starts without it.
	remove_tree($remove) if defined $remove;
	$s->start_tenantd;
	my $r = $s->post('/api/tenants/', json => { name => "Dir $sub",
	    subdomain => $sub, deploy => JSON::PP::false });
	is($r->{status}, 201, "$what: a tenant is created") or diag $r->{content};
	my $id = $r->{json}{id};
	$r = $s->post("/api/tenants/$id/deploy_frontend/", json => {});
	is($r->{status}, 200, "$what: and deployed") or diag $r->{content};
	ok(-f "$tenants/$sub/public/index.html", "$what: its site is in tenants_dir");
	$r = $s->post("/api/tenants/$id/archive/", json => {});
	is($r->{status}, 200, "$what: archived") or diag $r->{content};
	ok(-d "$archive/$sub", "$what: its folder is in archive_dir");
	$r = $s->post("/api/tenants/$id/restore/", json => {});
	is($r->{status}, 200, "$what: restored") or diag $r->{content};
	ok(-f "$tenants/$sub/config.json", "$what: back in tenants_dir");
	return $s;
}

my $s = exercise('missing directories', "$base/fresh/tenants",
    "$base/fresh/archive", 'freshdirs', "$base/fresh");
ok(-d "$base/fresh/tenants" && -d "$base/fresh/archive",
    'tenantd made both, with their parent');
$s->stop;

$s = exercise('tenants_dir a symlink', "$base/tenants-link",
    "$base/volume/archive", 'linkeddir');
ok(-l "$base/tenants-link", 'the symlink is left as it was');
ok(-f "$base/volume/tenants/linkeddir/config.json",
    'the tenant folder is on the volume');
$s->stop;

done_testing;
