# api-deploy.t - POST /api/tenants/{id}/deploy_frontend/ and the deploy job
# queued by create: a synchronous deploy copies every manifest file with the
# right bytes and writes package.json and .env.local; files the tenant
# changed are kept (and reported) unless force; the logo and the tenant's
# own files are carried over as hard links; a deploy onto a read-only
# tenant folder fails with public/ untouched and no staging directory left;
# async=true queues a job; a held tenant lock or a pending job answers 409
# busy; a logo change waits for the lock.
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Find qw(find);
use MIME::Base64 qw(decode_base64);
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time);

use TenantdStack;
use TestUtil qw(wait_until slurp spew freeze_dir thaw_dir);

# Job runners would pick up the jobs this test looks at; it runs them
# itself with `tenantctl worker --once`.
my $s = TenantdStack->new(workers => 2, conf => { job_runners => 0 });
$s->start;

my $TENANTS = $s->tenants_dir;
my $TEMPLATE = $s->srcdir . '/www/template';
my $MANIFEST = $s->builddir . '/www/template.manifest';
# A 1x1 PNG.
my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');

# The manifest as a list of {sha256, size, path}.
sub manifest_entries {
	open(my $fh, '<', $MANIFEST) or die "$MANIFEST: $!";
	my $header = <$fh>;
	die "bad manifest header" unless $header eq "# tenantd template manifest 1\n";
	my @entries;
	while (my $line = <$fh>) {
		chomp $line;
		my ($sha, $size, $path) = split / /, $line, 3;
		push @entries, { sha256 => $sha, size => $size, path => $path };
	}
	return @entries;
}

