# site.t - a tenant's site as its employees see it, through nginx, through
# lighttpd and through Caddy (over HTTPS, trusting its local CA): for each
# front end a TenantdStack is brought up, a few
# tenants are created and deployed through the API, the front end's own
# behaviour is checked over plain HTTP (single-page fallback, cache and
# security headers, the "not available" page of a host without a site,
# dot files, the admin host's page mapping), and then
# t/browser/site.mjs drives Debian's chromium through playwright-core at
# http://<sub>.localhost:<port>/ and prints TAP, which is replayed here
# through Test::More (one subtest per front end).
#
# The browser part needs node, /usr/bin/chromium and
# node_modules/playwright-core in the source tree (`npm ci`; ./dev test
# does both).  Without them it is skipped, unless TENANTD_REQUIRE_BROWSER=1,
# which makes it fail instead.  Screenshots land in
# $TENANTD_BUILDDIR/test-artifacts/site/<front end>/; with
# TENANTD_UPDATE_SCREENSHOTS=1 a passing nginx run also refreshes
# docs/screenshots/tenant-site.png, the one the README shows.
use strict;
use warnings;

use Compress::Zlib qw(compress crc32);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use JSON::PP ();
use Test::More;

use TenantdStack;
use BrowserTap qw(browser_missing replay_browser_tap);

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);
my $chromium = $ENV{TENANTD_CHROMIUM} // '/usr/bin/chromium';
my $script = "$srcdir/t/browser/site.mjs";
my $JSON = JSON::PP->new->utf8->canonical;

# --- a logo made here: a PNG of a two-colored badge ---------------------------

sub png_chunk {
	my ($type, $data) = @_;
	return pack('N', length $data) . $type . $data
	    . pack('N', crc32($type . $data));
}

sub make_png {
	my ($size, $pixel) = @_;
	my $raw = '';
	for my $y (0 .. $size - 1) {
		$raw .= "\0";
		$raw .= pack('C3', $pixel->($_, $y)) for 0 .. $size - 1;
	}
	return "\x89PNG\r\n\x1a\n"
	    . png_chunk('IHDR', pack('NNCCCCC', $size, $size, 8, 2, 0, 0, 0))
	    . png_chunk('IDAT', compress($raw))
	    . png_chunk('IEND', '');
}

my $LOGO = make_png(64, sub {
	my ($x, $y) = @_;
	my $distance = sqrt(($x - 31.5) ** 2 + ($y - 31.5) ** 2);
	return (255, 255, 255) if $distance > 30;
	return (0x5b, 0x21, 0xb6) if $distance > 20;
	return $y < 32 ? (0xf5, 0x9e, 0x0b) : (0xff, 0xff, 0xff);
});

# --- the browser, if there is one -----------------------------------------------

my $browser_missing = browser_missing($srcdir, $chromium);

# Runs t/browser/site.mjs with `env` and replays its TAP as tests of the
# current (sub)test.
# Through Caddy: the browser's environment for HTTPS.  Chromium trusts
# the NSS database in $HOME/.pki/nssdb, made here in a HOME of the test's
# own holding Caddy's local CA root as a trusted CA (certutil, Debian
# package libnss3-tools); node's fetch trusts NODE_EXTRA_CA_CERTS.  No
# certificate error is ignored.  Other front ends: nothing.
sub trust_caddy {
	my ($s, $frontend) = @_;
	return () unless $frontend eq 'caddy';
	my $home = $s->run_dir . '/browser-home';
	my $db = "$home/.pki/nssdb";
	make_path($db);
	for my $command (['certutil', '-d', "sql:$db", '-N', '--empty-password'],
	    ['certutil', '-d', "sql:$db", '-A', '-t', 'C,,', '-n',
	    'caddy-local', '-i', $s->caddy_root_cert]) {
		system(@$command) == 0 or die "@$command failed\n";
	}
	return (HOME => $home, NODE_EXTRA_CA_CERTS => $s->caddy_root_cert,
	    TENANTD_SITE_SCHEME => 'https');
}

sub run_browser {
	my (%env) = @_;
	local @ENV{keys %env} = values %env;
	my $failed = replay_browser_tap($script);
	diag("screenshots: $env{TENANTD_ARTIFACTS_DIR}") if $failed;
}

# --- the tenants -----------------------------------------------------------------

