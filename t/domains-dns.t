#!/usr/bin/env perl
# domains-dns.t - verifying a custom domain by its DNS TXT record against a
# real DNS server on loopback (dnsmasq, tenantd.conf's dns_server): the
# token makes the domain active (audited); the wrong token, several
# records none of which is the token, a CNAME chain, a name without TXT,
# NXDOMAIN and a server that never answers each give 409 not_verified
# saying what was found, and change nothing.  A server on IPv6 loopback
# answers as well.
use strict;
use warnings;

use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);

use TenantdStack;
use TestProcess qw(run_captured);

my $s = TenantdStack->new(workers => 2, nginx => 0,
    conf => { dns_timeout => 2 });
my $port = $s->reserve_dns_port;
$s->{conf}{dns_server} = "127.0.0.1:$port";
$s->start;

my $r = $s->post('/api/tenants/', json => { name => 'Acme', subdomain => 'acme',
    deploy => JSON::PP::false() });
is($r->{status}, 201, 'tenant acme') or diag $r->{content};
my $id = $r->{json}{id};
my $base = "/api/tenants/$id/domains/";

my %token;
for my $name (qw(good.test wrong.test several.test cname.test empty.test
    nx.test slow.test bytes.test many.test six.test)) {
	$r = $s->post($base, json => { domain => $name });
	is($r->{status}, 201, "add $name") or diag $r->{content};
	$token{$name} = $r->{json}{verification}{value};
}

sub txt { "--txt-record=_tenantd-challenge.$_[0],$_[1]" }

$s->start_dns_server(
    txt('good.test', $token{'good.test'}),
    txt('wrong.test', 'not-the-token'),
    txt('several.test', 'v=spf1 -all'),
    txt('several.test', substr($token{'several.test'}, 0, 31)),
    txt('several.test', $token{'good.test'}),
    # A CNAME to a name that holds the right token: not followed.
    '--cname=_tenantd-challenge.cname.test,elsewhere.test',
    "--txt-record=elsewhere.test,$token{'cname.test'}",
    # A name that exists, without TXT records.
    '--host-record=_tenantd-challenge.empty.test,127.0.0.2',
    # Bytes that are no printable ASCII, and more records than are quoted.
    txt('bytes.test', "tok\xff\x1b[2J\"e\\n" . ('x' x 100)),
    map { txt('many.test', "record-$_") } 1 .. 6,
);

sub verify { $s->post("$base$_[0]/verify/") }

sub row {
	my ($name) = @_;
	my ($row) = $s->sql("SELECT status, IFNULL(verified_at, 'null'), token "
	    . "FROM domains WHERE name = '$name'");
	return join ' ', @$row;
}

my @refused = (
	['wrong.test', qr/1 TXT record at _tenantd-challenge\.wrong\.test, not the token: "not-the-token"/],
	['several.test', qr/3 TXT records at _tenantd-challenge\.several\.test, none is the token: .*"v=spf1 -all"/],
	['cname.test', qr/CNAME to elsewhere\.test/],
	['empty.test', qr/no TXT record at _tenantd-challenge\.empty\.test/],
	['nx.test', qr/NXDOMAIN: _tenantd-challenge\.nx\.test does not exist/],
	['bytes.test', qr/1 TXT record at \S+, not the token: "tok\\xff\\x1b\[2J\\x22e\\x5cnx{52}"\.\.\.$/],
	['many.test', qr/^6 TXT records at \S+, none is the token: "record-\d", "record-\d", "record-\d", "record-\d", \.\.\.$/],
);
for my $case (@refused) {
	my ($name, $said) = @$case;
	my $before = row($name);
	$r = verify($name);
	is($r->{status}, 409, "$name: 409") or diag $r->{content};
	is($r->{json}{code}, 'not_verified', "$name: not_verified");
	like($r->{json}{error}, $said, "$name: says what was found")
	    or diag $r->{json}{error};
	is(row($name), $before, "$name: the row is unchanged");
}
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE action = 'domain.verify'"), 0,
    'no refusal was audited as a verification');

$r = verify('good.test');
is($r->{status}, 200, 'good.test: the TXT record holds the token') or diag $r->{content};
is($r->{json}{status}, 'active', '... active');
like($r->{json}{verified_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '... verified now');
like(row('good.test'), qr/^active \d/, '... in the row');
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id "
    . "AND action = 'domain.verify' AND detail = 'good.test'"), 1, '... audited');
$r = verify('good.test');
is($r->{status}, 200, 'verifying an active domain again: 200');

