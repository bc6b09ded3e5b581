#!/usr/bin/env perl
# fsck-store.t - `tenantctl fsck [--repair]` of the template store (SPEC
# 10, lib/fsck_store.h).
#
# Tenants deployed with template_files = link share the stored files'
# inodes, so a write into one tenant's file in place (as root) changes the
# stored version and every tenant on it.  fsck names the version and the
# path (exit 1) and every tenant's health shows the file modified;
# --repair restores the stored file from a good copy (template_dir's, else
# the copy of a tenant deployed with template_files = copy) and redeploys
# the tenants, which then share the good file again; with no good copy
# anywhere the file is reported as not repairable until `tenantctl
# template add` of the template restores it.  Also: a mode other than
# 0444, files tree/ should not hold, a version directory without its row,
# a row without its directory, a manifest that no longer names its
# version, and the debris of interrupted adds and removes.

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew);

my $JSON = JSON::PP->new->utf8;
my $tree = abs_path(dirname(__FILE__) . '/..');
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);

# The template and its manifest live beside the run directories, readable
# by the user tenantd runs as (a tempdir is 0700), on the same filesystem.
make_path("$builddir/t/var");
my $work = tempdir('fsck-store-XXXXXX', DIR => "$builddir/t/var",
    CLEANUP => 1);
chmod 0755, $work or die "chmod $work: $!";
my $TEMPLATE = "$work/template";
my $MANIFEST = "$work/template.manifest";
my %FILES = (
	'index.html' => "<!doctype html><title>site</title><p>hello</p>\n",
	'css/site.css' => "body { color: #123456; }\n" x 20,
	'js/app.js' => "console.log('app');\n" x 30,
	'about/team.html' => "<p>the team</p>\n" x 5,
);
for my $path (sort keys %FILES) {
	make_path(dirname("$TEMPLATE/$path"));
	spew("$TEMPLATE/$path", $FILES{$path});
}
system('chmod', '-R', 'a+rX', $work) == 0 or die "chmod -R failed\n";
my $manifest_text = `"$builddir/src/tenantctl" manifest "$TEMPLATE"`;
die "tenantctl manifest failed\n" if $? != 0;
spew($MANIFEST, $manifest_text);
chmod 0644, $MANIFEST;

my $s = TenantdStack->new(workers => 1, nginx => 0,
    conf => { template_dir => $TEMPLATE, template_manifest => $MANIFEST });
$s->start;

my $TENANTS = $s->tenants_dir;
my $STORE = "$TENANTS/.templates";
my $COPY_CONF = $s->run_dir . '/copy.conf';
spew($COPY_CONF, slurp($s->conf_path) . "template_files = copy\n");
chmod 0644, $COPY_CONF;
my $OLD = time - 20 * 60;	# past fsck's 10-minute grace period

my %id;
my ($rc, $out, $err);

# Runs tenantctl with the configuration `conf`.  Returns (exit, output).
sub tenantctl_with {
	my ($conf, @args) = @_;
	my $output = `"$builddir/src/tenantctl" --config "$conf" @args 2>&1`;
	return ($? >> 8, $output);
}

# Creates tenant `sub` (deployed by tenantctl), with `conf` when given.
sub make_tenant {
	my ($sub, $conf) = @_;
	my ($code, $text) = tenantctl_with($conf // $s->conf_path, 'tenant',
	    'create', '--name', "Tenant-$sub", '--subdomain', $sub);
	die "tenant create $sub: $text" if $code != 0;
	my ($tid) = $text =~ /^created tenant (\d+) /m or die "no id: $text";
	return $id{$sub} = $tid;
}

# Appends `text` to `path` in place, as root would (the file is 0444).
sub damage {
	my ($path, $text) = @_;
	my $mode = (stat $path)[2] & 07777;
	chmod 0644, $path if $> != 0;
	open(my $fh, '>>', $path) or die "$path: $!";
	print {$fh} $text;
	close $fh or die "$path: $!";
	chmod $mode, $path if $> != 0;
}

