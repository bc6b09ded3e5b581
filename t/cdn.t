# cdn.t - the tenant sites' static files from a CDN (SPEC 12,
# asset_base_url), end to end against real servers.
#
# A TenantdStack with asset_base_url = http://127.0.0.1:<port2>/t also
# starts a second nginx on port2 with the shipped
# etc/nginx/tenantd-cdn-origin.conf.in serving the tenants directory: the
# CDN's origin.  A tenant with a logo is created and deployed; then, for
# nginx and lighttpd as the front end:
#   - over HTTP: index.html names content-named URLs on the CDN, the CSP
#     admits the CDN's origin, the CDN answers them with the file's bytes,
#     the immutable Cache-Control and CORS, the plain names with a
#     revalidation, and nothing outside public/ (dotfiles, traversals,
#     encoded slashes, symlinks, other methods);
#   - in chromium (t/browser/cdn.mjs): the document and config.json from
#     the site, every static file from the CDN, those the HTML names and
#     the logo by content-named URLs, the page rendered, no CSP violation.
# Then health and fsck find the tenant sound, and a lost alias reported
# and restored; a rollout to a version with another style.css moves the
# HTML to the new name, which the CDN serves, and the old name is gone; a
# changed logo gets a new name.  Finally a stack without asset_base_url
# deploys public/ exactly as the template is, with the CSP as it always
# was, and in chromium every request stays on the site.
#
# The browser parts need node, /usr/bin/chromium and
# node_modules/playwright-core (`npm ci`; ./dev test does both); without
# them they are skipped, unless TENANTD_REQUIRE_BROWSER=1, which makes
# that a failure.  Screenshots land in $TENANTD_BUILDDIR/test-artifacts/cdn/;
# with TENANTD_UPDATE_SCREENSHOTS=1 a passing run also refreshes
# docs/screenshots/tenant-site-cdn.png.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Find ();
use File::Path qw(make_path remove_tree);
use Test::More;

use TenantdStack;
use BrowserTap qw(browser_missing replay_browser_tap);
use TestUtil qw(spew);

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);
my $chromium = $ENV{TENANTD_CHROMIUM} // '/usr/bin/chromium';
my $browser_missing = browser_missing($srcdir, $chromium);
my $IMMUTABLE = 'public, max-age=31536000, immutable';
my $CSP_TODAY = "default-src 'self'; img-src 'self' data:; style-src 'self' "
    . "'unsafe-inline'; object-src 'none'; base-uri 'self'; form-action "
    . "'self'; frame-ancestors 'none'";
my $LOGO = TenantdStack->slurp("$srcdir/docs/sample-logo.png");
my $NAME = 'Acme CDN';

# Creates tenant acme with the sample logo and deploys its site; returns
# its id.
sub make_tenant {
	my ($s) = @_;
	my $r = $s->post('/api/tenants/?deploy=false', multipart => [
	    name => $NAME, subdomain => 'acme', primary_color => '#5b21b6',
	    secondary_color => '#f59e0b', module_keys => 'attendance',
	    logo => { filename => 'logo.png', content => $LOGO,
	    type => 'image/png' }]);
	is($r->{status}, 201, 'tenant acme is created') or diag $r->{content};
	my $id = $r->{json}{id};
	$r = $s->post("/api/tenants/$id/deploy_frontend/");
	is($r->{status}, 200, 'its site is deployed') or diag $r->{content};
	return $id;
}

# A GET of `path` on the tenant's host, without credentials.
sub site_get {
	my ($s, $path) = @_;
	return $s->get($path, token => undef, host => 'acme.localhost');
}

# The files below `dir` as {relative path => bytes}.
sub files_below {
	my ($dir) = @_;
	my %files;
	File::Find::find({ no_chdir => 1, wanted => sub {
		return unless -f $_ && !-l $_;
		(my $relative = $_) =~ s{^\Q$dir\E/}{};
		$files{$relative} = TenantdStack->slurp($_);
	} }, $dir);
	return \%files;
}

# The CDN URLs index.html names, by plain path: {"style.css" => url}.
sub cdn_references {
	my ($s, $html) = @_;
	my $base = 'http://127.0.0.1:' . $s->cdn_port . '/t/acme/';
	my %named;
	while ($html =~ /(?:src|href)="\Q$base\E([^"]+)"/g) {
		my $path = $1;
		(my $plain = $path) =~ s/\.[0-9a-f]{12}(\.[a-z0-9]+)$/$1/;
		$named{$plain} = $path;
	}
	return \%named;
}

