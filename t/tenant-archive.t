# tenant-archive.t - a tenant's archive (SPEC 13): GET
# /api/tenants/{id}/export/ and POST /api/tenants/import/, tenantctl tenant
# export/import.  Export, delete, import gives back the same config.json
# (but generated_at: the id is kept where it is free), modules, domains,
# logo, changed and own files, and a clean health; unchanged template
# files are named by the version, not carried; a second stack with its own
# MariaDB lacking the version answers 409 naming it, and takes the archive
# made --with-template.  Hostile and damaged archives are 400 naming the
# problem, and leave nothing behind.
use strict;
use warnings;

use Archive::Tar;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew which);

my $ZSTD = which('zstd') or BAIL_OUT('zstd is needed (apt-get install zstd)');
my $WORK = tempdir(CLEANUP => 1);
chmod(0777, $WORK) or die "chmod: $!\n";	# tenantctl runs as the service user
my $LOGO = slurp(TenantdStack->new->srcdir . '/docs/sample-logo.png');

my $s = TenantdStack->new(workers => 2);
$s->start;
my $TENANTS = $s->tenants_dir;

# --- helpers --------------------------------------------------------------

# Compresses tar bytes with zstd.
sub zstd_bytes {
	my ($bytes) = @_;
	spew("$WORK/in.tar", $bytes);
	system($ZSTD, '-q', '-f', "$WORK/in.tar", '-o', "$WORK/in.tar.zst") == 0
	    or die "zstd failed\n";
	return slurp("$WORK/in.tar.zst");
}

# The entries of an archive: [[name, content], ...] in order.
sub entries_of {
	my ($archive) = @_;
	spew("$WORK/out.tar.zst", $archive);
	system($ZSTD, '-q', '-d', '-f', "$WORK/out.tar.zst", '-o',
	    "$WORK/out.tar") == 0 or die "zstd -d failed\n";
	my $tar = Archive::Tar->new("$WORK/out.tar") or die "not a tar\n";
	return map { [$_->full_path, $_->get_content] } $tar->get_files;
}

