#!/usr/bin/env perl
# templates.t - template versions (SPEC 10) against the real stack: the
# store (tenants/.templates/<version>/{manifest,tree/}), `tenantctl
# template add|list|show|default|remove|rollout`, GET /api/templates/ and
# POST /api/templates/{version}/rollout/ and /default/.
#
# Covers: template_dir stored as the first version and the default, and
# stored again (and made the default) when its manifest changes; adding a
# version (named by its manifest's digest, added once), listing, showing,
# choosing the default, removing (refused for the default and for a
# version tenants are on); what `add` refuses, leaving nothing in the
# store; a deploy hard-linking tenants' files to the store (copies with
# template_files = copy); rollouts by percent (the tenants the documented
# hash chooses), all, ids and force, changed files kept unless force,
# rollback, archived and unknown tenants, validation; `tenantctl template
# rollout` run by tenantctl itself; and what sharing files means: the
# service user cannot write them, root writing into one in place changes
# every tenant on the version (the documented limit of hard links).
# Cancelling rollouts and a rollout under load are t/templates-rollout.t.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use Errno qw(EACCES);
use POSIX ();
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew write_tree);

# No job runner in tenantd: each rollout the API queues stays queued until
# the test runs it with `tenantctl worker --once`.
my $s = TenantdStack->new(conf => { job_runners => 0 });
$s->start;

my $TENANTS = $s->tenants_dir;
my $STORE = "$TENANTS/.templates";
my $RUN = $s->run_dir;
my $TEMPLATE = $s->srcdir . '/www/template';
my $MANIFEST = $s->builddir . '/www/template.manifest';
my @FILES = map { $_->{path} } TenantdStack->manifest_entries($MANIFEST);
my $TRUE = JSON::PP::true();
my $FALSE = JSON::PP::false();

# A tenantd.conf that is the stack's with template_files = copy (the last
# value of a key counts).
my $COPY_CONF = "$RUN/copy.conf";
spew($COPY_CONF, slurp($s->conf_path) . "template_files = copy\n");

# The names in the template store, sorted.
sub store_entries {
	opendir(my $dh, $STORE) or return ('(no store)');
	my @names = sort grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	return @names;
}