# Runs t/browser/cdn.mjs against the site of `s` and replays its TAP.
sub run_browser {
	my ($s, $label, $cdn_origin) = @_;
	SKIP: {
		if (defined $browser_missing) {
			fail($browser_missing) if $ENV{TENANTD_REQUIRE_BROWSER};
			skip($browser_missing, 1);
		}
		my $artifacts = "$builddir/test-artifacts/cdn/$label";
		remove_tree($artifacts);
		make_path($artifacts);
		local $ENV{TENANTD_SITE_URL} = 'http://acme.localhost:'
		    . $s->port . '/';
		local $ENV{TENANTD_CDN_ORIGIN} = $cdn_origin;
		local $ENV{TENANTD_TENANT_NAME} = $NAME;
		local $ENV{TENANTD_LABEL} = $label;
		local $ENV{TENANTD_ARTIFACTS_DIR} = $artifacts;
		local $ENV{TENANTD_CHROMIUM} = $chromium;
		local $ENV{TENANTD_SCREENSHOTS_DIR} =
		    $ENV{TENANTD_UPDATE_SCREENSHOTS} && $label eq 'nginx'
		    ? "$srcdir/docs/screenshots" : '';
		my $failed = replay_browser_tap("$srcdir/t/browser/cdn.mjs");
		diag("screenshots: $artifacts") if $failed;
	}
}

# The site and the CDN over HTTP.
sub check_http {
	my ($s, $frontend) = @_;
	my $cdn = 'http://127.0.0.1:' . $s->cdn_port;
	my $public = $s->tenants_dir . '/acme/public';
	my $r = site_get($s, '/');
	is($r->{status}, 200, "$frontend: the site's / is 200");
	my $csp = $r->{headers}{'content-security-policy'} // '';
	is($csp, "default-src 'self' $cdn; img-src 'self' data: $cdn; "
	    . "style-src 'self' 'unsafe-inline' $cdn; object-src 'none'; "
	    . "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
	    '  its CSP admits the CDN\'s origin');
	my $named = cdn_references($s, $r->{content});
	for my $plain (qw(style.css app.js favicon.svg)) {
		like($named->{$plain} // '', qr/\.[0-9a-f]{12}\.[a-z]+$/,
		    "  index.html names $plain by a content-named URL on the CDN");
	}
	unlike($r->{content}, qr/(?:src|href)="\/(?:style\.css|app\.js)"/,
	    '  and no longer by its plain name');

	for my $plain (sort keys %$named) {
		my $path = $named->{$plain};
		$r = $s->cdn_request('GET', "/t/acme/$path");
		is($r->{status}, 200, "the CDN origin serves $path");
		is($r->{content}, TenantdStack->slurp("$public/$plain"),
		    '  with the bytes of the plain file');
		is($r->{headers}{'cache-control'}, $IMMUTABLE,
		    '  cached for good');
		is($r->{headers}{'access-control-allow-origin'}, '*',
		    '  to any origin (CORS)');
		ok(!exists $r->{headers}{'set-cookie'}, '  without a cookie');
	}
	$r = $s->cdn_request('GET', "/t/acme/$named->{'app.js'}");
	like($r->{headers}{'content-type'} // '', qr{^text/javascript},
	    'a script from the CDN is text/javascript');
	$r = $s->cdn_request('GET', '/t/acme/js/config.js');
	is($r->{status}, 200, 'a plain name is served too');
	is($r->{headers}{'cache-control'}, 'public, no-cache',
	    '  but must be revalidated');
	is($r->{headers}{'access-control-allow-origin'}, '*', '  with CORS');

	$r = site_get($s, "/$named->{'style.css'}");
	is($r->{status}, 200, "$frontend: the site serves the content-named "
	    . 'file itself too');
	is($r->{headers}{'cache-control'}, $IMMUTABLE, '  cached for good');
	like($r->{headers}{'content-security-policy'} // '', qr/\Q$cdn\E/,
	    '  with the CSP');
	$r = site_get($s, '/style.css');
	like($r->{headers}{'cache-control'} // '', qr/max-age=300/,
	    "$frontend: the plain name keeps its five minutes");
}

