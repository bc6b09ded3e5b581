# api-auth.t - sessions, CSRF, API tokens and the login rate limit.  The
# matrix of every admin route against every kind of caller, and the list of
# public routes, are in api-auth-matrix.t.
use strict;
use warnings;

use JSON::PP ();
use POSIX qw(_exit);
use Test::More;

use FastCGIClient;
use TenantdStack;

my $s = TenantdStack->new(workers => 2);
$s->start;

my $password = $s->admin_password;

# The session cookie ("tenantd_session=<hex>") of a login response.
sub session_cookie {
	my ($r) = @_;
	my ($cookie) = map { /^(tenantd_session=[0-9a-f]+)/ ? $1 : () }
	    TenantdStack->header_values($r, 'Set-Cookie');
	return $cookie;
}

sub login {
	my (%o) = @_;
	return $s->post('/api/auth/login', token => undef, %o);
}

sub tenant_count {
	my ($count) = $s->sql('SELECT COUNT(*) FROM tenants');
	return $count->[0];
}

# --- login ----------------------------------------------------------------

my $r = login(json => { username => 'admin', password => $password });
is($r->{status}, 200, 'JSON login answers 200') or diag $r->{content};
is($r->{json}{user}{username}, 'admin', 'login returns the user name');
like($r->{json}{user}{id} // '', qr/^\d+$/, 'login returns the user id');
like($r->{json}{csrf_token} // '', qr/^[0-9A-Za-z_-]{32,}$/,
    'login returns a CSRF token');
my $set_cookie = join "\n", TenantdStack->header_values($r, 'Set-Cookie');
like($set_cookie, qr/^tenantd_session=[0-9a-f]{64};/m,
    'Set-Cookie carries tenantd_session');
like($set_cookie, qr/;\s*HttpOnly\b/i, 'session cookie is HttpOnly');
like($set_cookie, qr/;\s*SameSite=Strict\b/i, 'session cookie is SameSite=Strict');
like($set_cookie, qr/;\s*Path=\//i, 'session cookie is for the whole site');
unlike($set_cookie, qr/;\s*Secure\b/i,
    'no Secure flag unless cookie_secure is set');
my $cookie = session_cookie($r);
my $csrf = $r->{json}{csrf_token};
isnt($r->{json}{csrf_token}, ($cookie =~ /=(.*)/)[0],
    'the CSRF token is not the session id');

$r = login(form => [username => 'admin', password => $password]);
is($r->{status}, 200, 'form (urlencoded) login answers 200') or diag $r->{content};
ok(session_cookie($r), 'form login sets the session cookie');
isnt(session_cookie($r), $cookie, 'every login gets a new session');
my $other_csrf = $r->{json}{csrf_token};

$r = login(multipart => [username => 'admin', password => $password]);
is($r->{status}, 200, 'multipart login answers 200') or diag $r->{content};

$r = login(json => { username => 'admin', password => "$password-wrong" });
$s->is_error($r, 401, 'invalid_credentials', 'wrong password');
ok(!session_cookie($r), 'no session cookie for a wrong password');
my $wrong_password_message = $r->{json}{error};

$r = login(json => { username => 'nobody', password => $password });
$s->is_error($r, 401, 'invalid_credentials', 'unknown user');
is($r->{json}{error}, $wrong_password_message,
    'unknown user and wrong password read the same');

$r = login(json => { username => 'admin' });
$s->is_error($r, 400, 'validation_failed', 'login without a password', 'password');
$r = login(json => {});
$s->is_error($r, 400, 'validation_failed', 'login without a user name', 'username');
$r = login(json => { username => ['admin'], password => $password });
is($r->{status}, 400, 'a user name that is not a string is 400');

# What a missing field's message says about how the body was read.
$r = login(json => {});
like($r->{json}{error} // '',
    qr/no username and password in the body read as application\/json/,
    'an empty JSON object: both fields named, JSON named');
$r = login(form => [password => $password]);
$s->is_error($r, 400, 'validation_failed', 'a form without a user name', 'username');
like($r->{json}{error} // '',
    qr/no username in the body read as application\/x-www-form-urlencoded$/,
    'the form is named, and not taken for JSON');
# curl -d '{"username": ...}' sends JSON as application/x-www-form-urlencoded.
$r = login(body => qq({"username": "admin", "password": "$password"}),
    content_type => 'application/x-www-form-urlencoded');
$s->is_error($r, 400, 'validation_failed', 'JSON sent as a form', 'username');
ok(defined $r->{json}{fields}{password}, 'JSON sent as a form: password named too');
like($r->{json}{error} // '',
    qr/read as application\/x-www-form-urlencoded; the body looks like JSON, so send it with Content-Type: application\/json/,
    'JSON sent as a form is recognised and the fix named');
$r = login(body => '', content_type => 'application/json');
$s->is_error($r, 400, 'validation_failed', 'an empty body', 'username');
like($r->{json}{error} // '', qr/the body is empty/, 'an empty body is named');
$r = login(json => { username => 'admin', password => 'p' x (16 * 1024) });
$s->is_error($r, 413, 'body_too_large', 'a login body over 16 KiB');

# --- the session ----------------------------------------------------------

$r = $s->get('/api/auth/me', token => undef, cookie => $cookie);
is($r->{status}, 200, '/api/auth/me with the session cookie') or diag $r->{content};
is($r->{json}{user}{username}, 'admin', 'me names the logged-in user');
is($r->{json}{auth}, 'session', 'me says the caller came with a session');
is($r->{json}{csrf_token}, $csrf,
    'me gives a reloaded page the same CSRF token the login returned');

$r = $s->get('/api/auth/me', token => undef);
$s->is_error($r, 401, 'unauthenticated', '/api/auth/me without credentials');
like($r->{headers}{'www-authenticate'} // '', qr/^Bearer\b/,
    '401 carries WWW-Authenticate: Bearer');

$r = $s->get('/api/auth/me', token => undef,
    cookie => 'tenantd_session=' . ('0' x 64));
is($r->{status}, 401, 'an unknown session id is 401');

$r = $s->get('/api/tenants/', token => undef, cookie => $cookie);
is($r->{status}, 200, 'GET with the cookie needs no CSRF token');

# --- CSRF -----------------------------------------------------------------

my %tenant = (name => 'Csrf One', subdomain => 'csrf-one');
my $before = tenant_count();
$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    json => \%tenant);
$s->is_error($r, 403, 'csrf_failed', 'POST with cookie but no CSRF token');
is(tenant_count(), $before, 'the refused POST created nothing');

$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    json => \%tenant, headers => { 'X-CSRF-Token' => 'f' x 64 });
$s->is_error($r, 403, 'csrf_failed', 'POST with a wrong CSRF token');

$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    json => \%tenant, headers => { 'X-CSRF-Token' => $other_csrf });
$s->is_error($r, 403, 'csrf_failed',
    "POST with the CSRF token of another session");

