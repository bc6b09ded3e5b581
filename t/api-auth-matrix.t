# api-auth-matrix.t - every admin route against every kind of caller.
#
# The routes come from `tenantd --list-routes` (the router's own table), so
# a new endpoint is in the matrix the day it is added.  Each admin route and
# method is tried as: anonymous, a bad token, a revoked token, an expired
# session, a live session without the CSRF token (unsafe methods only),
# and a valid caller; only the valid caller gets past authentication.  The
# public routes must be exactly the documented list.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 2);
$s->start;

my $password = $s->admin_password;

# The session cookie ("tenantd_session=<hex>") and CSRF token of a fresh
# login.
sub login_session {
	my $r = $s->post('/api/auth/login', token => undef,
	    json => { username => 'admin', password => $password });
	is($r->{status}, 200, 'admin logs in') or diag $r->{content};
	my ($cookie) = map { /^(tenantd_session=[0-9a-f]+)/ ? $1 : () }
	    TenantdStack->header_values($r, 'Set-Cookie');
	return ($cookie, $r->{json}{csrf_token});
}

# A tenant for {id} and {sub}, and a second one the valid DELETE may take.
my $r = $s->post('/api/tenants/', json => { name => 'Matrix', subdomain => 'matrix' });
is($r->{status}, 201, 'a tenant for the matrix') or diag $r->{content};
my $tenant_id = $r->{json}{id};
$r = $s->post('/api/tenants/', json => { name => 'Matrix Gone', subdomain => 'matrix-gone' });
is($r->{status}, 201, 'a tenant the valid DELETE removes') or diag $r->{content};
my $doomed_id = $r->{json}{id};

# A revoked token.
my ($exit, $out, $err) = $s->tenantctl('token', 'create', 'admin',
    '--label', 'matrix-revoked');
is($exit, 0, 'tenantctl token create') or diag $err;
chomp(my $revoked_token = $out);
my ($token_row) = $s->sql("SELECT id FROM api_tokens WHERE label = 'matrix-revoked'");
($exit, $out, $err) = $s->tenantctl('token', 'revoke', $token_row->[0]);
is($exit, 0, 'tenantctl token revoke') or diag $err;

# An expired session: its row is still there, its time is over.  Every
# session existing then is expired; the live one is made afterwards.
my ($expired_cookie) = login_session();
$s->sql('UPDATE sessions SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND');
my ($live_cookie, $live_csrf) = login_session();
$r = $s->get('/api/auth/me', token => undef, cookie => $expired_cookie);
is($r->{status}, 401, 'the expired session is refused on its own');
$r = $s->get('/api/auth/me', token => undef, cookie => $live_cookie);
is($r->{status}, 200, 'the live session still works') or diag $r->{content};

open(my $list, '-|', $s->tenantd_binary, '--list-routes')
    or die 'tenantd --list-routes: ' . $!;
my @routes = map { chomp; [split /\t/] } <$list>;
close $list;
is($?, 0, 'tenantd --list-routes exits 0');
cmp_ok(scalar @routes, '>=', 12, 'tenantd --list-routes lists the API');
ok((grep { $_->[1] eq '/api/tenants/{id}/notifications/' } @routes),
    'the matrix holds GET /api/tenants/{id}/notifications/');
ok((grep { $_->[1] eq '/api/tenants/{id}/domains/{domain}/verify/' } @routes),
    'the matrix holds POST /api/tenants/{id}/domains/{domain}/verify/');

my %body = (json => { name => 'Anonymous', subdomain => 'anonymous',
    module_key => 'wallet', is_enabled => JSON::PP::false() });