# What the CDN origin refuses: nothing outside public/ is ever served.
sub check_origin_refusals {
	my ($s) = @_;
	my $public = $s->tenants_dir . '/acme/public';
	spew("$public/.secret", "dotfile\n");
	symlink('/etc/passwd', "$public/passwd.css") or die "symlink: $!";
	for my $path ('/t/acme/../acme/config.json', '/t/acme/config.json',
	    '/t/acme/.env.local', '/t/acme/../.env.local',
	    '/t/acme/../package.json', '/t/acme/%2e%2e/package.json',
	    '/t/acme/%2e%2e/%2e%2e/.templates', '/t/acme%2f..%2fpackage.json',
	    '/t/acme/%2F..%2Fpackage.json', '/t/acme//..//package.json',
	    '/t/acme/.secret', '/t/acme/%2esecret', '/t/acme/js/../.secret',
	    '/t/.templates/x/tree/index.html', '/t/ACME/style.css',
	    '/t/acme', '/t/acme/', '/t/acme/js/', '/t/-x/style.css',
	    '/acme/style.css', '/t/acme/passwd.css', '/t/acme/style.css%00.x',
	    '/t/acme/..%5c..%5cpackage.json', '/t/acme/index.html/.') {
		my $r = $s->cdn_request('GET', $path);
		ok($r->{status} == 404 || $r->{status} == 400
		    || $r->{status} == 403, "the CDN origin refuses $path "
		    . "($r->{status})");
		unlike($r->{content}, qr/root:|dotfile|"name"|NEXT_PUBLIC/,
		    '  and shows nothing of it');
	}
	my $r = $s->cdn_request('POST', '/t/acme/style.css');
	ok($r->{status} == 403 || $r->{status} == 405,
	    "the CDN origin answers GET and HEAD only ($r->{status})");
	unlink "$public/.secret", "$public/passwd.css";
}

# Health and fsck on a deployed CDN tenant, and a lost alias.
sub check_health {
	my ($s, $id) = @_;
	my $public = $s->tenants_dir . '/acme/public';
	my $h = $s->get("/api/tenants/$id/health/")->{json} // {};
	ok($h->{frontend_deployed} && $h->{config_valid},
	    'health: the CDN tenant is healthy');
	is_deeply([$h->{missing_files}, $h->{modified_files}], [[], []],
	    '  nothing missing or modified (the rewritten HTML and the aliases '
	    . 'are known)') or diag explain $h;
	my ($rc, $out, $err) = $s->tenantctl('fsck');
	is($rc, 0, 'fsck: clean') or diag "$out$err";

	my ($alias) = grep { /^style\.[0-9a-f]{12}\.css$/ }
	    do { opendir(my $d, $public) or die "$public: $!"; readdir $d };
	ok(defined $alias && unlink("$public/$alias"), 'an alias is lost');
	$h = $s->get("/api/tenants/$id/health/")->{json} // {};
	ok(!$h->{frontend_deployed}, 'health: no longer deployed');
	is_deeply($h->{missing_files}, [$alias], '  the alias is missing');
	($rc, $out, $err) = $s->tenantctl('fsck');
	is($rc, 1, 'fsck: reports it');
	like($out, qr/\Q$alias\E/, '  naming the alias');
	($rc, $out, $err) = $s->tenantctl('fsck', '--repair');
	ok(-f "$public/$alias", 'fsck --repair restores it') or diag "$out$err";
	($rc, $out, $err) = $s->tenantctl('fsck');
	is($rc, 0, 'fsck: clean again') or diag "$out$err";
}