sub inode { return (lstat $_[0])[1] // -1 }
sub mode_of { return sprintf('%04o', (lstat $_[0])[2] & 07777) }

# The modified_files of tenant `sub`'s health.
sub modified {
	my ($sub) = @_;
	my $r = $s->get("/api/tenants/$id{$sub}/health/");
	die "health of $sub: $r->{status}" if $r->{status} != 200;
	return join(',', sort @{$r->{json}{modified_files}});
}

# Every tenant in @subs holds `path` as the stored file (the same inode)
# with the template's bytes.
sub shared_and_good {
	my ($version, $path, @subs) = @_;
	my $stored = "$STORE/$version/tree/$path";
	my $bad = 0;
	for my $sub (@subs) {
		my $file = "$TENANTS/$sub/public/$path";
		next if inode($file) == inode($stored)
		    && slurp($file) eq $FILES{$path};
		diag("$sub: public/$path is not the stored file or differs");
		$bad++;
	}
	return $bad == 0 && slurp($stored) eq $FILES{$path};
}

# The names in the store matching `re`.
sub store_entries {
	my ($re) = @_;
	opendir(my $dh, $STORE) or die "$STORE: $!";
	my @names = sort grep { /$re/ } readdir $dh;
	closedir $dh;
	return @names;
}

# --- tenants sharing one version ------------------------------------------

make_tenant($_) for qw(alpha beta gamma);
my $V = $s->sql_value("SELECT template_version FROM tenants "
    . "WHERE subdomain = 'alpha'");
like($V, qr/^[0-9a-f]{12}$/, "the tenants are on version $V");
my @LINKED = qw(alpha beta gamma);
ok(shared_and_good($V, 'css/site.css', @LINKED),
    'their css/site.css is the stored file (one inode)');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 0, 'fsck of an intact store: exit 0') or diag $out;
like($out, qr/^checked 3 tenants: clean$/m, '... clean');

# --- a stored file damaged through a tenant's link ------------------------

damage("$TENANTS/alpha/public/css/site.css", "/* root was here */\n");
isnt(slurp("$STORE/$V/tree/css/site.css"), $FILES{'css/site.css'},
    'a write into alpha\'s file in place changes the stored file');
