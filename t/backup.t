#!/usr/bin/env perl
# backup.t - `tenantctl backup DIR` and `tenantctl restore DIR` of a whole
# instance (README.md, "Backup and restore"), each stack with its own
# MariaDB:
#
# - a stack with tenants deployed, archived, undeployed, with a logo, a
#   module switched off and custom domains is backed up; the backup has its
#   three parts, no DIR.partial and no option file is left, a DIR that
#   exists is refused, and so is a backup while an archive holds a
#   tenant's lock, after three attempts;
# - a damaged backup (a part changed, a part missing, no manifest) is
#   refused by a fresh, empty stack with nothing changed;
# - the backup restored into that stack gives the same rows, config.json
#   files, template store with its hard links, triggers and counters,
#   health, served sites and custom domain; fsck is clean; restoring again
#   into the now full instance is refused, and allowed with --force;
# - a backup of an instance at schema level 6 is refused by a database
#   migrated to 7 and restored into one without tables, 0007 applied after;
# - a backup taken while tenants are being created restores into a third
#   stack (whose database password needs quoting in the tools' option
#   file) and fsck is clean there.

use strict;
use warnings;

use File::Copy qw(copy);
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX qw(_exit);
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew tiny_png wait_until);

my $JSON = JSON::PP->new->utf8->canonical;

