# api-bad-input.t - hostile requests through the real front end.
#
# Oversized headers and bodies, truncated multipart, invalid UTF-8 in every
# string field of create, huge numbers, deep nesting, duplicate keys, wrong
# content types and every method a route does not take.  Each gets a clean
# 4xx (from nginx or from tenantd), and afterwards the same workers are
# still serving and the log holds no sanitizer report.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 2, nginx_max_body => '1m',
    conf => { max_body_bytes => '64K' });
$s->start;

my @workers_before = sort { $a <=> $b } $s->worker_pids;
cmp_ok(scalar @workers_before, '>=', 1, 'tenantd has workers');

my $r = $s->post('/api/tenants/', json => { name => 'Bad Input', subdomain => 'bad-input' });
is($r->{status}, 201, 'a tenant for the routes that need one') or diag $r->{content};
my $tenant_id = $r->{json}{id};

# --- headers ----------------------------------------------------------------

$r = $s->get('/api/tenants/', headers => { 'X-Huge' => 'h' x 65536 });
ok(grep({ $r->{status} == $_ } 400, 413, 431, 494),
    "a 64 KiB header is refused by the front end ($r->{status})");
$r = $s->get('/api/tenants/', headers => { map { ("X-Many-$_" => 'm' x 1000) } 1 .. 40 });
ok(grep({ $r->{status} == $_ } 200, 400, 413, 431, 494),
    "40 KB of headers is refused or served ($r->{status})");
$r = $s->get('/api/tenants/', headers => { 'X-Large' => 'l' x 6000,
    Cookie => 'tenantd_session=' . ('a' x 6000) });
cmp_ok($r->{status}, '<', 500,
    "headers just under the front end's limit reach tenantd cleanly ($r->{status})");
$r = $s->get('/api/tenants/', token => 'x' x 7000);
is($r->{status}, 401, 'a 7000-byte Bearer token is refused');

# --- bodies -----------------------------------------------------------------

$r = $s->post('/api/tenants/', body => '{"name": "' . ('x' x 100_000) . '"}',
    content_type => 'application/json');
$s->is_error($r, 413, 'body_too_large', 'a body over max_body_bytes');

my $boundary = 'cut' . 'x' x 10;
my $multipart = "--$boundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
    . "Cut Short\r\n--$boundary\r\nContent-Disposition: form-data; name=\"subdomain\"\r\n\r\ncut-sh";
$r = $s->post('/api/tenants/', body => $multipart,
    content_type => "multipart/form-data; boundary=$boundary");
$s->is_error($r, 400, 'malformed_body', 'multipart cut off inside a part');
$r = $s->post('/api/tenants/', body => substr($multipart, 0, 30),
    content_type => "multipart/form-data; boundary=$boundary");
$s->is_error($r, 400, 'malformed_body', 'multipart cut off inside the headers');
$r = $s->post('/api/tenants/', body => "--$boundary\r\nContent-Disp",
    content_type => "multipart/form-data; boundary=$boundary");
is($r->{status}, 400, 'multipart cut off in a header line is 400');

# --- invalid UTF-8 in every string field of create ----------------------------

my %valid = (name => 'Utf Check', subdomain => 'utf-check',
    contact_email => 'a@utf.test', primary_color => '#112233',
    secondary_color => '#445566', module_keys => 'wallet');
for my $field (sort keys %valid) {
	for my $bad ("\xff", "\xc0\xaf", "\xed\xa0\x80", "ok\xe2\x82") {
		my %form = (%valid, $field => $valid{$field} . $bad);
		my $shown = join '', map { sprintf '\\x%02x', ord } split //, $bad;
		$r = $s->post('/api/tenants/', form => [%form]);
		$s->is_error($r, 400, 'validation_failed',
		    "invalid UTF-8 ($shown) in $field", $field);
	}
}
$r = $s->post('/api/tenants/', body => qq({"name": "Bad \xff Byte", "subdomain": "bad-byte"}),
    content_type => 'application/json');
is($r->{status}, 400, 'invalid UTF-8 inside a JSON string is 400');
my ($created) = $s->sql("SELECT COUNT(*) FROM tenants WHERE subdomain IN ('utf-check', 'bad-byte')");
is($created->[0], 0, 'no invalid UTF-8 request created a tenant');

# --- numbers ------------------------------------------------------------------

for my $query ('page=1e30', 'page=99999999999999999999', 'page=-1',
    'page=0x10', 'page=1%00', 'page_size=1%002', 'is_active=true%00x',
    'ordering=name%00') {
	$r = $s->get("/api/tenants/?$query");
	is($r->{status}, 400, "list with $query is 400") or diag $r->{content};
}
$r = $s->get('/api/tenants/?page_size=99999999999999999999');
is($r->{status}, 200, 'a huge page_size is clamped (SPEC section 9)')
    or diag $r->{content};
for my $path ('/api/tenants/99999999999999999999/', '/api/tenants/9223372036854775808/',
    '/api/tenants/999999999999999999/', '/api/jobs/99999999999999999999/',
    '/api/tenants/0/', '/api/tenants/-1/', '/api/tenants/1e3/') {
	$r = $s->get($path);
	ok($r->{status} == 404 || $r->{status} == 400, "GET $path is 404 or 400 ($r->{status})");
}
$r = $s->post("/api/tenants/$tenant_id/update_module/",
    json => { module_key => 'wallet', is_enabled => 1e300 });