# A rollout to a version with another style.css, and a new logo.
sub check_rollout {
	my ($s, $id) = @_;
	my $public = $s->tenants_dir . '/acme/public';
	my $old = cdn_references($s, site_get($s, '/')->{content});
	my $work = $s->run_dir . '/template-v2';
	make_path($work);
	File::Find::find({ no_chdir => 1, wanted => sub {
		(my $relative = $_) =~ s{^\Q$srcdir/www/template\E/?}{};
		return if $relative eq '';
		if (-d $_) {
			make_path("$work/$relative");
		} else {
			copy($_, "$work/$relative") or die "copy $_: $!";
		}
	} }, "$srcdir/www/template");
	my $css = TenantdStack->slurp("$work/style.css")
	    . "\n.rolled-out { color: inherit; }\n";
	spew("$work/style.css", $css);
	$s->give_to_service($work);
	my $version = $s->template_add($work);
	my $job = $s->run_rollout($version, { tenant_ids => [$id] });
	is($job->{status}, 'done', "a rollout to $version is done")
	    or diag explain $job;
	# lighttpd's stat cache may answer with the old index.html for a
	# moment after public/ was swapped.
	my $new;
	my $deadline = time + 10;
	do {
		$new = cdn_references($s, site_get($s, '/')->{content});
	} while (($new->{'style.css'} // '') eq $old->{'style.css'}
	    && time < $deadline);
	isnt($new->{'style.css'}, $old->{'style.css'},
	    'index.html names the new style.css');
	is($new->{'app.js'}, $old->{'app.js'}, '  and the unchanged app.js as '
	    . 'before');
	my $r = $s->cdn_request('GET', "/t/acme/$new->{'style.css'}");
	is($r->{status}, 200, 'the CDN origin serves the new name');
	is($r->{content}, $css, '  with the new content');
	$r = $s->cdn_request('GET', "/t/acme/$old->{'style.css'}");
	is($r->{status}, 404, 'the old name is gone');

	# A version whose only change is index.html: its static files are
	# all the same, yet the HTML must be made again from the new file.
	my $html = TenantdStack->slurp("$work/index.html");
	$html =~ s{</body>}{<p id="third-version" hidden></p>\n</body>}
	    or die "no </body> in index.html\n";
	spew("$work/index.html", $html);
	$s->give_to_service($work);
	my $third = $s->template_add($work);
	$job = $s->run_rollout($third, { tenant_ids => [$id] });
	is($job->{status}, 'done', "a rollout to $third, only index.html "
	    . 'changed, is done') or diag explain $job;
	my $served;
	$deadline = time + 10;
	do {
		$served = site_get($s, '/')->{content};
	} while ($served !~ /third-version/ && time < $deadline);
	like($served, qr/id="third-version"/, '  the new index.html is served');
	is_deeply(cdn_references($s, $served), $new,
	    '  naming the same content-named URLs');

	my $cdn = 'http://127.0.0.1:' . $s->cdn_port;
	my $config = $s->tenant_config('acme');
	my ($old_logo) = ($config->{branding}{logo_url} // '')
	    =~ m{^\Q$cdn\E/t/acme/(logo\.[0-9a-f]{12}\.png)$};
	ok(defined $old_logo, "config.json's logo_url is content-named on the "
	    . 'CDN');
	ok(defined $old_logo && -f "$public/$old_logo", '  and is in public/');
	my $other = $LOGO;
	substr($other, -12, 0) = "\0\0\0\0tEXt";	# other bytes, still a PNG
	$r = $s->patch("/api/tenants/$id/", multipart => [
	    logo => { filename => 'logo.png', content => $other,
	    type => 'image/png' }]);
	is($r->{status}, 200, 'a new logo is uploaded') or diag $r->{content};
	$config = $s->tenant_config('acme');
	my ($new_logo) = ($config->{branding}{logo_url} // '')
	    =~ m{^\Q$cdn\E/t/acme/(logo\.[0-9a-f]{12}\.png)$};
	ok(defined $new_logo && defined $old_logo && $new_logo ne $old_logo,
	    "  config.json's logo_url follows (" . ($new_logo // '-') . ')');
	ok(defined $old_logo && !-e "$public/$old_logo",
	    '  the old name is gone');
	$r = $s->cdn_request('GET', '/t/acme/' . ($new_logo // '-'));
	is($r->{content}, $other, '  the CDN serves the new logo');
	my $h = $s->get("/api/tenants/$id/health/")->{json} // {};
	ok($h->{frontend_deployed} && $h->{config_valid},
	    'health: still healthy') or diag explain $h;
	$r = $s->post("/api/tenants/$id/deploy_frontend/");
	is($r->{status}, 200, 'a redeploy') or diag $r->{content};
	ok(defined $new_logo && -f "$public/$new_logo",
	    '  keeps the logo\'s alias');
	my ($rc, $out, $err) = $s->tenantctl('fsck');
	is($rc, 0, 'fsck: clean') or diag "$out$err";
}

subtest 'asset_base_url through nginx and lighttpd' => sub {
	my $s = TenantdStack->new(workers => 2, cdn_origin => 1);
	$s->start;
	my $id = make_tenant($s);
	my $cdn = 'http://127.0.0.1:' . $s->cdn_port;
	check_http($s, 'nginx');
	check_origin_refusals($s);
	run_browser($s, 'nginx', $cdn);
	$s->stop_frontend;
	$s->start_frontend('lighttpd');
	check_http($s, 'lighttpd');
	run_browser($s, 'lighttpd', $cdn);
	check_health($s, $id);
	check_rollout($s, $id);
	$s->stop;
};

subtest 'without asset_base_url: the site as it always was' => sub {
	my $s = TenantdStack->new(workers => 2);
	$s->start;
	make_tenant($s);
	my $public = $s->tenants_dir . '/acme/public';
	my $deployed = files_below($public);
	my $template = files_below("$srcdir/www/template");
	is(delete $deployed->{'logo.png'}, $LOGO, 'public/ holds the logo');
	is_deeply([sort keys %$deployed], [sort keys %$template],
	    '  and exactly the template\'s files');
	ok(!(grep { $deployed->{$_} ne $template->{$_} } keys %$template),
	    '  byte for byte');
	my $r = site_get($s, '/');
	is($r->{headers}{'content-security-policy'}, $CSP_TODAY,
	    'the CSP is as it always was');
	is($s->tenant_config('acme')->{branding}{logo_url}, '/logo.png',
	    "config.json's logo_url is the site's own /logo.png");
	run_browser($s, 'same-origin', '');
	$s->stop;
};

done_testing();
