#!/usr/bin/env perl
# mail.t - the tenant-ready e-mail (SPEC 12) against a real SMTP server
# (t/lib/smtp-recorder.py, Debian's python3-aiosmtpd) on loopback.
#
# Covers: a first deploy sends exactly one message, read back from the
# server and checked (From, To, Subject decoded with a non-ASCII name,
# Date, Message-ID, MIME-Version, multipart/alternative with a text and
# an HTML part, the tenant URL in both, the name HTML-escaped in the HTML
# part); later deploys and a rollout send none; no contact_email means no
# row and no job; names built to break headers still give one well-formed
# message; 451 then 250 is sent on attempt 2; 550 fails at once with the
# server's text; a server that is down is retried until it is up; twenty
# tenants of one bulk create, their mail jobs run several times over by
# two runners and a `tenantctl worker`, get twenty messages, one each, as
# do the tenants of a bulk_deploy job;
# STARTTLS with AUTH (and a wrong password refused for good), and smtps;
# no smtp_url queues nothing; GET /api/tenants/{id}/notifications/ and
# `tenantctl tenant notifications` show the rows.

use strict;
use warnings;
use utf8;

use Email::MIME;
use Encode qw(decode);
use File::Spec;
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;

use SmtpServer;
use TenantdStack;
use TestUtil qw(spew wait_until write_tree);

my $WAIT = 60;

my $box_root = tempdir('mail-XXXXXX', DIR => File::Spec->tmpdir,
    CLEANUP => 1);
chmod 0755, $box_root;
my $smtp = SmtpServer->new(dir => "$box_root/plain");

my $s = TenantdStack->new(nginx => 0, conf => {
	job_runners => 2,
	job_poll_ms => 100,
	job_heartbeat_timeout => 5,
	smtp_url => $smtp->url,
	smtp_timeout => 5,
	mail_from => 'Acme HR <noreply@example.com>',
	mail_retry_delay => 1,
	mail_max_attempts => 4,
});
$smtp->start;
$s->start;
my $PORT = $s->port;
my $serial = 0;

# Rewrites tenantd.conf with `changes` (undef removes a key) and restarts
# tenantd, which reads it at start.
sub reconfigure {
	my (%changes) = @_;
	$s->stop_tenantd;
	$s->{conf}{$_} = $changes{$_} for keys %changes;
	$s->_write_conf;
	$s->start_tenantd;
}

# Creates a tenant with `fields` and waits for its first deploy (the
# create's deploy job).  Returns its id.
sub create_tenant {
	my (%fields) = @_;
	my $sub = $fields{subdomain} //= sprintf('mail%d', ++$serial);
	$fields{name} //= "Tenant $sub";
	my $r = $s->post('/api/tenants/', json => \%fields);
	is($r->{status}, 201, "tenant $sub created") or diag $r->{content};
	my $id = $r->{json}{id};
	ok(wait_until(sub {
		my ($v) = $s->sql("SELECT COALESCE(template_version, '') "
		    . "FROM tenants WHERE id = $id");
		return $v && $v->[0] ne '';
	}, $WAIT), "tenant $sub deployed");
	return $id;
}

# The notification row of tenant `id` as a hash, or undef.
sub row_of {
	my ($id) = @_;
	my ($row) = $s->sql('SELECT status, attempts, COALESCE(last_error, '
	    . "''), recipient, COALESCE(message_id, '') FROM notifications "
	    . "WHERE tenant_id = $id");
	return undef unless $row;
	my %h;
	@h{qw(status attempts last_error recipient message_id)} = @$row;
	return \%h;
}

# Waits until tenant `id`'s row has status `status`; returns the row.
sub wait_status {
	my ($id, $status) = @_;
	my $row;
	ok(wait_until(sub {
		$row = row_of($id);
		return $row && $row->{status} eq $status;
	}, $WAIT), "tenant $id: notification $status")
	    or diag explain $row;
	return $row;
}