# A changed record: the wrong token is refused, the right one is not.
$s->start_dns_server(txt('wrong.test', $token{'wrong.test'}));
$r = verify('wrong.test');
is($r->{status}, 200, 'wrong.test once its record holds the token') or diag $r->{content};

# tenantctl: the same rule, rows, look-up and audit rows.
my ($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'add', 'acme', 'ctl.test', '--json');
is($exit, 0, 'tenantctl tenant domain add') or diag $err;
my $added = eval { JSON::PP::decode_json($out) } // [];
is($added->[0]{status}, 'pending', '... prints the pending domain');
my $ctl_token = $added->[0]{verification}{value} // '';
like($ctl_token, qr/^[0-9a-f]{32}$/, '... with its token');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'add', 'acme', 'CTL.test');
isnt($exit, 0, 'tenantctl refuses an upper-case name');
like($err, qr/lower case/, '... saying why');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'add', 'acme', 'ctl.test');
isnt($exit, 0, 'tenantctl refuses a name taken');
like($err, qr/belongs to a tenant already/, '... saying so');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'verify', 'acme', 'ctl.test');
isnt($exit, 0, 'tenantctl verify without the record fails');
like($err, qr/NXDOMAIN/, '... saying what the DNS holds');
$s->start_dns_server(txt('ctl.test', $ctl_token));
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'verify', 'acme', 'ctl.test');
is($exit, 0, 'tenantctl verify with the record') or diag $err;
like($out, qr/^ctl\.test\tactive\t/, '... prints it active');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'list', 'acme');
is($exit, 0, 'tenantctl tenant domain list');
like($out, qr/^ctl\.test\tactive\t\S+\t_tenantd-challenge\.ctl\.test\t$ctl_token$/m,
    '... lists it with its record');
like($out, qr/^good\.test\tactive\t/m, '... and the others');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'remove', 'acme', 'ctl.test');
is($exit, 0, 'tenantctl tenant domain remove');
is($s->sql_value("SELECT COUNT(*) FROM domains WHERE name = 'ctl.test'"), 0, '... the row is gone');
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE detail = 'ctl.test' "
    . "AND user_id IS NULL AND action IN ('domain.add', 'domain.verify', 'domain.remove')"), 3,
    '... each change audited, with no user');
($exit, $out, $err) = $s->tenantctl('tenant', 'domain', 'frobnicate', 'acme', 'x.test');
is($exit, 2, 'an unknown action is a usage error');

# A server on IPv6 loopback, as dns_server = [::1]:port.
my $port6 = $s->reserve_dns_port('::1');
$s->start_dns_server(txt('six.test', $token{'six.test'}));
$s->restart_tenantd_with(dns_server => "[::1]:$port6");
$r = verify('six.test');
is($r->{status}, 200, 'verified through a DNS server on [::1]') or diag $r->{content};
is($r->{json}{status}, 'active', '... active');

# A server that never answers: the look-up is bounded by dns_timeout.
my $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'udp') or die "udp socket: $@\n";
$s->restart_tenantd_with(dns_server => '127.0.0.1:' . $silent->sockport);
my $before = row('slow.test');
my $start = time;
$r = verify('slow.test');
my $took = time - $start;
is($r->{status}, 409, 'a server that never answers: 409') or diag $r->{content};
is($r->{json}{code}, 'not_verified', '... not_verified');
like($r->{json}{error}, qr/timed out after 2 s/, '... saying it timed out');
cmp_ok($took, '<', 5, '... within the bounded time');
is(row('slow.test'), $before, '... the row is unchanged');

# A server where nothing listens: refused at once.
my $closed = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'udp') or die "udp socket: $@\n";
my $closed_port = $closed->sockport;
close $closed;
$s->restart_tenantd_with(dns_server => "127.0.0.1:$closed_port");
$r = verify('slow.test');
is($r->{status}, 409, 'a server where nothing listens: 409') or diag $r->{content};
like($r->{json}{error}, qr/refused the connection/, '... saying so');
is(row('slow.test'), $before, '... the row is unchanged');

# A dns_server that is no address: tenantctl (like tenantd) refuses the
# configuration.
my $bad_conf = $s->run_dir . '/bad-dns.conf';
my $text = TestUtil::slurp($s->conf_path);
$text =~ s/^dns_server = .*$/dns_server = dns.example/m or die 'no dns_server';
TestUtil::spew($bad_conf, $text);
($exit, $out, $err) = run_captured([$s->tenantctl_binary,
    '--config', $bad_conf, 'tenant', 'domain', 'list', 'acme'], timeout => 30);
isnt($exit, 0, 'a dns_server that is no address is refused');
like($err, qr/dns_server: must be an IPv4 address/, '... naming dns_server');

$s->stop;
done_testing();