is($r->{status}, 400, 'a huge number for a boolean is 400') or diag $r->{content};

# --- JSON structure -----------------------------------------------------------

$r = $s->post('/api/tenants/', body => ('[' x 10_000) . (']' x 10_000),
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'JSON arrays nested 10,000 deep');
$r = $s->post('/api/tenants/', body => ('{"a":' x 10_000) . '1' . ('}' x 10_000),
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'JSON objects nested 10,000 deep');
$r = $s->post('/api/tenants/', body => '{"name": "One", "name": "Two", "subdomain": "dupe"}',
    content_type => 'application/json');
$s->is_error($r, 400, 'malformed_body', 'a duplicate key');
$r = $s->post('/api/tenants/', body => '{"name": "One", "subdomain": "dupe", "n\u0061me": "Two"}',
    content_type => 'application/json');
is($r->{status}, 400, 'a duplicate key spelled with an escape is 400');

# --- content types ------------------------------------------------------------

for my $type ('text/plain', 'application/xml', 'image/png', 'application/jsonx',
    'multipart/mixed; boundary=x', 'application/x-www-form-urlencoded-evil') {
	$r = $s->post('/api/tenants/', body => '{"name": "T", "subdomain": "typed"}',
	    content_type => $type);
	$s->is_error($r, 415, 'unsupported_media_type', "a $type body");
}

# --- methods not allowed, on every route ----------------------------------------

open(my $list, '-|', $s->tenantd_binary, '--list-routes')
    or die 'tenantd --list-routes: ' . $!;
my %methods_of;
for my $line (<$list>) {
	chomp $line;
	my ($methods, $pattern) = split /\t/, $line;
	$methods_of{$pattern}{$_} = 1 for split /,/, $methods;
}
close $list;
for my $pattern (sort keys %methods_of) {
	(my $path = $pattern) =~ s/\{id\}/$tenant_id/g;
	$path =~ s/\{sub\}/bad-input/g;
	$path =~ s/\{version\}/0123456789ab/g;
	$path =~ s/\{domain\}/hr.bad-input.test/g;
	$path =~ s/\{path\*\}/logo.png/g;
	# Patterns that also match this path (e.g. /api/tenants/{id}/ and
	# /api/tenants/statistics/) add their methods to Allow.
	my %allowed = %{$methods_of{$pattern}};
	for my $other (keys %methods_of) {
		(my $regex = quotemeta $other) =~ s/\\\{id\\\}/[1-9][0-9]*/g;
		$regex =~ s/\\\{sub\\\}/[a-z0-9-]+/g;
		$regex =~ s/\\\{version\\\}/[0-9a-f]{12}/g;
		$regex =~ s/\\\{domain\\\}/[A-Za-z0-9.-]+/g;
		$regex =~ s/\\\{path\\\*\\\}/.*/g;
		$regex =~ s{/$}{};
		next unless $path =~ m{^$regex/?$};
		$allowed{$_} = 1 for keys %{$methods_of{$other}};
	}
	for my $method (qw(GET POST PATCH PUT DELETE)) {
		next if $allowed{$method};
		$r = $s->request($method, $path,
		    $method =~ /^(?:POST|PATCH|PUT)$/ ? (json => {}) : ());
		is($r->{status}, 405, "$method $path is 405");
		my %allow = map { $_ => 1 } split /\s*,\s*/, $r->{headers}{allow} // '';
		is_deeply([sort keys %allow], [sort keys %allowed],
		    "$method $path: Allow lists the route's methods")
		    or diag "Allow: " . ($r->{headers}{allow} // 'none');
	}
}

# --- bytes that are not UTF-8 in a logged path ----------------------------------

$r = $s->get("/api/not-utf8/a\xffb\xc3\xa9c\xe2\x82");
is($r->{status}, 404, 'a path with bytes that are not UTF-8 is 404');
my ($logged) = grep { m{/api/not-utf8/} }
    split /\n/, TenantdStack->slurp($s->log_path('tenantd'));
ok(defined $logged, 'the request is logged');
like($logged // '', qr{ /api/not-utf8/a\\xffb\xc3\xa9c\\xe2\\x82 404 },
    'stray bytes are logged as \\xNN, valid UTF-8 as it was');
ok(defined $logged && utf8::decode(my $copy = $logged),
    'the log line is valid UTF-8');

# --- the workers survived -------------------------------------------------------

$r = $s->get('/api/healthz');
is($r->{status}, 200, 'tenantd still answers');
is_deeply([sort { $a <=> $b } $s->worker_pids], \@workers_before,
    'the same workers serve after all of it (none crashed)');
open(my $log, '<', $s->log_path('tenantd')) or die "tenantd.log: $!";
my @reports = grep { /AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY: UndefinedBehavior/ } <$log>;
close $log;
is(scalar @reports, 0, 'no sanitizer report in tenantd.log') or diag @reports[0 .. 4];

done_testing;
