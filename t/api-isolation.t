# api-isolation.t - one tenant's host never speaks for another, and no
# secret ends up in a log.
#
# Tenants alpha and beta, through nginx: the asset API by subdomain stays
# public by design (SPEC section 9) from any host, but alpha's gate never
# answers for beta whatever the query says, and alpha's site root never
# serves beta's files, not even through symlinks planted in alpha's
# folder; on tenant hosts (through nginx and lighttpd) the admin API and
# login do not exist, only the public routes do.  Then the admin password, API tokens, session id and CSRF token
# used during the test must not appear in tenantd.log or the nginx access
# log, and the credential files of the test stack and ./dev are 0600 (or
# 0640 with tenantd's group, to be re-read on SIGHUP).
use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;

my $s = TenantdStack->new(workers => 2);
$s->start;

# Creates tenant `sub` with `modules` (create deploys its site) and waits
# for the site; returns its id.
sub make_tenant {
	my ($sub, @modules) = @_;
	my $r = $s->post('/api/tenants/', json => {
	    name => "Tenant $sub", subdomain => $sub, module_keys => \@modules });
	is($r->{status}, 201, "tenant $sub is created") or diag $r->{content};
	my $index = $s->tenants_dir . "/$sub/public/index.html";
	my $deadline = time + 60;
	sleep 0.2 while !-f $index && time < $deadline;
	ok(-f $index, "tenant $sub has its site");
	return $r->{json}{id};
}

# A GET of `path` on the host of tenant `sub`, without credentials.
sub on_host {
	my ($sub, $path) = @_;
	return $s->get($path, token => undef, host => "$sub.localhost");
}

# Writes `content` to the file `path`, dying on failure.
sub write_file {
	my ($path, $content) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print {$fh} $content;
	close $fh or die "$path: $!";
}

my $alpha = make_tenant('alpha');
my $beta = make_tenant('beta', 'wallet');
my $beta_public = $s->tenants_dir . '/beta/public';
my $alpha_public = $s->tenants_dir . '/alpha/public';
my $secret_text = "beta-private-" . join('', map { int rand 10 } 1 .. 12);
write_file("$beta_public/beta-only.txt", $secret_text);

# --- assets by subdomain: public by design ------------------------------------

my $r = on_host('alpha', '/api/tenants/by-subdomain/beta/assets/beta-only.txt');
is($r->{status}, 200, "beta's public file by subdomain from alpha's host is public by design");
is($r->{content}, $secret_text, '  and it is beta\'s file');
$r = on_host('alpha', '/api/tenants/by-subdomain/alpha/assets/beta-only.txt');
is($r->{status}, 404, "alpha's asset API does not have beta's file");

# --- the gate answers only for the request's own host ---------------------------

$r = on_host('beta', '/api/gate?module=wallet');
is($r->{status}, 204, 'beta has wallet on its own host');
$r = on_host('alpha', '/api/gate?module=wallet');
is($r->{status}, 403, 'alpha has no wallet');
for my $query ('module=wallet&tenant=beta', 'module=wallet&subdomain=beta',
    'tenant=beta&module=wallet&host=beta.localhost') {
	$r = on_host('alpha', "/api/gate?$query");
	is($r->{status}, 403, "alpha's host with $query still answers for alpha");
}
$r = $s->get('/api/gate?module=wallet', token => undef, host => 'alpha.localhost',
    headers => { 'X-Forwarded-Host' => 'beta.localhost', 'X-Tenant' => 'beta' });
is($r->{status}, 403, 'forwarding headers do not make alpha\'s host speak for beta');
$r = on_host('alpha', '/api/m/wallet/balance');
isnt($r->{status}, 200, 'alpha\'s host cannot reach beta\'s wallet module API');

# --- the administration does not exist on tenant hosts ----------------------------

open(my $list, '-|', $s->tenantd_binary, '--list-routes')
    or die 'tenantd --list-routes: ' . $!;