# Every entry below `dir`: relative path => [inode, sha256 or 'dir'].
sub snapshot {
	my ($dir) = @_;
	my %tree;
	return \%tree unless -d $dir;
	find({ no_chdir => 1, wanted => sub {
		my $rel = substr($File::Find::name, length $dir);
		$rel =~ s{^/}{};
		return if $rel eq '';
		my @st = lstat $File::Find::name;
		$tree{$rel} = [$st[1], -d _ ? 'dir' : sha256_hex(slurp($File::Find::name) // '')];
	} }, $dir);
	return \%tree;
}

sub staging_dirs {
	my ($sub) = @_;
	opendir(my $dh, "$TENANTS/$sub") or return ();
	my @names = grep { /^\.public\.(staging|old)-/ } readdir $dh;
	closedir $dh;
	return @names;
}

sub deploy {
	my ($id, %o) = @_;
	my $query = $o{query} // '';
	return $s->post("/api/tenants/$id/deploy_frontend/$query",
	    exists $o{json} ? (json => $o{json}) : ());
}

sub jobs_of {
	my ($id) = @_;
	my @rows = $s->sql("SELECT id, kind, status, payload FROM jobs WHERE tenant_id = $id ORDER BY id");
	return @rows;
}

my @MANIFEST = manifest_entries();
ok(@MANIFEST >= 5, 'the template manifest lists the template files')
    or BAIL_OUT('no usable manifest');
my %IN_MANIFEST = map { $_->{path} => $_ } @MANIFEST;
ok($IN_MANIFEST{'index.html'} && $IN_MANIFEST{'app.js'} && $IN_MANIFEST{'style.css'},
    'the manifest has index.html, app.js and style.css');
ok(!grep({ $_->{path} eq 'package.json' } @MANIFEST),
    'package.json is not part of the template');

# --- create: with and without the deploy job ------------------------------

my $r = $s->post('/api/tenants/?deploy=false', multipart => [
    name => 'Deploy Co', subdomain => 'deployco',
    primary_color => '#112233', secondary_color => '#445566',
    logo => { filename => 'logo.png', type => 'image/png', content => $PNG } ]);
is($r->{status}, 201, 'create with deploy=false') or diag $r->{content};
my $tenant = $r->{json};
my $id = $tenant->{id};
ok(!exists $tenant->{deploy_job_id}, 'deploy=false: no deploy_job_id in the answer');
is(scalar(jobs_of($id)), 0, 'deploy=false: no job queued');
is($tenant->{logo}, 'logo.png', 'the tenant has a logo');

$r = $s->post('/api/tenants/', json => { name => 'Queued Co', subdomain => 'queuedco' });
is($r->{status}, 201, 'create with the default deploy') or diag $r->{content};
my $queued = $r->{json};
like($queued->{deploy_job_id} // '', qr/^[1-9]\d*$/, 'create answers deploy_job_id');
is($queued->{subdomain}, 'queuedco', 'the rest of the tenant is still there');
my @jobs = jobs_of($queued->{id});
is(scalar(@jobs), 1, 'create queued one job');
is($jobs[0][0], $queued->{deploy_job_id}, 'the job is the one answered');
is($jobs[0][1], 'deploy', 'job kind deploy');
is($jobs[0][2], 'queued', 'job status queued');
is_deeply(JSON::PP::decode_json($jobs[0][3]), { force => JSON::PP::false() },
    'job payload {"force": false}');

# --- synchronous deploy ---------------------------------------------------

my $public = "$TENANTS/deployco/public";
my $logo_inode = (stat "$public/logo.png")[1];
$r = deploy($id);
is($r->{status}, 200, 'sync deploy answers 200') or diag $r->{content};
my $report = $r->{json} // {};
ok($report->{success} && JSON::PP::is_bool($report->{success}), 'success true');
is($report->{tenant_url}, 'http://deployco.localhost:' . $s->port, 'tenant_url');
is($report->{files_copied}, scalar(@MANIFEST), 'files_copied is the manifest count');
is($report->{files_kept}, 0, 'nothing kept on a first deploy');
is_deeply($report->{kept}, [], 'kept is an empty list');
is($report->{files_replaced}, 0, 'nothing replaced');
is($report->{files_carried}, 1, 'the logo was carried over');

my $all_right = 1;
for my $e (@MANIFEST) {
	my $data = slurp("$public/$e->{path}");
	if (!defined $data || length($data) != $e->{size} || sha256_hex($data) ne $e->{sha256}
	    || $data ne slurp("$TEMPLATE/$e->{path}")) {
		$all_right = 0;
		diag("public/$e->{path} differs from the template");
	}
}
ok($all_right, 'public/ holds every manifest file with the template bytes');
is(slurp("$public/logo.png"), $PNG, 'the logo is still there');
is((stat "$public/logo.png")[1], $logo_inode, 'the logo was carried as a hard link');
ok(!-e "$public/package.json" && !-e "$public/.env.local",
    'nothing but the site goes into public/');
is_deeply([staging_dirs('deployco')], [], 'no staging directory left');
ok(-f "$TENANTS/deployco/config.json", 'config.json untouched by the deploy');

my $package = TenantdStack->read_json_file("$TENANTS/deployco/package.json");
is_deeply($package, { name => 'deployco-app', version => '1.0.0',
    private => JSON::PP::true(), description => 'Application for Deploy Co' },
    'package.json has name, version, private and description');
my $env = slurp("$TENANTS/deployco/.env.local") // '';
is($env, join('', 'NEXT_PUBLIC_TENANT_NAME="Deploy Co"', "\n",
    'NEXT_PUBLIC_TENANT_SUBDOMAIN="deployco"', "\n",
    'NEXT_PUBLIC_API_URL="/api"', "\n",
    'NEXT_PUBLIC_PRIMARY_COLOR="#112233"', "\n",
    'NEXT_PUBLIC_SECONDARY_COLOR="#445566"', "\n"),
    '.env.local has the NEXT_PUBLIC_* values');
my ($audit) = $s->sql("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id AND action = 'tenant.deploy'");
is($audit->[0], 1, 'the deploy is in the audit log');

# --- files changed by the tenant, and its own files ------------------------

my $template_app = slurp("$TEMPLATE/app.js");
spew("$public/app.js", $template_app . "\n// changed by the tenant\n");
mkdir "$public/custom";
spew("$public/custom/extra.txt", "the tenant's own file\n");
spew("$public/notes.txt", "notes\n");
# Made by root when the suite runs as root; the tenant's own files belong
# to tenantd's user in real life.
$s->give_to_service("$public/custom", "$public/notes.txt");
my $extra_inode = (stat "$public/custom/extra.txt")[1];
# Same bytes, new mtime: must not count as changed.
utime(time + 5, time + 5, "$public/index.html");

$r = deploy($id);
is($r->{status}, 200, 'redeploy without force') or diag $r->{content};
$report = $r->{json} // {};
is($report->{files_kept}, 1, 'one file kept');
is_deeply($report->{kept}, ['app.js'], 'kept lists app.js');
is($report->{files_copied}, scalar(@MANIFEST) - 1, 'the other files copied');
is($report->{files_replaced}, 0, 'nothing replaced without force');
is($report->{files_carried}, 3, 'logo, custom/extra.txt and notes.txt carried');
like(slurp("$public/app.js") // '', qr/changed by the tenant/, 'the changed app.js is kept');
is(slurp("$public/custom/extra.txt"), "the tenant's own file\n", "the tenant's file in a new directory is carried over");
is((stat "$public/custom/extra.txt")[1], $extra_inode, '... as a hard link');
is(slurp("$public/notes.txt"), "notes\n", "the tenant's top-level file is carried over");
is(slurp("$public/index.html"), slurp("$TEMPLATE/index.html"), 'a touched but unchanged file is replaced');
is(slurp("$public/logo.png"), $PNG, 'the logo survives a second deploy');

$r = deploy($id);
is($r->{status}, 200, 'a third deploy without force') or diag $r->{content};
is_deeply($r->{json}{kept}, ['app.js'], 'app.js is still reported as kept');

$r = deploy($id, query => '?force=true');
is($r->{status}, 200, 'redeploy with force=true in the query') or diag $r->{content};
$report = $r->{json} // {};
is($report->{files_kept}, 0, 'force: nothing kept');
is($report->{files_replaced}, 1, 'force: one file replaced');
is($report->{files_copied}, scalar(@MANIFEST), 'force: every file copied');
is(slurp("$public/app.js"), $template_app, 'force: app.js is the template again');
is(slurp("$public/custom/extra.txt"), "the tenant's own file\n", "force: the tenant's own files stay");
is(slurp("$public/logo.png"), $PNG, 'force: the logo stays');

$r = deploy($id, json => { force => JSON::PP::false() });
is($r->{status}, 200, 'force false in a JSON body') or diag $r->{content};
is($r->{json}{files_kept}, 0, 'after a forced deploy nothing counts as changed');

# After a template upgrade, a file the tenant did not touch still holds
# what the last deploy wrote, which the record's digest vouches for: it is
# replaced, not kept.  Simulated by writing "old template" bytes and their
# digest into the record (with an identity that no longer matches, so the
# file is hashed).
my $record = slurp("$TENANTS/deployco/.deployed") // '';
like($record, qr/^# tenantd deployed files 1\n/, 'the deploy leaves a record of what it wrote');
like($record, qr/^[0-9a-f]{64} \d+ \d+ \d+ app\.js$/m, 'the record has a line per template file');
my $old_release = "// the previous release of app.js\n";
spew("$public/app.js", $old_release);
my $old_line = sha256_hex($old_release) . ' ' . length($old_release) . ' 0 0 app.js';
$record =~ s/^[0-9a-f]{64} \d+ \d+ \d+ app\.js$/$old_line/m;
spew("$TENANTS/deployco/.deployed", $record);
$r = deploy($id);
is($r->{status}, 200, 'deploy after a simulated template upgrade') or diag $r->{content};
is($r->{json}{files_kept}, 0, 'a file as the last deploy wrote it is not kept');
is(slurp("$public/app.js"), $template_app, 'it is replaced by the new template');
spew("$TENANTS/deployco/.deployed", "garbage\n");
$r = deploy($id);
is($r->{status}, 200, 'a damaged record only costs hashing') or diag $r->{content};
is($r->{json}{files_kept}, 0, 'and changes nothing else');
is_deeply([staging_dirs('deployco')], [], 'still no staging directory left');

$r = deploy($id, query => '?force=maybe');
$s->is_error($r, 400, 'validation_failed', 'force=maybe', 'force');

# --- values that need escaping ---------------------------------------------

$r = $s->post('/api/tenants/?deploy=false', json => {
    name => 'Quote "Co" \\ $HOME', subdomain => 'quoteco' });
is($r->{status}, 201, 'create a tenant with quotes in its name') or diag $r->{content};
my $quote_id = $r->{json}{id};
$r = deploy($quote_id);
is($r->{status}, 200, 'deploy it') or diag $r->{content};
like(slurp("$TENANTS/quoteco/.env.local") // '',
    qr/^NEXT_PUBLIC_TENANT_NAME="Quote \\"Co\\" \\\\ \\\$HOME"$/m,
    '.env.local escapes ", \\ and $');
is(TenantdStack->read_json_file("$TENANTS/quoteco/package.json")->{description},
    'Application for Quote "Co" \\ $HOME', 'package.json keeps the name exact');

# --- a read-only tenant folder ----------------------------------------------

SKIP: {
	my $folder = "$TENANTS/deployco";
	skip 'cannot make a folder unwritable here (needs root: chattr +i or a bind mount)', 6
	    unless freeze_dir($folder);
	my $before = snapshot($public);
	$r = deploy($id, query => '?force=true');
	$s->is_error($r, 500, 'deploy_failed', 'deploy onto a read-only folder');
	like($r->{json}{error} // '', qr/staging/, 'the message says what failed');
	unlike($r->{json}{error} // '', qr{\Q$TENANTS\E|/tmp|/work}, 'no absolute path in the message');
	is_deeply(snapshot($public), $before, 'public/ is exactly as it was');
	thaw_dir($folder);
	is_deeply([staging_dirs('deployco')], [], 'no staging directory left');
	$r = deploy($id);
	is($r->{status}, 200, 'deploy works again once the folder is writable') or diag $r->{content};
}

# --- busy, archived, unknown -----------------------------------------------

$s->sql("UPDATE tenants SET busy_operation = 'archive', busy_token = 'x', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
$r = deploy($id);
$s->is_error($r, 409, 'busy', 'sync deploy while the tenant lock is held');
$r = deploy($id, query => '?async=true');
$s->is_error($r, 409, 'busy', 'async deploy while the tenant lock is held');
is(scalar(jobs_of($id)), 0, 'no job queued while busy');
$s->sql("UPDATE tenants SET busy_since = UTC_TIMESTAMP(6) - INTERVAL 1 DAY WHERE id = $id");
$r = deploy($id);
is($r->{status}, 200, 'a lock left by a dead process is taken over') or diag $r->{content};
my ($lock) = $s->sql("SELECT busy_operation, busy_token, busy_since FROM tenants WHERE id = $id");
is_deeply($lock, [undef, undef, undef], 'the deploy released the lock');

$r = deploy(999999);
$s->is_error($r, 404, 'not_found', 'unknown tenant');
$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP() WHERE id = $id");
$r = deploy($id);
$s->is_error($r, 409, 'archived', 'archived tenant');
$r = deploy($id, query => '?async=true');
$s->is_error($r, 409, 'archived', 'archived tenant, async');
$s->sql("UPDATE tenants SET is_active = 1, archived_at = NULL WHERE id = $id");

$r = $s->post("/api/tenants/$id/deploy_frontend/", token => undef);
is($r->{status}, 401, 'anonymous deploy is refused');

# --- async ------------------------------------------------------------------

$r = deploy($id, query => '?async=true');
is($r->{status}, 202, 'async deploy answers 202') or diag $r->{content};
my $job_id = $r->{json}{job_id};
like($job_id // '', qr/^[1-9]\d*$/, 'with a job_id');
is($r->{json}{status}, 'queued', 'and status queued');
is(($r->{headers}{location} // ''), "/api/jobs/$job_id/", 'Location names the job');
@jobs = jobs_of($id);
is(scalar(@jobs), 1, 'one job row');
is_deeply([@{$jobs[0]}[0 .. 2]], [$job_id, 'deploy', 'queued'], 'a queued deploy job');
is_deeply(JSON::PP::decode_json($jobs[0][3]), { force => JSON::PP::false() },
    'payload {"force": false}');
$r = deploy($id, query => '?async=true&force=true');
$s->is_error($r, 409, 'busy', 'a second async deploy while one is queued');
$r = deploy($id);
$s->is_error($r, 409, 'busy', 'a sync deploy while one is queued');

{
	unlink "$public/index.html";
	my ($status, $out, $err) = $s->tenantctl('worker', '--once');
	is($status, 0, 'tenantctl worker --once runs the queue') or diag $err;
	my ($row) = $s->sql("SELECT status, progress FROM jobs WHERE id = $job_id");
	is_deeply($row, ['done', 100], 'the async job is done with progress 100');
	is(slurp("$public/index.html"), slurp("$TEMPLATE/index.html"), 'the job deployed the site');
	ok(-f "$TENANTS/queuedco/public/index.html", "create's deploy job ran too");
}
$s->sql("UPDATE jobs SET status = 'done' WHERE status IN ('queued', 'running')");

# --- a logo change waits for the lock ---------------------------------------

my $other_png = $PNG;
$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = 'y', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
my $started = time;
$r = $s->patch("/api/tenants/$id/", multipart => [
    logo => { filename => 'l.png', type => 'image/png', content => $other_png } ]);
$s->is_error($r, 409, 'busy', 'a logo change while a deploy holds the lock');
ok(time - $started >= 9, 'it waited for the lock first');
$r = $s->patch("/api/tenants/$id/", json => { name => 'Deploy Co Renamed' });
is($r->{status}, 200, 'a change without a logo does not need the lock') or diag $r->{content};

# The deploy ends once the logo change is seen retrying for the lock: no
# one else updates rows now (no job runners), so UPDATE statements beyond
# one of its own are its attempts, 50 ms apart.  The child exits 0 when it
# saw them before it released the lock.
my $updates = sub { ($s->sql("SHOW GLOBAL STATUS LIKE 'Com_update'"))[0][1] };
my $updates_before = $updates->();
my $pid = fork;
die "fork: $!" unless defined $pid;
if ($pid == 0) {
	my $seen = eval { wait_until(sub { $updates->() - $updates_before >= 3 }, 20) };
	eval { $s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, busy_since = NULL WHERE id = $id") };
	_exit($seen ? 0 : 1);
}
$r = $s->patch("/api/tenants/$id/", multipart => [
    logo => { filename => 'l.png', type => 'image/png', content => $other_png } ]);
waitpid($pid, 0);
is($r->{status}, 200, 'the logo change goes through once the deploy ends') or diag $r->{content};
is($?, 0, '... after retrying for the lock while the deploy held it');
($lock) = $s->sql("SELECT busy_operation FROM tenants WHERE id = $id");
is($lock->[0], undef, 'the logo change released the lock');
$r = $s->patch("/api/tenants/999999/", multipart => [
    logo => { filename => 'l.png', type => 'image/png', content => $other_png } ]);
$s->is_error($r, 404, 'not_found', 'a logo change of an unknown tenant is 404 at once');

$s->stop;
done_testing();
