# api-public.t - the public endpoints tenant sites use, through nginx:
# config.json by subdomain (exact bytes, ETag, 304, never stale after a
# change made by any worker or by tenantctl, 404 for unknown, reserved,
# invalid, deleted and archived tenants) and assets of public/ (types,
# nosniff, ETag/Last-Modified/304, HEAD, streaming of a large file, every
# traversal attempt including encoded and symlinked ones, each also sent
# straight to tenantd's socket), then the same assets handed to nginx with
# X-Accel-Redirect and to a throw-away lighttpd with X-Sendfile.
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use MIME::Base64 qw(decode_base64);
use Test::More;
use Time::HiRes qw(time);

use TenantdStack;
use TestProcess qw(free_port spawn);
use TestUtil qw(spew);

my $BASE = '/api/tenants/by-subdomain';
# A 1x1 PNG.
my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');
my %FILES = (
	'site.css' => "body { color: #123456; }\n",
	'app.js' => "export function hello() { return 1; }\n",
	'icon.svg' => qq{<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>\n},
	'data.json' => qq{{"hello": "world"}\n},
	'page.html' => "<!doctype html>\n<html><body><p>hi</p></body></html>\n",
	'notes.txt' => "plain words\n",
	'dir/sub/deep.txt' => "deep\n",
	'a b.txt' => "with a space\n",
	"caf\xc3\xa9.txt" => "unicode name\n",
	'%2e%2e' => "a file literally named %2e%2e\n",
	'x+y.txt' => "plus stays plus\n",
);

# TestUtil's spew(), creating the file's directories first.
sub spew_with_dirs {
	my ($path, $content) = @_;
	(my $dir = $path) =~ s{/[^/]+$}{};
	make_path($dir);
	spew($path, $content);
}

# Creates tenant `sub` (no deploy) and fills its public/ with %FILES.
sub make_tenant {
	my ($s, $sub, %extra) = @_;
	my $r = $s->post('/api/tenants/?deploy=false', multipart => [
	    name => "Tenant $sub", subdomain => $sub,
	    logo => { filename => 'logo.png', content => $PNG, type => 'image/png' },
	    %extra]);
	is($r->{status}, 201, "tenant $sub is created") or diag $r->{content};
	my $public = $s->tenants_dir . "/$sub/public";
	spew_with_dirs("$public/$_", $FILES{$_}) for keys %FILES;
	return $r->{json};
}

# A GET through nginx without credentials.
sub public_get {
	my ($s, $path, %headers) = @_;
	return $s->get($path, token => undef, headers => \%headers);
}

# The raw bytes nginx sends for a request, for checks the parsed response
# hides (a HEAD must carry no body).
sub raw_request {
	my ($s, $request) = @_;
	my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $s->port, Proto => 'tcp', Timeout => 10)
	    or die "connect: $@";
	print $socket $request;
	my $raw = '';
	while (1) {
		my $n = sysread($socket, my $chunk, 65536);
		last unless $n;
		$raw .= $chunk;
	}
	close $socket;
	return $raw;
}

# Header `name` is sent exactly once, as `expected` (tenantd and nginx
# both know some security headers; the front end must not double them).
sub header_once_is {
	my ($r, $name, $expected, $test) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my @values = map { $_->[1] } grep { lc $_->[0] eq lc $name }
	    @{$r->{header_list}};
	ok(@values == 1 && $values[0] eq $expected, $test)
	    or diag "$name: " . join(' | ', @values);
}

# A traversal attempt must end in 404 (nginx may answer 400 itself, e.g.
# for a path above its root or a %00), and never carry a file's content.
# The same request sent straight to tenantd's FastCGI socket, without
# nginx's normalisation in front, must be a 404 as well.
sub refused {
	my ($s, $path, $test) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $leak = qr/root:|"version"|deep|with a space|other tenant secret|SECRET|core/;
	my $r = public_get($s, $path);
	ok($r->{status} == 404 || $r->{status} == 400,
	    "$test: 404 (or 400)") or diag "$path -> $r->{status} $r->{content}";
	unlike($r->{content}, $leak, "$test: no file content");
	ok(!defined $r->{headers}{location}, "$test: no redirect");
	$r = $s->_fastcgi_request('GET', $path, { Host => '127.0.0.1' }, '', 30);
	is($r->{status}, 404, "$test: tenantd itself answers 404")
	    or diag "$path -> $r->{status} $r->{content}";
	unlike($r->{content}, $leak, "$test: tenantd sends no file content");
	ok(!defined $r->{headers}{'x-accel-redirect'}
	    && !defined $r->{headers}{'x-sendfile'},
	    "$test: tenantd hands no file to the web server");
}

