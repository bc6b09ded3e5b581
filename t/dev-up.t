#!/usr/bin/env perl
# dev-up.t - ./dev up, status and down on a stack of their own: a second up
# with another port and front end rewrites var/tenantd.conf readable by
# tenantd and the reload reaches the workers; a plain up keeps the running
# stack's port and front end and says so; status looks where the stack is;
# the admin password is shown on the first up only; TENANTD_FRONTEND=caddy
# serves HTTPS with a certificate from Caddy's local CA (trusted from where
# up says it is) for the admin host and on demand for a tenant's.
#
# ./dev keeps its state next to itself, so it runs from a stand-in clone in
# t/var: ./dev, etc/ and www/ of the sources, the built programs and
# manifest, and a build system that is up to date and does nothing (the
# build is not what this tests).  A dpkg-query stand-in says every package
# is installed, so the test never installs any.  Run by root, ./dev up runs
# tenantd as the system user tenantd and creates it when it is missing, as
# it does for a developer.

use strict;
use warnings;

use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP ();
use Test::More;

use TenantdStack;
use TestProcess qw(child_pids free_port run_captured);
use TestUtil qw(slurp spew);

my $DEV_TIMEOUT = 180;
my $SERVICE_USER = 'tenantd';

my $stack = TenantdStack->new;
my ($srcdir, $builddir) = ($stack->srcdir, $stack->builddir);
make_path("$builddir/t/var");
my $clone = tempdir('dev-up-XXXXXX', DIR => "$builddir/t/var");
chmod 0755, $clone or die "chmod $clone: $!";

# --- the stand-in clone ---------------------------------------------------

sub run_or_die {
	my (@command) = @_;
	my ($exit, $out, $err) = run_captured(\@command,
	    timeout => 120);
	die "@command failed (exit $exit): $err" if $exit != 0;
}

copy("$srcdir/dev", "$clone/dev") or die "copy dev: $!";
chmod 0755, "$clone/dev" or die "chmod dev: $!";
run_or_die('cp', '-a', "$srcdir/etc", "$srcdir/www", "$clone/");
make_path("$clone/src");
for my $built ('src/tenantd', 'src/tenantctl', 'www/template.manifest') {
	copy("$builddir/$built", "$clone/$built") or die "copy $built: $!";
	chmod((stat "$builddir/$built")[2] & 07777, "$clone/$built")
	    or die "chmod $built: $!";
}
# Inputs older than their outputs, and a Makefile with nothing to do.
spew("$clone/configure.ac", '');
spew("$clone/Makefile.am", '');
utime(time - 3600, time - 3600, "$clone/configure.ac", "$clone/Makefile.am")
    or die "utime: $!";
spew("$clone/configure", "#!/bin/sh\nexit 0\n");
chmod 0755, "$clone/configure" or die "chmod: $!";
spew("$clone/Makefile.in", '');
spew("$clone/Makefile", "all:\n\t\@:\n");
make_path("$clone/stubs");
spew("$clone/stubs/dpkg-query", "#!/bin/sh\nprintf 'install ok installed'\n");
chmod 0755, "$clone/stubs/dpkg-query" or die "chmod: $!";

# Runs ./dev in the clone with the TENANTD_* settings given (and no others).
# Returns ($exit, $stdout and stderr together).
sub dev {
	my ($settings, @args) = @_;
	local %ENV = %ENV;
	delete @ENV{qw(TENANTD_HTTP_PORT TENANTD_HTTPS_PORT TENANTD_FRONTEND
	    TENANTD_BASE_DOMAIN)};
	%ENV = (%ENV, %$settings);
	$ENV{PATH} = "$clone/stubs:$ENV{PATH}";
	my ($exit, $out, $err) = run_captured(["$clone/dev", @args],
	    timeout => $DEV_TIMEOUT);
	return ($exit, "$out$err");
}

