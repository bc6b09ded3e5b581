# api-tenants.t - the tenant endpoints of the API: create (JSON, urlencoded,
# multipart with a logo), the tenant folder and its config.json, list with
# paging/search/filter/ordering, show, PATCH, update_module, DELETE,
# statistics, duplicate and concurrent creates, and a create whose folder
# cannot be written.
use strict;
use warnings;

use MIME::Base64 qw(decode_base64);
use Test::More;

use TenantdStack;
use TestUtil qw(wait_until concurrently freeze_dir thaw_dir);

my $s = TenantdStack->new(workers => 3);
$s->start;

my $TENANTS = $s->tenants_dir;
my @ALL_MODULES = qw(employees attendance wallet tasks complaints shifts
    reports notifications);
my @TENANT_KEYS = qw(archived_at contact_email created_at created_by
    deployed enabled_modules id is_active logo logo_url modules name
    primary_color secondary_color subdomain template_version tenant_url
    updated_at);
# A 1x1 PNG.
my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');

my $admin_id = $s->get('/api/auth/me')->{json}{user}{id};

# Checks the tenant JSON shape of the API.  Returns true when it holds.
sub tenant_shape_ok {
	my ($t, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return fail("$name: a JSON object") unless ref $t eq 'HASH';
	my $ok = is_deeply([sort keys %$t], \@TENANT_KEYS,
	    "$name: tenant has exactly the documented keys");
	$ok &&= like($t->{id}, qr/^[1-9]\d*$/, "$name: id is a positive integer");
	$ok &&= ok(JSON::PP::is_bool($t->{is_active}), "$name: is_active is a boolean");
	$ok &&= like($t->{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/,
	    "$name: created_at is an ISO 8601 time");
	$ok &&= like($t->{updated_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/,
	    "$name: updated_at is an ISO 8601 time");
	$ok &&= is(ref $t->{modules}, 'ARRAY', "$name: modules is an array");
	$ok &&= is_deeply([map { $_->{module_key} } @{$t->{modules}}], \@ALL_MODULES,
	    "$name: modules lists all 8 in sort_order");
	$ok &&= is_deeply([sort keys %{$t->{modules}[0] // {}}],
	    [qw(icon is_core is_enabled module_key module_name)],
	    "$name: a module entry has module_key, module_name, icon, is_core, is_enabled");
	$ok &&= is_deeply($t->{enabled_modules},
	    [map { $_->{module_key} } grep { $_->{is_enabled} } @{$t->{modules}}],
	    "$name: enabled_modules matches the is_enabled flags");
	$ok &&= is($t->{tenant_url}, "http://$t->{subdomain}.localhost:" . $s->port,
	    "$name: tenant_url from tenant_url_format");
	return $ok;
}

# A create answer also carries the id of the deploy job queued for the new
# tenant: checks it and removes it, leaving the tenant object.
sub take_deploy_job_id {
	my ($t, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return like(ref $t eq 'HASH' ? delete $t->{deploy_job_id} // '' : '',
	    qr/^[1-9]\d*$/, "$name: deploy_job_id of the queued deploy");
}

# Checks tenants/<sub>/config.json against SPEC section 5 and tenant `t`.
sub config_ok {
	my ($t, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $config = $s->tenant_config($t->{subdomain});
	return fail("$name: config.json exists and is JSON") unless ref $config eq 'HASH';
	is($config->{version}, 1, "$name: config.json version 1");
	like($config->{generated_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
	    "$name: generated_at is UTC ISO 8601");
	is_deeply($config->{tenant}, { id => $t->{id}, name => $t->{name},
	    subdomain => $t->{subdomain} },
	    "$name: config.json tenant block (no contact_email: it is public)");
	is($config->{branding}{primary_color}, $t->{primary_color},
	    "$name: config.json primary_color");
	is($config->{branding}{secondary_color}, $t->{secondary_color},
	    "$name: config.json secondary_color");
	ok(exists $config->{branding}{logo_url}, "$name: config.json has logo_url");
	ok(defined $config->{api_url} && length $config->{api_url},
	    "$name: config.json has api_url");
	my %enabled = map { $_ => JSON::PP::true() } @{$t->{enabled_modules}};
	is_deeply($config->{modules},
	    { map { $_ => ($enabled{$_} // JSON::PP::false()) } @ALL_MODULES },
	    "$name: config.json modules map lists all 8 with their flags");
	is_deeply([map { $_->{key} } @{$config->{module_list} // []}], \@ALL_MODULES,
	    "$name: module_list has all 8 in sort_order");
	is_deeply([map { $_->{key} } grep { $_->{enabled} } @{$config->{module_list} // []}],
	    $t->{enabled_modules}, "$name: module_list enabled flags");
	is_deeply([sort keys %{$config->{module_list}[0] // {}}],
	    [qw(description enabled icon is_core key name route)],
	    "$name: a module_list entry has key, name, icon, description, route, is_core, enabled");
	return $config;
}

sub create {
	my (%o) = @_;
	return $s->post('/api/tenants/', %o);
}

# --- create: JSON ---------------------------------------------------------

my $r = create(json => { name => 'Acme Corp', subdomain => 'acme',
    contact_email => 'admin@acme.example', primary_color => '#112233',
    secondary_color => '#445566', module_keys => ['wallet', 'tasks'] });
is($r->{status}, 201, 'JSON create answers 201') or diag $r->{content};
my $acme = $r->{json};
take_deploy_job_id($acme, 'JSON create');
tenant_shape_ok($acme, 'JSON create');
is($acme->{name}, 'Acme Corp', 'name stored');
is($acme->{subdomain}, 'acme', 'subdomain stored');
is($acme->{contact_email}, 'admin@acme.example', 'contact_email stored');
is($acme->{primary_color}, '#112233', 'primary_color stored');
is($acme->{secondary_color}, '#445566', 'secondary_color stored');
ok($acme->{is_active}, 'a new tenant is active');
is($acme->{archived_at}, undef, 'archived_at is null');
is($acme->{logo}, undef, 'no logo');
is($acme->{logo_url}, undef, 'no logo_url');
is($acme->{created_by}, $admin_id, 'created_by is the admin');
is_deeply([sort @{$acme->{enabled_modules}}], [sort qw(employees wallet tasks)],
    'core module added to the requested ones');
is($r->{headers}{location}, "/api/tenants/$acme->{id}/", 'Location header');
ok(-d "$TENANTS/acme", 'tenants/acme exists');
ok(-d "$TENANTS/acme/public", 'tenants/acme/public exists');
ok(!-e "$TENANTS/acme/public/config.json", 'config.json is not under public/');
config_ok($acme, 'JSON create');
# The config endpoint is public: the contact email stays in the admin API.
$r = $s->get('/api/tenants/by-subdomain/acme/config/', token => undef);
is($r->{status}, 200, 'public config of acme answers 200') or diag $r->{content};
unlike($r->{content}, qr/contact_email|admin\@acme\.example/,
    'public config carries neither contact_email nor the address');
is($s->get("/api/tenants/$acme->{id}/")->{json}{contact_email},
    'admin@acme.example', 'the admin API still shows contact_email');
opendir(my $dh, "$TENANTS/acme") or die "$TENANTS/acme: $!";
my @leftovers = grep { /tmp|~$|^\.#/i } readdir $dh;
closedir $dh;
is_deeply(\@leftovers, [], 'no temporary files left in the tenant folder');
opendir($dh, $TENANTS) or die "$TENANTS: $!";
my @entries = sort grep { !/^\.\.?$/ && $_ ne '.templates' } readdir $dh;
closedir $dh;
is_deeply(\@entries, ['acme'],
    'nothing but the tenant folder (and the template store) in tenants/');

# --- create: urlencoded (module_keys repeated) ------------------------------

$r = create(form => [name => 'Beta Ltd', subdomain => 'beta',
    module_keys => 'wallet', module_keys => 'reports']);
is($r->{status}, 201, 'urlencoded create answers 201') or diag $r->{content};
my $beta = $r->{json};
take_deploy_job_id($beta, 'urlencoded create');
tenant_shape_ok($beta, 'urlencoded create');
is_deeply([sort @{$beta->{enabled_modules}}], [sort qw(employees wallet reports)],
    'repeated module_keys fields all count');
is($beta->{primary_color}, '#3498db', 'default primary_color');
is($beta->{secondary_color}, '#2ecc71', 'default secondary_color');
is($beta->{contact_email}, '', 'contact_email defaults to empty');
config_ok($beta, 'urlencoded create');

$r = create(json => { name => 'Core Only', subdomain => 'core-only' });
is($r->{status}, 201, 'create without module_keys') or diag $r->{content};
is_deeply($r->{json}{enabled_modules}, ['employees'],
    'module_keys omitted: core modules only');

# --- create: multipart with a PNG logo --------------------------------------

$r = create(multipart => [name => 'Gamma GmbH', subdomain => 'gamma',
    module_keys => 'shifts', primary_color => '#000000',
    logo => { filename => 'brand.png', content => $PNG, type => 'image/png' }]);
is($r->{status}, 201, 'multipart create with a logo answers 201') or diag $r->{content};
my $gamma = $r->{json};
take_deploy_job_id($gamma, 'multipart create');
tenant_shape_ok($gamma, 'multipart create');
ok(-f "$TENANTS/gamma/public/logo.png", 'logo stored as tenants/gamma/public/logo.png');
is(TenantdStack->slurp("$TENANTS/gamma/public/logo.png"), $PNG,
    'the stored logo is the uploaded bytes');
like($gamma->{logo_url} // '', qr{/logo\.png$}, 'tenant logo_url names logo.png');
my $gamma_config = config_ok($gamma, 'multipart create');
is($gamma_config && $gamma_config->{branding}{logo_url}, '/logo.png',
    'config.json branding.logo_url is /logo.png');
$r = $s->get('/logo.png', token => undef, host => 'gamma.localhost');
is($r->{status}, 200, 'nginx serves the logo on the tenant host');
is($r->{content}, $PNG, 'same bytes through nginx');
like($r->{headers}{'content-type'} // '', qr{^image/png}, 'as image/png');

# The front end: the tenant host serves public/ only; unknown hosts get 404.
$r = $s->get('/config.json', token => undef, host => 'gamma.localhost');
unlike($r->{content}, qr/"module_list"/,
    'config.json (outside public/) is not served as a static file');
$r = $s->get('/package.json', token => undef, host => 'gamma.localhost');
unlike($r->{content}, qr/gamma-app/, 'package.json is not served');
$r = $s->get('/', token => undef, host => 'no-such-tenant.localhost');
is($r->{status}, 404, 'an unknown tenant host is 404');
$r = $s->get('/logo.png', token => undef, host => 'gamma.localhost');
is($r->{headers}{'x-content-type-options'}, 'nosniff',
    'tenant sites send X-Content-Type-Options: nosniff');
like($r->{headers}{'content-security-policy'} // '', qr/default-src 'self'/,
    'tenant sites send a Content-Security-Policy');

# The logo's type comes from its bytes, not from the client's claims.
$r = create(multipart => [name => 'Delta', subdomain => 'delta',
    logo => { filename => 'logo.txt', content => $PNG, type => 'text/plain' }]);
is($r->{status}, 201, 'a PNG sent as text/plain is still a PNG') or diag $r->{content};
ok(-f "$TENANTS/delta/public/logo.png", 'and is stored as logo.png');

# An empty file part means "no logo" (SPEC section 9).
$r = create(multipart => [name => 'Epsilon', subdomain => 'epsilon',
    logo => { filename => '', content => '', type => 'application/octet-stream' }]);
is($r->{status}, 201, 'an empty logo part is accepted') or diag $r->{content};
is($r->{json}{logo}, undef, 'and means no logo');

# Any logo past max_logo_bytes (2 MiB) gets one answer, however large:
# 400 with fields.logo naming the limit, never a bare 413 from the parser.
for my $mib (3, 5) {
	my $logo = $PNG . ("\0" x ($mib * 1024 * 1024));
	$r = create(multipart => [name => "Big $mib", subdomain => "big$mib",
	    logo => { filename => 'logo.png', content => $logo, type => 'image/png' }]);
	$s->is_error($r, 400, 'validation_failed', "create with a $mib MiB logo", 'logo');
	is($r->{json}{fields}{logo}, 'must be at most 2 MiB',
	    "create with a $mib MiB logo: the field names the 2 MiB limit");
	is($s->tenant_count("subdomain = 'big$mib'"), 0, "create with a $mib MiB logo: no row");
	$r = $s->patch("/api/tenants/$gamma->{id}/", multipart => [
	    logo => { filename => 'logo.png', content => $logo, type => 'image/png' }]);
	$s->is_error($r, 400, 'validation_failed', "PATCH with a $mib MiB logo", 'logo');
	is($r->{json}{fields}{logo}, 'must be at most 2 MiB',
	    "PATCH with a $mib MiB logo: the field names the 2 MiB limit");
}
is(TenantdStack->slurp("$TENANTS/gamma/public/logo.png"), $PNG,
    'the refused PATCHes left the logo alone');

# --- duplicate subdomain ------------------------------------------------------

$r = create(json => { name => 'Acme Again', subdomain => 'acme' });
$s->is_error($r, 409, 'subdomain_taken', 'duplicate subdomain');
is($s->tenant_count("name = 'Acme Again'"), 0, 'the duplicate left no row');
is($s->tenant_config('acme')->{tenant}{name}, 'Acme Corp',
    'the duplicate did not touch the existing folder');

# --- show ---------------------------------------------------------------------

$r = $s->get("/api/tenants/$acme->{id}/");
is($r->{status}, 200, 'GET one tenant') or diag $r->{content};
# `deployed` and `template_version` are left out: the deploy the create
# queued may have finished since.
is_deeply({ %{ $r->{json} }, deployed => undef, template_version => undef },
    { %$acme, deployed => undef, template_version => undef },
    'GET returns what create returned');
ok(JSON::PP::is_bool($r->{json}{deployed}), '... and says whether the site is deployed');
$r = $s->get("/api/tenants/$acme->{id}");
is($r->{status}, 200, 'GET one tenant without the trailing slash');
$r = $s->get('/api/tenants/999999/');
$s->is_error($r, 404, 'not_found', 'GET an unknown id');
$r = $s->get('/api/tenants/0/');
is($r->{status}, 404, 'id 0 is not a tenant');
$r = $s->get('/api/tenants/acme/');
is($r->{status}, 404, 'a subdomain is not an id');

# --- PATCH ----------------------------------------------------------------------

my $generated = $s->tenant_config('acme')->{generated_at};
$r = $s->patch("/api/tenants/$acme->{id}/", json => { name => 'Acme Renamed',
    primary_color => '#abcdef', secondary_color => '#fedcba' });
is($r->{status}, 200, 'PATCH name and colors') or diag $r->{content};
tenant_shape_ok($r->{json}, 'PATCH');
is($r->{json}{name}, 'Acme Renamed', 'PATCH changed the name');
is($r->{json}{primary_color}, '#abcdef', 'PATCH changed primary_color');
is($r->{json}{contact_email}, 'admin@acme.example', 'PATCH kept the other fields');
is_deeply($r->{json}{enabled_modules}, $acme->{enabled_modules},
    'PATCH without module_keys kept the modules');
my $config = config_ok($r->{json}, 'PATCH');
is($config->{tenant}{name}, 'Acme Renamed', 'config.json has the new name');
is($config->{branding}{secondary_color}, '#fedcba', 'config.json has the new color');
$acme = $r->{json};

# A config.json an older tenantd wrote still carries contact_email: health
# calls it stale, and fsck --repair rewrites it without the address.
# fsck leaves a tenant alone while a job holds it: wait for the deploy the
# create queued.
ok(wait_until(sub { $s->sql_value("SELECT COUNT(*) FROM jobs WHERE tenant_id = $acme->{id} AND status IN ('queued', 'running')") == 0 }, 30),
    'the deploy the create queued for acme is over');
my $config_path = "$TENANTS/acme/config.json";
(my $old_config = TenantdStack->slurp($config_path)) =~
    s/("subdomain": "acme")\n/$1,\n    "contact_email": "admin\@acme.example"\n/
    or die "no subdomain line in $config_path";
open(my $config_fh, '>:raw', $config_path) or die "$config_path: $!";
print $config_fh $old_config;
close $config_fh or die "$config_path: $!";
$r = $s->get("/api/tenants/$acme->{id}/health/");
ok($r->{json} && !$r->{json}{config_valid},
    'health: a config.json with contact_email is not valid') or diag $r->{content};
my ($fsck_exit, $fsck_out, $fsck_err) = $s->tenantctl('fsck', '--repair');
like($fsck_out . $fsck_err, qr/acme\b.*config\.json/,
    'fsck --repair reports the stale config.json of acme');
unlike(TenantdStack->slurp($config_path), qr/contact_email/,
    'fsck --repair rewrote it without contact_email');
ok($s->get("/api/tenants/$acme->{id}/health/")->{json}{config_valid},
    'health: the rewritten config.json is valid');

$r = $s->patch("/api/tenants/$acme->{id}/", json => { subdomain => 'acme2' });
$s->is_error($r, 400, 'validation_failed', 'PATCH subdomain', 'subdomain');
ok(-d "$TENANTS/acme" && !-e "$TENANTS/acme2", 'the folder kept its name');
$r = $s->patch("/api/tenants/$acme->{id}/", json => { primary_color => 'blue' });
$s->is_error($r, 400, 'validation_failed', 'PATCH a bad color', 'primary_color');
is($s->tenant_config('acme')->{branding}{primary_color}, '#abcdef',
    'a refused PATCH leaves config.json alone');
$r = $s->patch('/api/tenants/999999/', json => { name => 'Ghost' });
$s->is_error($r, 404, 'not_found', 'PATCH an unknown id');

# --- update_module ------------------------------------------------------------

my $update_module = "/api/tenants/$acme->{id}/update_module/";
$r = $s->post($update_module, json => { module_key => 'attendance',
    is_enabled => JSON::PP::true() });
is($r->{status}, 200, 'enable a module') or diag $r->{content};
tenant_shape_ok($r->{json}, 'update_module');
ok((grep { $_ eq 'attendance' } @{$r->{json}{enabled_modules}}),
    'attendance is now enabled');
is($s->tenant_config('acme')->{modules}{attendance}, JSON::PP::true(),
    'config.json: attendance true');
ok((grep { $_->{key} eq 'attendance' && $_->{enabled} }
    @{$s->tenant_config('acme')->{module_list}}), 'config.json module_list: attendance enabled');

$r = $s->post($update_module, form => [module_key => 'wallet', is_enabled => 'false']);
is($r->{status}, 200, 'disable a module (urlencoded)') or diag $r->{content};
ok(!(grep { $_ eq 'wallet' } @{$r->{json}{enabled_modules}}), 'wallet is now disabled');
is($s->tenant_config('acme')->{modules}{wallet}, JSON::PP::false(), 'config.json: wallet false');
config_ok($r->{json}, 'update_module');

$r = $s->post($update_module, json => { module_key => 'employees',
    is_enabled => JSON::PP::false() });
$s->is_error($r, 400, 'core_module', 'disabling the core module employees');
is($s->tenant_config('acme')->{modules}{employees}, JSON::PP::true(), 'employees stays on');
$r = $s->post($update_module, json => { module_key => 'employees',
    is_enabled => JSON::PP::true() });
is($r->{status}, 200, 'enabling a core module is a harmless no-op');

$r = $s->post($update_module, json => { module_key => 'payroll',
    is_enabled => JSON::PP::true() });
$s->is_error($r, 400, 'unknown_module', 'an unknown module');
$r = $s->post($update_module, json => { module_key => 'wallet' });
$s->is_error($r, 400, 'validation_failed', 'update_module without is_enabled',
    'is_enabled');
$r = $s->post($update_module, json => { module_key => 'wallet', is_enabled => 'maybe' });
$s->is_error($r, 400, 'validation_failed', 'is_enabled that is not a boolean',
    'is_enabled');
$r = $s->post('/api/tenants/999999/update_module/', json => {
    module_key => 'wallet', is_enabled => JSON::PP::true() });
$s->is_error($r, 404, 'not_found', 'update_module of an unknown tenant');

# --- list: paging ---------------------------------------------------------------

# Created in a shuffled order so name order and creation order differ.
my @order = (7, 19, 3, 25, 11, 1, 22, 14, 5, 17, 9, 24, 2, 13, 20, 6, 16, 10,
    23, 4, 18, 8, 15, 21, 12);
for my $n (@order) {
	my $tag = sprintf('%02d', $n);
	$r = create(json => { name => "Paged Tenant $tag", subdomain => "paged-$tag" });
	is($r->{status}, 201, "create paged-$tag") or diag $r->{content};
}

$r = $s->get('/api/tenants/?search=paged-&page_size=10');
is($r->{status}, 200, 'list page 1') or diag $r->{content};
is_deeply([sort keys %{$r->{json} // {}}],
    [qw(count next next_cursor previous results)],
    'a list answer has count, next, next_cursor, previous, results');
is($r->{json}{count}, 25, 'count is the total of all pages');
is(scalar @{$r->{json}{results}}, 10, 'page 1 has 10 results');
is($r->{json}{previous}, undef, 'page 1 has no previous');
like($r->{json}{next} // '', qr{^/api/tenants/\?(?=.*\bpage=2\b)(?=.*\bpage_size=10\b)},
    'next is an absolute path to page 2 with the same page_size');
tenant_shape_ok($r->{json}{results}[0], 'list entry');

my (%seen, $pages);
my $next = '/api/tenants/?search=paged-&page_size=10';
while (defined $next && ($pages // 0) < 10) {
	$r = $s->get($next);
	last unless $r->{status} == 200;
	$pages++;
	$seen{$_->{subdomain}}++ for @{$r->{json}{results}};
	if ($pages == 2) {
		like($r->{json}{previous} // '', qr{^/api/tenants/\?(?=.*\bpage=1\b)},
		    'page 2 links back to page 1');
	}
	$next = $r->{json}{next};
}
is($pages, 3, 'following next visits 3 pages');
is(scalar keys %seen, 25, 'the pages together hold all 25 tenants');
ok(!grep({ $_ != 1 } values %seen), 'no tenant appears twice across pages');
is($r->{json}{next}, undef, 'the last page has no next');
is(scalar @{$r->{json}{results}}, 5, 'the last page has the remaining 5');

# page_size above 100 is clamped: needs more than 100 tenants, inserted
# directly (the list reads only the database).
$s->sql(join "\n", map {
	"INSERT INTO tenants (name, subdomain) VALUES ('Bulk $_', 'bulk-$_');" } 1 .. 105);
$r = $s->get('/api/tenants/?page_size=1000');
is($r->{status}, 200, 'page_size=1000 is accepted') or diag $r->{content};
is(scalar @{$r->{json}{results}}, 100, 'page_size=1000 is clamped to 100');
like($r->{json}{next} // '', qr/\bpage_size=100\b/, 'next carries the clamped page_size');
$s->sql("DELETE FROM tenants WHERE subdomain LIKE 'bulk-%'");

$r = $s->get('/api/tenants/?page_size=0');
$s->is_error($r, 400, 'validation_failed', 'page_size=0', 'page_size');
$r = $s->get('/api/tenants/?page=abc');
$s->is_error($r, 400, 'validation_failed', 'page=abc', 'page');

# --- list: search ---------------------------------------------------------------

for my $t (['Zeta Widgets', 'zeta'], ['Hundred % Club', 'hundred'],
    ['Under_Score Inc', 'underscore'], ['Plain Company', 'plain']) {
	$r = create(json => { name => $t->[0], subdomain => $t->[1] });
	is($r->{status}, 201, "create $t->[1]") or diag $r->{content};
}
sub subdomains_of {
	my ($query) = @_;
	my $list = $s->get("/api/tenants/?page_size=100&$query");
	return [sort map { $_->{subdomain} } @{$list->{json}{results} // []}];
}
is_deeply(subdomains_of('search=WIDGETS'), ['zeta'], 'search is case-insensitive');
is_deeply(subdomains_of('search=zet'), ['zeta'], 'search matches the subdomain');
is_deeply(subdomains_of('search=%25'), ['hundred'], 'search takes % literally');
is_deeply(subdomains_of('search=_'), ['underscore'], 'search takes _ literally');
is_deeply(subdomains_of('search=no-such-tenant'), [], 'a search without hits');
$r = $s->get('/api/tenants/?search=no-such-tenant');
is($r->{json}{count}, 0, 'count 0 without hits');

# --- list: is_active ------------------------------------------------------------

$s->sql("UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP() WHERE subdomain = 'zeta'");
is_deeply(subdomains_of('is_active=false'), ['zeta'], 'is_active=false lists inactive tenants');
ok(!grep({ $_ eq 'zeta' } @{subdomains_of('is_active=true&search=e')}),
    'is_active=true leaves them out');
$r = $s->get('/api/tenants/?is_active=perhaps');
$s->is_error($r, 400, 'validation_failed', 'is_active=perhaps', 'is_active');

# --- list: ordering -------------------------------------------------------------

sub names_in_order {
	my ($ordering) = @_;
	my $list = $s->get("/api/tenants/?search=paged-&page_size=100&ordering=$ordering");
	return [map { $_->{name} } @{$list->{json}{results} // []}];
}
my @by_name = map { sprintf('Paged Tenant %02d', $_) } 1 .. 25;
my @by_creation = map { sprintf('Paged Tenant %02d', $_) } @order;
is_deeply(names_in_order('name'), \@by_name, 'ordering=name');
is_deeply(names_in_order('-name'), [reverse @by_name], 'ordering=-name');
is_deeply(names_in_order('subdomain'), \@by_name, 'ordering=subdomain');
is_deeply(names_in_order('-subdomain'), [reverse @by_name], 'ordering=-subdomain');
is_deeply(names_in_order('created_at'), \@by_creation, 'ordering=created_at');
is_deeply(names_in_order('-created_at'), [reverse @by_creation], 'ordering=-created_at');
$r = $s->get('/api/tenants/?search=paged-&page_size=100');
is_deeply([map { $_->{name} } @{$r->{json}{results}}], [reverse @by_creation],
    'the default order is newest first');
$r = $s->get('/api/tenants/?ordering=password_hash');
$s->is_error($r, 400, 'validation_failed', 'ordering by an unknown field', 'ordering');

# --- statistics -----------------------------------------------------------------

$r = $s->get('/api/tenants/statistics/');
is($r->{status}, 200, 'statistics') or diag $r->{content};
my $stats = $r->{json} // {};
is_deeply([sort keys %$stats],
    [qw(active archived created_last_30_days modules total)],
    'statistics has total, active, archived, created_last_30_days, modules');
my ($total) = $s->sql('SELECT COUNT(*) FROM tenants');
is($stats->{total}, $total->[0], 'total counts every tenant');
is($stats->{active}, $total->[0] - 1, 'active leaves out the inactive one');
is($stats->{archived}, 1, 'archived counts the inactive one');
is($stats->{created_last_30_days}, $total->[0], 'all were created in the last 30 days');
is_deeply([sort keys %{$stats->{modules} // {}}], [sort @ALL_MODULES],
    'modules has a count for every module');
my %enabled_counts = map { $_->[0] => $_->[1] }
    $s->sql('SELECT module_key, COUNT(*) FROM tenant_modules WHERE is_enabled = 1 GROUP BY module_key');
is_deeply($stats->{modules},
    { map { $_ => ($enabled_counts{$_} // 0) + 0 } @ALL_MODULES },
    'module counts match the enabled tenant_modules rows');
is($stats->{modules}{employees}, $total->[0], 'every tenant has employees');
$s->sql("UPDATE tenants SET created_at = UTC_TIMESTAMP() - INTERVAL 40 DAY WHERE subdomain = 'plain'");
$r = $s->get('/api/tenants/statistics/');
is($r->{json}{created_last_30_days}, $total->[0] - 1,
    'a tenant created 40 days ago is not in created_last_30_days');

# --- delete ---------------------------------------------------------------------

$r = $s->delete("/api/tenants/$beta->{id}/");
is($r->{status}, 204, 'DELETE answers 204') or diag $r->{content};
is($r->{content}, '', 'DELETE has no body');
ok(!-e "$TENANTS/beta", 'the folder is gone');
$r = $s->get("/api/tenants/$beta->{id}/");
$s->is_error($r, 404, 'not_found', 'GET after DELETE');
my ($module_rows) = $s->sql("SELECT COUNT(*) FROM tenant_modules WHERE tenant_id = $beta->{id}");
is($module_rows->[0], 0, 'the module rows are gone');
$r = $s->delete("/api/tenants/$beta->{id}/");
$s->is_error($r, 404, 'not_found', 'DELETE twice');
$r = create(json => { name => 'Beta Reborn', subdomain => 'beta' });
is($r->{status}, 201, 'a deleted subdomain can be taken again') or diag $r->{content};

# --- concurrent creates of one subdomain ----------------------------------------

# The clients start together (TestUtil's concurrently()).
my $clients = 10;
my @answers = concurrently($clients, sub {
	my ($i) = @_;
	my $res = $s->post('/api/tenants/', json => {
	    name => "Racer $i", subdomain => 'race' });
	return "$res->{status} " . ($res->{json} ? $res->{json}{code} // '-' : '-');
});
is(scalar(grep { /^201\b/ } @answers), 1, 'exactly one of 10 concurrent creates wins')
    or diag explain \@answers;
is(scalar(grep { /^409 subdomain_taken$/ } @answers), $clients - 1,
    'the other 9 get 409 subdomain_taken') or diag explain \@answers;
is($s->tenant_count("subdomain = 'race'"), 1, 'one row for the raced subdomain');
ok(-f "$TENANTS/race/config.json", 'and one folder with its config.json');

# --- a folder that cannot be written -----------------------------------------
# Workers hold the tenants directory open, so it has to refuse new entries
# in place: permission bits for an ordinary user; for root (who ignores
# permission bits) the immutable attribute, or a read-only bind mount that
# a new generation of workers, started by SIGHUP, opens it through.

sub reopen_tenants_dir {
	my %old = map { $_ => 1 } $s->worker_pids;
	my $count = keys %old;
	kill 'HUP', $s->tenantd_pid;
	wait_until(sub {
		my @now = $s->worker_pids;
		@now == $count && !grep { $old{$_} } @now;
	}) or die "the workers did not restart after SIGHUP\n";
}

sub lock_tenants_dir {
	return chmod(0555, $TENANTS) ? 'chmod' : undef if $> != 0;
	return freeze_dir($TENANTS, after_bind => \&reopen_tenants_dir);
}

sub unlock_tenants_dir {
	if ($> != 0) {
		chmod 0755, $TENANTS;
	} else {
		thaw_dir($TENANTS);
	}
}

SKIP: {
	my $how = lock_tenants_dir();
	skip 'cannot make the tenants directory unwritable here (not root, or '
	    . 'neither chattr +i nor a bind mount allowed)', 5
	    unless $how;
	$r = create(json => { name => 'Doomed', subdomain => 'doomed',
	    module_keys => ['wallet'] });
	unlock_tenants_dir();
	$s->is_error($r, 500, 'internal_error',
	    "create while the tenants directory cannot be written ($how)");
	is($s->tenant_count("subdomain = 'doomed'"), 0, 'the failed create left no tenant row');
	my ($orphans) = $s->sql('SELECT COUNT(*) FROM tenant_modules m LEFT JOIN tenants t '
	    . 'ON t.id = m.tenant_id WHERE t.id IS NULL');
	is($orphans->[0], 0, 'and no module rows');
	ok(!-e "$TENANTS/doomed", 'and no folder');
	$r = create(json => { name => 'Doomed', subdomain => 'doomed' });
	is($r->{status}, 201, 'the same create works once the directory is writable')
	    or diag $r->{content};
}

done_testing;