sub mail_job_count {
	my ($n) = $s->sql("SELECT COUNT(*) FROM jobs WHERE kind = 'mail'");
	return $n->[0];
}

# Every job done: no mail job is queued or running any more.
sub wait_mail_jobs_settled {
	ok(wait_until(sub {
		my ($n) = $s->sql("SELECT COUNT(*) FROM jobs WHERE kind = "
		    . "'mail' AND status IN ('queued', 'running')");
		return $n->[0] == 0;
	}, $WAIT), 'no mail job left to run');
}

# The text of part `type` of a parsed message, decoded.
sub part_text {
	my ($email, $type) = @_;
	for my $part ($email->subparts) {
		return $part->body_str if $part->content_type =~ /^\Q$type\E/;
	}
	return undef;
}

# Header `name` of a parsed message with its encoded words decoded and
# nothing else done to it (header_str() would also reformat addresses).
sub decoded_header {
	my ($email, $name) = @_;
	return decode('MIME-Header', $email->header_raw($name) // '');
}

# Checks the header and line rules of a raw message.
sub lines_ok {
	my ($raw, $name) = @_;
	my @lines = split /\r\n/, $raw, -1;
	ok(!grep({ length($_) > 998 } @lines), "$name: no line over 998 bytes");
	ok($raw !~ /(?<!\r)\n|\r(?!\n)/, "$name: CRLF line ends only");
}

# --- a first deploy: one message, read back --------------------------------
my $NAME = 'Müller & Söhne <x>';
my $first = create_tenant(name => $NAME, subdomain => 'mueller',
    contact_email => 'boss@mueller.example.com');
my $row = wait_status($first, 'sent');
is($row->{attempts}, 1, 'sent on the first attempt');
my @raw = $smtp->messages;
is(scalar @raw, 1, 'the server received one message');
my $email = Email::MIME->new($raw[0]);
lines_ok($raw[0], 'first message');
is($email->header_str('Subject'), "Your site $NAME is ready",
    'Subject: decoded, with the non-ASCII name');
is(decoded_header($email, 'From'), 'Acme HR <noreply@example.com>',
    'From: mail_from');
is(decoded_header($email, 'To'), "$NAME <boss\@mueller.example.com>",
    'To: the name (encoded) and contact_email');
like($email->header('Date'),
    qr/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$/,
    'Date: RFC 5322, UTC');
like($email->header('Message-ID'),
    qr/^<tenantd-notification-\d+\@example\.com>$/, 'Message-ID');
is($email->header('Message-ID'), $row->{message_id},
    'the row records the Message-ID');
is($email->header('MIME-Version'), '1.0', 'MIME-Version: 1.0');
like($email->content_type, qr{^multipart/alternative;}, 'multipart/alternative');
my @types = map { ($_->content_type =~ m{^([a-z]+/[a-z]+)})[0] }
    $email->subparts;
is_deeply(\@types, ['text/plain', 'text/html'], 'a text and an HTML part');
my $URL = "http://mueller.localhost:$PORT";
my $text = part_text($email, 'text/plain');
my $html = part_text($email, 'text/html');
like($text, qr/\Q$URL\E/, 'the text part holds the tenant URL');
like($text, qr/\Q$NAME\E/, 'the text part holds the name as it is');
like($html, qr/href="\Q$URL\E"/, 'the HTML part links the tenant URL');
like($html, qr/Müller &amp; Söhne &lt;x&gt;/, 'the HTML part escapes the name');
unlike($html, qr/<x>/, 'no tag of the name reaches the HTML part');
my ($envelope) = $smtp->envelopes;
is_deeply($envelope, ['noreply@example.com', 'boss@mueller.example.com'],
    'envelope: MAIL FROM mail_from, RCPT TO contact_email');

my $r = $s->get("/api/tenants/$first/notifications/");
is($r->{status}, 200, 'GET notifications: 200');
is(scalar @{$r->{json} // []}, 1, 'one notification');
my $n = $r->{json}[0];
is($n->{event}, 'tenant_ready', 'event');
is($n->{to}, 'boss@mueller.example.com', 'to');
is($n->{status}, 'sent', 'status');
is($n->{attempts}, 1, 'attempts');
ok(!defined $n->{last_error}, 'last_error null');
like($n->{sent_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'sent_at');
is($s->get('/api/tenants/999999/notifications/')->{status}, 404,
    'an unknown tenant: 404');
is($s->get("/api/tenants/$first/notifications/", token => undef)->{status},
    401, 'anonymous: 401');
my ($exit, $out) = $s->tenantctl('tenant', 'notifications', 'mueller');
is($exit, 0, 'tenantctl tenant notifications');
like($out, qr/^tenant_ready\tboss\@mueller\.example\.com\tsent\t1\t\d{4}-\S+\t-$/m,
    'tenantctl prints event, to, status, attempts, sent_at, last_error');
($exit, $out) = $s->tenantctl('tenant', 'notifications', "$first", '--json');
my $json = eval { JSON::PP->new->utf8->decode($out) };
is($json && $json->[0]{status}, 'sent', 'tenantctl --json: the API\'s array');

# --- later deploys, and a rollout, send nothing -----------------------------
my $jobs_before = mail_job_count();
$r = $s->post("/api/tenants/$first/deploy_frontend/", json => { force => JSON::PP::true });
is($r->{status}, 200, 'a second deploy') or diag $r->{content};
($exit) = $s->tenantctl('tenant', 'deploy', 'mueller', '--force');
is($exit, 0, 'a redeploy by tenantctl');
my $template = "$box_root/template";
write_tree($template, {});
system('cp', '-a', $s->srcdir . '/www/template/.', $template) == 0
    or die "cp: $?";
spew("$template/mail-test.txt", "a version of its own\n");
my $version = $s->template_add($template);
$r = $s->post("/api/templates/$version/rollout/",
    json => { tenant_ids => [$first] });
is($r->{status}, 202, 'a rollout') or diag $r->{content};
my $rollout = $r->{json}{job_id};
ok(wait_until(sub {
	my ($st) = $s->sql("SELECT status FROM jobs WHERE id = $rollout");
	return $st->[0] eq 'done';
}, $WAIT), 'the rollout is done');
is(mail_job_count(), $jobs_before, 'no mail job for later deploys or a rollout');
is(scalar($smtp->messages), 1, 'still one message');
is(row_of($first)->{attempts}, 1, 'the row is untouched');

# --- no contact_email: no row, no job ----------------------------------------
my $silent = create_tenant(name => 'No Mail Ltd');
is(row_of($silent), undef, 'no contact_email: no row');
is(mail_job_count(), $jobs_before, 'no contact_email: no job');
is_deeply($s->get("/api/tenants/$silent/notifications/")->{json}, [],
    'an empty list');

# --- names built to break headers --------------------------------------------
my @attacks = (
	"Line\x{2028}Break\x{2029}Para\x{200B}Zero\x{FEFF}Width",
	'Quote " and \' <angle@brackets> (comment)',
	'=?utf-8?q?Bcc=3A_evil=40example=2Ecom?= =?utf-8?b?QmNjOg==?=',
	'Bcc: evil@example.com, Subject: replaced',
	'ü' x 200,
);
my $before = scalar $smtp->messages;
my @attack_ids;
for my $i (0 .. $#attacks) {
	push @attack_ids, create_tenant(name => $attacks[$i],
	    subdomain => "attack$i",
	    contact_email => "o'neil+tag$i\@attack.example.com");
}
wait_status($_, 'sent') for @attack_ids;
my @all = $smtp->messages;
is(scalar @all, $before + @attacks, 'one message per attacked tenant');
my %expected_headers = map { $_ => 1 }
    qw(From To Subject Date Message-ID MIME-Version Content-Type);
for my $i (0 .. $#attacks) {
	my $raw = $all[$before + $i];
	my $m = Email::MIME->new($raw);
	my %names = map { $_ => 1 } $m->header_names;
	is_deeply(\%names, \%expected_headers,
	    "attack $i: exactly the seven headers");
	is($m->header_str('Subject'), "Your site $attacks[$i] is ready",
	    "attack $i: the subject decodes to the name, nothing more");
	is(scalar(() = $m->header('To')), 1, "attack $i: one To");
	like(decoded_header($m, 'To'), qr/<o'neil\+tag$i\@attack\.example\.com>$/,
	    "attack $i: To is the contact_email");
	lines_ok($raw, "attack $i");
	my $h = part_text($m, 'text/html');
	unlike($h, qr/<angle|"\s*and/, "attack $i: HTML escaped");
}

# --- 451 then 250: sent on attempt 2 -----------------------------------------
$smtp->stop;
$smtp->{replies} = [451, 250];
$smtp->start;
$before = scalar $smtp->messages;
my $retried = create_tenant(contact_email => 'retry@example.com');
$row = wait_status($retried, 'sent');
is($row->{attempts}, 2, '451 then 250: attempts = 2');
is(scalar($smtp->messages), $before + 1, '451 then 250: one message');
my @codes = $smtp->attempts;
is_deeply([@codes[-2, -1]], [451, 250], 'the server answered 451, then 250');

# --- 550: failed at once, with the server's text ------------------------------
$smtp->stop;
$smtp->{default} = 550;
$smtp->start;
my $data_before = scalar(my @x = $smtp->attempts);
my $refused = create_tenant(contact_email => 'nobody@example.com');
$row = wait_status($refused, 'failed');
is($row->{attempts}, 1, '550: one attempt, no retry');
like($row->{last_error}, qr/550/, '550: last_error has the code');
like($row->{last_error}, qr/no such user/, '550: and the server\'s text');
wait_mail_jobs_settled();
is(scalar(my @y = $smtp->attempts), $data_before + 1,
    '550: DATA was tried once');
$r = $s->get("/api/tenants/$refused/notifications/");
is($r->{json}[0]{status}, 'failed', 'the API says failed');
$smtp->{default} = 250;

# --- the server down, then up: retried, then sent once -------------------------
$smtp->stop;
$before = scalar $smtp->messages;
my $waiting = create_tenant(contact_email => 'patient@example.com');
ok(wait_until(sub {
	my $row = row_of($waiting);
	return $row && $row->{attempts} >= 2 && $row->{status} eq 'queued';
}, $WAIT), 'server down: retried, still queued');
like(row_of($waiting)->{last_error}, qr/connect|refused/i,
    'server down: last_error says why');
$smtp->start;
$row = wait_status($waiting, 'sent');
is(scalar($smtp->messages), $before + 1, 'server up: one message');

# --- twenty tenants, several runners: one message each ---------------------------
$before = scalar $smtp->messages;
$s->stop_tenantd;
my $batch = "$box_root/batch.json";
spew($batch, JSON::PP->new->encode({ tenants => [map { { name => "Bulk $_",
    subdomain => "bulk$_", contact_email => "bulk$_\@example.com" } }
    1 .. 20] }));
chmod 0644, $batch;
($exit, $out) = $s->tenantctl('bulk-create', $batch);
is($exit, 0, 'bulk-create of 20 tenants') or diag $out;
# Each mail job three times over, so that several runners race for the
# same rows.
$s->sql("INSERT INTO jobs (kind, payload, created_at) SELECT kind, "
    . "payload, UTC_TIMESTAMP(6) FROM jobs WHERE kind = 'mail' AND "
    . "status = 'queued'") for 1 .. 2;
$s->start_tenantd;
my ($worker_exit) = $s->tenantctl('worker', '--once');
is($worker_exit, 0, 'a tenantctl worker ran alongside the runners');
my @bulk_ids = map { $_->[0] } $s->sql("SELECT id FROM tenants WHERE "
    . "subdomain LIKE 'bulk%' ORDER BY id");
is(scalar @bulk_ids, 20, '20 tenants made');
wait_status($_, 'sent') for @bulk_ids;
wait_mail_jobs_settled();
my @bulk_rcpts = sort map { $_->[1] }
    (($smtp->envelopes)[$before .. scalar($smtp->messages) - 1]);
is(scalar @bulk_rcpts, 20, 'exactly 20 messages');
is_deeply(\@bulk_rcpts, [sort map { "bulk$_\@example.com" } 1 .. 20],
    'one message for each of the 20 tenants');
my ($attempts) = $s->sql("SELECT SUM(attempts) FROM notifications n JOIN "
    . "tenants t ON t.id = n.tenant_id WHERE t.subdomain LIKE 'bulk%'");
is($attempts->[0], 20, 'one attempt each');

# --- a bulk_deploy job: the tenants' first deploy, one message each ---------------
$before = scalar $smtp->messages;
my @late = map { "late$_" } 1 .. 3;
$r = $s->post('/api/tenants/bulk-create/', json => { deploy => JSON::PP::false,
    tenants => [map { { name => "Late $_", subdomain => $_,
    contact_email => "$_\@example.com" } } @late] });
is($r->{status}, 200, 'bulk-create of 3 tenants, not deployed')
    or diag $r->{content};
my @late_ids = map { $_->{id} } @{$r->{json}{created_tenants} // []};
$s->sql("INSERT INTO jobs (kind, payload, created_at) VALUES ('bulk_deploy', "
    . "'{\"tenant_ids\":[" . join(',', @late_ids) . "]}', UTC_TIMESTAMP(6))");
wait_status($_, 'sent') for @late_ids;
is(scalar($smtp->messages), $before + 3,
    'a bulk_deploy job: one message for each of its 3 tenants');

# --- STARTTLS with AUTH, and smtps --------------------------------------------------
my $secure = SmtpServer->new(dir => "$box_root/secure", starttls => 1,
    auth => ['relayuser', 'relay secret']);
$secure->start;
my $password_file = "$box_root/smtp-password";
spew($password_file, "relay secret\n");
chmod 0600, $password_file;
$s->give_to_service($password_file);
reconfigure(smtp_url => $secure->url, smtp_starttls => 'yes',
    smtp_ca_file => $secure->cert_path, smtp_user => 'relayuser',
    smtp_password_file => $password_file);
my $tls = create_tenant(contact_email => 'tls@example.com');
wait_status($tls, 'sent');
is(scalar($secure->messages), 1, 'STARTTLS and AUTH: one message');

spew($password_file, "wrong\n");
$s->give_to_service($password_file);
my $denied = create_tenant(contact_email => 'denied@example.com');
$row = wait_status($denied, 'failed');
like($row->{last_error}, qr/535|auth/i, 'a wrong password: failed, AUTH refused')
    or diag explain $row;
is(scalar($secure->messages), 1, 'a wrong password: nothing delivered');
$secure->stop;

my $implicit = SmtpServer->new(dir => "$box_root/smtps", smtps => 1);
$implicit->start;
reconfigure(smtp_url => $implicit->url, smtp_starttls => 'no',
    smtp_ca_file => $implicit->cert_path, smtp_user => undef,
    smtp_password_file => undef);
my $over_tls = create_tenant(contact_email => 'smtps@example.com');
wait_status($over_tls, 'sent');
my ($tls_message) = $implicit->messages;
like(Email::MIME->new($tls_message // '')->header_str('Subject') // '',
    qr/ is ready$/, 'smtps: one message');
$implicit->stop;

# --- no smtp_url: nothing queued -------------------------------------------------------
reconfigure(smtp_url => undef);
$jobs_before = mail_job_count();
my $unset = create_tenant(contact_email => 'unset@example.com');
is(row_of($unset), undef, 'no smtp_url: no row');
is(mail_job_count(), $jobs_before, 'no smtp_url: no job');

$smtp->stop;
done_testing;
