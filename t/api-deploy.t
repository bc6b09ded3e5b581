# api-deploy.t - POST /api/tenants/{id}/deploy_frontend/ and the deploy job
# queued by create: a synchronous deploy copies every manifest file with the
# right bytes and writes package.json and .env.local; files the tenant
# changed are kept (and reported) unless force; the logo and the tenant's
# own files are carried over as hard links; a deploy onto a read-only
# tenant folder fails with public/ untouched and no staging directory left;
# async=true queues a job; a deploy asked for while one is queued or running
# joins it (a synchronous one runs a queued job itself, or waits up to
# deploy_wait_timeout for the process running it, then answers 202); only an
# archive or restore holding the lock is 409 busy; a logo change waits for
# the lock.
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
# A synchronous deploy joining a job another process runs waits this long.
my $WAIT = 3;
my $s = TenantdStack->new(workers => 2, conf => { job_runners => 0,
    deploy_wait_timeout => $WAIT });
$s->start;

my $TENANTS = $s->tenants_dir;
my $TEMPLATE = $s->srcdir . '/www/template';
my $MANIFEST = $s->builddir . '/www/template.manifest';
# A 1x1 PNG.
my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');

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

sub pending_jobs_of {
	my ($id) = @_;
	return grep { $_->[2] eq 'queued' || $_->[2] eq 'running' } jobs_of($id);
}

sub job_status {
	my ($job) = @_;
	my ($row) = $s->sql("SELECT status FROM jobs WHERE id = $job");
	return $row ? $row->[0] : undef;
}

# Runs `code` in a child once the server has been seen waiting: the global
# counter `status` (Com_update for a request retrying a lock, Com_select for
# one polling a job) rose by three beyond what it was when this was called.
# Nothing else runs statements meanwhile (no job runners), so the rise is
# the waiting request's own.  Returns the child's pid; it exits 0 when it
# saw the rise before running `code`.
sub release_when_waiting {
	my ($status, $code) = @_;
	my $counter = sub { ($s->sql("SHOW GLOBAL STATUS LIKE '$status'"))[0][1] };
	my $before = $counter->();
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my $seen = eval { wait_until(sub { $counter->() - $before >= 3 }, 30) };
		eval { $code->() };
		_exit($seen ? 0 : 1);
	}
	return $pid;
}

my @MANIFEST = TenantdStack->manifest_entries($MANIFEST);
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
ok(JSON::PP::is_bool($tenant->{deployed}) && !$tenant->{deployed},
    'deploy=false: the tenant JSON says deployed false');

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
ok(!$queued->{deployed}, 'a deploy only queued: deployed false');

# --- synchronous deploy ---------------------------------------------------

my $public = "$TENANTS/deployco/public";
my $logo_inode = (stat "$public/logo.png")[1];
$r = deploy($id);
is($r->{status}, 200, 'sync deploy answers 200') or diag $r->{content};
my $report = $r->{json} // {};
ok($report->{success} && JSON::PP::is_bool($report->{success}), 'success true');
is($report->{tenant_url}, 'http://deployco.localhost:' . $s->port, 'tenant_url');
is($report->{files_copied}, scalar(@MANIFEST), 'files_copied is the manifest count');
is($report->{files_linked}, scalar(@MANIFEST), '... each linked to the template store');
is($report->{bytes_copied}, 0, '... so no bytes were copied');
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
is($env, join('', "NEXT_PUBLIC_TENANT_NAME='Deploy Co'", "\n",
    "NEXT_PUBLIC_TENANT_SUBDOMAIN='deployco'", "\n",
    "NEXT_PUBLIC_API_URL='/api'", "\n",
    "NEXT_PUBLIC_PRIMARY_COLOR='#112233'", "\n",
    "NEXT_PUBLIC_SECONDARY_COLOR='#445566'", "\n"),
    '.env.local has the NEXT_PUBLIC_* values');
my ($audit) = $s->sql("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id AND action = 'tenant.deploy'");
is($audit->[0], 1, 'the deploy is in the audit log');