my $s = TenantdStack->new(workers => 3);
$s->start;
my $TENANTS = $s->tenants_dir;

my $acme = make_tenant($s, 'acme');
my $other = make_tenant($s, 'other');
spew_with_dirs("$TENANTS/other/public/secret.txt", "other tenant secret\n");

# --- config by subdomain ----------------------------------------------------

my $config_path = "$BASE/acme/config/";
my $file = TenantdStack->slurp("$TENANTS/acme/config.json");
my $r = public_get($s, $config_path);
is($r->{status}, 200, 'config: 200 without credentials');
is($r->{content}, $file, 'config: exactly the bytes of config.json');
is($r->{headers}{'content-type'}, 'application/json; charset=utf-8',
    'config: Content-Type application/json; charset=utf-8');
my $etag = $r->{headers}{etag} // '';
like($etag, qr/^"[^"\s]+"$/, 'config: a strong ETag (nginx serves the file '
    . 'itself and makes it of its time and size)');
# tenantd answers what the front end passes on, with an ETag of its own.
my $own = $s->_fastcgi_request('GET', $config_path, { Host => '127.0.0.1' },
    '', 30);
is($own->{content}, $file, 'config from tenantd itself: the same bytes');
is($own->{headers}{etag}, '"' . substr(sha256_hex($file), 0, 32) . '"',
    'config from tenantd itself: the ETag is the SHA-256 prefix of the bytes');
is($r->{headers}{'cache-control'}, 'no-cache',
    'config: Cache-Control no-cache (clients revalidate)');
header_once_is($r, 'X-Content-Type-Options', 'nosniff', 'config: nosniff');
is($r->{json} && $r->{json}{tenant}{subdomain}, 'acme', 'config: it is acme\'s');
is(public_get($s, "$BASE/acme/config")->{content}, $file,
    'config: the trailing slash is optional');

$r = public_get($s, $config_path, 'If-None-Match' => $etag);
is($r->{status}, 304, 'config: If-None-Match with the ETag: 304');
is($r->{headers}{etag}, $etag, 'config: the 304 carries the ETag');
is($r->{content}, '', 'config: the 304 has no body');
is(public_get($s, $config_path, 'If-None-Match' => "W/$etag")->{status}, 304,
    'config: a weak If-None-Match matches too');
is(public_get($s, $config_path, 'If-None-Match' => qq{"nope", $etag})->{status},
    304, 'config: an ETag in a list matches');
is(public_get($s, $config_path, 'If-None-Match' => '*')->{status}, 304,
    'config: If-None-Match * matches an existing config');
is(public_get($s, $config_path, 'If-None-Match' => '"0123"')->{status}, 200,
    'config: another ETag gets the body');
$r = $s->head($config_path, token => undef);
is($r->{status}, 200, 'config: HEAD 200');
is($r->{headers}{'content-length'}, length $file,
    'config: HEAD announces the length');