$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    json => \%tenant, headers => { 'X-CSRF-Token' => $csrf });
is($r->{status}, 201, 'POST with cookie and X-CSRF-Token creates')
    or diag $r->{content};
my $csrf_tenant = $r->{json}{id};

$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    form => [name => 'Csrf Two', subdomain => 'csrf-two', csrf_token => $csrf]);
is($r->{status}, 201, 'POST with cookie and a csrf_token form field creates')
    or diag $r->{content};

$r = $s->post('/api/tenants/', token => undef, cookie => $cookie,
    multipart => [name => 'Csrf Three', subdomain => 'csrf-three',
    csrf_token => $csrf]);
is($r->{status}, 201, 'multipart POST with a csrf_token field creates')
    or diag $r->{content};

$r = $s->patch("/api/tenants/$csrf_tenant/", token => undef, cookie => $cookie,
    json => { name => 'Csrf Renamed' });
$s->is_error($r, 403, 'csrf_failed', 'PATCH with cookie but no CSRF token');
$r = $s->delete("/api/tenants/$csrf_tenant/", token => undef, cookie => $cookie);
$s->is_error($r, 403, 'csrf_failed', 'DELETE with cookie but no CSRF token');
$r = $s->get("/api/tenants/$csrf_tenant/");
is($r->{json}{name}, 'Csrf One', 'the refused PATCH changed nothing');

$r = $s->patch("/api/tenants/$csrf_tenant/", token => undef, cookie => $cookie,
    json => { name => 'Csrf Renamed' }, headers => { 'X-CSRF-Token' => $csrf });
is($r->{status}, 200, 'PATCH with cookie and CSRF token') or diag $r->{content};

# --- logout ---------------------------------------------------------------

$r = $s->post('/api/auth/logout', token => undef, cookie => $cookie);
$s->is_error($r, 403, 'csrf_failed', 'logout needs the CSRF token too');

$r = $s->post('/api/auth/logout', token => undef, cookie => $cookie,
    headers => { 'X-CSRF-Token' => $csrf });