my (%public, @valid);
for my $route (@routes) {
	my ($methods, $pattern, $access) = @$route;
	if ($access eq 'public') {
		$public{"$methods $pattern"} = 1;
		next;
	}
	is($access, 'admin', "$pattern is public or admin");
	for my $method (split /,/, $methods) {
		my $id = $method eq 'DELETE' ? $doomed_id : $tenant_id;
		(my $path = $pattern) =~ s/\{id\}/$id/g;
		$path =~ s/\{sub\}/matrix/g;
		$path =~ s/\{version\}/0123456789ab/g;
		$path =~ s/\{domain\}/hr.matrix.test/g;
		$path =~ s/\{path\*\}/logo.png/g;
		my %with_body = $method =~ /^(?:POST|PATCH|PUT)$/ ? %body : ();
		my $unsafe = $method !~ /^(?:GET|HEAD|OPTIONS)$/;
		my $what = "$method $path";

		$r = $s->request($method, $path, token => undef, %with_body);
		is($r->{status}, 401, "$what anonymous: 401");
		is($r->{json} && $r->{json}{code}, 'unauthenticated',
		    "$what anonymous: unauthenticated") unless $method eq 'HEAD';
		$r = $s->request($method, $path, token => 'tnd_' . ('1' x 64),
		    %with_body);
		is($r->{status}, 401, "$what bad token: 401");
		$r = $s->request($method, $path, token => $revoked_token,
		    %with_body);
		is($r->{status}, 401, "$what revoked token: 401");
		$r = $s->request($method, $path, token => undef,
		    cookie => 'tenantd_session=' . ('2' x 64), %with_body);
		is($r->{status}, 401, "$what unknown session: 401");
		$r = $s->request($method, $path, token => undef,
		    cookie => $expired_cookie, %with_body);
		is($r->{status}, 401, "$what expired session: 401");
		if ($unsafe) {
			$r = $s->request($method, $path, token => undef,
			    cookie => $live_cookie, %with_body);
			is($r->{status}, 403, "$what session without CSRF: 403");
			is($r->{json} && $r->{json}{code}, 'csrf_failed',
			    "$what session without CSRF: csrf_failed");
		}
		push @valid, [$method, $path, \%with_body, $unsafe];
	}
}

# The valid callers last, logout and DELETE at the very end, so nothing a
# valid request does (a deleted tenant, an ended session) changes the
# refusals above.
my $is_logout = sub { $_[0][1] =~ m{/auth/logout} };
my $is_delete = sub { $_[0][0] eq 'DELETE' };
for my $case ((grep { !$is_delete->($_) && !$is_logout->($_) } @valid),
    (grep { $is_delete->($_) } @valid), (grep { $is_logout->($_) } @valid)) {
	my ($method, $path, $with_body, $unsafe) = @$case;
	$r = $s->request($method, $path, %$with_body);
	ok($r->{status} != 401 && $r->{status} != 403,
	    "$method $path with the admin token gets past auth ($r->{status})")
	    or diag $r->{content};
	next unless $unsafe;
	$r = $s->request($method, $path, token => undef, cookie => $live_cookie,
	    headers => { 'X-CSRF-Token' => $live_csrf }, %$with_body);
	ok($r->{status} != 401 && $r->{status} != 403,
	    "$method $path with a session and its CSRF token gets past auth ($r->{status})")
	    or diag $r->{content};
}

is_deeply([sort keys %public],
    ['GET,HEAD /api/domains/check',
     'GET,HEAD /api/gate',
     'GET,HEAD /api/healthz',
     'GET,HEAD /api/tenants/by-subdomain/{sub}/assets/{path*}',
     'GET,HEAD /api/tenants/by-subdomain/{sub}/config/',
     'POST /api/auth/login'],
    'only healthz, login, the module gate, the on-demand TLS check and the tenant sites\' config and assets are public (a new public route must be added here on purpose)')
    or diag explain [sort keys %public];
my ($anonymous) = $s->sql("SELECT COUNT(*) FROM tenants WHERE subdomain = 'anonymous'");
cmp_ok($anonymous->[0], '<=', 1,
    'only the valid callers could create the body\'s tenant');

done_testing;
