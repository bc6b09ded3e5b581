#!/usr/bin/env perl
# mail-crash.t - a runner killed while it sends a tenant-ready e-mail:
# the recipient gets the message at most once, never twice, and the row
# ends with a clear status (the guarantee of lib/job_mail.h).
#
# `tenantctl worker --once` of a crash-point build (as t/crash.t, found
# through TENANTD_CRASH_BUILDDIR; ./dev test makes it) dies by SIGKILL at
#   mail.after_claim  the row claimed, nothing sent: the message is sent
#                     by a later run, once, on attempt 2;
#   mail.after_data   the relay took the message, the row still says
#                     'sending': a later run marks it failed, "delivery
#                     unknown" with its Message-ID, and sends nothing.
# Later runs are `tenantctl worker --once` again, until the job's stale
# heartbeat has it requeued and the row's claim has run out.

use strict;
use warnings;

use File::Spec;
use File::Temp qw(tempdir);
use Test::More;

use SmtpServer;
use TenantdStack;
use TestUtil qw(wait_until);

my $crash_build = $ENV{TENANTD_CRASH_BUILDDIR};
plan skip_all => 'no crash-point build: set TENANTD_CRASH_BUILDDIR to a '
    . 'build configured with --enable-crash-points (./dev test does)'
    unless $crash_build && -x "$crash_build/src/tenantctl"
    && -x "$crash_build/src/tenantd";
$ENV{TENANTD_BUILDDIR} = $crash_build;
delete $ENV{TENANTD_CRASH_AT};

my $WAIT = 60;

my $box_root = tempdir('mail-crash-XXXXXX', DIR => File::Spec->tmpdir,
    CLEANUP => 1);
chmod 0755, $box_root;
my $smtp = SmtpServer->new(dir => "$box_root/smtp");
$smtp->start;
my $s = TenantdStack->new(nginx => 0, conf => {
	job_runners => 0,
	job_heartbeat_timeout => 5,
	smtp_url => $smtp->url,
	smtp_timeout => 2,
	mail_from => 'noreply@example.com',
	mail_retry_delay => 1,
});
$s->start;

# The notification row of tenant `sub`.
sub row_of {
	my ($sub) = @_;
	my ($row) = $s->sql('SELECT n.status, n.attempts, '
	    . "COALESCE(n.last_error, ''), COALESCE(n.message_id, ''), "
	    . 'n.data_started_at IS NOT NULL FROM notifications n JOIN '
	    . "tenants t ON t.id = n.tenant_id WHERE t.subdomain = '$sub'");
	return undef unless $row;
	my %h;
	@h{qw(status attempts last_error message_id data_started)} = @$row;
	return \%h;
}

# The messages the server took for `address`.
sub messages_to {
	my ($address) = @_;
	return scalar grep { $_->[1] eq $address } $smtp->envelopes;
}

# Runs the mail job with `tenantctl worker --once`, dying at `point`.
sub worker_dies_at {
	my ($point) = @_;
	local $ENV{TENANTD_CRASH_AT} = $point;
	my ($status, $out, $err) = $s->tenantctl('worker', '--once');
	is($status & 127, 9, "$point: the worker died by SIGKILL")
	    or diag "exit $status: $out$err";
}

# Runs `tenantctl worker --once` until tenant `sub`'s row has `status`.
sub settle {
	my ($sub, $status) = @_;
	my $row;
	ok(wait_until(sub {
		my ($exit) = $s->tenantctl('worker', '--once');
		$row = row_of($sub);
		return $exit == 0 && $row && $row->{status} eq $status;
	}, $WAIT), "$sub: the row ends $status") or diag explain $row;
	return $row;
}

for my $case (['claim', 'mail.after_claim'], ['data', 'mail.after_data']) {
	my ($sub, $point) = @$case;
	my $address = "$sub\@example.com";
	my ($status, $out, $err) = $s->tenantctl('tenant', 'create', '--name',
	    "Crash $sub", '--subdomain', $sub, '--email', $address);
	is($status, 0, "$sub: created and deployed") or diag "$out$err";
	is(row_of($sub)->{status}, 'queued', "$sub: its e-mail is queued");
	worker_dies_at($point);
	my $row = row_of($sub);
	is($row->{status}, 'sending', "$point: the row is left 'sending'");
	if ($point eq 'mail.after_claim') {
		is(messages_to($address), 0, "$point: nothing was sent");
		ok(!$row->{data_started}, "$point: the body never started");
		$row = settle($sub, 'sent');
		is($row->{attempts}, 2, "$point: sent on attempt 2");
		is(messages_to($address), 1, "$point: the recipient got it once");
	} else {
		is(messages_to($address), 1, "$point: the relay took the message");
		ok($row->{data_started}, "$point: the row knows the body went out");
		$row = settle($sub, 'failed');
		like($row->{last_error}, qr/delivery unknown/,
		    "$point: last_error says delivery is unknown");
		like($row->{last_error}, qr/\Q$row->{message_id}\E/,
		    "$point: and names the Message-ID");
		is($row->{attempts}, 1, "$point: no second attempt");
		is(messages_to($address), 1,
		    "$point: the recipient got it exactly once");
		my ($id) = $s->sql("SELECT id FROM tenants WHERE subdomain = '$sub'");
		my $r = $s->get("/api/tenants/$id->[0]/notifications/");
		is($r->{json}[0]{status}, 'failed', "$point: the API says failed");
	}
}

$smtp->stop;
done_testing;