# A tar of `files` ([name, content, {type => ..., linkname => ...}]...),
# compressed.
sub archive_of {
	my (@files) = @_;
	my $tar = Archive::Tar->new;
	for my $f (@files) {
		my ($name, $content, $opt) = @$f;
		$tar->add_data($name, $content // '', $opt // {})
		    or die "cannot add $name\n";
	}
	return zstd_bytes($tar->write);
}

# config.json of `sub` without generated_at, which an import renders anew.
sub config_of {
	my ($stack, $sub) = @_;
	my $c = decode_json(slurp($stack->tenants_dir . "/$sub/config.json"));
	delete $c->{generated_at};
	return $c;
}

# Everything below tenants_dir that is not a tenant's folder content.
sub tenants_listing {
	my ($stack) = @_;
	opendir(my $dh, $stack->tenants_dir) or die "tenants_dir: $!\n";
	return join ' ', sort grep { !/^\.\.?$/ } readdir $dh;
}

sub enabled_modules {
	my ($json) = @_;
	return join ',', sort @{$json->{enabled_modules}};
}

# --- a tenant with a logo, a changed and an own file, a domain -------------

my $r = $s->post('/api/tenants/', multipart => [name => 'Acme Exports',
    subdomain => 'acme', contact_email => 'hr@acme.example',
    primary_color => '#112233', module_keys => 'wallet',
    module_keys => 'tasks',
    logo => { filename => 'logo.png', content => $LOGO,
    type => 'image/png' }]);
is($r->{status}, 201, 'a tenant with a logo is created') or diag $r->{content};
my $id = $r->{json}{id};
my $job = $r->{json}{deploy_job_id};
ok(TestUtil::wait_until(sub {
	($s->get("/api/jobs/$job/")->{json}{status} // '') eq 'done' }, 60),
    'its site is deployed');
my $version = $s->get("/api/tenants/$id/")->{json}{template_version};
like($version, qr/^[0-9a-f]{12}$/, 'it is on a template version');
my @manifest = TenantdStack->manifest_entries(
    $s->builddir . '/www/template.manifest');
my $changed = (grep { $_->{path} =~ /\.css$/ } @manifest)[0]{path}
    // $manifest[0]{path};
my $unchanged = (grep { $_->{path} ne $changed } @manifest)[0]{path};
spew("$TENANTS/acme/public/$changed.new", "/* changed by acme */\n");
rename("$TENANTS/acme/public/$changed.new", "$TENANTS/acme/public/$changed")
    or die "rename: $!\n";
# Made as the folder's owner, as tenantd would (the test may run as root).
mkdir("$TENANTS/acme/public/own") or die "mkdir: $!\n";
spew("$TENANTS/acme/public/own/notes.txt", "acme's own file\n");
chown((stat "$TENANTS/acme/public")[4, 5], "$TENANTS/acme/public/own",
    "$TENANTS/acme/public/own/notes.txt", "$TENANTS/acme/public/$changed");
$r = $s->post("/api/tenants/$id/domains/", json => { domain => 'hr.acme.example' });
is($r->{status}, 201, 'a custom domain is added');

my $before = $s->get("/api/tenants/$id/")->{json};
my $config_before = config_of($s, 'acme');

# --- export -----------------------------------------------------------------

$r = $s->get("/api/tenants/$id/export/");
is($r->{status}, 200, 'export answers 200');
like($r->{headers}{'content-disposition'} // '',
    qr/^attachment; filename="acme-\d{8}-\d{6}\.tar\.zst"$/,
    'with a file name');
is($r->{headers}{'content-type'}, 'application/zstd', 'as zstd');
is($r->{headers}{'cache-control'}, 'no-store', 'kept by no cache');
my $archive = $r->{content};
my @entries = entries_of($archive);
my %entry = map { ($_->[0] => $_->[1]) } @entries;
is($entries[0][0], 'tenant.json', 'tenant.json comes first');
my $meta = decode_json($entries[0][1]);
is($meta->{format}, 1, 'tenant.json carries its format version');
is($meta->{id}, $id, '... the id');
is($meta->{template_version}, $version, '... the template version');
is($meta->{tenant}{subdomain}, 'acme', '... the tenant');
is_deeply($meta->{domains}, [{ domain => 'hr.acme.example',
    status => 'pending' }], '... its domains');
ok(exists $entry{'files/config.json'}, 'config.json is carried');
is($entry{'files/public/logo.png'}, $LOGO, 'the logo is carried');
ok(exists $entry{"files/public/$changed"}, 'a changed template file is carried');
ok(exists $entry{'files/public/own/notes.txt'}, 'an own file is carried');
ok(!exists $entry{"files/public/$unchanged"},
    'an unchanged template file is named by the version, not carried');
ok(!grep({ m{^template/} } keys %entry), 'no template without with_template');
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE action = "
    . "'tenant.export' AND tenant_id = $id"), 1, 'the export is audited');

# --- delete, import: the same tenant ----------------------------------------

is($s->delete("/api/tenants/$id/")->{status}, 204, 'the tenant is deleted');
$r = $s->post('/api/tenants/import/', body => $archive,
    content_type => 'application/zstd');
is($r->{status}, 201, 'the archive is imported') or diag $r->{content};
my $new_id = $r->{json}{id};
is($r->{json}{subdomain}, 'acme', 'under its subdomain');
is($new_id, $id, 'with its id, which no tenant has');
is_deeply(config_of($s, 'acme'), $config_before,
    'config.json is the same but generated_at');
is(enabled_modules($r->{json}), enabled_modules($before), 'the same modules');
is($r->{json}{$_}, $before->{$_}, "the same $_") for qw(name contact_email
    primary_color secondary_color logo template_version);
is(slurp("$TENANTS/acme/public/logo.png"), $LOGO, 'the same logo');
is(slurp("$TENANTS/acme/public/$changed"), "/* changed by acme */\n",
    'the changed file is kept');
is(slurp("$TENANTS/acme/public/own/notes.txt"), "acme's own file\n",
    'the own file is back');
is_deeply([map { [$_->{domain}, $_->{status}] }
    @{$s->get("/api/tenants/$new_id/domains/")->{json}}],
    [['hr.acme.example', 'pending']], 'the same domains');
my $health = $s->get("/api/tenants/$new_id/health/")->{json};
ok($health->{config_valid} && $health->{frontend_deployed},
    'health is clean') or diag explain $health;
is_deeply($health->{modified_files}, [$changed],
    'the changed file is the only modified one');
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE action = "
    . "'tenant.import' AND tenant_id = $new_id"), 1, 'the import is audited');