my @routes = map { chomp; [split /\t/] } <$list>;
close $list;
my @admin_host = grep { ($_->[3] // '') ne 'any-host' } @routes;
is_deeply([sort map { $_->[1] } grep { $_->[3] eq 'any-host' } @routes],
    ['/api/gate', '/api/healthz',
     '/api/tenants/by-subdomain/{sub}/assets/{path*}',
     '/api/tenants/by-subdomain/{sub}/config/'],
    'only healthz, the gate and config and assets by subdomain answer on '
    . 'tenant hosts');

# Every admin-host route and method, asked on tenant hosts of `stack`
# with the admin's token (and login with the admin's password), is 404
# JSON and changes nothing; on the admin host the same token still works.
sub admin_absent_on_tenant_hosts {
	my ($stack, $label, $id) = @_;
	for my $route (@admin_host) {
		my ($methods, $pattern) = @$route;
		for my $method (split /,/, $methods) {
			(my $path = $pattern) =~ s/\{id\}/$id/g;
			my %o = $method =~ /^(?:POST|PATCH|PUT)$/
			    ? (json => { username => 'admin',
			    password => $stack->admin_password, name => 'Taken Over',
			    module_key => 'wallet', is_enabled => JSON::PP::true() })
			    : ();
			for my $host ('alpha.localhost', 'nosuch.localhost',
			    'ALPHA.localhost') {
				my $r = $stack->request($method, $path, host => $host,
				    %o);
				is($r->{status}, 404, "$label: $method $path on $host: 404");
				next if $method eq 'HEAD';
				is($r->{json} && $r->{json}{code}, 'not_found',
				    "$label:   not_found JSON");
				is(scalar(TenantdStack->header_values($r, 'Set-Cookie')),
				    0, "$label:   no cookie") if $path =~ /login/;
			}
		}
	}
	my $r = $stack->get("/api/tenants/$id/");
	is($r->{status}, 200, "$label: the tenant is still there on the admin host");
	isnt($r->{json} && $r->{json}{name}, 'Taken Over', "$label:   unchanged");
	$r = $stack->post('/api/auth/login', token => undef, json => {
	    username => 'admin', password => $stack->admin_password });
	is($r->{status}, 200, "$label: login answers on the admin host");
	$r = $stack->get('/api/healthz', token => undef, host => 'alpha.localhost');
	is($r->{status}, 200, "$label: healthz answers on a tenant host");
}

admin_absent_on_tenant_hosts($s, 'nginx', $alpha);
{
	my $l = TenantdStack->new(workers => 1, frontend => 'lighttpd');
	$l->start;
	my $r = $l->post('/api/tenants/?deploy=false', json => {
	    name => 'Tenant alpha', subdomain => 'alpha' });
	is($r->{status}, 201, 'lighttpd: tenant alpha is created')
	    or diag $r->{content};
	admin_absent_on_tenant_hosts($l, 'lighttpd', $r->{json}{id});
	$l->stop;
}

# --- alpha's site root never serves beta's files ----------------------------------

$r = on_host('alpha', '/beta-only.txt');
isnt($r->{content} // '', $secret_text, "alpha's site root has no beta-only.txt");
ok(symlink("$beta_public/beta-only.txt", "$alpha_public/linked.txt"),
    'a symlink to beta\'s file is planted in alpha\'s public/');
ok(symlink($beta_public, "$alpha_public/beta-dir"),
    'a symlink to beta\'s public/ is planted in alpha\'s public/');
ok(symlink('../../beta/public/beta-only.txt', "$alpha_public/relative.txt"),
    'a relative symlink as well');
for my $path ('/linked.txt', '/beta-dir/beta-only.txt', '/relative.txt',
    '/api/tenants/by-subdomain/alpha/assets/linked.txt',
    '/api/tenants/by-subdomain/alpha/assets/beta-dir/beta-only.txt',
    '/api/tenants/by-subdomain/alpha/assets/relative.txt',
    '/../beta/public/beta-only.txt', '/%2e%2e/beta/public/beta-only.txt',
    '/api/tenants/by-subdomain/alpha/assets/..%2f..%2fbeta/public/beta-only.txt') {
	$r = on_host('alpha', $path);
	isnt($r->{status}, 200, "alpha's host: $path is refused ($r->{status})");
	unlike($r->{content} // '', qr/\Q$secret_text\E/, "  and never shows beta's file");
}

# --- secrets stay out of the logs ---------------------------------------------------

my $password = $s->admin_password;
$r = $s->post('/api/auth/login', token => undef,
    form => [username => 'admin', password => $password]);
is($r->{status}, 200, 'a form login') or diag $r->{content};
my ($session) = map { /^tenantd_session=([0-9a-f]+)/ ? $1 : () }
    TenantdStack->header_values($r, 'Set-Cookie');
my $csrf = $r->{json}{csrf_token};
$r = $s->patch("/api/tenants/$alpha/", token => undef,
    cookie => "tenantd_session=$session", headers => { 'X-CSRF-Token' => $csrf },
    json => { name => 'Alpha Renamed' });
is($r->{status}, 200, 'a PATCH with session and CSRF token') or diag $r->{content};
$r = $s->post('/api/auth/login', token => undef,
    json => { username => 'admin', password => "$password-wrong" });
is($r->{status}, 401, 'a failed login');
$r = $s->get('/api/tenants/');
is($r->{status}, 200, 'a request with the API token');
$r = $s->get('/api/tenants/', token => 'tnd_' . ('7' x 64));
is($r->{status}, 401, 'a request with a wrong token');

my %secrets = (
	'the admin password' => $password,
	'the API token' => $s->admin_token,
	'the wrong token' => '7' x 64,
	'the session id' => $session,
	'the CSRF token' => $csrf,
	'the database password' => $s->db_password,
);
for my $log ('tenantd', 'nginx-access', 'nginx') {
	my $path = $s->log_path($log);
	open(my $fh, '<', $path) or do { fail("$log log: $!"); next };
	my $text = do { local $/; <$fh> };
	close $fh;
	ok(length $text, "the $log log has something to check");
	for my $what (sort keys %secrets) {
		my $secret = $secrets{$what};
		next unless defined $secret && length $secret >= 8;
		unlike($text, qr/\Q$secret\E/, "$what is not in the $log log");
	}
}

my ($exit, $out, $err) = $s->tenantctl('token', 'list');
is($exit, 0, 'tenantctl token list') or diag $err;
unlike($out . $err, qr/\Q${\ $s->admin_token }\E/, 'token list does not print tokens');
($exit, $out, $err) = $s->tenantctl('user', 'list');
unlike($out . $err, qr/\Q$password\E/, 'user list does not print passwords');

# --- credential files are 0600 (0640, root's, the service group's) ----------------

my @conf_stat = stat $s->conf_path;
if ($> == 0) {
	my $gid = (getpwnam($s->{conf}{user}))[3];
	ok(sprintf('%04o', $conf_stat[2] & 07777) eq '0640' && $conf_stat[4] == 0
	    && $conf_stat[5] == $gid,
	    'the test stack\'s tenantd.conf (database password) is root\'s, 0640, '
	    . 'readable by tenantd\'s group only');
} else {
	is(sprintf('%04o', $conf_stat[2] & 07777), '0600',
	    'the test stack\'s tenantd.conf (database password) is 0600');
}
my $dev = $s->srcdir . '/dev';
open(my $dev_fh, '<', $dev) or die "$dev: $!";
my $dev_text = do { local $/; <$dev_fh> };
close $dev_fh;
like($dev_text, qr/write_secret\(\) \{\n\tlocal path="\$1" value="\$2"\n\t\(umask 077 && printf '%s\\n' "\$value" >"\$path"\)\n\tchmod 0600 "\$path"/,
    './dev\'s write_secret creates files with umask 077 and chmod 0600');
my @secret_files = $dev_text =~ /write_secret "([^"]+)"/g;
cmp_ok(scalar @secret_files, '>=', 2, './dev writes its secrets with write_secret: '
    . join(', ', @secret_files));
my @direct = grep { /(?:password|credentials|secret)[^\s]*\s*$/ }
    $dev_text =~ /^[^#\n]*>\s*("?\$VAR\/[^\s"]+"?)/mg;
is(scalar @direct, 0, './dev writes no password file without write_secret')
    or diag join "\n", @direct;

done_testing;