# Fill every worker's cache, then change the tenant through the API.
public_get($s, $config_path) for 1 .. 20;
$r = $s->patch("/api/tenants/$acme->{id}/", json => { name => 'Acme Renamed' });
is($r->{status}, 200, 'PATCH renames the tenant') or diag $r->{content};
my $new_file = TenantdStack->slurp("$TENANTS/acme/config.json");
isnt($new_file, $file, 'config.json was rewritten');
my ($stale, $wrong) = (0, 0);
my $new_etag;
for (1 .. 20) {
	$r = public_get($s, $config_path);
	$stale++ if ($r->{headers}{etag} // '') eq $etag;
	$wrong++ if $r->{content} ne $new_file;
	$new_etag = $r->{headers}{etag};
	# And every worker's cache, asked straight.
	my $direct = $s->_fastcgi_request('GET', $config_path,
	    { Host => '127.0.0.1' }, '', 30);
	$wrong++ if $direct->{content} ne $new_file;
	$stale++ if ($direct->{headers}{etag} // '') eq ($own->{headers}{etag} // '');
}
is($stale, 0, 'after PATCH: 20 GETs never return the old ETag');
my %config_pids;
for my $line (split /\n/, TenantdStack->slurp($s->log_path('tenantd'))) {
	$config_pids{$1} = 1 if $line =~ m{tenantd\[(\d+)\].* GET \Q$config_path\E 200};
}
cmp_ok(scalar keys %config_pids, '>=', 2,
    'the config was served (and cached) by more than one worker');
is($wrong, 0, 'after PATCH: 20 GETs all return the new bytes');
isnt($new_etag, $etag, 'after PATCH: a new ETag');
is(JSON::PP->new->decode($new_file)->{tenant}{name}, 'Acme Renamed',
    'after PATCH: the served config has the new name');
is(public_get($s, $config_path, 'If-None-Match' => $etag)->{status}, 200,
    'after PATCH: the old ETag no longer gives 304');

$r = $s->post("/api/tenants/$acme->{id}/update_module/",
    json => { module_key => 'wallet', is_enabled => JSON::PP::true() });
is($r->{status}, 200, 'update_module enables wallet') or diag $r->{content};
($stale, $wrong) = (0, 0);
my $module_file = TenantdStack->slurp("$TENANTS/acme/config.json");
for (1 .. 20) {
	$r = public_get($s, $config_path);
	$stale++ if ($r->{headers}{etag} // '') eq $new_etag;
	$wrong++ if $r->{content} ne $module_file;
}
is($stale + $wrong, 0, 'after update_module: every worker serves the new config');
ok(JSON::PP->new->decode($r->{content})->{modules}{wallet},
    'after update_module: wallet is on in the served config');

# A change by hand, the way tenantctl or a deploy writes: rename over it.
spew_with_dirs("$TENANTS/acme/config.json.new", qq{{"by": "hand"}\n});
rename("$TENANTS/acme/config.json.new", "$TENANTS/acme/config.json") or die $!;
($wrong) = (0);
for (1 .. 10) {
	$wrong++ if public_get($s, $config_path)->{content} ne qq{{"by": "hand"}\n};
}
is($wrong, 0, 'a config.json replaced outside tenantd is served at once');

# Unknown, reserved and impossible subdomains.
$s->is_error(public_get($s, "$BASE/nosuch/config/"), 404, 'not_found',
    'config: unknown subdomain');
# tenantd never makes a folder for a reserved name; nginx serves a folder
# that is there, as it serves its site, while tenantd itself refuses it.
make_path("$TENANTS/www");
spew_with_dirs("$TENANTS/www/config.json", qq{{"reserved": true}\n});
$r = $s->_fastcgi_request('GET', "$BASE/www/config/", { Host => '127.0.0.1' },
    '', 30);
is($r->{status}, 404,
    'config from tenantd itself: a reserved subdomain is 404 even with a folder');
like($r->{content}, qr/"code":"not_found"/, '  not_found');
remove_tree("$TENANTS/www");
for my $bad ('ACME', 'Acme', '-acme', 'acme-', 'a_b', 'a.b', 'x' x 64,
    'acme%2e') {
	$r = public_get($s, "$BASE/$bad/config/");
	is($r->{status}, 404, "config: subdomain '$bad' is 404");
}
# An encoded letter is the same name (RFC 3986 6.2.2.2) to nginx, which
# decodes the path before it matches it; tenantd reads the raw path.
is(public_get($s, "$BASE/%61cme/config/")->{content},
    TenantdStack->slurp("$TENANTS/acme/config.json"),
    "config: '%61cme' is acme to nginx");
is($s->_fastcgi_request('GET', "$BASE/%61cme/config/",
    { Host => '127.0.0.1' }, '', 30)->{status}, 404,
    "config from tenantd itself: '%61cme' is 404");

# Deleted through tenantctl.
my $gone = make_tenant($s, 'gone');
is(public_get($s, "$BASE/gone/config/")->{status}, 200, 'gone: served before');
my ($exit, $out, $err) = $s->tenantctl('tenant', 'delete', 'gone', '--yes');
is($exit, 0, 'tenantctl tenant delete gone') or diag "$out$err";
$s->is_error(public_get($s, "$BASE/gone/config/"), 404, 'not_found',
    'config: a tenant deleted by tenantctl is 404 at once');
is(public_get($s, "$BASE/gone/assets/logo.png")->{status}, 404,
    'assets: a deleted tenant has no assets');

# Archived: the folder moves to the archive area.
my $archived = make_tenant($s, 'shelved');
is(public_get($s, "$BASE/shelved/config/")->{status}, 200,
    'shelved: served before archiving');
rename("$TENANTS/shelved", $s->archive_dir . '/shelved') or die $!;
$s->is_error(public_get($s, "$BASE/shelved/config/"), 404, 'not_found',
    'config: an archived tenant (folder in the archive) is 404');
is(public_get($s, "$BASE/shelved/assets/logo.png")->{status}, 404,
    'assets: an archived tenant has no assets');
rename($s->archive_dir . '/shelved', "$TENANTS/shelved") or die $!;
is(public_get($s, "$BASE/shelved/config/")->{status}, 200,
    'shelved: served again once the folder is back');

# --- assets -------------------------------------------------------------------

$r = $s->_fastcgi_request('GET', "$BASE/acme/assets/logo.png",
    { Host => '127.0.0.1' }, '', 30);
ok(!defined $r->{headers}{'x-accel-redirect'} && $r->{content} eq $PNG,
    'without offload tenantd sends the bytes itself');
$r = public_get($s, "$BASE/acme/assets/logo.png");
is($r->{status}, 200, 'logo.png: 200');
is($r->{content}, $PNG, 'logo.png: the stored bytes');
is($r->{headers}{'content-type'}, 'image/png', 'logo.png: image/png');
header_once_is($r, 'X-Content-Type-Options', 'nosniff', 'logo.png: nosniff');
is($r->{headers}{'cache-control'}, 'public, max-age=300',
    'logo.png: Cache-Control public, max-age=300');
is($r->{headers}{'content-length'}, length $PNG, 'logo.png: Content-Length');
my $logo_etag = $r->{headers}{etag} // '';
like($logo_etag, qr/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/,
    'logo.png: ETag of inode, size and mtime');
my $modified = $r->{headers}{'last-modified'} // '';
like($modified, qr/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/,
    'logo.png: Last-Modified is an RFC 7231 date');

my %types = (
	'site.css' => 'text/css; charset=utf-8',
	'app.js' => 'text/javascript; charset=utf-8',
	'icon.svg' => 'image/svg+xml',
	'data.json' => 'application/json; charset=utf-8',
	'page.html' => 'text/html; charset=utf-8',
	'notes.txt' => 'text/plain; charset=utf-8',
);
for my $name (sort keys %types) {
	$r = public_get($s, "$BASE/acme/assets/$name");
	is($r->{status}, 200, "$name: 200");
	is($r->{headers}{'content-type'}, $types{$name}, "$name: $types{$name}");
	is($r->{content}, $FILES{$name}, "$name: its bytes");
}
# On the admin host a tenant's HTML, SVG or XML would run with the admin
# origin's cookies: it is a download in a sandbox there, and only there.
spew_with_dirs("$TENANTS/acme/public/feed.xml", qq{<?xml version="1.0"?><feed/>\n});
for my $name ('page.html', 'icon.svg', 'feed.xml') {
	$r = public_get($s, "$BASE/acme/assets/$name");
	is($r->{status}, 200, "$name on the admin host: 200");
	is($r->{headers}{'content-disposition'}, 'attachment',
	    "$name on the admin host: a download");
	is($r->{headers}{'content-security-policy'} =~ s/, default-src 'self'.*//r,
	    "sandbox; default-src 'none'", "$name on the admin host: sandboxed");
	$r = $s->get("$BASE/acme/assets/$name", token => undef,
	    host => 'acme.localhost');
	is($r->{status}, 200, "$name on the tenant's host: 200");
	ok(!defined $r->{headers}{'content-disposition'},
	    "$name on the tenant's host: shown, not downloaded");
	unlike($r->{headers}{'content-security-policy'} // '', qr/sandbox/,
	    "$name on the tenant's host: not sandboxed");
}
for my $name ('site.css', 'app.js', 'data.json', 'notes.txt', 'logo.png') {
	$r = public_get($s, "$BASE/acme/assets/$name");
	ok(!defined $r->{headers}{'content-disposition'},
	    "$name on the admin host is no download");
}

is(public_get($s, "$BASE/acme/assets/dir/sub/deep.txt")->{content},
    $FILES{'dir/sub/deep.txt'}, 'a file two directories down is served');
is(public_get($s, "$BASE/acme/assets/a%20b.txt")->{content},
    $FILES{'a b.txt'}, 'a name with a space (%20) is served');
is(public_get($s, "$BASE/acme/assets/caf%C3%A9.txt")->{content},
    $FILES{"caf\xc3\xa9.txt"}, 'a UTF-8 name is served');
is(public_get($s, "$BASE/acme/assets/x+y.txt")->{content},
    $FILES{'x+y.txt'}, '"+" is a plus, not a space');
is(public_get($s, "$BASE/acme/assets/%252e%252e")->{content},
    $FILES{'%2e%2e'}, 'double encoding stays literal: %252e%252e is the file "%2e%2e"');

$r = public_get($s, "$BASE/acme/assets/logo.png", 'If-None-Match' => $logo_etag);
is($r->{status}, 304, 'logo.png: If-None-Match 304');
is($r->{content}, '', 'logo.png: the 304 has no body');
is($r->{headers}{etag}, $logo_etag, 'logo.png: the 304 carries the ETag');
is(public_get($s, "$BASE/acme/assets/logo.png", 'If-Modified-Since' => $modified)->{status},
    304, 'logo.png: If-Modified-Since Last-Modified: 304');
is(public_get($s, "$BASE/acme/assets/logo.png",
    'If-Modified-Since' => 'Thu, 01 Jan 1970 00:00:01 GMT')->{status},
    200, 'logo.png: modified since 1970: 200');
is(public_get($s, "$BASE/acme/assets/logo.png", 'If-None-Match' => '"x"',
    'If-Modified-Since' => $modified)->{status},
    200, 'logo.png: If-None-Match decides over If-Modified-Since');

# A rewritten file gets a new ETag.
spew_with_dirs("$TENANTS/acme/public/site.css", "body { color: #654321; }\n");
$r = public_get($s, "$BASE/acme/assets/site.css");
is($r->{content}, "body { color: #654321; }\n", 'a changed file is served new');
my $css_etag = $r->{headers}{etag};
spew_with_dirs("$TENANTS/acme/public/site.css.new", "p{}\n");
rename("$TENANTS/acme/public/site.css.new", "$TENANTS/acme/public/site.css");
$r = public_get($s, "$BASE/acme/assets/site.css", 'If-None-Match' => $css_etag);
is($r->{status}, 200, 'a replaced file no longer matches the old ETag');

$r = $s->head("$BASE/acme/assets/logo.png", token => undef);
is($r->{status}, 200, 'HEAD logo.png: 200');
is($r->{headers}{'content-length'}, length $PNG, 'HEAD logo.png: Content-Length');
is($r->{headers}{'content-type'}, 'image/png', 'HEAD logo.png: Content-Type');
my $raw = raw_request($s, "HEAD $BASE/acme/assets/logo.png HTTP/1.1\r\n"
    . "Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
like($raw, qr{^HTTP/1\.1 200 }, 'raw HEAD: 200');
is(substr($raw, index($raw, "\r\n\r\n") + 4), '', 'raw HEAD: no body at all');

# A large file is streamed whole.
my $big = join '', map { chr(($_ * 7 + 3) % 256) } 1 .. (3 * 1024 * 1024 + 17);
spew_with_dirs("$TENANTS/acme/public/big.bin", $big);
$r = public_get($s, "$BASE/acme/assets/big.bin");
is($r->{status}, 200, 'big.bin (3 MiB): 200');
is($r->{headers}{'content-length'}, length $big, 'big.bin: Content-Length');
ok($r->{content} eq $big, 'big.bin: every byte arrives');
is($r->{headers}{'content-type'}, 'application/octet-stream',
    'big.bin: unknown bytes are application/octet-stream');

# Not found, and every way out of public/.
symlink('/etc/passwd', "$TENANTS/acme/public/passwd") or die $!;
symlink('../../other/public/secret.txt', "$TENANTS/acme/public/other.txt") or die $!;
symlink('../../other/public', "$TENANTS/acme/public/otherdir") or die $!;
symlink('/etc', "$TENANTS/acme/public/etc") or die $!;
spew_with_dirs("$TENANTS/acme/public/.env", "SECRET=1\n");
spew_with_dirs("$TENANTS/acme/public/.git/config", "[core]\n");
$s->is_error(public_get($s, "$BASE/acme/assets/missing.png"), 404, 'not_found',
    'assets: a missing file');
$s->is_error(public_get($s, "$BASE/nosuch/assets/logo.png"), 404, 'not_found',
    'assets: an unknown tenant');
$s->is_error(public_get($s, "$BASE/www/assets/logo.png"), 404, 'not_found',
    'assets: a reserved subdomain');
is(public_get($s, "$BASE/ACME/assets/logo.png")->{status}, 404,
    'assets: an upper-case subdomain');
refused($s, "$BASE/acme/assets/", 'an empty asset path');
refused($s, "$BASE/acme/assets/dir", 'a directory');
refused($s, "$BASE/acme/assets/dir/", 'a directory with a slash');
refused($s, "$BASE/acme/assets/passwd", 'a symlink to /etc/passwd');
refused($s, "$BASE/acme/assets/other.txt", 'a symlink to another tenant');
refused($s, "$BASE/acme/assets/otherdir/secret.txt",
    'a symlinked directory of another tenant');
refused($s, "$BASE/acme/assets/etc/passwd", 'a symlinked /etc');
refused($s, "$BASE/acme/assets/.env", 'a dot file');
refused($s, "$BASE/acme/assets/.git/config", 'a dot directory');
refused($s, "$BASE/acme/assets/%2eenv", 'an encoded dot file');
refused($s, "$BASE/acme/assets/../config.json", '../');
refused($s, "$BASE/acme/assets/../../other/public/secret.txt", '../../other');
refused($s, "$BASE/acme/assets/../../../../../../etc/passwd", 'many ../');
refused($s, "$BASE/acme/assets/%2e%2e/config.json", '%2e%2e/');
refused($s, "$BASE/acme/assets/%2E%2E/config.json", '%2E%2E/');
refused($s, "$BASE/acme/assets/%2e%2e%2fconfig.json", '%2e%2e%2f');
refused($s, "$BASE/acme/assets/..%2fconfig.json", '..%2f');
refused($s, "$BASE/acme/assets/..%2Fconfig.json", '..%2F');
refused($s, "$BASE/acme/assets/%2e%2e%2f%2e%2e%2fother%2fpublic%2fsecret.txt",
    'fully encoded ../../other');
refused($s, "$BASE/acme/assets/dir%2f..%2f..%2fconfig.json", 'dir%2f..%2f..');
refused($s, "$BASE/acme/assets/%2Fetc%2Fpasswd", '%2F (absolute)');
refused($s, "$BASE/acme/assets/%2F", 'a lone %2F');
refused($s, "$BASE/acme/assets//etc/passwd", 'absolute //etc/passwd');
refused($s, "$BASE/acme/assets/logo.png%00", '%00');
refused($s, "$BASE/acme/assets/logo.png%00.txt", 'NUL before an extension');
refused($s, "$BASE/acme/assets/..\\config.json", 'a raw backslash');
refused($s, "$BASE/acme/assets/..%5cconfig.json", 'an encoded backslash');
refused($s, "$BASE/acme/assets/%c0%ae%c0%ae/config.json", 'overlong UTF-8 dots');
refused($s, "$BASE/acme/assets/%c0%af", 'an overlong UTF-8 slash');
refused($s, "$BASE/acme/assets/%252e%252e/config.json",
    'double encoding is a name, not ..');
refused($s, "$BASE/acme/assets/logo.png%0a", 'a control character');
refused($s, "$BASE/acme/assets/%zz", 'a malformed escape');
refused($s, "$BASE/acme/assets/" . ('a' x 256), 'a name of 256 bytes');
refused($s, "$BASE/acme/assets/" . join('/', ('abcdefghi') x 103),
    'a path over 1024 bytes');
refused($s, "$BASE/acme/assets/./logo.png", 'a ./ segment');

$s->stop;

# --- X-Accel-Redirect: nginx sends the bytes ---------------------------------

my $x = TenantdStack->new(workers => 2, conf => { asset_offload => 'nginx' });
$x->start;
my $xt = make_tenant($x, 'acme');
my $XTENANTS = $x->tenants_dir;
symlink('/etc/passwd', "$XTENANTS/acme/public/passwd") or die $!;
spew_with_dirs("$XTENANTS/acme/public/big.bin", $big);

$r = $x->_fastcgi_request('GET', "$BASE/acme/assets/a%20b.txt",
    { Host => '127.0.0.1' }, '', 30);
is($r->{headers}{'x-accel-redirect'}, '/_tenantd_files/acme/public/a%20b.txt',
    'offload: tenantd answers with X-Accel-Redirect to the internal location');
is($r->{content}, '', 'offload: and without the bytes');
$r = $x->_fastcgi_request('GET', "$BASE/acme/assets/%252e%252e",
    { Host => '127.0.0.1' }, '', 30);
is($r->{headers}{'x-accel-redirect'}, '/_tenantd_files/acme/public/%252e%252e',
    'offload: the redirect path is percent-encoded again');

$r = public_get($x, "$BASE/acme/assets/logo.png");
is($r->{status}, 200, 'offload: logo.png 200');
is($r->{content}, $PNG, 'offload: nginx sends the logo bytes');
is($r->{headers}{'content-type'}, 'image/png', 'offload: image/png');
is($r->{headers}{'content-length'}, length $PNG, 'offload: Content-Length');
header_once_is($r, 'X-Content-Type-Options', 'nosniff', 'offload: nosniff');
ok(!defined $r->{headers}{'x-accel-redirect'},
    'offload: X-Accel-Redirect does not reach the client');
my $x_etag = $r->{headers}{etag};
ok(defined $x_etag, 'offload: an ETag is sent');
$r = public_get($x, "$BASE/acme/assets/page.html");
is($r->{headers}{'content-disposition'}, 'attachment',
    'offload: HTML on the admin host is still a download');
like($r->{headers}{'content-security-policy'} // '',
    qr/^sandbox; default-src 'none'(?:,|$)/, 'offload: and sandboxed');
for my $name (sort keys %types) {
	$r = public_get($x, "$BASE/acme/assets/$name");
	is($r->{content}, $FILES{$name}, "offload: $name bytes");
	is($r->{headers}{'content-type'}, $types{$name},
	    "offload: $name is $types{$name}");
}
is(public_get($x, "$BASE/acme/assets/a%20b.txt")->{content}, $FILES{'a b.txt'},
    'offload: a name with a space');
is(public_get($x, "$BASE/acme/assets/caf%C3%A9.txt")->{content},
    $FILES{"caf\xc3\xa9.txt"}, 'offload: a UTF-8 name');
is(public_get($x, "$BASE/acme/assets/%252e%252e")->{content}, $FILES{'%2e%2e'},
    'offload: a name with % in it');
is(public_get($x, "$BASE/acme/assets/x+y.txt")->{content}, $FILES{'x+y.txt'},
    'offload: a name with + in it');
ok(public_get($x, "$BASE/acme/assets/big.bin")->{content} eq $big,
    'offload: a 3 MiB file arrives whole');
$r = public_get($x, "$BASE/acme/assets/logo.png", 'If-None-Match' => $x_etag);
is($r->{status}, 304, 'offload: If-None-Match 304');
$r = $x->head("$BASE/acme/assets/logo.png", token => undef);
is($r->{status}, 200, 'offload: HEAD 200');
refused($x, "$BASE/acme/assets/passwd", 'offload: a symlink to /etc/passwd');
refused($x, "$BASE/acme/assets/%2e%2e/config.json", 'offload: %2e%2e/');
refused($x, "$BASE/acme/assets/missing.png", 'offload: a missing file');
for my $path ('/_tenantd_files/acme/public/logo.png',
    '/_tenantd_files/acme/config.json') {
	$r = $x->get($path, token => undef);
	is($r->{status}, 404, "offload: $path is internal (404 from outside)");
	isnt($r->{content}, $PNG, "offload: $path serves nothing");
	$r = $x->get($path, token => undef, host => 'acme.localhost');
	is($r->{status}, 404, "offload: $path is internal on the tenant host too");
}
is(public_get($x, "$BASE/acme/config/")->{status}, 200,
    'offload: config is still served by tenantd');

$x->stop;

# --- X-Sendfile: lighttpd sends the bytes ---------------------------------------

# A throw-away lighttpd in front of tenantd's socket, configured the way
# its X-Sendfile needs: the handler may send files below tenants_dir only.
my $l = TenantdStack->new(workers => 1, nginx => 0,
    conf => { asset_offload => 'lighttpd' });
$l->start;
make_tenant($l, 'acme');
symlink('/etc/passwd', $l->tenants_dir . '/acme/public/passwd') or die $!;
$r = $l->_fastcgi_request('GET', "$BASE/acme/assets/a%20b.txt",
    { Host => '127.0.0.1' }, '', 30);
is($r->{headers}{'x-sendfile'}, $l->tenants_dir . '/acme/public/a%20b.txt',
    'lighttpd: tenantd answers with X-Sendfile, the full path encoded');
is($r->{content}, '', 'lighttpd: and without the bytes');
my $lighttpd_port = free_port();
my $run = $l->run_dir;
spew_with_dirs("$run/lighttpd.conf", <<"CONF");
server.port = $lighttpd_port
server.bind = "127.0.0.1"
server.document-root = "$run"
server.errorlog = "$run/lighttpd-error.log"
server.modules += ("mod_fastcgi")
fastcgi.server = ("/api/" => ((
	"socket" => "@{[$l->fastcgi_socket]}",
	"check-local" => "disable",
	"x-sendfile" => "enable",
	"x-sendfile-docroot" => ("@{[$l->tenants_dir]}"),
)))
CONF
# Spawned like the stack's own servers: it dies with the test.
$l->{pids}{lighttpd} = spawn(['lighttpd', '-D', '-f',
    "$run/lighttpd.conf"], stdout => "$run/lighttpd.out",
    stderr => "$run/lighttpd.out");
my $lighttpd_get = sub {
	my ($path) = @_;
	my $deadline = time + 10;
	my $socket;
	until ($socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $lighttpd_port, Proto => 'tcp', Timeout => 5)) {
		die "lighttpd does not answer: $!" if time > $deadline;
		select(undef, undef, undef, 0.05);
	}
	print $socket "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	local $/;
	my $raw = <$socket> // '';
	close $socket;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	my ($status) = ($head // '') =~ m{^HTTP/\S+ (\d{3})};
	my ($type) = ($head // '') =~ /^Content-Type: (.*?)\r?$/mi;
	my ($xsend) = ($head // '') =~ /^X-Sendfile: (.*?)\r?$/mi;
	return { status => $status // 0, type => $type // '', body => $body // '',
	    xsend => $xsend };
};
my $ok = eval {
	my $g = $lighttpd_get->("$BASE/acme/assets/logo.png");
	is($g->{status}, 200, 'lighttpd: logo.png 200');
	ok($g->{body} eq $PNG, 'lighttpd: lighttpd sends the logo bytes');
	is($g->{type}, 'image/png', 'lighttpd: image/png');
	ok(!defined $g->{xsend}, 'lighttpd: X-Sendfile does not reach the client');
	for my $name ('a b.txt', "caf\xc3\xa9.txt", '%2e%2e', 'x+y.txt') {
		(my $encoded = $name) =~ s/([^A-Za-z0-9._~+-])/sprintf('%%%02X', ord $1)/ge;
		$g = $lighttpd_get->("$BASE/acme/assets/$encoded");
		is($g->{body}, $FILES{$name}, "lighttpd: the file '$name' arrives");
	}
	$g = $lighttpd_get->("$BASE/acme/assets/passwd");
	is($g->{status}, 404, 'lighttpd: a symlink to /etc/passwd is 404');
	unlike($g->{body}, qr/root:/, 'lighttpd: and no content');
	$g = $lighttpd_get->("$BASE/acme/assets/%2e%2e/config.json");
	is($g->{status}, 404, 'lighttpd: %2e%2e/ is 404');
	1;
};
my $error = $@;
$l->_stop_process('lighttpd', 'TERM');
fail("lighttpd checks: $error") unless $ok;
$l->stop;
done_testing();