is_deeply([map { $_->{id} } @{$s->get('/api/tenants/?search=exports')
    ->{json}{results}}], [$new_id], 'the list\'s search finds it again');
is($s->get('/api/tenants/statistics/')->{json}{total}, 1,
    '... and the statistics count it once');

$r = $s->post('/api/tenants/import/', body => $archive,
    content_type => 'application/zstd');
is($r->{status}, 409, 'importing it again is 409');
is($r->{json}{code}, 'subdomain_taken', '... subdomain_taken');

# A multipart form, under another name; its domain is another tenant's.
$r = $s->post('/api/tenants/import/', multipart => [subdomain => 'acme2',
    file => { filename => 'acme.tar.zst', content => $archive,
    type => 'application/zstd' }]);
is($r->{status}, 409, 'a domain held by another tenant is 409');
is($r->{json}{code}, 'domain_taken', '... domain_taken');
ok(!-e "$TENANTS/acme2", '... and leaves no folder');
is($s->delete("/api/tenants/$new_id/domains/hr.acme.example/")->{status}, 204,
    'the domain is removed from the first copy');
$r = $s->post('/api/tenants/import/', multipart => [subdomain => 'acme2',
    file => { filename => 'acme.tar.zst', content => $archive,
    type => 'application/zstd' }]);
is($r->{status}, 201, 'a multipart import under another subdomain');
is($r->{json}{subdomain}, 'acme2', '... is that subdomain');
isnt($r->{json}{id}, $id, '... with a new id, since its own is taken');
ok($s->get("/api/tenants/$r->{json}{id}/health/")->{json}{config_valid},
    '... with its own valid config.json');
is($s->delete("/api/tenants/$r->{json}{id}/domains/hr.acme.example/")
    ->{status}, 204, 'its domain is removed for the next copy');

# tenantctl, --as.
my ($exit, $out, $err) = $s->tenantctl('tenant', 'export', 'acme2', '-o',
    "$WORK/acme2.tar.zst");
is($exit, 0, 'tenantctl tenant export') or diag $err;
ok(-s "$WORK/acme2.tar.zst" && !-e "$WORK/acme2.tar.zst.partial",
    '... writes the file whole');
($exit, $out, $err) = $s->tenantctl('tenant', 'export', 'acme2', '-o', '-');
is($exit, 0, 'tenantctl tenant export -o - (standard output)') or diag $err;
open(my $piped, '>:raw', "$WORK/piped.tar.zst") or die "open: $!";
print {$piped} $out;
close $piped or die "close: $!";
is(system('zstd', '-tq', "$WORK/piped.tar.zst"), 0,
    '... is one whole zstd stream, nothing after it');
($exit, $out, $err) = $s->tenantctl('tenant', 'import', "$WORK/acme2.tar.zst",
    '--as', 'acme3', '--json');
is($exit, 0, 'tenantctl tenant import --as') or diag $err;
is(eval { decode_json($out)->{subdomain} }, 'acme3', '... prints the tenant');
($exit, undef, $err) = $s->tenantctl('tenant', 'import',
    "$WORK/acme2.tar.zst", '--as', 'acme3');
is($exit, 1, 'tenantctl refuses a taken subdomain');
like($err, qr/already taken/, '... saying so');

# --- hostile and damaged archives ----------------------------------------------

my $good_meta = encode_json({ format => 1, tenant => { name => 'Evil',
    subdomain => 'evil', module_keys => [] }, logo => undef, domains => [],
    template_version => undef, template_embedded => JSON::PP::false });
my %type = (symlink => Archive::Tar::Constant::SYMLINK(),
    hardlink => Archive::Tar::Constant::HARDLINK(),
    chardev => Archive::Tar::Constant::CHARDEV(),
    fifo => Archive::Tar::Constant::FIFO());