# Creates and deploys one tenant; returns what the browser test needs.
sub make_tenant {
	my ($s, %t) = @_;
	my @modules = map { (module_keys => $_) } @{$t{modules}};
	my $r = $s->post('/api/tenants/?deploy=false', multipart => [
	    name => $t{name}, subdomain => $t{subdomain},
	    primary_color => $t{primary}, secondary_color => $t{secondary},
	    ($t{logo} ? (logo => { filename => 'logo.png', content => $LOGO,
	    type => 'image/png' }) : ()), @modules]);
	is($r->{status}, 201, "tenant $t{subdomain} is created")
	    or diag $r->{content};
	my $id = $r->{json}{id};
	$r = $s->post("/api/tenants/$id/deploy_frontend/");
	is($r->{status}, 200, "its site is deployed") or diag $r->{content};
	return { %t, id => $id };
}

# A GET of `path` on `host` without credentials.
sub site_get {
	my ($s, $host, $path, %headers) = @_;
	return $s->get($path, token => undef, host => $host,
	    headers => \%headers);
}

# The front end's own behaviour, over plain HTTP.
sub check_front_end {
	my ($s, $frontend) = @_;
	my $r = site_get($s, 'acme.localhost', '/');
	is($r->{status}, 200, "$frontend: / of a tenant is 200");
	like($r->{headers}{'content-type'} // '', qr{^text/html}, '  HTML');
	like($r->{content}, qr{<script type="module" src="/app\.js">},
	    '  the template\'s index.html');
	like($r->{headers}{'cache-control'} // '', qr/no-cache/,
	    '  which browsers must revalidate');
	is($r->{headers}{'x-content-type-options'}, 'nosniff', '  nosniff');
	my $csp = $r->{headers}{'content-security-policy'} // '';
	like($csp, qr/default-src 'self'/, '  a CSP');
	like($csp, qr/frame-ancestors 'none'/, '  that forbids framing');
	my $index = $r->{content};

	$r = site_get($s, 'acme.localhost', '/attendance');
	is($r->{status}, 200, "$frontend: a module route is 200");
	is($r->{content}, $index, '  with the same index.html');
	$r = site_get($s, 'acme.localhost', '/some/deep/path?x=1');
	is($r->{content}, $index, '  so is any other path of the site');

	$r = site_get($s, 'acme.localhost', '/style.css');
	is($r->{status}, 200, "$frontend: style.css is 200");
	like($r->{headers}{'content-type'} // '', qr{^text/css}, '  as CSS');
	like($r->{headers}{'cache-control'} // '', qr/max-age=300/,
	    '  cached for five minutes');
	my $etag = $r->{headers}{etag};
	ok(defined $etag && length $etag, '  with an ETag');
	$r = site_get($s, 'acme.localhost', '/style.css',
	    'If-None-Match' => $etag // '');
	is($r->{status}, 304, '  that revalidates to 304');
	$r = site_get($s, 'acme.localhost', '/js/grid.js');
	like($r->{headers}{'content-type'} // '', qr{javascript},
	    "$frontend: modules are served as JavaScript");
	$r = site_get($s, 'acme.localhost', '/logo.png');
	like($r->{headers}{'content-type'} // '', qr{^image/png},
	    "$frontend: the logo is image/png");
	is($r->{content}, $LOGO, '  with its bytes');
	$r = site_get($s, 'acme.localhost', '/missing.js');
	is($r->{status}, 404, "$frontend: a missing asset is 404");
	unlike($r->{content}, qr/app\.js/, '  not the index');

	for my $path ('/.env', '/.hidden/x.txt') {
		$r = site_get($s, 'acme.localhost', $path);
		ok($r->{status} == 403 || $r->{status} == 404,
		    "$frontend: $path is refused ($r->{status})");
	}
	$r = site_get($s, 'acme.localhost', '/config.json');
	unlike($r->{content}, qr/"module_list"/,
	    "$frontend: config.json (outside public/) is not served");
	my $public = $s->tenants_dir . '/acme/public';
	symlink('/etc/passwd', "$public/passwd.txt") or die "symlink: $!";
	symlink('/etc', "$public/etc") or die "symlink: $!";
	for my $path ('/passwd.txt', '/etc/passwd') {
		$r = site_get($s, 'acme.localhost', $path);
		unlike($r->{content}, qr/root:/,
		    "$frontend: a symlink out of public/ is not followed ($path)");
	}
	unlink "$public/passwd.txt", "$public/etc";

	# Through Caddy an unknown tenant's host gets no certificate
	# (caddy-tls.t); the page is for a tenant with nothing deployed.
	my $bare = 'nosuch';
	if ($frontend eq 'caddy') {
		ok(!eval { site_get($s, 'nosuch.localhost', '/') },
		    "$frontend: an unknown tenant's host gets no certificate");
		$r = $s->post('/api/tenants/?deploy=false',
		    json => { name => 'Bare', subdomain => 'bare' });
		is($r->{status}, 201, '  a tenant without a site is created');
		$bare = 'bare';
	}
	$r = site_get($s, "$bare.localhost", '/');
	is($r->{status}, 404, "$frontend: a host without a site is 404");
	like($r->{content}, qr/This site is not available/,
	    '  with the "not available" page');
	$r = site_get($s, "$bare.localhost", '/employees');
	is($r->{status}, 404, '  on every path');
	like($r->{content}, qr/This site is not available/, '  the same page');

	$r = site_get($s, '127.0.0.1', '/');
	is($r->{status}, 302, "$frontend: the admin host's / redirects");
	like($r->{headers}{location} // '', qr{/admin/$}, '  to /admin/');
	$r = site_get($s, '127.0.0.1', '/admin/');
	is($r->{status}, 200, "$frontend: /admin/ is 200");
	my $admin_index = $r->{content};
	like($admin_index, qr/<html/i, '  an HTML page');
	$r = site_get($s, '127.0.0.1', '/admin/tenants');
	is($r->{status}, 200, "$frontend: /admin/tenants is 200");
	is($r->{content}, TenantdStack->slurp("$srcdir/www/admin/tenants.html"),
	    '  tenants.html, without the extension');
	$r = site_get($s, '127.0.0.1', '/admin/no-such-page');
	is($r->{content}, $admin_index, '  an unknown page is the index');
	$r = site_get($s, '127.0.0.1', '/admin/css/admin.css');
	like($r->{headers}{'content-type'} // '', qr{^text/css},
	    '  its stylesheet is CSS');
	$r = site_get($s, '127.0.0.1', '/nothing-here');
	is($r->{status}, 404, "$frontend: other paths of the admin host are 404");
	$r = site_get($s, '127.0.0.1', '/api/healthz');
	is($r->{status}, 200, "$frontend: the API answers on the admin host");
	$r = site_get($s, 'acme.localhost', '/api/healthz');
	is($r->{status}, 200, '  and on a tenant host');
}

my @FRONTENDS = qw(nginx lighttpd caddy);

for my $frontend (@FRONTENDS) {
	subtest "the tenant site through $frontend" => sub {
		my $s = TenantdStack->new(workers => 2, frontend => $frontend);
		$s->start;
		my %tenants;
		$tenants{acme} = make_tenant($s, name => 'Acme Widgets',
		    subdomain => 'acme', primary => '#5b21b6',
		    secondary => '#f59e0b', logo => 1,
		    modules => [qw(attendance tasks reports)]);
		$tenants{globex} = make_tenant($s, name => 'Globex',
		    subdomain => 'globex', primary => '#0f766e',
		    secondary => '#84cc16', modules => [qw(wallet)]);
		$tenants{markup} = make_tenant($s,
		    name => '<img src=x onerror=alert(1)> & <b>Co</b>',
		    subdomain => 'markup', primary => '#fde047',
		    secondary => '#1e3a8a', modules => []);
		my $modules = $s->get('/api/modules/');
		is($modules->{status}, 200, 'the module definitions are read');

		check_front_end($s, $frontend);

		SKIP: {
			if (defined $browser_missing) {
				fail($browser_missing) if $ENV{TENANTD_REQUIRE_BROWSER};
				skip($browser_missing, 1);
			}
			my $artifacts = "$builddir/test-artifacts/site/$frontend";
			remove_tree($artifacts);
			make_path($artifacts);
			run_browser(trust_caddy($s, $frontend),
			    TENANTD_SITE_PORT => $s->port,
			    TENANTD_FRONTEND => $frontend,
			    TENANTD_ADMIN_TOKEN => $s->admin_token,
			    TENANTD_ADMIN_PASSWORD => $s->admin_password,
			    TENANTD_SITE_TENANTS => $JSON->encode(\%tenants),
			    TENANTD_MODULE_KEYS => join(',',
			    map { $_->{module_key} } @{$modules->{json} // []}),
			    TENANTD_ARTIFACTS_DIR => $artifacts,
			    TENANTD_CHROMIUM => $chromium,
			    TENANTD_SCREENSHOTS_DIR =>
			    $ENV{TENANTD_UPDATE_SCREENSHOTS} && $frontend eq 'nginx'
			    ? "$srcdir/docs/screenshots" : '');
		}
		$s->stop;
	};
}

done_testing();
