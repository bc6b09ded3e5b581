#!/usr/bin/env perl
# api-lifecycle.t - POST /api/tenants/{id}/archive/ and /restore/: the
# folder moved between tenants_dir and archive_dir, the row, the config
# endpoint, listing and statistics; both operations done twice; 409 busy
# (tenant lock held, deploy job waiting), 409 conflict (folder in the way,
# folder missing), 409 archived for PATCH, update_module and deploy; the
# delete of an archived tenant; and the crash states of lifecycle.h built
# by hand and completed by running the operation again.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;
use TestUtil qw(wait_until);

my $s = TenantdStack->new(workers => 2);
$s->start;

my $TENANTS = $s->tenants_dir;
my $ARCHIVE = $s->archive_dir;
my $CONFIG = '/api/tenants/by-subdomain';

# Creates tenant `sub` with the deploy job create queues, and waits for
# the job to finish.  Returns the tenant.
sub create_deployed {
	my ($sub) = @_;
	my $r = $s->post('/api/tenants/', json => { name => "Tenant $sub",
	    subdomain => $sub, module_keys => ['wallet'] });
	die "create $sub: $r->{status} $r->{content}\n" if $r->{status} != 201;
	my $job = $r->{json}{deploy_job_id};
	if (defined $job) {
		my $done = wait_until(sub {
			my $j = $s->get("/api/jobs/$job/")->{json} // {};
			return ($j->{status} // '') =~ /^(done|failed)$/
			    ? $j->{status} : undef;
		}, 60);
		die "deploy job of $sub: " . ($done // 'timed out') . "\n"
		    unless ($done // '') eq 'done';
	}
	return $r->{json};
}

sub archive { $s->post("/api/tenants/$_[0]/archive/") }
sub restore { $s->post("/api/tenants/$_[0]/restore/") }

sub audit_count {
	my ($id, $action) = @_;
	return $s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id "
	    . "AND action = '$action'");
}

my $acme = create_deployed('acme');
my $id = $acme->{id};
ok(-f "$TENANTS/acme/public/index.html", 'acme is deployed');
ok($s->get("/api/tenants/$id/")->{json}{deployed}, '... and its JSON says deployed true');
is($s->get("$CONFIG/acme/config/", token => undef)->{status}, 200,
    'config by subdomain answers while active');

# --- archive ------------------------------------------------------------

my $r = archive($id);
is($r->{status}, 200, 'archive answers 200') or diag $r->{content};
my $archived = $r->{json};
is($archived->{id}, $id, '... with the tenant');
ok(JSON::PP::is_bool($archived->{is_active}) && !$archived->{is_active},
    '... is_active false');
like($archived->{archived_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    '... archived_at set');
ok(JSON::PP::is_bool($archived->{deployed}) && !$archived->{deployed},
    '... deployed false: its site is offline');
is_deeply([sort keys %$archived],
    [sort keys %{$s->get("/api/tenants/$id/")->{json}}],
    '... the same tenant object as GET answers');
ok(!-e "$TENANTS/acme", 'the folder left tenants_dir');
ok(-f "$ARCHIVE/acme/config.json", 'and is in archive_dir with config.json');
ok(-f "$ARCHIVE/acme/public/index.html", '... and its public/');
is_deeply([$s->sql("SELECT is_active, archived_at IS NOT NULL, "
    . "busy_operation FROM tenants WHERE id = $id")], [[0, 1, undef]],
    'row: inactive, archived_at set, lock released');
is(audit_count($id, 'tenant.archive'), 1, 'audit log: tenant.archive');
is($s->get("$CONFIG/acme/config/", token => undef)->{status}, 404,
    'config by subdomain: 404 for an archived tenant');
is($s->get("/api/tenants/$id/")->{json}{is_active}, JSON::PP::false(),
    'GET shows it archived');

$r = $s->get('/api/tenants/?is_active=false');
is_deeply([map { $_->{subdomain} } @{$r->{json}{results} // []}], ['acme'],
    'list is_active=false finds it');
$r = $s->get('/api/tenants/?is_active=true');
is($r->{json}{count}, 0, 'list is_active=true does not');
$r = $s->get('/api/tenants/statistics/');
is($r->{json}{archived}, 1, 'statistics: archived 1');
is($r->{json}{active}, 0, 'statistics: active 0');

$r = archive($id);
is($r->{status}, 200, 'archiving again answers 200');
is($r->{json}{archived_at}, $archived->{archived_at}, '... archived_at unchanged');
is($r->{json}{updated_at}, $archived->{updated_at}, '... updated_at unchanged');
is(audit_count($id, 'tenant.archive'), 1, '... and no second audit row');
ok(-d "$ARCHIVE/acme" && !-e "$TENANTS/acme", '... folder still archived');

# --- what an archived tenant refuses ---------------------------------------

$r = $s->patch("/api/tenants/$id/", json => { name => 'Renamed' });
$s->is_error($r, 409, 'archived', 'PATCH of an archived tenant');
like($r->{json}{error} // '', qr/restore/, '... saying to restore it first');
is($s->sql_value("SELECT name FROM tenants WHERE id = $id"), 'Tenant acme',
    '... name unchanged');
$r = $s->post("/api/tenants/$id/update_module/",
    json => { module_key => 'tasks', is_enabled => JSON::PP::true() });
$s->is_error($r, 409, 'archived', 'update_module of an archived tenant');
$r = $s->post("/api/tenants/$id/deploy_frontend/", json => {});
$s->is_error($r, 409, 'archived', 'deploy_frontend of an archived tenant');
ok(!-e "$TENANTS/acme", 'none of them recreated the folder');

# --- restore ------------------------------------------------------------

# A change the folder did not see while archived (bulk-update-modules can
# touch archived tenants), and a config.json that is visibly old.
$s->sql("UPDATE tenant_modules SET is_enabled = 1 WHERE tenant_id = $id "
    . "AND module_key = 'reports'");
my $old_config = TenantdStack->read_json_file("$ARCHIVE/acme/config.json");
ok(!$old_config->{modules}{reports}, 'archived config.json: reports off');

$r = restore($id);
is($r->{status}, 200, 'restore answers 200') or diag $r->{content};
ok($r->{json}{is_active}, '... is_active true');
is($r->{json}{archived_at}, undef, '... archived_at null');
ok($r->{json}{deployed}, '... deployed true again');
ok(-f "$TENANTS/acme/public/index.html", 'the folder is back in tenants_dir');
ok(!-e "$ARCHIVE/acme", 'and gone from archive_dir');
my $config = TenantdStack->read_json_file("$TENANTS/acme/config.json");
ok($config->{modules}{reports}, 'config.json regenerated: reports on');
is(audit_count($id, 'tenant.restore'), 1, 'audit log: tenant.restore');
$r = $s->get("$CONFIG/acme/config/", token => undef);
is($r->{status}, 200, 'config by subdomain answers again');
ok($r->{json} && $r->{json}{modules}{reports}, '... with the new config');

$r = restore($id);
is($r->{status}, 200, 'restoring an active tenant answers 200');
ok($r->{json}{is_active}, '... still active');
is(audit_count($id, 'tenant.restore'), 1, '... no second audit row');
ok(-d "$TENANTS/acme" && !-e "$ARCHIVE/acme", '... folder in place');

$r = $s->patch("/api/tenants/$id/", json => { name => 'Acme Again' });
is($r->{status}, 200, 'PATCH works once restored') or diag $r->{content};

# --- 409 busy -------------------------------------------------------------

$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = '"
    . ('a' x 32) . "', busy_since = UTC_TIMESTAMP(6) WHERE id = $id");
$r = archive($id);
$s->is_error($r, 409, 'busy', 'archive while the tenant lock is held');
ok(-d "$TENANTS/acme", '... folder not moved');
is($s->sql_value("SELECT is_active FROM tenants WHERE id = $id"), 1,
    '... still active');
is($s->sql_value("SELECT busy_token FROM tenants WHERE id = $id"), 'a' x 32,
    '... and the other lock untouched');
$s->sql("UPDATE tenants SET is_active = 0 WHERE id = $id");
$s->is_error(restore($id), 409, 'busy', 'restore while the lock is held');
$s->sql("UPDATE tenants SET is_active = 1, busy_operation = NULL, "
    . "busy_token = NULL, busy_since = NULL WHERE id = $id");

# A deploy job that is running (as a runner would mark it) holds archive off.
$s->sql("INSERT INTO jobs (kind, tenant_id, payload, status, runner, "
    . "heartbeat_at, started_at, attempts) VALUES ('deploy', $id, "
    . "'{\"force\":false}', 'running', 'elsewhere:1', UTC_TIMESTAMP(6), "
    . "UTC_TIMESTAMP(6), 1)");
my $job = $s->sql_value('SELECT MAX(id) FROM jobs');
$r = archive($id);
$s->is_error($r, 409, 'busy', 'archive while a deploy job is running');
like($r->{json}{error} // '', qr/deploy/, '... naming the deploy');
ok(-d "$TENANTS/acme", '... folder not moved');
is($s->sql_value("SELECT busy_operation FROM tenants WHERE id = $id"), undef,
    '... and the lock given back');
$s->sql("DELETE FROM jobs WHERE id = $job");

# --- crash states of lifecycle.h, completed by running it again -------------

rename("$TENANTS/acme", "$ARCHIVE/acme") or die "rename: $!";
is($s->get("$CONFIG/acme/config/", token => undef)->{status}, 404,
    'crash after archive step 3: config endpoint already 404');
$r = archive($id);
is($r->{status}, 200, 'archive completes an interrupted archive')
    or diag $r->{content};
ok(!$r->{json}{is_active}, '... tenant archived');
ok(-d "$ARCHIVE/acme" && !-e "$TENANTS/acme", '... folder in archive_dir');

rename("$ARCHIVE/acme", "$TENANTS/acme") or die "rename: $!";
unlink("$TENANTS/acme/config.json") or die "unlink: $!";
$r = restore($id);
is($r->{status}, 200, 'restore completes an interrupted restore')
    or diag $r->{content};
ok($r->{json}{is_active}, '... tenant active');
ok(-f "$TENANTS/acme/config.json", '... config.json written again');
ok(!-e "$ARCHIVE/acme", '... nothing left in archive_dir');

# Reversing a half-done operation: archive state with the folder still in
# tenants_dir (a restore that crashed) is put right by archiving.
$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP() "
    . "WHERE id = $id");
$r = archive($id);
is($r->{status}, 200, 'archive of an archived row with its folder in tenants_dir');
ok(-d "$ARCHIVE/acme" && !-e "$TENANTS/acme", '... moves the folder');

# --- 409 conflict -----------------------------------------------------------

make_path("$TENANTS/acme");
$r = restore($id);
$s->is_error($r, 409, 'conflict', 'restore onto an existing (empty) folder');
like($r->{json}{error} // '', qr/fsck/, '... pointing at tenantctl fsck');
ok(-d "$ARCHIVE/acme/public", '... archived folder untouched');
is($s->sql_value("SELECT is_active FROM tenants WHERE id = $id"), 0,
    '... still archived');
rmdir("$TENANTS/acme") or die "rmdir: $!";
is(restore($id)->{status}, 200, 'restore once the way is clear');

my $beta = create_deployed('beta');
remove_tree("$TENANTS/beta");
$r = archive($beta->{id});
$s->is_error($r, 409, 'conflict', 'archive of a tenant whose folder is gone');
is($s->sql_value("SELECT is_active FROM tenants WHERE id = $beta->{id}"), 1,
    '... still active');

# An older archived folder of the same subdomain is put aside, not lost.
my $gamma = create_deployed('gamma');
make_path("$ARCHIVE/gamma");
open(my $fh, '>', "$ARCHIVE/gamma/old-data.txt") or die $!;
print {$fh} "from an older tenant\n";
close $fh;
$r = archive($gamma->{id});
is($r->{status}, 200, 'archive with an older archive_dir/gamma in the way')
    or diag $r->{content};
my $gamma_config = TenantdStack->read_json_file("$ARCHIVE/gamma/config.json");
is($gamma_config && $gamma_config->{tenant}{id}, $gamma->{id},
    '... archive_dir/gamma is now this tenant\'s folder');
opendir(my $dh, $ARCHIVE) or die "$ARCHIVE: $!";
my @aside = grep { /^\.old-gamma-[0-9a-f]{16}$/ } readdir $dh;
closedir $dh;
is(scalar @aside, 1, '... the older one is put aside as .old-gamma-<hex>');
ok(@aside && -f "$ARCHIVE/$aside[0]/old-data.txt", '... with its data');

# --- 404, 405, and delete of an archived tenant ------------------------------

$s->is_error(archive(999999), 404, 'not_found', 'archive of an unknown tenant');
$s->is_error(restore(999999), 404, 'not_found', 'restore of an unknown tenant');
$r = $s->get("/api/tenants/$id/archive/");
is($r->{status}, 405, 'GET archive/ is 405');
like($r->{headers}{allow} // '', qr/POST/, '... Allow: POST');
$r = $s->post("/api/tenants/$id/archive/", token => undef);
is($r->{status}, 401, 'archive without credentials is 401');

$r = $s->delete("/api/tenants/$gamma->{id}/");
is($r->{status}, 204, 'DELETE of an archived tenant answers 204');
ok(!-e "$ARCHIVE/gamma", '... its folder is gone from archive_dir');
opendir($dh, $ARCHIVE) or die "$ARCHIVE: $!";
my @trash = grep { /^\.trash-/ } readdir $dh;
closedir $dh;
is_deeply(\@trash, [], '... with no trash folder left');
ok(@aside && -d "$ARCHIVE/$aside[0]", '... the put-aside folder is kept');

done_testing;