is(modified($_), 'css/site.css', "health of $_ shows css/site.css modified")
    for @LINKED;
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 1, 'fsck: exit 1') or diag $out;
like($out, qr{^template $V: damaged template file: css/site\.css: \d+ bytes, the manifest lists \d+$}m,
    '... naming the version and the path') or diag $out;
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--json');
my $doc = eval { $JSON->decode($out) } // {};
my @found = grep { $_->{problem} eq 'damaged template file' }
    @{$doc->{problems} // []};
is(scalar @found, 1, 'fsck --json: one damaged template file') or diag $out;
is($found[0]{subdomain}, "template $V", '... of the version');
ok(!$found[0]{repaired}, '... not repaired');

($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
like($out, qr{^template $V: damaged template file: css/site\.css: restored from template_dir; 3 tenants redeployed \[repaired\]$}m,
    '... restored from template_dir, the tenants redeployed') or diag $out;
is(sha256_hex(slurp("$STORE/$V/tree/css/site.css")),
    sha256_hex($FILES{'css/site.css'}), 'the stored file has its hash again');
is(mode_of("$STORE/$V/tree/css/site.css"), '0444', '... and mode 0444');
ok(shared_and_good($V, 'css/site.css', @LINKED),
    'every tenant holds the good file, shared with the store again');
is(modified($_), '', "health of $_ is clean") for @LINKED;
is_deeply([store_entries(qr/^\.repairing-/)], [],
    'no holding directory is left');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 0, 'fsck after the repair: exit 0') or diag $out;

# --- no good copy in template_dir: a tenant's own copy ---------------------

make_tenant('copyco', $COPY_CONF);
isnt(inode("$TENANTS/copyco/public/js/app.js"), inode("$STORE/$V/tree/js/app.js"),
    'a tenant deployed with template_files = copy holds its own js/app.js');
damage("$TEMPLATE/js/app.js", "// edited in template_dir\n");
damage("$TENANTS/beta/public/js/app.js", "// root was here\n");
is(modified('alpha'), 'js/app.js', 'the damage shows in alpha\'s health');
is(modified('copyco'), '', '... not in copyco\'s, whose copy is its own');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
like($out, qr{^template $V: damaged template file: js/app\.js: restored from tenant copyco's copy; 4 tenants redeployed \[repaired\]$}m,
    '... restored from copyco\'s copy') or diag $out;
ok(shared_and_good($V, 'js/app.js', @LINKED, 'copyco'),
    'every tenant holds the good js/app.js, shared with the store');
is(modified($_), '', "health of $_ is clean") for @LINKED, 'copyco';
spew("$TEMPLATE/js/app.js", $FILES{'js/app.js'});

# --- no good copy anywhere --------------------------------------------------

damage("$TEMPLATE/about/team.html", "<p>edited</p>\n");
damage("$TENANTS/gamma/public/about/team.html", "<p>root</p>\n");
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 1, 'fsck --repair with no good copy anywhere: exit 1') or diag $out;
like($out, qr{^template $V: damaged template file: about/team\.html: no good copy in template_dir or any tenant on the version; add the template again with tenantctl template add, then run tenantctl fsck --repair \[not repaired\]$}m,
    '... not repairable, saying what to do') or diag $out;
is(modified('alpha'), 'about/team.html', '... alpha still shows it modified');

spew("$TEMPLATE/about/team.html", $FILES{'about/team.html'});
($rc, $out) = tenantctl_with($s->conf_path, 'template', 'add', $TEMPLATE);
is($rc, 0, 'tenantctl template add of the template again: exit 0') or diag $out;
like($out, qr/was damaged in the store and is restored/,
    '... restores the stored file, saying so') or diag $out;
is(slurp("$STORE/$V/tree/about/team.html"), $FILES{'about/team.html'},
    '... whose bytes are right again');
is(scalar(store_entries(qr/^\.repairing-$V-/)), 1,
    '... holding the damaged file until the tenants are redeployed');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 1, 'fsck: exit 1') or diag $out;
like($out, qr{^template $V: unfinished template repair: \.repairing-$V-[0-9a-f]{16}: }m,
    '... the tenants are still to be redeployed') or diag $out;
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
like($out, qr{^template $V: unfinished template repair: 4 tenants redeployed \[repaired\]$}m,
    '... redeploys them') or diag $out;
ok(shared_and_good($V, 'about/team.html', @LINKED, 'copyco'),
    'every tenant holds the good about/team.html, shared again');
is(modified($_), '', "health of $_ is clean") for @LINKED;
is_deeply([store_entries(qr/^\.repairing-/)], [],
    'the holding directory is gone');

# --- mode, strays, debris ---------------------------------------------------

chmod 0644, "$STORE/$V/tree/index.html" or die "chmod: $!";
spew("$STORE/$V/tree/extra.txt", "not listed\n");
make_path("$STORE/$V/tree/junk/deeper", "$STORE/.adding-$V-0123456789abcdef/tree",
    "$STORE/.removing-$V-fedcba9876543210/tree",
    "$STORE/.adding-$V-00000000000000aa");
spew("$STORE/$V/tree/junk/deeper/file", "stray\n");
$s->give_to_service("$STORE/$V/tree/extra.txt", "$STORE/$V/tree/junk",
    "$STORE/.adding-$V-0123456789abcdef", "$STORE/.removing-$V-fedcba9876543210",
    "$STORE/.adding-$V-00000000000000aa");
utime($OLD, $OLD, "$STORE/.adding-$V-0123456789abcdef",
    "$STORE/.removing-$V-fedcba9876543210") or die "utime: $!";
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 1, 'fsck: exit 1') or diag $out;
like($out, qr{^template $V: template file mode: index\.html: mode 0644, not 0444$}m,
    'a mode of 0644 is reported');
