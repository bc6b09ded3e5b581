# admin-ui.t - the admin UI in a real browser: brings up a TenantdStack
# (MariaDB, tenantd with its job runner, nginx serving www/admin) and runs
# t/browser/admin-ui.mjs, which drives Debian's chromium through
# playwright-core and prints TAP.  Every line of that TAP is replayed here
# through Test::More, so a failed browser assertion fails this test (and
# `make check`), and the stack prints its logs when anything failed.
#
# Needs node, /usr/bin/chromium and node_modules/playwright-core in the
# source tree (`npm ci`; ./dev test does both).  Without them the test is
# skipped, unless TENANTD_REQUIRE_BROWSER=1 (./dev test sets it), which
# makes it fail instead.  Screenshots land in
# $TENANTD_BUILDDIR/test-artifacts/admin-ui/; with
# TENANTD_UPDATE_SCREENSHOTS=1 a passing run also refreshes the ones the
# README shows in docs/screenshots/.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use Test::More;

use TenantdStack;
use BrowserTap qw(browser_missing replay_browser_tap);

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);
my $chromium = $ENV{TENANTD_CHROMIUM} // '/usr/bin/chromium';
my $script = "$srcdir/t/browser/admin-ui.mjs";

my $reason = browser_missing($srcdir, $chromium);
if (defined $reason) {
	if ($ENV{TENANTD_REQUIRE_BROWSER}) {
		fail($reason);
		done_testing();
		exit 1;
	}
	plan skip_all => $reason;
}

my $s = TenantdStack->new(workers => 2);
$s->start;

my $artifacts = "$builddir/test-artifacts/admin-ui";
remove_tree($artifacts);
make_path($artifacts);

local $ENV{TENANTD_UI_URL} = $s->base_url;
local $ENV{TENANTD_ADMIN_USER} = 'admin';
local $ENV{TENANTD_ADMIN_PASSWORD} = $s->admin_password;
local $ENV{TENANTD_ADMIN_TOKEN} = $s->admin_token;
local $ENV{TENANTD_ARTIFACTS_DIR} = $artifacts;
local $ENV{TENANTD_CHROMIUM} = $chromium;
local $ENV{TENANTD_SCREENSHOTS_DIR} = $ENV{TENANTD_UPDATE_SCREENSHOTS}
    ? "$srcdir/docs/screenshots" : '';

my $failed = replay_browser_tap($script, bail_out => 1);
diag("screenshots: $artifacts") if $failed;
done_testing();
