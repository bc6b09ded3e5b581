# api-health-tenant.t - GET /api/tenants/{id}/health/: a freshly deployed
# tenant is all green; a deleted template file is missing, a changed one
# modified (also when its size is unchanged); a hand-edited, malformed,
# missing or stale (DB changed) config.json is invalid; a removed folder is
# reported; an archived tenant is judged in the archive area; symlinks
# are never followed.
use strict;
use warnings;

use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use Test::More;

use TenantdStack;
use TestUtil qw(spew);

my $s = TenantdStack->new(workers => 2);
$s->start;
my $TENANTS = $s->tenants_dir;
my $TEMPLATE = $s->srcdir . '/www/template';

# The template manifest the build wrote: [path, size, sha256] in order.
my @MANIFEST = map { [$_->{path}, $_->{size}, $_->{sha256}] }
    TenantdStack->manifest_entries($s->builddir . '/www/template.manifest');
cmp_ok(scalar @MANIFEST, '>=', 2, 'the template manifest lists files');
my @PATHS = map { $_->[0] } @MANIFEST;

# Puts the template into tenants/<sub>/public/: through the deploy
# endpoint when the build has it, else by copying the manifest's files.
sub deploy {
	my ($t) = @_;
	my $r = $s->post("/api/tenants/$t->{id}/deploy_frontend/", json => {});
	return $r->{status} == 200 if $r->{status} != 404
	    || ($r->{json} && $r->{json}{error} // '') ne 'no such endpoint';
	for my $path (@PATHS) {
		my $target = "$TENANTS/$t->{subdomain}/public/$path";
		(my $dir = $target) =~ s{/[^/]+$}{};
		make_path($dir);
		copy("$TEMPLATE/$path", $target) or return 0;
	}
	return 1;
}

sub health {
	my ($t) = @_;
	my $r = $s->get("/api/tenants/$t->{id}/health/");
	is($r->{status}, 200, "health of $t->{subdomain}: 200")
	    or diag $r->{content};
	return $r->{json} // {};
}

my $r = $s->post('/api/tenants/?deploy=false', json => {
    name => 'Fresh Co', subdomain => 'fresh',
    module_keys => ['wallet', 'tasks'] });
is($r->{status}, 201, 'tenant fresh is created') or diag $r->{content};
my $t = $r->{json};
ok(deploy($t), 'fresh is deployed');
my $public = "$TENANTS/fresh/public";

# --- all green ----------------------------------------------------------------

my $h = health($t);
is($h->{tenant_id}, $t->{id}, 'tenant_id');
is($h->{subdomain}, 'fresh', 'subdomain');
for my $key (qw(folder_exists config_exists config_valid frontend_deployed)) {
	ok(JSON::PP::is_bool($h->{$key}) && $h->{$key}, "fresh: $key is true");
}
ok(JSON::PP::is_bool($h->{archived}) && !$h->{archived}, 'fresh: not archived');
is($h->{config_state}, 'ok', 'fresh: config_state ok');
is_deeply($h->{missing_files}, [], 'fresh: no missing files');
is_deeply($h->{modified_files}, [], 'fresh: no modified files');
is($h->{modules_count}, scalar @{$t->{modules}},
    'modules_count counts every module row');
is($h->{enabled_modules_count}, scalar @{$t->{enabled_modules}},
    'enabled_modules_count counts the enabled rows');
my ($rows) = $s->sql("SELECT COUNT(*), SUM(is_enabled) FROM tenant_modules WHERE tenant_id = $t->{id}");
is($h->{modules_count}, $rows->[0], 'modules_count matches the database');
is($h->{enabled_modules_count}, $rows->[1],
    'enabled_modules_count matches the database');
is($h->{manifest_files}, scalar @PATHS, 'manifest_files is the manifest size');
for my $key (qw(tenant_id subdomain folder_exists config_exists config_valid
    frontend_deployed modules_count enabled_modules_count missing_files
    modified_files)) {
	ok(exists $h->{$key}, "the report has $key");
}

$r = $s->post("/api/tenants/$t->{id}/update_module/",
    json => { module_key => 'tasks', is_enabled => JSON::PP::false() });
is($r->{status}, 200, 'tasks is disabled') or diag $r->{content};
$h = health($t);
is($h->{enabled_modules_count}, $rows->[1] - 1,
    'a disabled module lowers enabled_modules_count');
is($h->{modules_count}, $rows->[0], '  and leaves modules_count');
ok($h->{config_valid}, '  and the rewritten config.json is valid');

# --- missing and modified files -------------------------------------------------

my ($gone_path, $changed_path, $same_size_path) = @PATHS[0, 1, -1];
my ($gone, $changed, $same_size) = map { "$public/$_" } $gone_path,
    $changed_path, $same_size_path;
unlink $gone or die "$gone: $!";
$h = health($t);
is_deeply($h->{missing_files}, [$gone_path], 'a deleted file is listed missing');
is($h->{missing_count}, 1, 'missing_count 1');
ok(!$h->{frontend_deployed}, 'frontend_deployed is false with a file missing');
ok($h->{config_valid}, 'config_valid is unaffected');

copy("$TEMPLATE/$gone_path", $gone) or die $!;
spew($changed, TenantdStack->slurp($changed) . "/* changed by the tenant */\n");
$h = health($t);
is_deeply($h->{missing_files}, [], 'the file is back');
is_deeply($h->{modified_files}, [$changed_path],
    'a changed file (new size) is listed modified');
ok($h->{frontend_deployed}, 'a modified file still counts as deployed');

my $bytes = TenantdStack->slurp($same_size);
substr($bytes, 0, 1) = substr($bytes, 0, 1) eq 'x' ? 'y' : 'x';
spew($same_size, $bytes);
$h = health($t);
is_deeply([sort @{$h->{modified_files}}], [sort $changed_path, $same_size_path],
    'a file changed without changing its size is found by its hash');
is($h->{modified_count}, 2, 'modified_count 2');

copy("$TEMPLATE/$changed_path", $changed) or die $!;
copy("$TEMPLATE/$same_size_path", $same_size) or die $!;
unlink $gone or die $!;
symlink("$TEMPLATE/$gone_path", $gone) or die $!;
$h = health($t);
is_deeply($h->{missing_files}, [$gone_path],
    'a template file replaced by a symlink (even to the right bytes) is missing');
unlink $gone;
copy("$TEMPLATE/$gone_path", $gone) or die $!;
$h = health($t);
ok($h->{frontend_deployed} && !@{$h->{modified_files}},
    'restored files make the frontend whole again');

rename($public, "$public.away") or die $!;
$h = health($t);
ok(!$h->{frontend_deployed}, 'without public/: not deployed');
is_deeply($h->{missing_files}, \@PATHS, 'without public/: every file missing');
ok($h->{config_valid}, 'without public/: config.json is still judged');
rename("$public.away", $public) or die $!;

# --- config.json ---------------------------------------------------------------

my $config = "$TENANTS/fresh/config.json";
my $original = TenantdStack->slurp($config);
(my $edited = $original) =~ s/"Fresh Co"/"Hacked Co"/ or die 'no name in config';
spew($config, $edited);
$h = health($t);
ok($h->{config_exists}, 'hand-edited config: exists');
ok(!$h->{config_valid}, 'hand-edited config: not valid');
is($h->{config_state}, 'stale', 'hand-edited config: stale');

(my $reformatted = $original) =~ s/\n\s*/ /g;
spew($config, $reformatted);
$h = health($t);
ok(!$h->{config_valid}, 'the same JSON formatted differently is not what tenantd writes');

spew($config, "{not json\n");
$h = health($t);
ok($h->{config_exists} && !$h->{config_valid}, 'malformed config: invalid');
is($h->{config_state}, 'malformed', 'malformed config: config_state malformed');

unlink $config or die $!;
$h = health($t);
ok(!$h->{config_exists} && !$h->{config_valid}, 'no config.json: config_exists false');
is($h->{config_state}, 'missing', 'no config.json: config_state missing');

symlink("$TENANTS/../tenantd.conf", $config) or die $!;
$h = health($t);
ok(!$h->{config_exists}, 'a symlinked config.json is not followed');
unlink $config;

spew($config, $original);
$h = health($t);
ok($h->{config_valid}, 'the original config.json is valid again');
$s->sql("UPDATE tenants SET name = 'Changed Behind' WHERE id = $t->{id}");
$h = health($t);
ok(!$h->{config_valid}, 'a config.json that no longer matches the database is invalid');
$r = $s->patch("/api/tenants/$t->{id}/", json => { name => 'Fresh Again' });
is($r->{status}, 200, 'PATCH rewrites config.json') or diag $r->{content};
$h = health($t);
ok($h->{config_valid}, 'after PATCH config.json is valid');

# --- folder -----------------------------------------------------------------------

rename("$TENANTS/fresh", "$TENANTS/.fresh-away") or die $!;
$h = health($t);
ok(!$h->{folder_exists}, 'no folder: folder_exists false');
ok(!$h->{config_exists} && !$h->{config_valid}, 'no folder: no config');
ok(!$h->{frontend_deployed}, 'no folder: not deployed');
is($h->{config_state}, 'no folder', 'no folder: config_state says so');
is_deeply($h->{missing_files}, \@PATHS, 'no folder: every file missing');
is($h->{modules_count}, $rows->[0], 'no folder: module counts still come from the database');

# --- archived tenant: judged in the archive area --------------------------------

rename("$TENANTS/.fresh-away", $s->archive_dir . '/fresh') or die $!;
$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP() WHERE id = $t->{id}");
$h = health($t);
ok($h->{archived}, 'archived: "archived" is true');
ok($h->{folder_exists}, 'archived: the folder in the archive area is found');
ok($h->{frontend_deployed}, 'archived: its files are judged there');
ok($h->{config_exists}, 'archived: its config.json is judged there');
remove_tree($s->archive_dir . '/fresh');
$h = health($t);
ok($h->{archived} && !$h->{folder_exists}, 'archived without a folder: folder_exists false');

# --- errors -------------------------------------------------------------------------

$s->is_error($s->get('/api/tenants/999999/health/'), 404, 'not_found',
    'health of an unknown tenant');
$r = $s->get("/api/tenants/$t->{id}/health/", token => undef);
is($r->{status}, 401, 'health needs an administrator');

done_testing();
