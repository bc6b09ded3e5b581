# mail-ui.t - the admin UI's tenant list shows where each tenant's ready
# e-mail stands, in a real browser: brings up a TenantdStack with a real
# SMTP server (t/lib/SmtpServer.pm), has the e-mail of one tenant sent,
# records another's as failed with a relay answer full of markup (as a
# hostile relay could send it), makes a third without e-mail, and runs
# t/browser/mail-ui.mjs, whose TAP is replayed here through Test::More.
#
# Needs what t/admin-ui.t needs (node, chromium, node_modules/playwright-
# core); skipped without them unless TENANTD_REQUIRE_BROWSER=1.
use strict;
use warnings;

use File::Spec;
use File::Temp qw(tempdir);
use Test::More;

use BrowserTap qw(require_browser run_admin_ui_test);
use SmtpServer;
use TenantdStack;
use TestUtil qw(wait_until);

require_browser();

my $box = tempdir('mail-ui-XXXXXX', DIR => File::Spec->tmpdir, CLEANUP => 1);
my $smtp = SmtpServer->new(dir => $box);
$smtp->start;
my $s = TenantdStack->new(workers => 2, conf => { smtp_url => $smtp->url,
    mail_from => 'noreply@example.com', job_poll_ms => 100 });
$s->start;

my %id;
for my $case (['sent', 'sent@example.com'], ['failed', 'failed@example.com'],
    ['silent', '']) {
	my ($name, $email) = @$case;
	my $r = $s->post('/api/tenants/', json => { name => "Mail UI $name",
	    subdomain => "mailui-$name", contact_email => $email });
	is($r->{status}, 201, "tenant mailui-$name created") or diag $r->{content};
	$id{$name} = $r->{json}{id};
}
for my $name ('sent', 'failed') {
	ok(wait_until(sub {
		my ($row) = $s->sql('SELECT status FROM notifications WHERE '
		    . "tenant_id = $id{$name}");
		return $row && $row->[0] eq 'sent';
	}, 60), "mailui-$name: its e-mail was sent");
}
my $ERROR = '550 5.1.1 <b>no such user</b> <img src=x onerror=alert(1)>';
$s->sql("UPDATE notifications SET status = 'failed', sent_at = NULL, "
    . "last_error = '$ERROR' WHERE tenant_id = $id{failed}");

run_admin_ui_test($s, 'mail-ui', TENANTD_FAILED_ERROR => $ERROR);
$smtp->stop;
done_testing();