like($out, qr{^template $V: stray template file: extra\.txt: not in the manifest$}m,
    'a file tree/ should not hold is reported');
like($out, qr{^template $V: stray template file: junk/: not in the manifest$}m,
    '... a directory too');
like($out, qr{^\.adding-$V-0123456789abcdef: leftover staging folder: in the template store, unchanged for 2\d minutes$}m,
    'an old .adding-* directory is reported');
like($out, qr{^\.removing-$V-fedcba9876543210: leftover staging folder: }m,
    '... and an old .removing-* one');
unlike($out, qr/00000000000000aa/, '... not a young one (an add in progress)');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
is(mode_of("$STORE/$V/tree/index.html"), '0444', 'index.html is 0444 again');
is(mode_of("$TENANTS/alpha/public/index.html"), '0444',
    '... and so is alpha\'s link to it');
ok(!-e "$STORE/$V/tree/extra.txt" && !-e "$STORE/$V/tree/junk",
    'the strays are removed');
is_deeply([store_entries(qr/^\.(adding|removing)-/)],
    [".adding-$V-00000000000000aa"], 'the old debris is removed, the young kept');
remove_tree("$STORE/.adding-$V-00000000000000aa");

# --- rows and directories ---------------------------------------------------

my $SECOND = "$work/second";
make_path($SECOND);
spew("$SECOND/index.html", "<p>second</p>\n");
spew("$SECOND/tenantd-template.json", '{"name": "Second"}');
system('chmod', '-R', 'a+rX', $SECOND) == 0 or die "chmod -R failed\n";
($rc, $out) = tenantctl_with($s->conf_path, 'template', 'add', $SECOND);
is($rc, 0, 'a second version is added') or diag $out;
my ($V2) = $out =~ /^([0-9a-f]{12})$/m;
$s->sql("DELETE FROM template_versions WHERE version = '$V2'");
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 1, 'a version directory without its row: exit 1') or diag $out;
like($out, qr/^template $V2: template version without row: /m, '... reported');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
is($s->sql_value("SELECT CONCAT(name, '/', files, '/', source) FROM "
    . "template_versions WHERE version = '$V2'"), 'Second/2/added',
    '... the row is back, from the manifest and tenantd-template.json');

rename("$STORE/$V2", "$work/moved-$V2") or die "rename: $!";
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 1, 'a row without its directory (not template_dir\'s): exit 1')
    or diag $out;
like($out, qr/^template $V2: missing template version: .*add the template again with tenantctl template add \[not repaired\]$/m,
    '... reported as not repairable') or diag $out;
rename("$work/moved-$V2", "$STORE/$V2") or die "rename: $!";

rename("$STORE/$V", "$work/moved-$V") or die "rename: $!";
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'template_dir\'s version directory gone: fsck --repair exit 0')
    or diag $out;
like($out, qr/^template $V: missing template version: restored from template_dir; 4 tenants redeployed \[repaired\]$/m,
    '... restored from template_dir, the tenants redeployed') or diag $out;
ok(shared_and_good($V, $_, @LINKED, 'copyco'),
    "every tenant shares the restored $_") for sort keys %FILES;
remove_tree("$work/moved-$V");

damage("$STORE/$V/manifest", "# not a line of a manifest\n");
($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 1, 'a damaged stored manifest: exit 1') or diag $out;
like($out, qr/^template $V: bad stored manifest: manifest: /m, '... reported');
($rc, $out) = tenantctl_with($s->conf_path, 'fsck', '--repair');
is($rc, 0, 'fsck --repair: exit 0') or diag $out;
like($out, qr/^template $V: bad stored manifest: manifest: rewritten from template_dir's \[repaired\]$/m,
    '... rewritten from template_dir\'s') or diag $out;

($rc, $out) = tenantctl_with($s->conf_path, 'fsck');
is($rc, 0, 'a last fsck is clean: exit 0') or diag $out;
like($out, qr/^checked 4 tenants: clean$/m, '... "clean"');

done_testing();
