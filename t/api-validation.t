# api-validation.t - what the API refuses, and how: malformed and oversized
# bodies, unsupported content types, every field rule of SPEC section 3,
# unknown routes and methods.  Every error must be the JSON error document.
use strict;
use warnings;

use MIME::Base64 qw(decode_base64);
use Test::More;

use TenantdStack;

# A body limit of 3 MiB: large enough for a logo just over the 2 MiB logo
# limit to reach validation, small enough to test 413 cheaply.  nginx lets
# up to 64m through, so tenantd itself must answer 413.
my $s = TenantdStack->new(workers => 2, conf => { max_body_bytes => '3M' });
$s->start;

my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');
my $SVG = qq{<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(1)</script></svg>\n};

my $serial = 0;

# A valid tenant body with `%override` applied (undef deletes a field).
sub tenant_body {
	my (%override) = @_;
	$serial++;
	my %body = (name => "Valid $serial", subdomain => "valid-$serial");
	while (my ($k, $v) = each %override) {
		if (defined $v) { $body{$k} = $v } else { delete $body{$k} }
	}
	return \%body;
}

sub create_json {
	my (%override) = @_;
	return $s->post('/api/tenants/', json => tenant_body(%override));
}

sub tenant_rows {
	my ($row) = $s->sql('SELECT COUNT(*) FROM tenants');
	return $row->[0];
}

my $r = create_json();
is($r->{status}, 201, 'the baseline body is valid') or diag $r->{content};

# --- body: syntax, type, size -------------------------------------------------

