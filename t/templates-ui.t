# templates-ui.t - the admin UI's Templates page in a real browser: brings
# up a TenantdStack whose deploys copy template files (template_files =
# copy, so a rollout of a thousand tenants lasts long enough to be
# cancelled in the middle), stores the shipped template as the first
# version (the default), adds a second one with `tenantctl template add`
# (a copy of www/template with one file changed), and runs
# t/browser/templates-ui.mjs, which drives Debian's chromium and prints
# TAP, replayed here through Test::More.
#
# Needs what t/admin-ui.t needs (node, chromium, node_modules/playwright-
# core); skipped without them unless TENANTD_REQUIRE_BROWSER=1.
# Screenshots land in $TENANTD_BUILDDIR/test-artifacts/templates-ui/;
# TENANTD_UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/templates.png.
use strict;
use warnings;

use Test::More;

use TenantdStack;
use BrowserTap qw(require_browser run_admin_ui_test);
use TestUtil qw(slurp spew);

require_browser();

my $s = TenantdStack->new(workers => 2, conf => { template_files => 'copy' });
$s->start;

# The shipped template becomes the first stored version when the list
# is first asked for.
my $r = $s->get('/api/templates/');
is($r->{status}, 200, 'GET /api/templates/ stores the shipped template')
    or diag $r->{content};
my ($shipped) = grep { $_->{is_default} } @{$r->{json} // []};
ok(defined $shipped, 'the shipped template is the default version');

# The second version: the same files but one.
my $dir = $s->run_dir . '/template-v2';
system('cp', '-R', $s->srcdir . '/www/template', $dir) == 0
    or BAIL_OUT("cannot copy www/template to $dir");
spew("$dir/style.css", slurp("$dir/style.css")
    . "\n/* version 2: a little more room between the cards */\n"
    . ".grid { gap: 1.25rem; }\n");
$s->give_to_service($dir);
my ($exit, $out, $err) = $s->tenantctl('template', 'add', $dir);
is($exit, 0, 'tenantctl template add stores the second version')
    or diag $err;
my ($version) = $out =~ /^([0-9a-f]{12})$/m;
ok(defined $version && $version ne ($shipped->{version} // ''),
    "it prints the new version's id (" . ($version // 'none') . ')');
BAIL_OUT('no second template version') unless defined $version;

run_admin_ui_test($s, 'templates-ui', TENANTD_NEW_VERSION => $version,
    TENANTD_TENANTS_DIR => $s->tenants_dir);
done_testing();