my $stopped = 0;
sub dev_down {
	return if $stopped++;
	my ($exit, $out) = dev({}, 'down');
	diag "./dev down: exit $exit\n$out" if $exit != 0;
}
END {
	dev_down() if defined $clone;
	remove_tree($clone) if defined $clone && !$ENV{TENANTD_KEEP_TEST_DIRS};
}

my $http = HTTP::Tiny->new(timeout => 10);
my $json = JSON::PP->new->utf8;

sub get_json {
	my ($port, $path, $token) = @_;
	my $r = $http->get("http://127.0.0.1:$port$path",
	    { headers => { Authorization => "Bearer $token" } });
	return $r->{status} == 200 ? $json->decode($r->{content}) : undef;
}

# --- first up ---------------------------------------------------------------

my $port = free_port();
my ($exit, $out) = dev({ TENANTD_HTTP_PORT => $port }, 'up');
is $exit, 0, "./dev up on port $port" or diag $out;
like $out, qr/credentials: +username: admin password: \S+ .*shown only this once/,
    '... shows the admin password, once';
like slurp("$clone/var/stack.env") // '', qr/^TENANTD_HTTP_PORT=$port\n(?s:.*)^TENANTD_FRONTEND=nginx$/m,
    '... and remembers the port and front end in var/stack.env';

# --- a plain up keeps them ---------------------------------------------------

($exit, $out) = dev({}, 'up');
is $exit, 0, './dev up again, without TENANTD_HTTP_PORT' or diag $out;
like $out, qr/the running stack keeps port $port, front end nginx/,
    '... keeps the running port and front end and says so';
like $out, qr/nginx: already running/, '... and leaves nginx as it is';
unlike $out, qr/password: /, '... without showing the password again';
like $out, qr/credentials: +in \S+\/var\/admin-credentials/,
    '... but where it is';

($exit, $out) = dev({}, 'status');
is $exit, 0, './dev status finds the stack healthy' or diag $out;
like $out, qr/^stack: +port $port, front end nginx/m, '... on the port it was started on';
like $out, qr/^nginx: +running, pid \d+, http:\/\/127\.0\.0\.1:$port\//m,
    '... naming that port';

