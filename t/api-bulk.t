# api-bulk.t - bulk provisioning through the API and keyset paging:
# POST /api/tenants/bulk-create/ with mixed valid and invalid items (the
# valid ones created with rows, modules, folder, config.json and audit
# rows; each error with index, data, code, error and fields), duplicates
# inside the batch (the later one is the error) and against existing
# tenants, a subdomain taken by a concurrent create while the batch waits,
# a folder in the way, atomic batches (nothing created when anything
# fails), the cap on items (413 naming it), the request checks (415, 400),
# every tenant's site deployed as its folder is built (no deploy job),
# and the one bulk_deploy job queued when that cannot be done;
# POST /api/tenants/bulk-update-modules/ (unknown ids, unknown and core
# modules, config.json rewritten and served at once, archived tenants);
# and GET /api/tenants/?cursor= walking every ordering exactly once.
use strict;
use warnings;

use POSIX qw(_exit);
use Test::More;

use TenantdStack;
use TestUtil qw(wait_until slurp);

my $CAP = 5;
my $s = TenantdStack->new(workers => 2, conf => { max_bulk_items => $CAP });
$s->start;

my $TENANTS = $s->tenants_dir;
my $MANIFEST = $s->builddir . '/www/template.manifest';
my $admin_id = $s->get('/api/auth/me')->{json}{user}{id};

sub bulk { $s->post('/api/tenants/bulk-create/', @_) }
sub bulk_modules { $s->post('/api/tenants/bulk-update-modules/', @_) }

sub leftovers {
	opendir(my $dh, $TENANTS) or return ('cannot read tenants dir');
	my @hidden = grep { /^\.(staging|trash)-/ } readdir $dh;
	closedir $dh;
	return @hidden;
}

