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

use Test::More;

use TenantdStack;
use BrowserTap qw(require_browser run_admin_ui_test);

require_browser();

my $s = TenantdStack->new(workers => 2);
$s->start;

run_admin_ui_test($s, 'admin-ui');
done_testing();