is($r->{status}, 204, 'logout answers 204') or diag $r->{content};
is($r->{content}, '', 'logout has no body');
like(join("\n", TenantdStack->header_values($r, 'Set-Cookie')),
    qr/^tenantd_session=;.*Max-Age=0/mi, 'logout tells the browser to drop the cookie');

$r = $s->get('/api/auth/me', token => undef, cookie => $cookie);
is($r->{status}, 401, 'the session is dead after logout');
is($r->{json}{code}, 'session_expired', 'a dead session is session_expired')
    or diag $r->{content};

# An expired session is refused even though its row still exists.
$r = login(json => { username => 'admin', password => $password });
my $expiring = session_cookie($r);
$s->sql('UPDATE sessions SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND');
$r = $s->get('/api/auth/me', token => undef, cookie => $expiring);
$s->is_error($r, 401, 'session_expired', 'an expired session');

# --- API tokens -----------------------------------------------------------

$r = $s->get('/api/auth/me');
is($r->{status}, 200, 'Bearer token authenticates') or diag $r->{content};
ok(!exists $r->{json}{csrf_token}, 'a token caller gets no CSRF token');
is($r->{json}{user}{username}, 'admin', 'the token belongs to admin');

$r = $s->post('/api/tenants/', json => { name => 'Token', subdomain => 'token-made' });
is($r->{status}, 201, 'a Bearer token needs no CSRF token for POST')
    or diag $r->{content};

$r = $s->get('/api/auth/me', token => 'tnd_' . ('0' x 64));
$s->is_error($r, 401, 'invalid_token', 'an unknown token');

$r = $s->get('/api/auth/me', token => undef,
    headers => { Authorization => 'Basic YWRtaW46YWRtaW4=' });
is($r->{status}, 401, 'Basic authorization is not accepted');

my ($exit, $out, $err) = $s->tenantctl('token', 'create', 'admin',
    '--label', 'revoke-me');
is($exit, 0, 'tenantctl token create') or diag $err;
chomp(my $revocable = $out);
$r = $s->get('/api/auth/me', token => $revocable);
is($r->{status}, 200, 'a freshly created token works');
my ($row) = $s->sql("SELECT id FROM api_tokens WHERE label = 'revoke-me'");
($exit, $out, $err) = $s->tenantctl('token', 'revoke', $row->[0]);
is($exit, 0, 'tenantctl token revoke') or diag $err;
$r = $s->get('/api/auth/me', token => $revocable);
$s->is_error($r, 401, 'invalid_token', 'a revoked token');
$r = $s->get('/api/auth/me');
is($r->{status}, 200, 'revoking one token leaves the others working');

# --- the Secure flag ---------------------------------------------------------
# Straight to tenantd over FastCGI, playing a front end that terminated TLS:
# nginx sends HTTPS=on and REQUEST_SCHEME=https, lighttpd the same.

my $fastcgi = FastCGIClient->new(socket => $s->fastcgi_socket);

# A JSON login over FastCGI with extra parameters (REMOTE_ADDR, HTTPS...).
sub fastcgi_login {
	my ($username, $secret, %params) = @_;
	return $fastcgi->request(method => 'POST', uri => '/api/auth/login',
	    content_type => 'application/json',
	    body => JSON::PP->new->encode({ username => $username,
	    password => $secret }),
	    params => { REMOTE_ADDR => '192.0.2.1', %params });
}

$r = fastcgi_login('admin', $password, HTTPS => 'on');
is($r->{status}, 200, 'login over FastCGI with HTTPS=on') or diag $r->{body};
like($r->{headers}{'set-cookie'} // '', qr/;\s*Secure\b/,
    'HTTPS=on from the front end makes the session cookie Secure');
$r = fastcgi_login('admin', $password, REQUEST_SCHEME => 'https');
like($r->{headers}{'set-cookie'} // '', qr/;\s*Secure\b/,
    'REQUEST_SCHEME=https makes it Secure too');
$r = fastcgi_login('admin', $password, REQUEST_SCHEME => 'http');
like($r->{headers}{'set-cookie'} // '', qr/^tenantd_session=[0-9a-f]{64};/,
    'a plain HTTP login over FastCGI sets the cookie');
unlike($r->{headers}{'set-cookie'} // '', qr/;\s*Secure\b/,
    'but without Secure');