my @hostile = (
    ['an absolute path', [['tenant.json', $good_meta],
	['/etc/evil', 'x']], qr/absolute path/],
    ['a ".." path', [['tenant.json', $good_meta],
	['files/public/../../../evil', 'x']], qr/"\.\." in the path/],
    ['a symlink', [['tenant.json', $good_meta], ['files/public/link', '',
	{ type => $type{symlink}, linkname => '/etc/passwd' }]],
	qr/symbolic link is not allowed/],
    ['a hard link', [['tenant.json', $good_meta], ['files/public/hard', '',
	{ type => $type{hardlink}, linkname => 'tenant.json' }]],
	qr/hard links are not allowed/],
    ['a device', [['tenant.json', $good_meta], ['files/public/dev', '',
	{ type => $type{chardev} }]], qr/device is not allowed/],
    ['a FIFO', [['tenant.json', $good_meta], ['files/public/fifo', '',
	{ type => $type{fifo} }]], qr/FIFO is not allowed/],
    ['a duplicate entry', [['tenant.json', $good_meta],
	['files/public/a.txt', 'x'], ['files/public/a.txt', 'y']],
	qr/given twice/],
    ['a reserved name', [['tenant.json', $good_meta],
	['files/.gate/wallet', 'x']], qr/not a file a tenant folder may hold/],
    ['tenant.json not first', [['files/public/a.txt', 'x'],
	['tenant.json', $good_meta]], qr/first entry must be tenant\.json/],
    ['a name of the wrong type', [['tenant.json', encode_json({ format => 1,
	tenant => { name => 42, subdomain => 'evil' } })]],
	qr/tenant\.name/],
    ['an unknown module', [['tenant.json', encode_json({ format => 1,
	tenant => { name => 'Evil', subdomain => 'evil',
	module_keys => ['rockets'] } })]], qr/module_keys/],
    ['an unknown member', [['tenant.json', encode_json({ format => 1,
	tenant => { name => 'Evil', subdomain => 'evil' }, owner => 'me' })]],
	qr/owner is not a member of format 1/],
    ['another format', [['tenant.json', encode_json({ format => 2,
	tenant => { name => 'Evil', subdomain => 'evil' } })]],
	qr/format is not 1/],
);
my $listing = tenants_listing($s);
my $count = $s->sql_value('SELECT COUNT(*) FROM tenants');
for my $case (@hostile) {
	my ($what, $files, $message) = @$case;
	$r = $s->post('/api/tenants/import/', body => archive_of(@$files),
	    content_type => 'application/zstd');
	is($r->{status}, 400, "$what is refused with 400");
	is($r->{json}{code}, 'invalid_archive', '... invalid_archive');
	like($r->{json}{error} // '', $message, '... naming the problem');
}
my $valid = archive_of(['tenant.json', $good_meta], ['files/public/a.txt', 'x']);
$r = $s->post('/api/tenants/import/', body => substr($valid, 0,
    length($valid) - 20), content_type => 'application/zstd');
is($r->{status}, 400, 'a truncated archive is refused');
like($r->{json}{error} // '', qr/damaged archive/, '... as damaged');
my $corrupt = $valid;
substr($corrupt, 20, 8) = 'CORRUPT!';
$r = $s->post('/api/tenants/import/', body => $corrupt,
    content_type => 'application/zstd');
is($r->{status}, 400, 'a corrupt zstd stream is refused');
$r = $s->post('/api/tenants/import/', body => "just text",
    content_type => 'application/zstd');
is($r->{status}, 400, 'no archive at all is refused');
my $plain = Archive::Tar->new;
$plain->add_data('tenant.json', $good_meta);
$r = $s->post('/api/tenants/import/', body => $plain->write,
    content_type => 'application/zstd');
like($r->{json}{error} // '', qr/not a zstd-compressed tar/,
    'an uncompressed tar is refused');

# A zip bomb: 300 MiB of zeros compress to a few KiB; the count stops it
# while reading.
system("head -c 314572800 /dev/zero > $WORK/zeros") == 0 or die "head\n";
my $bomb_tar = Archive::Tar->new;
$bomb_tar->add_data('tenant.json', $good_meta);
$bomb_tar->write("$WORK/bomb.tar");
system("cd $WORK && tar --append -f bomb.tar --transform 's,^,files/public/,'"
    . " zeros") == 0 or die "tar --append\n";
unlink "$WORK/zeros";
system($ZSTD, '-q', '-f', '-19', "$WORK/bomb.tar", '-o', "$WORK/bomb.tar.zst")
    == 0 or die "zstd\n";
unlink "$WORK/bomb.tar";
cmp_ok(-s "$WORK/bomb.tar.zst", '<', 1024 * 1024, 'the bomb is small');
$r = $s->post('/api/tenants/import/', body => slurp("$WORK/bomb.tar.zst"),
    content_type => 'application/zstd');
is($r->{status}, 400, 'a zip bomb is refused');
like($r->{json}{error} // '', qr/more than 256 MiB unpacked/, '... by its size');

# More than 10,000 entries.
my $many = Archive::Tar->new;
$many->add_data('tenant.json', $good_meta);
$many->add_data("files/public/f$_", '') for 1 .. 10_001;
$r = $s->post('/api/tenants/import/', body => zstd_bytes($many->write),
    content_type => 'application/zstd');
is($r->{status}, 400, 'more than 10,000 entries are refused');
like($r->{json}{error} // '', qr/more than 10000 entries/, '... saying so');

is(tenants_listing($s), $listing, 'refused imports leave nothing in tenants_dir');
is($s->sql_value('SELECT COUNT(*) FROM tenants'), $count, '... and no row');

$r = $s->post('/api/tenants/import/', body => $archive, content_type =>
    'text/plain');
is($r->{status}, 415, 'another content type is 415');
$r = $s->post('/api/tenants/import/', body => $archive, token => undef,
    content_type => 'application/zstd');
is($r->{status}, 401, 'import needs an administrator');
is($s->get("/api/tenants/$new_id/export/", token => undef)->{status}, 401,
    'so does export');
is($s->get("/api/tenants/999999/export/")->{status}, 404,
    'export of an unknown tenant is 404');

# --- a second instance --------------------------------------------------------

# It serves its sites' assets from a CDN (asset_base_url): its deploys
# rewrite HTML and add content-named aliases, which an export leaves out.
my $b = TenantdStack->new(workers => 1, cdn_origin => 1);
$b->start;
$r = $b->post('/api/tenants/import/', body => $archive,
    content_type => 'application/zstd');
is($r->{status}, 409, 'an instance without the version answers 409');
is($r->{json}{code}, 'template_missing', '... template_missing');
like($r->{json}{error} // '', qr/\Q$version\E/, '... naming the version');
$r = $s->get("/api/tenants/$new_id/export/?with_template=1");
is($r->{status}, 200, 'an export with its template');
my %with = map { ($_->[0] => 1) } entries_of($r->{content});
ok($with{"template/$unchanged"}, '... carries the version\'s files');
$r = $b->post('/api/tenants/import/', body => $r->{content},
    content_type => 'application/zstd');
is($r->{status}, 201, 'the other instance imports it') or diag $r->{content};
is($r->{json}{template_version}, $version, '... on the same version');
{
	# The logo's URL is the instance's: on its CDN there.
	my %without_url = (%$config_before, branding => {
	    %{$config_before->{branding}} });
	my $got = config_of($b, 'acme');
	like($got->{branding}{logo_url}, qr{^http://127\.0\.0\.1:\d+/t/acme/logo\.[0-9a-f]{12}\.png$},
	    '... with the logo on its CDN');
	delete $_->{branding}{logo_url} for $got, \%without_url;
	is_deeply($got, \%without_url, '... and config.json the same otherwise');
}
is(slurp($b->tenants_dir . '/acme/public/logo.png'), $LOGO, '... and logo');
$health = $b->get("/api/tenants/$r->{json}{id}/health/")->{json};
ok($health->{config_valid} && $health->{frontend_deployed},
    '... and a clean health') or diag explain $health;
$r = $b->get("/api/tenants/$r->{json}{id}/export/");
is($r->{status}, 200, 'an export from the CDN instance');
is_deeply([sort grep { m{^files/public/} } map { $_->[0] }
    entries_of($r->{content})], [sort map { "files/public/$_" }
    $changed, 'logo.png', 'own/notes.txt'],
    '... carries no rewritten HTML and no alias, only the own files');
($exit, $out) = $b->tenantctl('fsck');
is($exit, 0, 'fsck of the second instance is clean') or diag $out;
($exit, $out) = $s->tenantctl('fsck');
is($exit, 0, 'fsck of the first instance is clean') or diag $out;

$b->stop;
$s->stop;
done_testing;