$r = $s->post('/api/tenants/', body => '{"name": "x", "subdomain": "xy",}',
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'JSON with a trailing comma');
like($r->{json}{error} // '', qr/\bbyte\b/i, 'the message names the byte position')
    or diag $r->{content};

$r = $s->post('/api/tenants/', body => '{"name": "unterminated',
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'unterminated JSON');

$r = $s->post('/api/tenants/', body => '{"name": "a"} trailing',
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'JSON with trailing garbage');

$r = $s->post('/api/tenants/', body => '[{"name": "a", "subdomain": "arr"}]',
    content_type => 'application/json');
is($r->{status}, 400, 'a JSON array body is 400');
ok($r->{json} && $r->{json}{code} && $r->{json}{error},
    'a JSON array body gets the error document') or diag $r->{content};

$r = $s->post('/api/tenants/', body => '"just a string"',
    content_type => 'application/json');
is($r->{status}, 400, 'a JSON scalar body is 400');

$r = $s->post('/api/tenants/', body => '', content_type => 'application/json');
is($r->{status}, 400, 'an empty JSON body is 400');

$r = $s->post('/api/tenants/', body => "{\"name\": \"\xff\xfe\", \"subdomain\": \"badutf\"}",
    content_type => 'application/json');
is($r->{status}, 400, 'JSON with invalid UTF-8 is 400');

$r = $s->post('/api/tenants/', body => 'name=Plain&subdomain=plain',
    content_type => 'text/plain');
$s->is_error($r, 415, 'unsupported_media_type', 'a text/plain body');

$r = $s->post('/api/tenants/', body => '<tenant/>', content_type => 'application/xml');
$s->is_error($r, 415, 'unsupported_media_type', 'an XML body');

$r = $s->post('/api/tenants/', body => "--x\r\n", content_type => 'multipart/form-data');
is($r->{status}, 400, 'multipart without a boundary is 400');

my $before = tenant_rows();
my $huge = '{"name": "' . ('x' x (3 * 1024 * 1024 + 10)) . '", "subdomain": "huge"}';
$r = $s->post('/api/tenants/', body => $huge, content_type => 'application/json');
$s->is_error($r, 413, 'body_too_large', 'a body over max_body_bytes (3M)');
is(tenant_rows(), $before, 'the oversized body created nothing');

# --- fields: types ------------------------------------------------------------

$r = create_json(name => 123);
$s->is_error($r, 400, 'validation_failed', 'name as a number', 'name');
$r = create_json(name => ['a', 'b']);
$s->is_error($r, 400, 'validation_failed', 'name as an array', 'name');
$r = create_json(subdomain => { nested => 'object' });
$s->is_error($r, 400, 'validation_failed', 'subdomain as an object', 'subdomain');
# JSON has arrays: a lone string is a wrong type like any other.  Forms
# repeat the field instead, so one form value is a one-element list.
$before = tenant_rows();
$r = create_json(module_keys => 'wallet');
$s->is_error($r, 400, 'validation_failed', 'module_keys as a JSON string', 'module_keys');
$r = create_json(module_keys => '');
$s->is_error($r, 400, 'validation_failed', 'module_keys as an empty JSON string', 'module_keys');
is(tenant_rows(), $before, 'a module_keys string created nothing');
$r = $s->post('/api/tenants/', multipart => [%{tenant_body()}, module_keys => 'wallet']);
is($r->{status}, 201, 'one multipart module_keys value is a one-element list')
    or diag $r->{content};
my $single = $r->{json} // {};
is_deeply([sort @{$single->{enabled_modules} // []}], [qw(employees wallet)],
    '... with wallet enabled');
$r = $s->patch("/api/tenants/$single->{id}/", json => { module_keys => 'tasks' });
$s->is_error($r, 400, 'validation_failed', 'PATCH module_keys as a JSON string', 'module_keys');
is_deeply([sort @{$s->get("/api/tenants/$single->{id}/")->{json}{enabled_modules} // []}],
    [qw(employees wallet)], 'the refused PATCH left the modules alone');
$r = create_json(module_keys => [1, 2]);
$s->is_error($r, 400, 'validation_failed', 'module_keys of numbers', 'module_keys');

# --- subdomain ------------------------------------------------------------------

for my $reserved (qw(www admin api static mail)) {
	$r = create_json(subdomain => $reserved);
	$s->is_error($r, 400, 'validation_failed', "reserved subdomain '$reserved'", 'subdomain');
}

$r = create_json(subdomain => 'UpperCase');
$s->is_error($r, 400, 'validation_failed', 'upper-case subdomain', 'subdomain');
my ($lowered) = $s->sql("SELECT COUNT(*) FROM tenants WHERE subdomain = 'uppercase'");
is($lowered->[0], 0, 'upper case is refused, not silently lowered');

my %bad_subdomains = (
	'leading hyphen' => '-acme',
	'trailing hyphen' => 'acme-',
	'64 characters' => 'a' x 64,
	'a dot' => 'ac.me',
	'an underscore' => 'ac_me',
	'a space' => 'ac me',
	'empty' => '',
	'non-ASCII' => "caf\x{e9}",
	'a slash' => 'a/b',
	'percent-encoding' => 'a%2e',
);
for my $what (sort keys %bad_subdomains) {
	$r = create_json(subdomain => $bad_subdomains{$what});
	$s->is_error($r, 400, 'validation_failed', "subdomain with $what", 'subdomain');
}
$r = create_json(subdomain => undef);
$s->is_error($r, 400, 'validation_failed', 'subdomain missing', 'subdomain');

$r = create_json(subdomain => 'b' x 63);
is($r->{status}, 201, 'a 63-character subdomain is valid') or diag $r->{content};
$r = create_json(subdomain => 'q');
is($r->{status}, 201, 'a one-character subdomain is valid') or diag $r->{content};
$r = create_json(subdomain => 'a-b-1');
is($r->{status}, 201, 'inner hyphens and digits are valid') or diag $r->{content};

# --- name ---------------------------------------------------------------------

my %bad_names = (
	'empty' => '',
	'201 characters' => 'n' x 201,
	'a control character' => "Bad\x01Name",
	'a tab' => "Tab\tName",
	'a newline' => "Two\nLines",
	'DEL' => "Del\x7fName",
);
for my $what (sort keys %bad_names) {
	$r = create_json(name => $bad_names{$what});
	$s->is_error($r, 400, 'validation_failed', "name with $what", 'name');
}
$r = create_json(name => undef);
$s->is_error($r, 400, 'validation_failed', 'name missing', 'name');

$r = $s->post('/api/tenants/', form => [name => "Bad \xff\xfe UTF-8",
    subdomain => 'bad-utf8']);
$s->is_error($r, 400, 'validation_failed', 'name with invalid UTF-8 (urlencoded)', 'name');
$r = $s->post('/api/tenants/', body => 'name=Overlong%C0%AF&subdomain=overlong',
    content_type => 'application/x-www-form-urlencoded');
$s->is_error($r, 400, 'validation_failed', 'name with an overlong UTF-8 sequence', 'name');

$r = create_json(name => 'n' x 200);
is($r->{status}, 201, 'a 200-character name is valid') or diag $r->{content};
my $umlauts = "\x{fc}" x 200;
$r = create_json(name => $umlauts);
is($r->{status}, 201, '200 two-byte characters are 200 characters, not 400 bytes')
    or diag $r->{content};
is($r->{json}{name}, $umlauts, 'the UTF-8 name comes back intact');
$r = create_json(name => "M\x{fc}ller & S\x{f6}hne \x{1F600}");
is($r->{status}, 201, 'a name with non-ASCII characters and an emoji') or diag $r->{content};

# --- colors ---------------------------------------------------------------------

for my $bad ('#12345', 'red', '#gggggg', '123456', '#1234567', '#12 456', '') {
	$r = create_json(primary_color => $bad);
	$s->is_error($r, 400, 'validation_failed', "primary_color '$bad'", 'primary_color');
	$r = create_json(secondary_color => $bad);
	$s->is_error($r, 400, 'validation_failed', "secondary_color '$bad'", 'secondary_color');
}
$r = create_json(primary_color => '#0a0b0c', secondary_color => '#ffffff');
is($r->{status}, 201, 'valid #rrggbb colors') or diag $r->{content};

# --- contact_email --------------------------------------------------------------

for my $bad ('not-an-email', 'a@', '@example.com', 'a b@example.com',
    'a@b@example.com', "a\@exa\nmple.com") {
	(my $shown = $bad) =~ s/\n/\\n/g;
	$r = create_json(contact_email => $bad);
	$s->is_error($r, 400, 'validation_failed', "contact_email '$shown'", 'contact_email');
}
$r = create_json(contact_email => '');
is($r->{status}, 201, 'an empty contact_email is valid') or diag $r->{content};
$r = create_json(contact_email => 'first.last+tag@sub.example.com');
is($r->{status}, 201, 'a plausible address is valid') or diag $r->{content};

# --- module_keys ----------------------------------------------------------------

$r = create_json(module_keys => ['wallet', 'payroll']);
$s->is_error($r, 400, 'validation_failed', 'an unknown module key', 'module_keys');
$r = $s->post('/api/tenants/', form => [%{tenant_body()}, module_keys => 'nope']);
$s->is_error($r, 400, 'validation_failed', 'an unknown module key (urlencoded)', 'module_keys');

# --- logo -------------------------------------------------------------------------

sub create_with_logo {
	my (%logo) = @_;
	my $body = tenant_body();
	return $s->post('/api/tenants/', multipart => [%$body, logo => \%logo]);
}

$r = create_with_logo(filename => 'logo.png', type => 'image/png', content => $SVG);
$s->is_error($r, 400, 'validation_failed', 'an SVG logo, even named logo.png', 'logo');
$r = create_with_logo(filename => 'logo.svg', type => 'image/svg+xml', content => $SVG);
$s->is_error($r, 400, 'validation_failed', 'an SVG logo', 'logo');
$r = create_with_logo(filename => 'logo.png', type => 'image/png',
    content => "plain text pretending\n");
$s->is_error($r, 400, 'validation_failed', 'a text file as logo', 'logo');
$r = create_with_logo(filename => 'logo.png', type => 'image/png',
    content => $PNG . ("\0" x (2 * 1024 * 1024)));
$s->is_error($r, 400, 'validation_failed', 'a logo over 2 MiB', 'logo');
$r = create_with_logo(filename => 'logo.png', type => 'image/png', content => $PNG);
is($r->{status}, 201, 'a small PNG logo is valid') or diag $r->{content};

$r = create_json(logo => 'http://evil.example/logo.png');
is($r->{status}, 400, 'a logo given as text (not a file part) is 400');

# --- several errors at once -------------------------------------------------------

$r = create_json(name => '', subdomain => 'Bad_Sub', primary_color => 'red',
    contact_email => 'nope');
$s->is_error($r, 400, 'validation_failed', 'four bad fields');
is_deeply([sort keys %{$r->{json}{fields} // {}}],
    [qw(contact_email name primary_color subdomain)],
    'fields names every bad field at once');
ok(!grep({ !defined || ref || !length } values %{$r->{json}{fields} // {}}),
    'every field error is a non-empty message');

$before = tenant_rows();
create_json(subdomain => 'UPPER');
create_json(name => '');
is(tenant_rows(), $before, 'refused creates leave no rows');

# --- options ----------------------------------------------------------------------

$r = $s->post('/api/tenants/?deploy=maybe', json => tenant_body());
$s->is_error($r, 400, 'validation_failed', 'deploy=maybe', 'deploy');
$r = $s->post('/api/tenants/?deploy=false', json => tenant_body());
is($r->{status}, 201, 'deploy=false in the query string') or diag $r->{content};
$r = create_json(deploy => JSON::PP::false());
is($r->{status}, 201, 'deploy=false in the body') or diag $r->{content};

# --- routes and methods -------------------------------------------------------------

$r = $s->get('/api/no-such-endpoint');
$s->is_error($r, 404, 'not_found', 'an unknown route');
$r = $s->get('/api/no-such-endpoint', token => undef);
is($r->{status}, 404, 'an unknown route is 404 for anonymous callers too');
$r = $s->get('/api/tenants/abc/');
$s->is_error($r, 404, 'not_found', 'a non-numeric tenant id');
$r = $s->get('/api/tenants/007/');
is($r->{status}, 404, 'an id with a leading zero matches no route');
$r = $s->get('/api//tenants/');
is($r->{status}, 404, 'an empty path segment matches no route');
$r = $s->get('/api/tenants/%31/');
is($r->{status}, 404, 'a percent-encoded id matches no route');
$r = $s->get('/api/tenants/' . ('9' x 19) . '/');
is($r->{status}, 404, 'an id too long for 64 bits matches no route');

$r = $s->put('/api/tenants/', json => tenant_body());
$s->is_error($r, 405, 'method_not_allowed', 'PUT /api/tenants/');
like($r->{headers}{allow} // '', qr/\bGET\b/, 'Allow lists GET');
like($r->{headers}{allow} // '', qr/\bPOST\b/, 'Allow lists POST');
unlike($r->{headers}{allow} // '', qr/\bPUT\b/, 'Allow does not list PUT');

$r = $s->delete('/api/tenants/statistics/');
$s->is_error($r, 405, 'method_not_allowed', 'DELETE /api/tenants/statistics/');
$r = $s->get('/api/auth/login', token => undef);
$s->is_error($r, 405, 'method_not_allowed', 'GET /api/auth/login');
like($r->{headers}{allow} // '', qr/\bPOST\b/, 'login allows POST');
$r = $s->post('/api/healthz', token => undef);
is($r->{status}, 405, 'POST /api/healthz is 405');

$r = $s->request('OPTIONS', '/api/tenants/', token => undef);
ok($r->{status} == 204 || $r->{status} == 200, 'OPTIONS on a known path')
    or diag "$r->{status} $r->{content}";
like($r->{headers}{allow} // '', qr/\bGET\b.*\bPOST\b/, 'OPTIONS answers with Allow');

done_testing;