# The versions GET /api/templates/ lists, by name.
sub api_versions {
	my $r = $s->get('/api/templates/');
	return { map { ($_->{version} => $_) } @{$r->{json} // []} };
}

# The ids of the tenants on `version`, sorted.
sub on_version {
	my ($version) = @_;
	return [map { $_->[0] } $s->sql('SELECT id FROM tenants WHERE '
	    . "template_version = '$version' ORDER BY id")];
}

# The tenants a percent rollout to `version` must choose (SPEC 10 and
# template_rows.h): active, not on the version yet, and in the first
# `percent` of 100 buckets of CRC32("<version>:<id>").
sub chosen_by_percent {
	my ($version, $percent) = @_;
	return [map { $_->[0] } $s->sql('SELECT id FROM tenants WHERE '
	    . 'is_active = 1 AND (template_version IS NULL OR '
	    . "template_version <> '$version') AND "
	    . "MOD(CRC32(CONCAT('$version', ':', id)), 100) < $percent "
	    . 'ORDER BY id')];
}

# "device:inode" of `path`, "none" when it is missing.
sub identity { my @st = stat $_[0]; return @st ? "$st[0]:$st[1]" : 'none' }

# The ids of `list`, sorted numerically, deduplicated.
sub sorted_ids { my %seen; return [sort { $a <=> $b } grep { !$seen{$_}++ } @_] }

# --- versions -----------------------------------------------------------------

# template_dir (www/template and its manifest) is stored the first time
# anything asks for the default: it is the only version, and the default.
# A version's name is the first 12 hex digits of the digest of its
# manifest, which is the SHA-256 of the manifest file `make` writes.
my $BASE = substr(sha256_hex(slurp($MANIFEST)), 0, 12);
my $r = $s->get('/api/templates/');
is($r->{status}, 200, 'GET /api/templates/ answers 200') or diag $r->{content};
my @list = @{$r->{json} // []};
is(scalar @list, 1, 'template_dir is the only version at first');
my %base = %{$list[0] // {}};
is($base{version}, $BASE, "it is named by its manifest's digest ($BASE)");
is_deeply([sort keys %base], [sort qw(version name web_root files bytes
    source created_at is_default tenants)], 'a version has the documented keys');
is($base{source}, 'template_dir', 'its source is template_dir');
ok(JSON::PP::is_bool($base{is_default}) && $base{is_default}, 'it is the default');
is($base{tenants}, 0, 'no tenant is on it yet');
is($base{files}, scalar @FILES, 'files: the manifest count');
my $bytes = 0;
$bytes += $_->{size} for TenantdStack->manifest_entries($MANIFEST);
is($base{bytes}, $bytes, 'bytes: the sum of the manifest sizes');
like($base{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'created_at is UTC ISO 8601');
is(slurp("$STORE/$BASE/manifest"), slurp($MANIFEST), 'the store holds its manifest');
my @wrong = grep { slurp("$STORE/$BASE/tree/$_") ne slurp("$TEMPLATE/$_")
    || ((stat "$STORE/$BASE/tree/$_")[2] & 07777) != 0444 } @FILES;
is_deeply(\@wrong, [], 'and every file, byte for byte, mode 0444');
is($s->get('/api/templates/', token => undef)->{status}, 401,
    'the templates API needs an administrator');

# A modified copy of the template is another version; adding it again
# changes nothing.
my $V2_DIR = "$RUN/v2";
my %v2_files = map { ($_ => slurp("$TEMPLATE/$_")) } @FILES;
$v2_files{'index.html'} =~ s/<body/<!-- template two --><body/ or die 'index.html';
$v2_files{'app.js'} .= "// template two\n";
write_tree($V2_DIR, \%v2_files);
my ($rc, $out, $err) = $s->tenantctl('template', 'add', $V2_DIR);
is($rc, 0, 'tenantctl template add of a modified copy: exit 0') or diag $err;
like($out, qr/^[0-9a-f]{12}\n\z/, '... prints a 12-hex version and nothing else');
my ($V2) = $out =~ /^([0-9a-f]{12})$/m;
$V2 //= 'none';
isnt($V2, $BASE, '... another version than template_dir');
like($err, qr/^stored: ${\ scalar @FILES} files, \d+ bytes$/m, '... says it was stored');
($rc, $out, $err) = $s->tenantctl('template', 'add', $V2_DIR);
is($rc, 0, 'adding it again: exit 0') or diag $err;
is($out, "$V2\n", '... prints the same version');
like($err, qr/^already stored: /m, '... and says it was already stored');
is_deeply([store_entries()], [sort($BASE, $V2)], 'the store holds the two versions');

($rc, $out, $err) = $s->tenantctl('template', 'list', '--json');
is($rc, 0, 'template list --json: exit 0') or diag $err;
my $cli_list = eval { JSON::PP::decode_json($out) } // [];
is_deeply([map { $_->{version} } @$cli_list], [$V2, $BASE], '... newest first');
is_deeply({ map { ($_->{version} => $_) } @$cli_list }, api_versions(),
    '... the same versions as GET /api/templates/');
my ($cli_v2) = grep { $_->{version} eq $V2 } @$cli_list;
ok($cli_v2 && !$cli_v2->{is_default}, 'the added version is not the default');
is($cli_v2->{source}, 'added', "... its source is 'added'");
($rc, $out, $err) = $s->tenantctl('template', 'list');
like($out, qr/^$BASE default\s+0 tenants\s+${\ scalar @FILES} files\s+$bytes bytes \S+ template_dir$/m,
    'template list: one line per version, the default marked');
($rc, $out, $err) = $s->tenantctl('template', 'show', $V2, '--json');
is($rc, 0, 'template show --json: exit 0') or diag $err;
is_deeply(eval { JSON::PP::decode_json($out) }, [$cli_v2], '... the version as listed');
($rc, $out, $err) = $s->tenantctl('template', 'show', $V2);
like($out, qr/^version: $V2$/m, 'template show: key: value lines');
like($out, qr/^default: no$/m, '... saying it is not the default');

# The default moves with `template default` and the API.
($rc, $out, $err) = $s->tenantctl('template', 'default', $V2);
is($rc, 0, 'template default: exit 0') or diag $err;
is($out, "$V2 is the default template version\n", '... says so');
my $api = api_versions();
ok($api->{$V2}{is_default} && !$api->{$BASE}{is_default},
    'the API shows the new default, and only it');
$r = $s->post("/api/templates/$BASE/default/", json => {});
is($r->{status}, 200, 'POST /api/templates/{version}/default/ answers 200') or diag $r->{content};
is($r->{json}{version}, $BASE, '... with the version');
ok($r->{json}{is_default}, '... now the default');
ok(!api_versions()->{$V2}{is_default}, '... and the other one is not');
$s->is_error($s->post('/api/templates/abcdef012345/default/', json => {}),
    404, 'not_found', 'default: an unknown version');

# A version nobody uses can be removed; the default cannot.
my $V3_DIR = "$RUN/v3";
write_tree($V3_DIR, { 'index.html' => "<p>three</p>\n" });
my $V3 = $s->template_add($V3_DIR);
ok(-d "$STORE/$V3/tree", 'a third version is stored');
($rc, $out, $err) = $s->tenantctl('template', 'remove', $BASE);
is($rc, 1, 'template remove of the default: exit 1');
like($err, qr/$BASE is the default version; nothing was removed/, '... saying why');
ok(-d "$STORE/$BASE/tree" && api_versions()->{$BASE}, '... and it stays');
($rc, $out, $err) = $s->tenantctl('template', 'remove', $V3);
is($rc, 0, 'template remove of an unused version: exit 0') or diag $err;
is($out, "removed template version $V3\n", '... says so');
ok(!-e "$STORE/$V3", '... its directory is gone from the store');
ok(!api_versions()->{$V3}, '... and from the list');
is_deeply([store_entries()], [sort($BASE, $V2)], '... nothing else is left in the store');
($rc, $out, $err) = $s->tenantctl('template', 'show', $V3);
is($rc, 1, 'show of the removed version: exit 1');
like($err, qr/no template version $V3/, '... no such version');

# Versions that are not 12 lowercase hex digits are refused by name; valid
# ones that do not exist are not found.  In the API, {version} only
# matches 12 lowercase hex digits: anything else is no route at all.
for my $command (qw(show default remove)) {
	($rc, $out, $err) = $s->tenantctl('template', $command, 'ABCDEF012345');
	is($rc, 1, "template $command of an upper-case version: exit 1");
	like($err, qr/"ABCDEF012345" is not a template version \(12 lowercase hex digits\)/,
	    '... saying what a version is');
	($rc, $out, $err) = $s->tenantctl('template', $command, 'abcdef012345');
	is($rc, 1, "template $command of an unknown version: exit 1");
	like($err, qr/no template version abcdef012345/, '... saying there is none');
}
for my $bad (qw(ABCDEF012345 abcdef01234 abcdef0123456 ghijklmnopqr)) {
	for my $action (qw(rollout default)) {
		$r = $s->post("/api/templates/$bad/$action/", json => { all => $TRUE });
		$s->is_error($r, 404, 'not_found', "$action of '$bad'");
		is($r->{json}{error}, 'no such endpoint', '... is no route');
	}
}
$r = $s->post('/api/templates/abcdef012345/rollout/', json => { all => $TRUE });
$s->is_error($r, 404, 'not_found', 'rollout of an unknown version');
is($r->{json}{error}, 'template version not found', '... says the version is unknown');

# template_dir is stored again, and becomes the default, when its
# manifest changes: a tenantctl whose configuration names another
# template_dir stores it on its first look at the default.
my $TDIR = "$RUN/tdir";
my $TDIR_CONF = "$RUN/tdir.conf";
write_tree($TDIR, { 'index.html' => "<p>template_dir one</p>\n" });
spew($TDIR_CONF, slurp($s->conf_path) . "template_dir = $TDIR\n"
    . "template_manifest = $TDIR.manifest\n");
my @tdir_versions;
for my $round (1, 2) {
	write_tree($TDIR, { 'extra.txt' => "added later\n" }) if $round == 2;
	($rc, $out, $err) = $s->tenantctl('manifest', $TDIR);
	spew("$TDIR.manifest", $out);
	($rc, $out, $err) = $s->tenantctl('--config', $TDIR_CONF, 'template',
	    'list', '--json');
	is($rc, 0, "template list with template_dir changed ($round): exit 0") or diag $err;
	my $listed = eval { JSON::PP::decode_json($out) } // [];
	my $wanted = substr(sha256_hex(slurp("$TDIR.manifest")), 0, 12);
	my ($new) = grep { $_->{version} eq $wanted } @$listed;
	ok($new && $new->{source} eq 'template_dir' && $new->{is_default},
	    '... it is stored as a template_dir version and is the default')
	    or diag $out;
	push @tdir_versions, $new ? $new->{version} : 'none';
}
isnt($tdir_versions[0], $tdir_versions[1], 'each change made a version of its own');
$s->tenantctl('template', 'default', $BASE);
ok(api_versions()->{$BASE}{is_default}, 'template_dir of the stack is the default again');

# --- what template add refuses ------------------------------------------------

# Each refusal names the problem (and the path), and the store is as it
# was: no version, no half-built .adding-* directory.  Every case is a
# small template (index.html, and a js/ directory) that `spoil` spoils.
my $META = 'tenantd-template.json';
my @refused = (
	['a symbolic link', sub { symlink('/etc/hostname', "$_[0]/js/host.txt") or die "symlink: $!" },
	    qr{js/host\.txt: symbolic links are not allowed in the template}],
	['a FIFO', sub { POSIX::mkfifo("$_[0]/js/pipe", 0644) or die "mkfifo: $!" },
	    qr{js/pipe: FIFOs are not allowed in the template}],
	['no file at all', sub { unlink "$_[0]/index.html" or die "unlink: $!" },
	    qr/the template has no files/],
	["an unknown member in $META", sub { write_tree($_[0], { $META => '{"name": "x", "colour": "red"}' }) },
	    qr/\Q$META\E: unknown member "colour"/],
	["web_root \"../x\" in $META", sub { write_tree($_[0], { $META => '{"web_root": "../x"}' }) },
	    qr/\Q$META\E: member "web_root" must be names separated by single '\/'/],
	# The names a tenant folder keeps for itself, outside a web root.
	(map { my $name = $_;
	    ["$name outside the web root", sub { write_tree($_[0], { $META => '{"web_root": "js"}',
	        'js/app.js' => "1;\n", $name => "mine\n" }) },
	    qr/\Q$name\E: outside the web root, this name is the tenant folder's own/] }
	    'config.json', '.env.local', '.gate/wallet'),
);
my @store_before = store_entries();
for my $i (0 .. $#refused) {
	my ($case, $spoil, $message) = @{$refused[$i]};
	my $dir = "$RUN/refused-$i";
	write_tree($dir, { 'index.html' => "<p>refused</p>\n" });
	mkdir "$dir/js" or die "mkdir: $!";
	$spoil->($dir);
	($rc, $out, $err) = $s->tenantctl('template', 'add', $dir);
	is($rc, 1, "template add refuses a template with $case: exit 1");
	like($err, $message, '... saying why');
	is($out, '', '... printing no version');
	is_deeply([store_entries()], \@store_before, '... and leaves the store as it was');
}

# --- a deploy shares the stored files -----------------------------------------

my @SUBS = map { sprintf('tpl-%02d', $_) } 1 .. 20;
my @ID = $s->create_tenants(@SUBS, 'tpl-gone');
my $GONE = pop @ID;

$r = $s->post("/api/tenants/$ID[0]/deploy_frontend/", json => {});
is($r->{status}, 200, 'deploy a tenant') or diag $r->{content};
my $report = $r->{json} // {};
is($report->{template_version}, $BASE, '... to the default version');
is($report->{files_linked}, scalar @FILES, '... files_linked: every template file');
is($report->{files_copied}, scalar @FILES, '... files_copied counts them too');
is($report->{bytes_copied}, 0, '... bytes_copied: none');
$r = $s->post("/api/tenants/$ID[1]/deploy_frontend/", json => {});
is($r->{status}, 200, 'deploy a second tenant') or diag $r->{content};

my (@not_shared, @bad_mode, @few_links);
for my $file (@FILES) {
	my @st = stat "$TENANTS/tpl-01/public/$file";
	push @not_shared, $file if identity("$TENANTS/tpl-01/public/$file")
	    ne identity("$STORE/$BASE/tree/$file")
	    || identity("$TENANTS/tpl-02/public/$file") ne identity("$STORE/$BASE/tree/$file");
	push @bad_mode, $file if !@st || ($st[2] & 07777) != 0444;
	push @few_links, $file if !@st || $st[3] < 3;
}
is_deeply(\@not_shared, [], "each template file of both tenants is the store's inode");
is_deeply(\@bad_mode, [], '... mode 0444');
is_deeply(\@few_links, [], '... with a link count of 3 (store and two tenants)');
is(api_versions()->{$BASE}{tenants}, 2, 'GET /api/templates/ counts the two tenants');
is($s->get("/api/tenants/$ID[0]/")->{json}{template_version}, $BASE,
    'the tenant JSON names its template_version');
is($s->get("/api/tenants/$ID[0]/health/")->{json}{template_version}, $BASE,
    '... and so does its health');
is($s->get("/api/tenants/$ID[2]/")->{json}{template_version}, undef,
    'a tenant never deployed has template_version null');

# template_files = copy: files of the tenant's own.
($rc, $out, $err) = $s->tenantctl('--config', $COPY_CONF, 'tenant', 'deploy', 'tpl-02');
is($rc, 0, 'a deploy with template_files = copy: exit 0') or diag $err;
like($out, qr/${\ scalar @FILES} files copied, 0 kept/, '... copies every file');
my @shared = grep { identity("$TENANTS/tpl-02/public/$_") eq identity("$STORE/$BASE/tree/$_")
    || (stat "$TENANTS/tpl-02/public/$_")[3] != 1 } @FILES;
is_deeply(\@shared, [], '... each an inode of its own, link count 1');
my @differ = grep { slurp("$TENANTS/tpl-02/public/$_") ne slurp("$TEMPLATE/$_") } @FILES;
is_deeply(\@differ, [], '... with the template bytes');
is((stat "$STORE/$BASE/tree/index.html")[3], 2, 'the stored file has one link less');

# --- rollouts through the API -------------------------------------------------

($rc, $out, $err) = $s->tenantctl('tenant', 'archive', 'tpl-gone');
is($rc, 0, 'archive one tenant') or diag $err;

# A percent chooses by the documented hash, among tenants not on the
# version yet; a larger percent extends the same group; all moves the rest.
my $expected = chosen_by_percent($V2, 50);
$r = $s->post("/api/templates/$V2/rollout/", json => { percent => 50 });
is($r->{status}, 202, 'rollout of 50 percent answers 202') or diag $r->{content};
is_deeply([sort keys %{$r->{json} // {}}], [qw(job_id tenants version)],
    '... with job_id, version and tenants');
is($r->{json}{version}, $V2, '... the version');
is($r->{json}{tenants}, scalar @$expected, '... and how many tenants the hash chooses');
my $job_id = $r->{json}{job_id};
my $job = $s->get("/api/jobs/$job_id/")->{json};
is($job->{kind}, 'rollout', 'the job is a rollout');
is($job->{status}, 'queued', '... queued while no runner runs');
($rc, undef, $err) = $s->tenantctl('worker', '--once');
is($rc, 0, 'a worker runs it') or diag $err;
$job = $s->get("/api/jobs/$job_id/")->{json};
is($job->{status}, 'done', '... done');
is($job->{result}{deployed}, scalar @$expected, '... every chosen tenant deployed');
is_deeply(on_version($V2), $expected, 'exactly the tenants with MOD(CRC32(version:id), 100) < 50 moved');
cmp_ok(scalar @$expected, '>', 0, '... some of the 20');
cmp_ok(scalar @$expected, '<', 20, '... not all of them');
diag(scalar(@$expected) . ' of 20 tenants in the first 50 percent');
my ($moved) = @$expected;
my ($stayed) = grep { my $id = $_; !grep { $_ == $id } @$expected } @ID;
is($s->get("/api/tenants/$moved/")->{json}{template_version}, $V2, 'a moved tenant says so in its JSON');
is($s->get("/api/tenants/$moved/health/")->{json}{template_version}, $V2, '... and in its health');
isnt($s->get("/api/tenants/$stayed/")->{json}{template_version} // '', $V2, 'a tenant not chosen stays');

my $first_half = on_version($V2);
$expected = chosen_by_percent($V2, 80);
$job = $s->run_rollout($V2, { percent => 80 });
is($job->{result}{total}, scalar @$expected, '80 percent names the tenants of 80 not moved yet');
is_deeply(on_version($V2), sorted_ids(@$first_half, @$expected), '... and extends the group');
$expected = chosen_by_percent($V2, 100);
$job = $s->run_rollout($V2, { all => $TRUE });
is($job->{result}{total}, scalar @$expected, 'all names the rest');
is_deeply(on_version($V2), [sort { $a <=> $b } @ID], '... and moves every active tenant');
is($s->template_versions_of($GONE)->{$GONE}, undef, '... not the archived one');
is(api_versions()->{$V2}{tenants}, 20, 'GET /api/templates/ counts 20 tenants on it');
$r = $s->post("/api/templates/$V2/rollout/", json => { all => $TRUE, force => $TRUE });
is($r->{json}{tenants}, 20, 'with force, all includes the tenants on the version already');
$s->tenantctl('worker', '--once');

($rc, $out, $err) = $s->tenantctl('template', 'remove', $V2);
is($rc, 1, 'template remove of a version tenants are on: exit 1');
like($err, qr/$V2 is in use by tenants .*nothing was removed/, '... saying why');
ok(-d "$STORE/$V2/tree", '... and it stays');

# Rollback is a rollout of the older version: its bytes, its files.
$job = $s->run_rollout($BASE, { tenant_ids => [@ID[2, 3]] });
ok($job->{result}{success} && $job->{result}{deployed} == 2, 'tenant_ids: both tenants moved back');
is_deeply($s->template_versions_of(@ID[2, 3]), { $ID[2] => $BASE, $ID[3] => $BASE },
    '... to the older version');
@differ = grep { my $f = $_; grep { slurp("$TENANTS/$_/public/$f") ne slurp("$TEMPLATE/$f")
    || identity("$TENANTS/$_/public/$f") ne identity("$STORE/$BASE/tree/$f") } @SUBS[2, 3] } @FILES;
is_deeply(\@differ, [], "... every file the older version's again, linked to the store");

# A file the tenant changed (a new file renamed over it, as editors do) is
# kept and listed, unless force.
my $own = "// the tenant's own app.js\n";
spew("$TENANTS/tpl-05/public/app.js", $own);
$s->give_to_service("$TENANTS/tpl-05/public/app.js");
$job = $s->run_rollout($BASE, { tenant_ids => [$ID[4]] });
is($job->{result}{kept_count}, 1, 'a rollout over a changed file lists one tenant with kept files');
is_deeply($job->{result}{kept}, [{ tenant_id => $ID[4], subdomain => 'tpl-05',
    files_kept => 1, files => ['app.js'] }], '... naming it and the path');
is(slurp("$TENANTS/tpl-05/public/app.js"), $own, '... which is kept');
is(slurp("$TENANTS/tpl-05/public/index.html"), slurp("$TEMPLATE/index.html"),
    '... while the other files moved');
is($s->template_versions_of($ID[4])->{$ID[4]}, $BASE, '... and so did the tenant');
is_deeply($s->get("/api/tenants/$ID[4]/health/")->{json}{modified_files}, ['app.js'],
    '... whose health reports the file modified');
$job = $s->run_rollout($BASE, { tenant_ids => [$ID[4]], force => $TRUE });
is_deeply([$job->{result}{kept_count}, $job->{result}{kept}], [0, []], 'with force nothing is kept');
is(identity("$TENANTS/tpl-05/public/app.js"), identity("$STORE/$BASE/tree/app.js"),
    '... the changed file is replaced by the stored one');

# Archived and unknown tenants named by id fail, listed; the others go on.
$job = $s->run_rollout($V2, { tenant_ids => [999999, $GONE, $ID[2]] });
is($job->{status}, 'done', 'a rollout naming archived and unknown tenants is done');
my $result = $job->{result} // {};
ok(JSON::PP::is_bool($result->{success}) && !$result->{success}, '... success false');
is_deeply([@$result{qw(total deployed failed_count)}], [3, 1, 2], '... 1 of 3 deployed, 2 failed');
is_deeply($result->{failures}, [
    { tenant_id => $GONE, subdomain => 'tpl-gone', error => 'tenant is archived' },
    { tenant_id => 999999, subdomain => undef, error => 'tenant not found' }],
    '... each failure listed with its reason');
is($s->template_versions_of($GONE)->{$GONE}, undef, '... the archived tenant was not deployed');

# Every malformed request is 400 naming the field, and queues nothing.
my $jobs_before = $s->sql_value('SELECT COUNT(*) FROM jobs');
for my $case (
    [{}, 'tenant_ids', 'no selector'],
    [{ all => $TRUE, percent => 50 }, 'all', 'two selectors'],
    [{ tenant_ids => [1], percent => 50 }, 'all', 'tenant_ids and percent'],
    [{ all => $FALSE }, 'all', 'all false'],
    [{ percent => 0 }, 'percent', 'percent 0'],
    [{ percent => 101 }, 'percent', 'percent 101'],
    [{ percent => 'x' }, 'percent', 'percent "x"'],
    [{ percent => 12.5 }, 'percent', 'percent 12.5'],
    [{ tenant_ids => [] }, 'tenant_ids', 'tenant_ids []'],
    [{ tenant_ids => [-1] }, 'tenant_ids', 'tenant_ids [-1]'],
    [{ tenant_ids => ['a'] }, 'tenant_ids', 'tenant_ids ["a"]'],
    [{ tenant_ids => 5 }, 'tenant_ids', 'tenant_ids 5'],
    [{ all => $TRUE, force => 'yes' }, 'force', 'force "yes"']) {
	my ($body, $field, $name) = @$case;
	$s->is_error($s->post("/api/templates/$V2/rollout/", json => $body),
	    400, 'validation_failed', "rollout with $name", $field);
}
is($s->sql_value('SELECT COUNT(*) FROM jobs'), $jobs_before, 'none of them queued a job');

# --- tenantctl template rollout -----------------------------------------------

# tenantd runs no job runner here: tenantctl runs the job itself.
is_deeply([$s->runner_pids], [], 'tenantd runs no job runner');
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $BASE, 'tpl-07', $ID[7]);
is($rc, 0, 'template rollout by subdomain and id: exit 0') or diag $err;
my ($cli_job) = $out =~ /^job (\d+): 2 tenants to template version $BASE$/m;
ok($cli_job, '... names its job and the tenants to move') or diag $out;
$cli_job //= 0;
like($out, qr/^job $cli_job done: 2 tenants moved, 0 failed, 0 with changed files kept/m,
    '... and what it did');
is_deeply($s->template_versions_of(@ID[6, 7]), { $ID[6] => $BASE, $ID[7] => $BASE }, '... moved both');
my ($runner, $status) = @{($s->sql("SELECT runner, status FROM jobs WHERE id = $cli_job"))[0] // []};
is($status, 'done', '... the job is done');
like($runner // '', qr/:\d+$/, '... run by tenantctl');

$expected = chosen_by_percent($BASE, 40);
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $BASE, '--percent', '40');
is($rc, 0, 'template rollout --percent 40: exit 0') or diag $err;
like($out, qr/^job \d+: ${\ scalar @$expected} tenants to template version $BASE$/m,
    '... names as many tenants as the hash chooses');
my %on_base = map { ($_ => 1) } @{on_version($BASE)};
is_deeply([grep { !$on_base{$_} } @$expected], [], '... and moves them');
$expected = chosen_by_percent($BASE, 100);
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $BASE, '--all');
is($rc, 0, 'template rollout --all: exit 0') or diag $err;
like($out, qr/^job \d+ done: ${\ scalar @$expected} tenants moved, 0 failed/m, '... moves the rest');
is_deeply(on_version($BASE), [sort { $a <=> $b } @ID], '... every active tenant is on the version');

spew("$TENANTS/tpl-09/public/app.js", $own);
$s->give_to_service("$TENANTS/tpl-09/public/app.js");
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $V2, 'tpl-09');
is($rc, 0, 'template rollout over a changed file: exit 0') or diag $err;
like($out, qr/1 tenants moved, 0 failed, 1 with changed files kept/, '... counts it');
is(slurp("$TENANTS/tpl-09/public/app.js"), $own, '... and keeps the file');
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $V2, 'tpl-09', '--force');
like($out, qr/1 tenants moved, 0 failed, 0 with changed files kept/, 'with --force nothing is kept');
is(slurp("$TENANTS/tpl-09/public/app.js"), slurp("$V2_DIR/app.js"), '... the file is replaced');

($rc, $out, $err) = $s->tenantctl('template', 'rollout', $V2, 'tpl-gone', 'tpl-10');
is($rc, 1, 'template rollout where a tenant fails: exit 1') or diag $out, $err;
like($out, qr/1 tenants moved, 1 failed/, '... counting the failure');

for my $case ([[$V2], qr/give exactly one of --all, --percent N or the tenants/, 'no selector'],
    [[$V2, '--all', 'tpl-01'], qr/give exactly one of/, '--all and a tenant'],
    [[$V2, '--percent', '0'], qr/--percent: a whole number from 1 to 100/, '--percent 0'],
    [[$V2, '--percent', '101'], qr/--percent: a whole number from 1 to 100/, '--percent 101'],
    [[$V2, 'no-such-tenant'], qr/no such tenant "no-such-tenant"/, 'an unknown tenant'],
    [['abcdef012345', '--all'], qr/no template version abcdef012345/, 'an unknown version']) {
	my ($args, $message, $name) = @$case;
	my $before = $s->sql_value('SELECT COUNT(*) FROM jobs');
	($rc, $out, $err) = $s->tenantctl('template', 'rollout', @$args);
	is($rc, 1, "template rollout with $name: exit 1");
	like($err, $message, '... saying why');
	is($s->sql_value('SELECT COUNT(*) FROM jobs'), $before, '... queueing nothing');
}

# --- what sharing files means -------------------------------------------------

# Last, because it damages a stored version on purpose.
#
# Every active tenant on V2 with its files linked to the store, but one
# deployed with template_files = copy.
($rc, $out, $err) = $s->tenantctl('template', 'rollout', $V2, '--all', '--force');
is($rc, 0, 'every tenant to the second version, forced') or diag $err;
($rc, $out, $err) = $s->tenantctl('--config', $COPY_CONF, 'template', 'rollout', $V2,
    'tpl-20', '--force');
is($rc, 0, '... tpl-20 with template_files = copy') or diag $err;

# Tries to open `path` for appending as tenantd's user (the suite's own
# user when it does not run as root).  Returns the errno, 0 when it could.
sub append_as_service_user {
	my ($path) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		if ($> == 0) {
			my ($uid, $gid) = (getpwnam($s->{conf}{user}))[2, 3];
			$) = "$gid $gid";
			POSIX::setgid($gid);
			POSIX::setuid($uid);
			POSIX::_exit(255) if $> != $uid || $< != $uid;
		}
		POSIX::_exit(open(my $fh, '>>', $path) ? 0 : $! + 0);
	}
	waitpid($pid, 0);
	return $? >> 8;
}

my $stored_app = slurp("$STORE/$V2/tree/app.js");
is(append_as_service_user("$TENANTS/tpl-01/public/app.js"), EACCES,
    "tenantd's user cannot open a deployed template file for writing (EACCES)");
is(append_as_service_user("$STORE/$V2/tree/app.js"), EACCES, '... nor the stored file');
is(slurp("$STORE/$V2/tree/app.js"), $stored_app, '... which is unchanged');

# The documented limit of hard links: root (who ignores the mode) writing
# into a linked file in place writes into the stored file, so every tenant
# linked to it changes too; health reports the file modified for each of
# them.  template_files = copy (a reflink on XFS or btrfs) keeps tenants
# apart; tpl-20 shows it.
open(my $fh, '>>', "$TENANTS/tpl-01/public/app.js") or die "append: $!";
print {$fh} "// written in place by root\n";
close $fh or die "append: $!";
my $tampered = $stored_app . "// written in place by root\n";
is(slurp("$STORE/$V2/tree/app.js"), $tampered, 'root writing in place changes the stored file');
is(slurp("$TENANTS/tpl-02/public/app.js"), $tampered, "... and another tenant's file");
is(slurp("$TENANTS/tpl-20/public/app.js"), $stored_app, "... but not a copy's");
my @on_v2 = @{on_version($V2)};
is(scalar @on_v2, 20, 'twenty tenants are on the version');
my (@unreported, @copy_reported);
for my $id (@on_v2) {
	my $health = $s->get("/api/tenants/$id/health/")->{json} // {};
	my $modified = grep { $_ eq 'app.js' } @{$health->{modified_files} // []};
	push @unreported, $id if !$modified && $id != $ID[19];
	push @copy_reported, $id if $modified && $id == $ID[19];
}
is_deeply(\@unreported, [], 'health of every linked tenant reports app.js modified');
is_deeply(\@copy_reported, [], "... the copy's does not");

$s->stop;
done_testing();