# nginx's workers serve as tenantd's user when ./dev runs as root, and can
# still read the admin UI and reach tenantd.
my ($nginx_pid) = slurp("$clone/var/nginx/nginx.pid") =~ /^(\d+)/;
my @nginx_uids = map { (slurp("/proc/$_/status")
    =~ /^Uid:\s+\d+\s+(\d+)/m)[0] // 'unknown' }
    child_pids($nginx_pid);
ok(@nginx_uids && !grep({ $_ eq 'unknown' || $_ == 0 } @nginx_uids),
    "nginx's workers do not run as root (uid @nginx_uids)");
if ($> == 0) {
	my $service_uid = getpwnam($SERVICE_USER);
	ok(!grep({ $_ ne $service_uid } @nginx_uids),
	    "... but as $SERVICE_USER");
}
my $page = $http->get("http://127.0.0.1:$port/admin/");
is $page->{status}, 200, '... and serve the admin UI';
$page = $http->get("http://127.0.0.1:$port/api/healthz");
is $page->{status}, 200, '... and pass the API to tenantd';

# --- another port and front end: tenantd reloads -----------------------------

my ($token_exit, $token) = run_captured(["$clone/dev",
    'tenantctl', 'token', 'create', 'admin'], timeout => 60);
chomp $token;
is $token_exit, 0, 'a token for the API';
($exit) = run_captured(["$clone/dev", 'tenantctl', 'tenant',
    'create', '--name', 'Acme', '--subdomain', 'acme'], timeout => 60);
is $exit, 0, 'a tenant';

my $other_port = free_port();
($exit, $out) = dev({ TENANTD_HTTP_PORT => $other_port,
    TENANTD_FRONTEND => 'lighttpd' }, 'up');
is $exit, 0, "./dev up with port $other_port and lighttpd" or diag $out;
like $out, qr/the running stack changes port $port -> $other_port \(TENANTD_HTTP_PORT\), front end nginx -> lighttpd \(TENANTD_FRONTEND\)/,
    '... says what it changes';
like $out, qr/tenantd: configuration changed, reloaded \(pid \d+, workers of generation \d+ ready\)/,
    '... and that tenantd reloaded';
my @st = stat "$clone/var/tenantd.conf";
if ($> == 0) {
	is sprintf('%04o', $st[2] & 07777), '0640', 'var/tenantd.conf stays mode 0640';
	is scalar(getgrgid($st[5])), $SERVICE_USER, "... group $SERVICE_USER";
} else {
	is sprintf('%04o', $st[2] & 07777), '0600',
	    'var/tenantd.conf stays mode 0600 (tenantd runs as its owner)';
}
unlike slurp("$clone/var/log/tenantd.log") // '', qr/keeping the running configuration/,
    'tenantd did not refuse the new configuration';
my $list = get_json($other_port, '/api/tenants/?search=acme', $token);
is $list && $list->{results}[0]{tenant_url}, "http://acme.localhost:$other_port",
    'the workers answer with the new port: the reload took effect';

($exit, $out) = dev({}, 'up');
is $exit, 0, './dev up again, without settings' or diag $out;
like $out, qr/the running stack keeps port $other_port, front end lighttpd/,
    '... keeps the new port and lighttpd';
like $out, qr/lighttpd: already running/, '... and leaves lighttpd as it is';

($exit, $out) = dev({}, 'status');
is $exit, 0, './dev status finds it healthy' or diag $out;
like $out, qr/^lighttpd: +running, pid \d+, http:\/\/127\.0\.0\.1:$other_port\//m,
    '... on the new port, through lighttpd';

# --- Caddy ------------------------------------------------------------------

my $https_port = free_port();
($exit, $out) = dev({ TENANTD_FRONTEND => 'caddy',
    TENANTD_HTTPS_PORT => $https_port }, 'up');
is $exit, 0, "./dev up with caddy, HTTPS on $https_port" or diag $out;
like $out, qr{admin UI: +https://127\.0\.0\.1:$https_port/admin/},
    '... prints the HTTPS URLs';
my ($root) = $out =~ m{local CA: +(\S+/root\.crt)};
ok defined $root && -s $root, '... and where the local CA\'s root is'
    or diag $out;
my $curl = sub {
	my ($host, $path) = @_;
	my ($rc, $body, $err) = run_captured(['curl', '-sS',
	    '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '20',
	    '--cacert', $root // '/nonexistent', '--resolve',
	    "$host:$https_port:127.0.0.1", "https://$host:$https_port$path"],
	    timeout => 30);
	return $rc == 0 ? $body : "curl failed: $err";
};
is $curl->('127.0.0.1', '/api/healthz'), '200',
    '... the admin host answers over HTTPS, trusting the local CA only';
is $curl->('acme.localhost', '/'), '200',
    '... a tenant host gets its certificate on demand';
like $curl->('nosuch.localhost', '/'), qr/curl failed/,
    '... an unknown one gets none';
($exit, $out) = dev({}, 'status');
is $exit, 0, './dev status finds it healthy' or diag $out;
like $out, qr/^caddy: +running, pid \d+, https:\/\/127\.0\.0\.1:$https_port\//m,
    '... through caddy';
like $out, qr/^lighttpd: +stopped/m, '... which replaced lighttpd';

# --- down -------------------------------------------------------------------

($exit, $out) = dev({}, 'down');
$stopped = 1;
is $exit, 0, './dev down' or diag $out;
like $out, qr/caddy: stopped.*tenantd: stopped.*MariaDB: stopped/s,
    '... stops caddy, tenantd and MariaDB';

done_testing;