# The list carries the deployed state, so the admin UI offers Deploy or
# Redeploy without a health check per row.
my %listed = map { $_->{subdomain} => $_ } @{$s->get('/api/tenants/?search=co&page_size=100')->{json}{results} // []};
ok($listed{deployco} && JSON::PP::is_bool($listed{deployco}{deployed}) && $listed{deployco}{deployed},
    'list: the deployed tenant says deployed true');
ok($listed{queuedco} && !$listed{queuedco}{deployed},
    'list: the tenant whose deploy is still queued says deployed false');
ok($s->get("/api/tenants/$id/")->{json}{deployed}, 'show: deployed true');

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

# .env.local is read by dotenv readers and may be sourced by sh: no name may
# run a command or come out different in either.  Node's reader (Node
# 20.12+) stands in for dotenv; it has no escape for a single quote, so a
# name holding one together with " \ $ or a backtick is exact in sh only.
my $marks = $s->run_dir . '/env-marks';
mkdir $marks or die "$marks: $!";
my @hostile = (
    "Evil `touch $marks/backtick`",
    "Evil \$(touch $marks/dollar-paren)",
    'Evil $HOME ${HOME} $0 $1',
    "It's Acme",
    "It's \$(touch $marks/quote-paren) `touch $marks/quote-tick` \"q\"",
    "Quote \"Co\" \\ \\\\ end\\",
    "'; touch $marks/semi; echo '",
    "Hash # and = and  spaces",
);
$r = $s->post('/api/tenants/?deploy=false', json => { name => 'Plain', subdomain => 'quoteco' });
is($r->{status}, 201, 'create a tenant to rename') or diag $r->{content};
my $quote_id = $r->{json}{id};
my $env_file = "$TENANTS/quoteco/.env.local";
for my $name (@hostile) {
	$r = $s->patch("/api/tenants/$quote_id/", json => { name => $name });
	is($r->{status}, 200, "rename to <$name>") or diag $r->{content};
	$r = deploy($quote_id);
	is($r->{status}, 200, '... and deploy') or diag $r->{content};
	my $sourced = `cd $marks && sh -c 'set -a; . "\$1"; printf %s "\$NEXT_PUBLIC_TENANT_NAME"' sh '$env_file' 2>&1`;
	is($?, 0, '... sh sources .env.local');
	is($sourced, $name, '... and reads the name exactly');
	my $loaded = `node -e 'process.loadEnvFile(process.argv[1]); process.stdout.write(process.env.NEXT_PUBLIC_TENANT_NAME + "|" + process.env.NEXT_PUBLIC_API_URL)' '$env_file' 2>&1`;
	is($?, 0, '... node loads .env.local');
	if ($name =~ /'/ && $name =~ /["\\\$`]/) {
		like($loaded, qr/\|\/api\z/, '... and reads the lines after it unharmed');
	} else {
		is($loaded, "$name|/api", '... and reads the name exactly');
	}
	opendir(my $dh, $marks) or die "$marks: $!";
	my @ran = grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	is_deeply(\@ran, [], '... and nothing ran');
	is(TenantdStack->read_json_file("$TENANTS/quoteco/package.json")->{description},
	    "Application for $name", '... package.json keeps the name exact');
}
like(slurp($env_file) // '', qr/^NEXT_PUBLIC_TENANT_SUBDOMAIN='quoteco'$/m,
    'values are single-quoted');

# --- a read-only tenant folder ----------------------------------------------

SKIP: {
	my $folder = "$TENANTS/deployco";
	# A file to put back, so the forced deploy has public/ to rebuild.
	spew("$public/app.js", "changed by the tenant again\n");
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

for my $operation (qw(archive restore)) {
	$s->sql("UPDATE tenants SET busy_operation = '$operation', busy_token = 'x', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
	$r = deploy($id);
	$s->is_error($r, 409, 'busy', "sync deploy while a $operation holds the tenant lock");
	$r = deploy($id, query => '?async=true');
	$s->is_error($r, 409, 'busy', "async deploy while a $operation holds the tenant lock");
	is(scalar(pending_jobs_of($id)), 0, "no job queued during the $operation");
}
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

# --- a deploy right after create joins the create's deploy job ---------------

# No job runner runs here: the request runs the queued job itself.
$r = deploy($queued->{id});
is($r->{status}, 200, 'a sync deploy right after create answers 200') or diag $r->{content};
is($r->{json}{files_copied}, scalar(@MANIFEST), '... with the report');
@jobs = jobs_of($queued->{id});
is_deeply([map { [@$_[0 .. 2]] } @jobs], [[$queued->{deploy_job_id}, 'deploy', 'done']],
    "... having run the create's job, no second one");
ok(-f "$TENANTS/queuedco/public/index.html", '... which deployed the site');
{
	my @audit = $s->sql("SELECT action, COALESCE(user_id, 'none') "
	    . "FROM audit_log WHERE tenant_id = $queued->{id} ORDER BY id");
	my $creator = @audit ? $audit[0][1] : 'none';
	like($creator, qr/^[1-9]\d*$/, "... the create is audited for the API's user");
	is_deeply(\@audit, [['tenant.create', $creator], ['tenant.deploy', $creator]],
	    "... and the create's deploy for the same user");
}

$r = $s->post('/api/tenants/', json => { name => 'Joined Co', subdomain => 'joinedco' });
is($r->{status}, 201, 'create another tenant with its deploy job') or diag $r->{content};
my $joined = $r->{json};
$r = deploy($joined->{id}, query => '?async=true');
is($r->{status}, 202, 'an async deploy right after create answers 202') or diag $r->{content};
is($r->{json}{job_id}, $joined->{deploy_job_id}, "... with the create's job");
is($r->{json}{status}, 'queued', '... still queued');
$r = deploy($joined->{id}, query => '?async=true&force=true');
is($r->{status}, 202, 'a forced async deploy joins it too') or diag $r->{content};
is($r->{json}{job_id}, $joined->{deploy_job_id}, '... the same job');
@jobs = jobs_of($joined->{id});
is(scalar(@jobs), 1, '... no second job');
is_deeply(JSON::PP::decode_json($jobs[0][3]), { force => JSON::PP::true() },
    '... which now forces');
$r = deploy($joined->{id});
is($r->{status}, 200, 'a sync deploy runs the joined job') or diag $r->{content};
is(job_status($joined->{deploy_job_id}), 'done', '... which is done');

# --- async ------------------------------------------------------------------

$r = deploy($id, query => '?async=true');
is($r->{status}, 202, 'async deploy answers 202') or diag $r->{content};
my $job_id = $r->{json}{job_id};
like($job_id // '', qr/^[1-9]\d*$/, 'with a job_id');
is($r->{json}{status}, 'queued', 'and status queued');
is(($r->{headers}{location} // ''), "/api/jobs/$job_id/", 'Location names the job');
@jobs = pending_jobs_of($id);
is(scalar(@jobs), 1, 'one pending job');
is_deeply([@{$jobs[0]}[0 .. 2]], [$job_id, 'deploy', 'queued'], 'a queued deploy job');
is_deeply(JSON::PP::decode_json($jobs[0][3]), { force => JSON::PP::false() },
    'payload {"force": false}');
$r = deploy($id, query => '?async=true');
is($r->{status}, 202, 'a second async deploy while one is queued') or diag $r->{content};
is($r->{json}{job_id}, $job_id, '... joins it');
is(scalar(pending_jobs_of($id)), 1, '... still one pending job');

{
	unlink "$public/index.html";
	my ($status, $out, $err) = $s->tenantctl('worker', '--once');
	is($status, 0, 'tenantctl worker --once runs the queue') or diag $err;
	my ($row) = $s->sql("SELECT status, progress FROM jobs WHERE id = $job_id");
	is_deeply($row, ['done', 100], 'the async job is done with progress 100');
	is(slurp("$public/index.html"), slurp("$TEMPLATE/index.html"), 'the job deployed the site');
}

# --- another deploy holds the lock: queued behind it, and waited for ----------

$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = 'z', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
$r = deploy($id, query => '?async=true');
is($r->{status}, 202, 'an async deploy while another deploy holds the lock is queued') or diag $r->{content};
my $behind = $r->{json}{job_id};
my $started = time;
$r = deploy($id);
is($r->{status}, 202, 'a sync deploy that cannot finish within deploy_wait_timeout answers 202') or diag $r->{content};
ok(time - $started >= $WAIT - 0.5, '... after waiting for it');
is($r->{json}{job_id}, $behind, '... naming the job it joined');
is($r->{json}{status}, 'queued', '... back in the queue');
my $pid = release_when_waiting('Com_update', sub { $s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, busy_since = NULL WHERE id = $id") });
$r = deploy($id);
waitpid($pid, 0);
is($r->{status}, 200, 'once the other deploy ends, the waiting sync deploy runs the job') or diag $r->{content};
is($?, 0, '... after waiting for it');
is(job_status($behind), 'done', '... and the job is done');

# The tenant is read again under its lock: one archived while the request
# waited for the lock is refused, and nothing is written where it was.
$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = 'z', busy_since = UTC_TIMESTAMP(6) WHERE id = $quote_id");
$pid = release_when_waiting('Com_update', sub {
	$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP(), busy_operation = NULL, busy_token = NULL, busy_since = NULL WHERE id = $quote_id");
});
my $index_before = (stat "$TENANTS/quoteco/public/index.html")[1];
$r = deploy($quote_id, query => '?force=true');
waitpid($pid, 0);
$s->is_error($r, 409, 'archived', 'a tenant archived while the deploy waited for its lock');
is($?, 0, '... (archived while it waited)');
is((stat "$TENANTS/quoteco/public/index.html")[1], $index_before, '... is not deployed');
is(scalar(pending_jobs_of($quote_id)), 0, '... and its job is over');
$s->sql("UPDATE tenants SET is_active = 1, archived_at = NULL WHERE id = $quote_id");

# --- a job another process runs ----------------------------------------------

$r = deploy($id, query => '?async=true');
my $elsewhere = $r->{json}{job_id};
$s->sql("UPDATE jobs SET status = 'running', runner = 'elsewhere:1', attempts = 1, heartbeat_at = UTC_TIMESTAMP(6), started_at = UTC_TIMESTAMP(6) WHERE id = $elsewhere");
$started = time;
$r = deploy($id);
is($r->{status}, 202, 'a sync deploy joining a job another runner runs answers 202 after deploy_wait_timeout') or diag $r->{content};
ok(time - $started >= $WAIT - 0.5 && time - $started < $WAIT + 5, '... after waiting a bounded time');
is_deeply($r->{json}, { job_id => $elsewhere, status => 'running' }, '... with the running job');
my $stored = '{"success":true,"tenant_url":null,"files_copied":7,"files_kept":0,"kept":[],"files_replaced":0,"files_carried":0}';
$pid = release_when_waiting('Com_select', sub { $s->sql("UPDATE jobs SET status = 'done', progress = 100, result = '$stored', finished_at = UTC_TIMESTAMP(6) WHERE id = $elsewhere") });
$r = deploy($id);
waitpid($pid, 0);
is($r->{status}, 200, 'a sync deploy answers once the joined job is done') or diag $r->{content};
is($?, 0, '... which it waited for');
is_deeply($r->{json}, JSON::PP::decode_json($stored), '... with that job\'s report');
is(scalar(pending_jobs_of($id)), 0, '... and queued nothing of its own');

$r = deploy($id, query => '?async=true');
my $unforced = $r->{json}{job_id};
$s->sql("UPDATE jobs SET status = 'running', runner = 'elsewhere:1', heartbeat_at = UTC_TIMESTAMP(6) WHERE id = $unforced");
$r = deploy($id, query => '?async=true&force=true');
is($r->{status}, 202, 'a forced deploy while an unforced one runs') or diag $r->{content};
isnt($r->{json}{job_id}, $unforced, '... is a job of its own');
my $forced = $r->{json}{job_id};
$r = deploy($id, query => '?async=true');
is($r->{json}{job_id}, $forced, 'a further deploy joins the queued one');
$s->sql("UPDATE jobs SET status = 'done' WHERE status IN ('queued', 'running')");

# --- a logo change waits for the lock ---------------------------------------

my $other_png = $PNG;
$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = 'y', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
$started = time;
$r = $s->patch("/api/tenants/$id/", multipart => [
    logo => { filename => 'l.png', type => 'image/png', content => $other_png } ]);
$s->is_error($r, 409, 'busy', 'a logo change while a deploy holds the lock');
ok(time - $started >= 9, 'it waited for the lock first');
$r = $s->patch("/api/tenants/$id/", json => { name => 'Deploy Co Renamed' });
is($r->{status}, 200, 'a change without a logo does not need the lock') or diag $r->{content};

# The deploy ends once the logo change is seen retrying for the lock
# (its attempts are 50 ms apart).
$pid = release_when_waiting('Com_update', sub { $s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, busy_since = NULL WHERE id = $id") });
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