# Finds the error entry for item `index` of a report.
sub error_at {
	my ($report, $index) = @_;
	my ($e) = grep { $_->{index} == $index } @{$report->{errors} // []};
	return $e // {};
}

# --- request checks -------------------------------------------------------

my $r = bulk(body => 'name=a', content_type => 'application/x-www-form-urlencoded');
$s->is_error($r, 415, 'unsupported_media_type', 'urlencoded body');
$r = bulk(body => '{"tenants": [', content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'malformed JSON');
like($r->{json}{error} // '', qr/byte/, 'malformed JSON: the message says where');
$r = bulk(json => { atomic => JSON::PP::true() });
$s->is_error($r, 400, 'validation_failed', 'no tenants', 'tenants');
$r = bulk(json => { tenants => {} });
$s->is_error($r, 400, 'validation_failed', 'tenants not a list', 'tenants');
$r = bulk(json => { tenants => [] });
$s->is_error($r, 400, 'validation_failed', 'empty list', 'tenants');
$r = bulk(json => { tenants => [{ name => 'A', subdomain => 'a1' }],
    atomic => 'yes' });
$s->is_error($r, 400, 'validation_failed', 'atomic not a boolean', 'atomic');

# --- the cap --------------------------------------------------------------

$r = bulk(json => { tenants => [map { { name => "Cap $_", subdomain => "cap$_" } }
    1 .. $CAP + 1] });
$s->is_error($r, 413, 'too_many_items', 'one item past the cap');
like($r->{json}{error} // '', qr/\bat most $CAP tenants\b/,
    'the 413 message names the cap');
is($s->tenant_count("subdomain LIKE 'cap%'"), 0, 'nothing was created past the cap');

# --- mixed valid and invalid, not atomic ----------------------------------

# An existing tenant, created the ordinary way.
$r = $s->post('/api/tenants/', json => { name => 'Old', subdomain => 'old',
    deploy => JSON::PP::false() });
is($r->{status}, 201, 'an existing tenant for the duplicate check');

$r = bulk(json => { tenants => [
	{ name => 'Alpha', subdomain => 'alpha', contact_email => 'a@alpha.example',
	  primary_color => '#112233', module_keys => ['wallet', 'tasks'] },
	{ name => 'Reserved', subdomain => 'www' },
	{ name => 'Again', subdomain => 'alpha' },
	{ name => 'Old again', subdomain => 'old' },
	{ name => 'Beta', subdomain => 'beta' },
]});
is($r->{status}, 200, 'mixed batch: 200') or diag $r->{content};
my $report = $r->{json} // {};
ok(JSON::PP::is_bool($report->{success}) && !$report->{success},
    'mixed batch: success is false');
is($report->{created_count}, 2, 'mixed batch: two created');
is_deeply([map { $_->{subdomain} } @{$report->{created_tenants} // []}],
    ['alpha', 'beta'], 'mixed batch: created_tenants lists them in order');
is_deeply([sort keys %{$report->{created_tenants}[0] // {}}],
    [qw(id name subdomain)], 'mixed batch: created entries have id, name, subdomain');
is_deeply([map { $_->{index} } @{$report->{errors} // []}], [1, 2, 3],
    'mixed batch: errors for items 1, 2 and 3');
is_deeply([sort keys %{$report->{errors}[0] // {}}],
    [qw(code data error fields index)],
    'mixed batch: an error has index, data, code, error, fields');
is(error_at($report, 1)->{code}, 'validation_failed', 'reserved subdomain: validation_failed');
like(error_at($report, 1)->{fields}{subdomain} // '', qr/reserved/,
    'reserved subdomain: the field says so');
is_deeply(error_at($report, 1)->{data}, { name => 'Reserved', subdomain => 'www' },
    'reserved subdomain: data is the item as sent');
is(error_at($report, 2)->{code}, 'duplicate',
    'a subdomain repeated in the batch: the later item is the error');
like(error_at($report, 2)->{fields}{subdomain} // '', qr/item 0/,
    'duplicate: the field names the earlier item');
is(error_at($report, 3)->{code}, 'subdomain_taken',
    'a subdomain of an existing tenant: subdomain_taken');
ok(!defined $report->{deploy_job_id},
    'mixed batch: no deploy job, the sites were deployed with the folders');
is($report->{skipped_count}, 0, 'mixed batch: nothing skipped');

my ($alpha) = grep { $_->{subdomain} eq 'alpha' } @{$report->{created_tenants} // []};
$r = $s->get("/api/tenants/$alpha->{id}/");
is($r->{json}{name}, 'Alpha', 'alpha: its row is there');
is($r->{json}{contact_email}, 'a@alpha.example', 'alpha: contact_email stored');
is($r->{json}{primary_color}, '#112233', 'alpha: color stored');
is_deeply($r->{json}{enabled_modules}, ['employees', 'wallet', 'tasks'],
    'alpha: listed modules plus core enabled');
is($r->{json}{created_by}, $admin_id, 'alpha: created_by the caller');
my $config = $s->tenant_config('alpha');
is($config->{tenant}{id}, $alpha->{id}, 'alpha: config.json names its id');
is_deeply($config->{modules}, { employees => JSON::PP::true(),
    attendance => JSON::PP::false(), wallet => JSON::PP::true(),
    tasks => JSON::PP::true(), complaints => JSON::PP::false(),
    shifts => JSON::PP::false(), reports => JSON::PP::false(),
    notifications => JSON::PP::false() }, 'alpha: config.json module flags');
ok(-d "$TENANTS/alpha/public", 'alpha: public/ exists');
ok(-f "$TENANTS/beta/config.json", 'beta: config.json exists');
ok(!-e "$TENANTS/www", 'the invalid item has no folder');
is($s->tenant_count("subdomain = 'www'"), 0, 'the invalid item has no row');
is($s->tenant_count("subdomain = 'alpha'"), 1, 'the duplicate created no second alpha');
my ($audit) = $s->sql("SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.create' "
    . "AND tenant_id IN ($alpha->{id}, " . (db_ids('beta'))[0] . ") AND user_id = $admin_id");
is($audit->[0], 2, 'one audit row per created tenant');
is_deeply([leftovers()], [], 'no staging or trash folder is left');

sub db_ids {
	my (@subs) = @_;
	return map { $_->[0] } $s->sql("SELECT id FROM tenants WHERE subdomain IN ("
	    . join(',', map { "'$_'" } @subs) . ") ORDER BY id");
}

# Items that are no objects, and a logo.
$r = bulk(json => { deploy => JSON::PP::false(), tenants => [
	'just a string',
	{ name => 'Logo', subdomain => 'logo1', logo => 'aGk=' },
	{ name => 'Bad', subdomain => 'bad1', primary_color => 'red', module_keys => ['nope'] },
	{ name => "Gamma", subdomain => 'gamma' },
	{ name => 'One key', subdomain => 'onekey', module_keys => 'wallet' },
]});
is($r->{status}, 200, 'odd items: 200');
is(error_at($r->{json}, 0)->{code}, 'validation_failed', 'a string item is an error');
is(error_at($r->{json}, 0)->{data}, 'just a string', '... with the item as data');
ok(defined error_at($r->{json}, 1)->{fields}{logo}, 'a logo key is a field error');
ok(defined error_at($r->{json}, 2)->{fields}{primary_color}
    && defined error_at($r->{json}, 2)->{fields}{module_keys},
    'every bad field of an item is reported');
is(error_at($r->{json}, 4)->{code}, 'validation_failed',
    'module_keys as a JSON string: the item is an error');
like(error_at($r->{json}, 4)->{fields}{module_keys} // '', qr/list/,
    '... naming module_keys');
is($s->tenant_count("subdomain = 'onekey'"), 0, '... and it created nothing');
is($r->{json}{created_count}, 1, 'odd items: the valid one was created');
ok(!defined $r->{json}{deploy_job_id}, 'deploy false in the body: no deploy job');

$r = $s->post('/api/tenants/bulk-create/?deploy=false',
    json => { tenants => [{ name => 'Delta', subdomain => 'delta' }] });
is($r->{status}, 200, 'deploy=false as a query parameter: 200');
ok($r->{json}{success}, 'a clean batch is a success');
ok(!defined $r->{json}{deploy_job_id}, 'deploy=false as a query parameter: no job');

# --- atomic ---------------------------------------------------------------

my $before = $s->tenant_count('1');
$r = bulk(json => { atomic => JSON::PP::true(), tenants => [
	{ name => 'Atom one', subdomain => 'atom1' },
	{ name => 'Atom two', subdomain => 'atom2', contact_email => 'not an address' },
	{ name => 'Atom three', subdomain => 'atom3' },
]});
$s->is_error($r, 400, 'batch_failed', 'atomic with an invalid item');
like($r->{json}{error} // '', qr/\b1 of 3 tenants failed\b/,
    'atomic: the message counts the failed items');
is($r->{json}{created_count}, 0, 'atomic: created_count 0');
ok(JSON::PP::is_bool($r->{json}{success}) && !$r->{json}{success},
    'atomic: the report is beside error and code (success false)');
is_deeply([map { $_->{index} } @{$r->{json}{errors} // []}], [1],
    'atomic: the report names the invalid item');
ok(defined error_at($r->{json}, 1)->{fields}{contact_email}, 'atomic: with its field');
is($s->tenant_count('1'), $before, 'atomic: no row was created');
ok(!-e "$TENANTS/atom1" && !-e "$TENANTS/atom3", 'atomic: no folder was created');

# A folder in the way fails one item: atomic undoes the others.
mkdir "$TENANTS/blocked" or die "mkdir: $!";
$r = bulk(json => { atomic => JSON::PP::true(), tenants => [
	{ name => 'Atom one', subdomain => 'atom1' },
	{ name => 'Blocked', subdomain => 'blocked' },
	{ name => 'Atom three', subdomain => 'atom3' },
]});
$s->is_error($r, 400, 'batch_failed', 'atomic with a folder in the way');
is(error_at($r->{json}, 1)->{code}, 'failed', 'atomic: the blocked item failed');
like(error_at($r->{json}, 1)->{error} // '', qr/already exists/, '... because its folder exists');
ok($r->{json}{rolled_back}, 'atomic: the report says it was rolled back');
is($s->tenant_count("subdomain IN ('atom1', 'blocked', 'atom3')"), 0,
    'atomic: no row of the batch is left');
ok(!-e "$TENANTS/atom1" && !-e "$TENANTS/atom3",
    'atomic: the folders already placed were removed');
ok(-d "$TENANTS/blocked", 'atomic: the folder in the way is untouched');
is_deeply([leftovers()], [], 'atomic: no staging or trash folder is left');

# The same batch not atomic: only the blocked item fails, without a row.
$r = bulk(json => { deploy => JSON::PP::false(), tenants => [
	{ name => 'Atom one', subdomain => 'atom1' },
	{ name => 'Blocked', subdomain => 'blocked' },
	{ name => 'Atom three', subdomain => 'atom3' },
]});
is($r->{status}, 200, 'not atomic with a folder in the way: 200');
is($r->{json}{created_count}, 2, 'not atomic: the others were created');
is(error_at($r->{json}, 1)->{code}, 'failed', 'not atomic: the blocked item failed');
is($s->tenant_count("subdomain = 'blocked'"), 0, 'not atomic: the blocked item has no row');
ok(-f "$TENANTS/atom1/config.json" && -f "$TENANTS/atom3/config.json",
    'not atomic: the others have their folders');
rmdir "$TENANTS/blocked";

$r = bulk(json => { atomic => JSON::PP::true(), deploy => JSON::PP::false(), tenants => [
	{ name => 'Whole one', subdomain => 'whole1' },
	{ name => 'Whole two', subdomain => 'whole2' },
]});
is($r->{status}, 200, 'a clean atomic batch: 200');
is($r->{json}{created_count}, 2, 'a clean atomic batch creates everything');

# --- a concurrent create takes a subdomain while the batch waits ------------

# Another session inserts "racer" without committing: the batch's check
# does not see it, its INSERT waits for that session's lock and then finds
# the subdomain taken.  The item is an error; the rest is created.  The
# session commits once it sees a transaction waiting for a lock (the
# batch's INSERT; polled for 10 s at most) and prints whether it saw one.
# InnoDB refreshes innodb_trx only when no one read it for 0.1 s, so the
# poll is slower than that.
my $racer_out = $s->run_dir . '/racer.out';
my $racer = fork();
die "fork: $!" unless defined $racer;
if ($racer == 0) {
	no warnings 'exec';
	open(STDOUT, '>', $racer_out) or _exit(126);
	exec('mariadb', '--no-defaults', '--user=root', '--batch',
	    '--skip-column-names', '--socket=' . $s->mariadb_socket, 'tenantd',
	    '-e', <<'SQL');
START TRANSACTION;
INSERT INTO tenants (name, subdomain) VALUES ('Racer', 'racer');
DELIMITER //
BEGIN NOT ATOMIC
	DECLARE polls INT DEFAULT 0;
	WHILE polls < 50 AND NOT EXISTS (SELECT 1 FROM information_schema.innodb_trx
	    WHERE trx_state = 'LOCK WAIT') DO
		DO SLEEP(0.2);
		SET polls = polls + 1;
	END WHILE;
	SELECT polls < 50;
END //
DELIMITER ;
COMMIT;
SQL
	_exit(127);
}
ok(wait_until(sub {
	my ($row) = $s->sql("SELECT COUNT(*) FROM information_schema.innodb_trx "
	    . "WHERE trx_rows_modified > 0");
	return $row->[0] > 0;
}, 10, 0.2), 'the racing session holds its insert');
$r = bulk(json => { deploy => JSON::PP::false(), tenants => [
	{ name => 'Before racer', subdomain => 'pre-racer' },
	{ name => 'Racer', subdomain => 'racer' },
	{ name => 'After racer', subdomain => 'post-racer' },
]});
waitpid($racer, 0);
is($?, 0, 'the racing session committed');
is(slurp($racer_out), "1\n", 'after the batch had waited for its lock');
is($r->{status}, 200, 'a subdomain taken during the batch: 200, not 500')
    or diag $r->{content};
is(error_at($r->{json}, 1)->{code}, 'subdomain_taken', 'the raced item is subdomain_taken');
is($r->{json}{created_count}, 2, 'the other items were created');
is($s->tenant_count("subdomain = 'racer'"), 1, 'one racer row: the other session\'s');
ok(!-e "$TENANTS/racer", 'no folder was made for the raced item');

# --- sites deployed as the folders are built -----------------------------

$r = bulk(json => { tenants => [map { { name => "Deploy $_", subdomain => "dep$_" } } 1 .. $CAP] });
is($r->{status}, 200, 'a batch to deploy: 200');
my @deployed_batch = @{$r->{json}{created_tenants} // []};
ok(!defined $r->{json}{deploy_job_id}, 'no deploy job: nothing was left to deploy');
my ($jobs) = $s->sql("SELECT COUNT(*) FROM jobs WHERE tenant_id IN ("
    . join(',', map { $_->{id} } @{$r->{json}{created_tenants}}) . ")");
is($jobs->[0], 0, 'no per-tenant deploy jobs either');
my ($default_version) = map { $_->{version} }
    grep { $_->{is_default} } @{$s->get('/api/templates/')->{json}};
like($default_version // '', qr/^[0-9a-f]{12}$/, 'the default template version');
my ($on_version) = $s->sql("SELECT COUNT(*) FROM tenants WHERE subdomain LIKE 'dep%' "
    . "AND template_version = '$default_version'");
is($on_version->[0], $CAP, 'every tenant of the batch is recorded on it');
my @paths = map { $_->{path} } TenantdStack->manifest_entries($MANIFEST);
my @missing;
for my $i (1 .. $CAP) {
	push @missing, grep { !-f "$TENANTS/dep$i/public/$_" } @paths;
}
is_deeply(\@missing, [], 'every tenant\'s public/ holds every template file');
ok(-f "$TENANTS/dep1/package.json" && -f "$TENANTS/dep1/.deployed",
    'package.json and the deploy record were written');
my @stored = stat("$TENANTS/.templates/$default_version/tree/$paths[0]");
my @linked = stat("$TENANTS/dep1/public/$paths[0]");
is($linked[1], $stored[1], 'a template file is the stored file (a hard link)');
$r = $s->get("/api/tenants/$deployed_batch[0]{id}/");
ok($r->{json}{deployed}, 'the tenant JSON says deployed');
is($r->{json}{template_version}, $default_version, '... on the default version');

# --- the bulk_deploy job, when sites cannot be deployed at once -----------

# A template_dir whose manifest no longer matches its files cannot be
# stored as a version: the folders are built without their sites, and the
# job queued for them fails saying why.
my $broken = $s->run_dir . '/broken.manifest';
TestUtil::spew($broken, "# tenantd template manifest 1\n"
    . ('0' x 64) . " 3 missing-file.html\n");
my $broken_stack = TenantdStack->new(conf => { template_manifest => $broken });
$broken_stack->start;
$r = $broken_stack->post('/api/tenants/bulk-create/',
    json => { tenants => [map { { name => "Later $_", subdomain => "later$_" } } 1 .. 3] });
is($r->{status}, 200, 'a batch without a template version: 200') or diag $r->{content};
my $job_id = $r->{json}{deploy_job_id};
like($job_id // '', qr/^\d+$/, 'one deploy job for the batch');
my $job;
ok(wait_until(sub {
	$job = $broken_stack->get("/api/jobs/$job_id/")->{json} // {};
	return ($job->{status} // '') =~ /^(done|failed)$/;
}, 60), 'the bulk_deploy job finishes');
is($job->{kind}, 'bulk_deploy', 'the job is a bulk_deploy');
is($job->{status}, 'failed', 'it fails: there is no template to deploy');
like($job->{error} // '', qr/missing-file\.html/, '... naming the file at fault')
    or diag explain $job;
ok(-d $broken_stack->tenants_dir . '/later1/public'
    && !-e $broken_stack->tenants_dir . '/later1/.deployed',
    'the tenants exist, their sites not deployed');
$broken_stack->stop;

# --- bulk-update-modules ---------------------------------------------------

my @dep = map { $_->{id} } @deployed_batch;
$r = bulk_modules(json => { tenant_ids => [$dep[0], $dep[1], 999999, $dep[0]],
    module_key => 'reports', is_enabled => JSON::PP::true() });
is($r->{status}, 200, 'bulk-update-modules: 200') or diag $r->{content};
is($r->{json}{updated}, 2, 'bulk-update-modules: repeats collapse');
is_deeply($r->{json}{updated_ids}, [$dep[0], $dep[1]], 'updated_ids');
is_deeply($r->{json}{not_found}, [999999], 'unknown ids are listed in not_found');
ok($s->tenant_config('dep1')->{modules}{reports}, 'dep1: config.json has reports on');
ok($s->tenant_config('dep2')->{modules}{reports}, 'dep2: config.json has reports on');
ok(!$s->tenant_config('dep3')->{modules}{reports}, 'dep3 (not listed) is unchanged');
$r = $s->get('/api/tenants/by-subdomain/dep1/config/', token => undef);
is($r->{status}, 200, 'the config endpoint answers');
ok($r->{json}{modules}{reports}, 'the config endpoint serves the new flag at once');
$r = $s->get("/api/tenants/$dep[0]/");
ok((grep { $_ eq 'reports' } @{$r->{json}{enabled_modules}}), 'the row says enabled');
my ($module_audit) = $s->sql("SELECT GROUP_CONCAT(tenant_id ORDER BY tenant_id), "
    . "MIN(user_id IS NOT NULL) FROM audit_log WHERE action = 'tenant.module' "
    . "AND detail = 'reports=on'");
is($module_audit->[0], "$dep[0],$dep[1]",
    'bulk-update-modules: one audit row per updated tenant, none for unknown ids');
is($module_audit->[1], 1, 'bulk-update-modules: the audit rows name the caller');

$r = bulk_modules(json => { tenant_ids => [@dep], module_key => 'reports',
    is_enabled => JSON::PP::false() });
is($r->{json}{updated}, $CAP, 'disable for all: every tenant updated');
is_deeply([grep { $s->tenant_config("dep$_")->{modules}{reports} } 1 .. $CAP], [],
    'every config.json has reports off again');
$r = $s->get('/api/tenants/by-subdomain/dep2/config/', token => undef);
ok(!$r->{json}{modules}{reports}, 'the config endpoint serves it off');

$r = bulk_modules(json => { tenant_ids => [$dep[0]], module_key => 'employees',
    is_enabled => JSON::PP::false() });
$s->is_error($r, 400, 'core_module', 'disabling a core module', 'is_enabled');
$r = bulk_modules(json => { tenant_ids => [$dep[0]], module_key => 'nope',
    is_enabled => JSON::PP::true() });
$s->is_error($r, 400, 'unknown_module', 'an unknown module', 'module_key');
$r = bulk_modules(json => { tenant_ids => [1, 'x'], module_key => 'wallet',
    is_enabled => JSON::PP::true() });
$s->is_error($r, 400, 'validation_failed', 'an id that is no number', 'tenant_ids');
$r = bulk_modules(json => { tenant_ids => [0], module_key => 'wallet',
    is_enabled => JSON::PP::true() });
$s->is_error($r, 400, 'validation_failed', 'id 0', 'tenant_ids');
$r = bulk_modules(json => { tenant_ids => [1 .. $CAP + 1], module_key => 'wallet',
    is_enabled => JSON::PP::true() });
$s->is_error($r, 413, 'too_many_items', 'more ids than the cap');
$r = bulk_modules(json => { tenant_ids => [1], module_key => 'wallet' });
$s->is_error($r, 400, 'validation_failed', 'is_enabled missing', 'is_enabled');

# An archived tenant: its row changes, its config.json follows on restore.
$r = $s->post("/api/tenants/$dep[2]/archive/");
is($r->{status}, 200, 'dep3 archived') or diag $r->{content};
$r = bulk_modules(json => { tenant_ids => [$dep[2], $dep[3]], module_key => 'shifts',
    is_enabled => JSON::PP::true() });
is($r->{status}, 200, 'bulk change with an archived tenant: 200');
is($r->{json}{updated}, 2, 'the archived tenant counts as updated');
$r = $s->post("/api/tenants/$dep[2]/restore/");
is($r->{status}, 200, 'dep3 restored');
ok($s->tenant_config('dep3')->{modules}{shifts}, 'the restored config.json has the change');

# --- keyset paging ----------------------------------------------------------

# Rows with equal names and equal creation times, so every ordering needs
# its id tiebreaker.
$s->sql("INSERT INTO tenants (name, subdomain, created_at) VALUES "
    . join(', ', map { sprintf("('%s', 'page%02d', '2026-01-01 00:00:00.000000')",
	$_ % 3 ? "Same name" : "Page $_", $_) } 1 .. 17));
my $total = $s->tenant_count('1');

sub walk_pages {
	my ($query) = @_;
	my (@ids, $cursor, $pages);
	my $url = "/api/tenants/?page_size=4$query";
	while (1) {
		my $page = $s->get($url);
		return (undef, "status $page->{status}: $page->{content}")
		    unless $page->{status} == 200;
		push @ids, map { $_->{id} } @{$page->{json}{results}};
		$pages++;
		$cursor = $page->{json}{next_cursor};
		last unless defined $cursor;
		return (undef, 'keyset page: next link without the cursor')
		    if $pages > 1
		    && ($page->{json}{next} // '') !~ /cursor=\Q$cursor\E/;
		$url = "/api/tenants/?page_size=4$query&cursor=$cursor";
		return (undef, 'too many pages') if $pages > 100;
	}
	return (\@ids);
}

for my $ordering (qw(name -name subdomain -subdomain created_at -created_at)) {
	my ($ids, $why) = walk_pages("&ordering=$ordering");
	ok(defined $ids, "cursor walk ($ordering) completes") or diag $why;
	$ids //= [];
	my %seen;
	$seen{$_}++ for @$ids;
	is(scalar @$ids, $total, "cursor walk ($ordering): $total rows");
	is(scalar(grep { $seen{$_} > 1 } keys %seen), 0,
	    "cursor walk ($ordering): no row twice");
	my $all = $s->get("/api/tenants/?page_size=100&ordering=$ordering");
	is_deeply($ids, [map { $_->{id} } @{$all->{json}{results}}],
	    "cursor walk ($ordering): the same order as page-number paging");
}
my ($found, $why) = walk_pages('&ordering=name&search=same&is_active=true');
is(scalar @{$found // []}, $s->tenant_count("name = 'Same name'"),
    'cursor walk with search and is_active') or diag $why;

$r = $s->get('/api/tenants/?page_size=4&ordering=name');
is($r->{json}{count}, $total, 'page-number paging still counts');
my $cursor = $r->{json}{next_cursor};
ok(defined $cursor, 'a page-number answer offers next_cursor');
$r = $s->get("/api/tenants/?ordering=name&cursor=$cursor");
ok(exists $r->{json}{count} && !defined $r->{json}{count},
    'a keyset page has no count');
$r = $s->get("/api/tenants/?ordering=-name&cursor=$cursor");
$s->is_error($r, 400, 'invalid_cursor', 'a cursor of another ordering', 'cursor');
$r = $s->get('/api/tenants/?cursor=bm90IGpzb24');
$s->is_error($r, 400, 'invalid_cursor', 'a cursor that is not ours', 'cursor');
$r = $s->get('/api/tenants/?cursor=%25%25');
$s->is_error($r, 400, 'invalid_cursor', 'a cursor that is no base64url', 'cursor');
$r = $s->get("/api/tenants/?page=2&ordering=name&cursor=$cursor");
$s->is_error($r, 400, 'validation_failed', 'cursor with page', 'cursor');

# --- statistics --------------------------------------------------------------

$r = $s->get('/api/tenants/statistics/');
is($r->{json}{total}, $total, 'statistics count the bulk tenants');

$s->stop;
done_testing();