# Waits for job `id` of stack `s` to end; returns its status.
sub job_end {
	my ($s, $id) = @_;
	return wait_until(sub {
		my $j = $s->get("/api/jobs/$id/")->{json} // {};
		return ($j->{status} // '') =~ /^(done|failed)$/ ? $j->{status} : undef;
	}, 60) // 'timed out';
}

# What a restore must give back: the rows that make the instance, each
# tenant's config.json, the counters the triggers keep.
sub facts {
	my ($s) = @_;
	my %f;
	$f{tenants} = [$s->sql('SELECT id, subdomain, name, contact_email, '
	    . 'primary_color, logo, is_active, template_version FROM tenants '
	    . 'ORDER BY id')];
	$f{modules} = [$s->sql('SELECT tenant_id, module_key, is_enabled FROM '
	    . 'tenant_modules ORDER BY tenant_id, module_key')];
	$f{domains} = [$s->sql('SELECT tenant_id, name, status, token FROM '
	    . 'domains ORDER BY name')];
	$f{versions} = [$s->sql('SELECT version, is_default FROM '
	    . 'template_versions ORDER BY version')];
	$f{triggers} = [$s->sql('SELECT trigger_name FROM '
	    . 'information_schema.triggers WHERE trigger_schema = DATABASE() '
	    . 'ORDER BY trigger_name')];
	$f{level} = $s->sql_value('SELECT MAX(version) FROM schema_migrations');
	for my $row (@{$f{tenants}}) {
		my ($sub, $active) = @$row[1, 6];
		my $dir = $active ? $s->tenants_dir : $s->archive_dir;
		$f{config}{$sub} = -e "$dir/$sub/config.json"
		    ? slurp("$dir/$sub/config.json") : undef;
	}
	return \%f;
}

# The names below `dir` (relative), each file's and symlink's with its
# mode and modification time, for comparing two trees.
sub tree_listing {
	my ($dir) = @_;
	my @names;
	File::Find::find({ no_chdir => 1, wanted => sub {
		my $name = $File::Find::name;
		my @st = lstat $name;
		$name =~ s{^\Q$dir\E/?}{};
		return unless length $name;
		push @names, -d _ ? "$name/"
		    : sprintf('%s %o %d', $name, $st[2], $st[9]);
	} }, $dir);
	return [sort @names];
}
use File::Find ();

# Whether directory `dir` holds nothing.
sub is_empty_dir {
	my ($dir) = @_;
	opendir(my $d, $dir) or return 0;
	my @entries = grep { !/^\.\.?$/ } readdir $d;
	return !@entries;
}

# Runs tenantctl on stack `stack` as its tenantctl() does, keeping count of
# sanitizer reports (a failing run's too) for the last test.
my @sanitizer_reports;
sub ctl {
	my ($stack, @args) = @_;
	my ($rc, $out, $err) = $stack->tenantctl(@args);
	push @sanitizer_reports, "tenantctl @args: $err"
	    if $err =~ /Sanitizer|runtime error:/;
	return ($rc, $out, $err);
}

# --- the instance to back up ------------------------------------------------

my $s = TenantdStack->new;
$s->start;
my $token = $s->admin_token;

my $r = $s->post('/api/tenants/', multipart => [name => 'Acme Corp',
    subdomain => 'acme', contact_email => 'it@acme.test',
    primary_color => '#112233', module_keys => 'wallet',
    module_keys => 'tasks',
    logo => { filename => 'logo.png', content => tiny_png(),
    type => 'image/png' }]);
is($r->{status}, 201, 'acme created with a logo') or diag $r->{content};
my $acme = $r->{json}{id};
is(job_end($s, $r->{json}{deploy_job_id}), 'done', '... and deployed');
spew($s->tenants_dir . '/acme/public/marker.txt', "site of acme\n");
$s->give_to_service($s->tenants_dir . '/acme/public/marker.txt');

my $globex = $s->create_deployed_tenant('globex', 'wallet', 'reports');
$r = $s->post("/api/tenants/$globex/update_module/",
    json => { module_key => 'wallet', is_enabled => JSON::PP::false() });
is($r->{status}, 200, 'globex: wallet switched off');

my $initech = $s->create_deployed_tenant('initech');
$r = $s->post("/api/tenants/$initech/archive/");
is($r->{status}, 200, 'initech archived');

$r = $s->post('/api/tenants/', json => { name => 'Hooli', subdomain => 'hooli',
    deploy => JSON::PP::false() });
is($r->{status}, 201, 'hooli created without a deploy');

# Custom domains: one pending; one active, as verify leaves it (the DNS
# side is t/domains-dns.t's), its link made by fsck --repair.
for my $domain ('hr.acme.test', 'jobs.acme.test') {
	$r = $s->post("/api/tenants/$acme/domains/", json => { domain => $domain });
	is($r->{status}, 201, "domain $domain added");
}
$s->sql("UPDATE domains SET status = 'active', verified_at = NOW(6) "
    . "WHERE name = 'hr.acme.test'");
my ($rc, $out, $err) = ctl($s, 'fsck', '--repair');
is($rc, 0, 'fsck --repair links the active domain') or diag "$out$err";
ok(-l $s->tenants_dir . '/.domains/hr.acme.test', '... a symlink');

is($s->get('/', host => 'hr.acme.test')->{status}, 200,
    'the custom domain serves acme before the backup');

my $before = facts($s);
is(scalar @{$before->{tenants}}, 4, 'four tenants to back up');
ok(scalar @{$before->{triggers}} > 0, 'the schema has triggers');
my $statistics = $s->get('/api/tenants/statistics/')->{json};
my %health;
for my $id ($acme, $globex) {
	$health{$id} = $s->get("/api/tenants/$id/health/")->{json};
	ok($health{$id}{frontend_deployed} && $health{$id}{config_valid},
	    "tenant $id healthy before the backup");
}
my $store = $s->tenants_dir . '/.templates';
my $tree_before = tree_listing($s->tenants_dir);

# --- backup -------------------------------------------------------------------

# The backups outlive the stack they come from.
my $keep = tempdir('backups-XXXXXX', DIR => $s->builddir . '/t/var',
    CLEANUP => !$ENV{TENANTD_KEEP_TEST_DIRS});
my $tmp = "$keep/tmp";
mkdir $tmp or die "mkdir $tmp: $!";
$s->give_to_service($keep);
my $backup = "$keep/backup-1";
{
	local $ENV{TMPDIR} = $tmp;
	($rc, $out, $err) = ctl($s, 'backup', $backup);
}
is($rc, 0, 'tenantctl backup exits 0') or diag $err;
like($out, qr/^backup written to \Q$backup\E$/m, '... and says where');
ok(-f "$backup/$_", "the backup holds $_")
    for qw(manifest.json database.sql files.tar);
ok(!-e "$backup.partial", 'no backup-1.partial is left');
ok(is_empty_dir($tmp), 'the private option file is removed');
my $manifest = $JSON->decode(slurp("$backup/manifest.json"));
is($manifest->{format}, 1, 'manifest: format 1');
is($manifest->{schema_level}, $before->{level},
    'manifest: the schema level of the database');
like($manifest->{parts}{'database.sql'}{sha256}, qr/^[0-9a-f]{64}$/,
    'manifest: a SHA-256 of the dump');
is($manifest->{parts}{'files.tar'}{bytes}, -s "$backup/files.tar",
    'manifest: the size of the files');
my $dump = slurp("$backup/database.sql");
like($dump, qr/\bTRIGGER\b/, 'the dump holds the triggers');
unlike($dump, qr/\Q${\ $s->db_password }\E/,
    'the dump does not hold the password');
my $listing = `tar -tvf $backup/files.tar 2>&1`;
like($listing, qr/ link to /, 'the tar stores hard links as links');
like($listing, qr{^l.*\.domains/hr\.acme\.test -> \.\./acme$}m,
    'the domain link is stored as a symlink');

($rc, $out, $err) = ctl($s, 'backup', $backup);
is($rc, 1, 'a backup into an existing DIR fails');
like($err, qr/exists: a backup goes into a new directory/, '... saying why');
($rc, $out, $err) = ctl($s, 'backup', $s->tenants_dir . '/inside');
is($rc, 1, 'a backup inside tenants_dir fails');
like($err, qr/cannot go inside tenants_dir/, '... saying why');

# An archive under way may move a folder while tar reads: each attempt
# sees the lock, and after three the backup gives up, leaving nothing.
$s->sql("UPDATE tenants SET busy_operation = 'archive', busy_token = "
    . "REPEAT('a', 32), busy_since = UTC_TIMESTAMP(6) WHERE id = $globex");
($rc, $out, $err) = ctl($s, 'backup', "$keep/backup-locked");
is($rc, 1, 'a backup while an archive runs fails after its attempts');
like($err, qr/archived, restored or deleted while each of 3 attempts ran/,
    '... saying why');
like($err, qr/starting again(?s:.*)starting again/,
    '... having started again');
ok(!-e "$keep/backup-locked" && !-e "$keep/backup-locked.partial",
    '... and leaves nothing behind');
$s->sql('UPDATE tenants SET busy_operation = NULL, busy_token = NULL, '
    . "busy_since = NULL WHERE id = $globex");

# --- a backup while tenants are created -------------------------------------

my $stop = $s->run_dir . '/stop-creating';
my $creator = fork // die "fork: $!";
if ($creator == 0) {
	my $n = 0;
	while (!-e $stop && $n < 300) {
		$n++;
		$s->post('/api/tenants/', json => { name => "Busy $n",
		    subdomain => "busy$n" });
	}
	_exit(0);
}
ok(wait_until(sub { $s->tenant_count("subdomain LIKE 'busy%'") >= 3 }, 60),
    'tenants are being created');
my $busy_backup = "$keep/backup-busy";
my $at_start = $s->tenant_count("subdomain LIKE 'busy%'");
($rc, $out, $err) = ctl($s, 'backup', $busy_backup);
is($rc, 0, 'a backup while tenants are created exits 0') or diag $err;
my $at_end = $s->tenant_count("subdomain LIKE 'busy%'");
spew($stop, '');
waitpid($creator, 0);
cmp_ok($at_end, '>', $at_start, 'tenants were created during the backup');

$s->stop;

# --- an empty instance: damaged backups are refused -------------------------

my $t = TenantdStack->new(tenantd => 0, admin => 0);
$t->start;
ok(is_empty_dir($t->tenants_dir) && is_empty_dir($t->archive_dir),
    'the new instance has empty folders');

# Copies of the backup to damage, readable by tenantctl's user.
sub damaged_copy {
	my ($name, $damage) = @_;
	my $copy = "$keep/$name";
	system('cp', '-a', $backup, $copy) == 0 or die "cp -a: $?";
	$damage->($copy);
	return $copy;
}
my %damaged = (
	'a changed byte in files.tar' => [damaged_copy('flipped', sub {
		open(my $fh, '+<', "$_[0]/files.tar") or die $!;
		seek($fh, 600, 0);
		read($fh, my $byte, 1);
		seek($fh, 600, 0);
		print {$fh} chr(ord($byte) ^ 1);
		close $fh;
	}), qr/files\.tar is damaged/],
	'no database.sql' => [damaged_copy('no-dump', sub {
		unlink "$_[0]/database.sql";
	}), qr/database\.sql is missing/],
	'no manifest.json' => [damaged_copy('no-manifest', sub {
		unlink "$_[0]/manifest.json";
	}), qr/not a complete backup/],
	'a newer schema level' => [damaged_copy('newer', sub {
		my $m = $JSON->decode(slurp("$_[0]/manifest.json"));
		$m->{schema_level} = 9999;
		spew("$_[0]/manifest.json", $JSON->encode($m));
	}), qr/newer than this tenantd's migrations/],
);
for my $case (sort keys %damaged) {
	my ($dir, $message) = @{$damaged{$case}};
	($rc, $out, $err) = ctl($t, 'restore', $dir);
	is($rc, 1, "restore refuses a backup with $case");
	like($err, $message, '... saying why');
	is($t->sql_value('SELECT COUNT(*) FROM tenants'), 0,
	    '... the database unchanged');
	ok(is_empty_dir($t->tenants_dir) && is_empty_dir($t->archive_dir),
	    '... the folders unchanged');
}

# --- restore ------------------------------------------------------------------

($rc, $out, $err) = ctl($t, 'restore', $backup);
is($rc, 0, 'restore into the empty instance exits 0') or diag "$out$err";
like($out, qr/^restored the backup of \S+ \(tenantd \S+, schema level \d+\)/m,
    '... says what it restored');
like($out, qr/^checked \d+ tenants: clean$/m, '... and fsck finds it clean');

my $after = facts($t);
for my $what (qw(tenants modules domains versions triggers level config)) {
	is_deeply($after->{$what}, $before->{$what}, "restored: the same $what");
}
is_deeply(tree_listing($t->tenants_dir), $tree_before,
    'restored: the same files in tenants_dir, modes and times');
ok(-d $t->archive_dir . '/initech', 'restored: the archived folder');
ok(-l $t->tenants_dir . '/.domains/hr.acme.test'
    && readlink($t->tenants_dir . '/.domains/hr.acme.test') eq '../acme',
    'restored: the domain link, still a symlink');

my $version = $before->{tenants}[0][7];
my @shared = (stat($t->tenants_dir . '/acme/public/index.html'))[1, 3];
my @stored = (stat($t->tenants_dir . "/.templates/$version/tree/index.html"))[1];
is($shared[0], $stored[0], 'restored: a template file is still a hard link '
    . 'to the stored one');
ok($shared[1] >= 3, '... shared by the store and both deployed tenants');
is((stat($t->archive_dir . '/initech/public/index.html'))[1], $stored[0],
    '... and by the archived one');
is(sprintf('%04o', (stat($t->tenants_dir . "/.templates/$version/tree/index.html"))[2] & 07777),
    '0444', 'restored: modes kept');

($rc, $out, $err) = ctl($t, 'fsck');
is($rc, 0, 'fsck of the restored instance: clean') or diag "$out$err";

$t->start_tenantd;
$t->start_frontend;
my %as_admin = (token => $token);
is_deeply($t->get('/api/tenants/statistics/', %as_admin)->{json}, $statistics,
    'the same statistics (counters restored)');
for my $id ($acme, $globex) {
	my $h = $t->get("/api/tenants/$id/health/", %as_admin)->{json};
	is_deeply($h, $health{$id}, "tenant $id: the same health");
}
$r = $t->get('/marker.txt', host => 'acme.localhost');
is($r->{status}, 200, 'the acme site is served');
is($r->{content}, "site of acme\n", '... with its own file');
$r = $t->get('/logo.png', host => 'acme.localhost');
is($r->{content}, tiny_png(), '... and its logo');
is($t->get('/marker.txt', host => 'globex.localhost')->{content},
    "site of globex\n", 'the globex site is served');
is($t->get('/marker.txt', host => 'hr.acme.test')->{content},
    "site of acme\n", 'the active custom domain serves acme');
is($t->get('/', host => 'initech.localhost')->{status}, 404,
    'the archived tenant is not served');
$r = $t->post("/api/tenants/$initech/restore/", %as_admin);
is($r->{status}, 200, 'the archived tenant can be brought back');
is($t->get('/marker.txt', host => 'initech.localhost')->{content},
    "site of initech\n", '... and is served');
$r = $t->post('/api/tenants/', %as_admin, json => { name => 'New One',
    subdomain => 'newone' });
is($r->{status}, 201, 'a tenant can be created after the restore');
is($t->get('/api/tenants/statistics/', %as_admin)->{json}{total},
    $statistics->{total} + 1, '... and the triggers count it');

# A full instance is refused, then replaced with --force.
($rc, $out, $err) = ctl($t, 'restore', $backup);
is($rc, 1, 'restore into a full instance is refused');
like($err, qr/the instance is not empty: the database holds 5 tenants/,
    '... saying why');
$t->stop_tenantd;
($rc, $out, $err) = ctl($t, 'restore', '--force', $backup);
is($rc, 0, 'restore --force replaces it') or diag "$out$err";
like($out, qr{^what was there before is in archive_dir/(\.before-restore-\S+)$}m,
    '... saying where the old files went');
my ($aside) = $out =~ m{archive_dir/(\.before-restore-\S+)$}m;
ok(defined $aside && -d $t->archive_dir . "/$aside/tenants/newone",
    '... the new tenant\'s folder is kept there');
is($t->sql_value("SELECT COUNT(*) FROM tenants WHERE subdomain = 'newone'"), 0,
    '... and the database is the backup\'s');
$t->stop;

# --- a backup of an older schema ---------------------------------------------

# An instance whose migrations end at 0006 (before the list's counters
# and their triggers) is backed up; a new database without tables takes
# it, and restore applies 0007 after loading the dump.
my $migrations = "$keep/migrations-0006";
mkdir $migrations or die "mkdir $migrations: $!";
for my $file (glob($s->srcdir . '/etc/migrations/000[1-6]_*.sql')) {
	copy($file, $migrations) or die "copy $file: $!";
}
my $o = TenantdStack->new(tenantd => 0, admin => 0, nginx => 0,
    conf => { migrations_dir => $migrations });
$o->start;
($rc, $out, $err) = ctl($o, 'tenant', 'create', '--name', 'Old One',
    '--subdomain', 'oldone', '--no-deploy');
is($rc, 0, 'a tenant in an instance at schema level 6') or diag $err;
($rc, $out, $err) = ctl($o, 'backup', "$keep/backup-level-6");
is($rc, 0, 'its backup') or diag $err;
is($JSON->decode(slurp("$keep/backup-level-6/manifest.json"))->{schema_level},
    6, '... at schema level 6');
$o->stop;

my $v = TenantdStack->new(tenantd => 0, admin => 0, nginx => 0);
$v->start;
($rc, $out, $err) = ctl($v, 'restore', "$keep/backup-level-6");
is($rc, 1, 'a freshly migrated database at level 7 is refused');
like($err, qr/at schema level 7, the backup at 6 \(restore into a database without tables/,
    '... saying what to do');
$v->sql('DROP DATABASE tenantd; CREATE DATABASE tenantd CHARACTER SET utf8mb4 '
    . 'COLLATE utf8mb4_unicode_ci');
($rc, $out, $err) = ctl($v, 'restore', "$keep/backup-level-6");
is($rc, 0, 'a database without tables takes it') or diag "$out$err";
like($out, qr/^applied 1 schema migration$/m, '... and migration 0007 is applied');
is($v->sql_value('SELECT MAX(version) FROM schema_migrations'), 7,
    '... the database is at level 7');
is($v->sql_value('SELECT SUM(active) FROM tenant_counts'), 1,
    '... its counters count the restored tenant');
($rc, $out, $err) = ctl($v, 'fsck');
is($rc, 0, '... and fsck is clean') or diag "$out$err";
$v->stop;

# --- the backup taken while tenants were created ----------------------------

my $u = TenantdStack->new(tenantd => 0, admin => 0, nginx => 0);
$u->start;
# A password the MariaDB tools' option file must quote and escape.
my $odd = q{we"ird\pa ss'word};
(my $odd_sql = $odd) =~ s/(['\\])/$1 eq "'" ? "''" : '\\\\'/ge;
$u->sql("ALTER USER 'tenantd'\@'localhost' IDENTIFIED BY '$odd_sql'");
my $conf = slurp($u->conf_path);
$conf =~ s/^db_password = .*$/db_password = $odd/m or die 'no db_password';
spew($u->conf_path, $conf);
($rc, $out, $err) = ctl($u, 'restore', $busy_backup);
is($rc, 0, 'the backup taken during creates restores') or diag "$out$err";
($rc, $out, $err) = ctl($u, 'fsck');
is($rc, 0, 'fsck of that instance is clean') or diag "$out$err";
my @subs = map { $_->[0] } $u->sql('SELECT subdomain FROM tenants '
    . 'WHERE is_active = 1');
ok(!(grep { !-f $u->tenants_dir . "/$_/config.json" } @subs),
    'every active tenant has its config.json');
$u->stop;

is(scalar @sanitizer_reports, 0, 'no tenantctl run printed a sanitizer report')
    or diag join("\n", @sanitizer_reports);

done_testing;
