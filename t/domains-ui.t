# domains-ui.t - the admin UI's tenant list shows a tenant's custom
# domains with their status and the TXT record to create, and verifies one
# on a click, in a real browser: brings up a TenantdStack with a DNS
# server on loopback (dnsmasq) where one domain's record holds its token
# and another's holds markup, and runs t/browser/domains-ui.mjs, whose
# TAP is replayed here through Test::More.
#
# Needs what t/admin-ui.t needs (node, chromium, node_modules/playwright-
# core); skipped without them unless TENANTD_REQUIRE_BROWSER=1.
use strict;
use warnings;

use Test::More;

use BrowserTap qw(require_browser run_admin_ui_test);
use TenantdStack;

require_browser();

my $s = TenantdStack->new(workers => 2, conf => { dns_timeout => 2 });
$s->use_own_dns_server;
$s->start;

my $r = $s->post('/api/tenants/', json => { name => 'Domains UI',
    subdomain => 'domui', deploy => JSON::PP::false() });
is($r->{status}, 201, 'tenant domui created') or diag $r->{content};
my $id = $r->{json}{id};
my $MARKUP = '<b>bold</b><img src=x onerror=alert(1)>';
my $token = $s->add_answered_domains([[$id, 'good.domui.test'], [$id, 'bad.domui.test']],
    answer => ['good.domui.test'],
    records => ["--txt-record=_tenantd-challenge.bad.domui.test,$MARKUP"]);

run_admin_ui_test($s, 'domains-ui', TENANTD_GOOD_TOKEN => $token->{'good.domui.test'},
    TENANTD_BAD_RECORD => $MARKUP);
is($s->sql_value("SELECT status FROM domains WHERE name = 'good.domui.test'"), 'active',
    'the click made good.domui.test active');
is($s->sql_value("SELECT status FROM domains WHERE name = 'bad.domui.test'"), 'pending',
    'bad.domui.test is still pending');
done_testing();