my ($secure_session) = ($r->{headers}{'set-cookie'} // '') =~ /^([^;]+)/;
$r = $fastcgi->request(method => 'POST', uri => '/api/auth/logout',
    headers => { Cookie => $secure_session,
    'X-CSRF-Token' => $r->{body} =~ /"csrf_token":"([0-9a-f]+)"/ ? $1 : '' },
    params => { HTTPS => 'on' });
is($r->{status}, 204, 'logout over HTTPS') or diag $r->{body};
like($r->{headers}{'set-cookie'} // '', qr/Max-Age=0;.*;\s*Secure\b/,
    'the cookie that ends the session over HTTPS is Secure as well');

# --- login rate limit -------------------------------------------------------
# Last, because failures also count against the client address.

$s->sql('DELETE FROM login_throttle');
($exit, $out, $err) = $s->tenantctl({ stdin => "victim-password-1\n" },
    'user', 'add', 'victim');
is($exit, 0, 'tenantctl user add victim') or diag $err;
for my $attempt (1 .. 5) {
	$r = login(json => { username => 'victim', password => "guess-$attempt" });
	is($r->{status}, 401, "failed login $attempt of 5 is 401");
}
$r = login(json => { username => 'victim', password => 'victim-password-1' });
$s->is_error($r, 429, 'too_many_attempts',
    'after 5 failures even the right password is refused');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/,
    '429 carries Retry-After in seconds');
cmp_ok($r->{headers}{'retry-after'} // 0, '<=', 900,
    'Retry-After is within the login window');
ok(!session_cookie($r), 'a throttled login sets no cookie');

$s->sql('DELETE FROM login_throttle');
$r = login(json => { username => 'victim', password => 'victim-password-1' });
is($r->{status}, 200, 'once the window is over the right password works')
    or diag $r->{content};

# Parallel guesses: each attempt is counted before its password is checked,
# so two workers busy with Argon2id at once cannot both slip under the limit.
$s->sql('DELETE FROM login_throttle');
my @guessers;
for my $i (1 .. 30) {
	pipe(my $reader, my $writer) or die "pipe: $!";
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		close $reader;
		my $status = eval { login(json => { username => 'victim',
		    password => "parallel-$i" })->{status} } // 0;
		print {$writer} $status;
		close $writer;
		_exit(0);
	}
	close $writer;
	push @guessers, [$pid, $reader];
}
my %statuses;
for my $guesser (@guessers) {
	my ($pid, $reader) = @$guesser;
	my $status = do { local $/; <$reader> } // '';
	waitpid($pid, 0);
	$statuses{$status || 'none'}++;
}
is_deeply(\%statuses, { 401 => 5, 429 => 25 },
    '30 parallel wrong passwords: exactly 5 are checked, 25 refused')
    or diag explain \%statuses;

# Locking out the owner: five failures from one address must not keep the
# right password out when it comes from an address that has not failed.
# The guessing address stays refused, and so does any address that has
# failed itself once the name is over its limit.
$s->sql('DELETE FROM login_throttle');
for my $attempt (1 .. 5) {
	$r = fastcgi_login('victim', "guess-$attempt", REMOTE_ADDR => '192.0.2.66');
	is($r->{status}, 401, "guess $attempt of 5 from 192.0.2.66 is 401");
}
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '192.0.2.66');
is($r->{status}, 429, 'the guessing address is refused even the right password');
$r = fastcgi_login('victim', 'wrong-once', REMOTE_ADDR => '203.0.113.9');
is($r->{status}, 401, 'a fresh address gets one guess at the name');
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '203.0.113.9');
is($r->{status}, 429,
    'after it an address that failed itself meets the limit of the name');
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '198.51.100.7');
is($r->{status}, 200, 'the right password from an address that never failed')
    or diag $r->{body};
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '192.0.2.66');
is($r->{status}, 429,
    "the owner's login does not lift the guessing address's limit");

# Per address: four times the name limit across any names.
$s->sql('DELETE FROM login_throttle');
for my $attempt (1 .. 20) {
	$r = fastcgi_login("nobody-$attempt", 'guess', REMOTE_ADDR => '192.0.2.99');
	last if $r->{status} != 401;
}
is($r->{status}, 401, '20 failures from one address under different names');
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '192.0.2.99');
is($r->{status}, 429, 'then that address is refused for every name');
$r = fastcgi_login('victim', 'victim-password-1', REMOTE_ADDR => '192.0.2.100');
is($r->{status}, 200, 'and its neighbour is not') or diag $r->{body};

done_testing;
