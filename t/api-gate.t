# api-gate.t - the module gate, through nginx (auth_request to GET
# /api/gate), through lighttpd (FastCGI Authorizer role) and through Caddy
# (forward_auth to GET /api/gate, over HTTPS), each with a
# real module backend (t/lib/module-backend.pl) behind /api/m/<module>/:
# an enabled module's API reaches the backend with its path, method and
# body; a disabled one answers 403 JSON and the backend never sees it;
# toggling a module through the API takes effect on the next request; an
# archived tenant is 403, an unknown one 404; a host only ever gets its
# own tenant's answer; paths whose normal form names another module never
# reach the backend as that module; the backend is told the tenant (one
# X-Tenant-Subdomain) and the client by the front end, never by the
# client; a body over the front end's limit gets tenantd's JSON 413; the
# front end serves as an unprivileged user; /api/gate answers directly
# (204, 403, 404, 400) for the tenant of the request's host, and 404 on
# the admin host.  Finally the Authorizer role is asked straight over
# tenantd's socket, without a web server.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $TIMEOUT = 30;

# Creates tenant `sub` with `modules` (core ones are added) and no
# deploy; returns its id.
sub make_tenant {
	my ($s, $sub, @modules) = @_;
	my $r = $s->post('/api/tenants/?deploy=false', json => {
	    name => "Tenant $sub", subdomain => $sub, module_keys => \@modules });
	is($r->{status}, 201, "tenant $sub is created") or diag $r->{content};
	return $r->{json}{id};
}

# Enables or disables module `key` of tenant `id` through the admin API.
sub set_module {
	my ($s, $id, $key, $enabled) = @_;
	my $r = $s->post("/api/tenants/$id/update_module/", json => {
	    module_key => $key,
	    is_enabled => $enabled ? JSON::PP::true() : JSON::PP::false() });
	is($r->{status}, 200, ($enabled ? 'enable' : 'disable') . " $key")
	    or diag $r->{content};
}

# The number of requests the module backend has answered.
sub hits { scalar(my @hits = $_[0]->module_backend_hits) }

for my $frontend (qw(nginx lighttpd caddy)) {
	subtest "through $frontend" => sub {
		# The front end takes bodies up to 1 MiB, below tenantd's own
		# limit (max_body_bytes, 16M), so it is the one to refuse more.
		my $s = TenantdStack->new(workers => 2, frontend => $frontend,
		    module_backend => 1, nginx_max_body => '1m');
		$s->start;
		my $on = sub {
			my ($host, $method, $path, %o) = @_;
			return $s->request($method, $path, token => undef,
			    host => "$host.localhost", timeout => $TIMEOUT, %o);
		};
		# A host with no tenant: 404 not_found; through Caddy it gets
		# no certificate, so the TLS handshake fails (caddy-tls.t).
		my $no_tenant = sub {
			my ($host, $path, $what) = @_;
			if ($frontend eq 'caddy') {
				ok(!eval { $on->($host, 'GET', $path) },
				    "$what: no TLS certificate");
				like($@, qr/^TLS to /, "  the handshake fails");
				return;
			}
			$s->is_error($on->($host, 'GET', $path), 404,
			    'not_found', $what);
		};

		my $acme = make_tenant($s, 'acme', 'wallet');
		my $globex = make_tenant($s, 'globex', 'tasks', 'wallet');

		# --- enabled modules reach the backend -----------------------
		my $r = $on->('acme', 'GET', '/api/m/wallet/balance?month=11&x=a%20b');
		is($r->{status}, 200, 'an enabled module answers 200')
		    or diag $r->{content};
		is($r->{json}{backend}, 'module', '  from the module backend');
		is($r->{json}{module}, 'wallet', '  which saw the module');
		is($r->{json}{path}, '/api/m/wallet/balance?month=11&x=a%20b',
		    '  the path and query');
		is($r->{json}{method}, 'GET', '  and the method');
		like($r->{json}{host} // '', qr/^acme\.localhost(:\d+)?$/,
		    '  and the tenant\'s host');
		$r = $on->('acme', 'POST', '/api/m/wallet/payments',
		    json => { amount => 42 });
		is($r->{status}, 200, 'a POST to an enabled module answers 200');
		is($r->{json}{method}, 'POST', '  the backend saw a POST');
		is($r->{json}{body}, '{"amount":42}', '  with its body');
		$r = $on->('acme', 'GET', '/api/m/employees');
		is($r->{status}, 200, 'a core module is enabled');
		is($r->{json}{path}, '/api/m/employees', '  path without a slash');

		# --- disabled modules never do --------------------------------
		my $before = hits($s);
		$r = $on->('acme', 'GET', '/api/m/tasks/list');
		$s->is_error($r, 403, 'module_disabled', 'a disabled module');
		like($r->{content}, qr/tasks/, '  the message names the module');
		$r = $on->('acme', 'POST', '/api/m/tasks/new', json => { a => 1 });
		$s->is_error($r, 403, 'module_disabled', 'a POST to it');
		$r = $on->('acme', 'DELETE', '/api/m/reports/');
		$s->is_error($r, 403, 'module_disabled', 'a DELETE to another');
		is(hits($s), $before, 'the backend was not called for any of them');

		# --- one host, one tenant --------------------------------------
		$r = $on->('globex', 'GET', '/api/m/tasks/list');
		is($r->{status}, 200, 'globex has tasks');
		$r = $on->('acme', 'GET', '/api/m/tasks/list',
		    headers => { 'X-Tenant-Subdomain' => 'globex',
		    'Tenant-Subdomain' => 'globex' });
		$s->is_error($r, 403, 'module_disabled',
		    'acme\'s host does not get globex\'s answer, whatever it sends');
		$r = $on->('acme', 'GET', '/api/gate?module=tasks&tenant=globex'
		    . '&subdomain=globex');
		$s->is_error($r, 403, 'module_disabled',
		    'nor by naming globex in the gate\'s query');
		$r = $on->('ACME', 'GET', '/api/m/wallet/x');
		if ($frontend eq 'caddy') {
			# Caddy cannot lower-case a host; TLS clients send it
			# in lower case.
			$s->is_error($r, 404, 'not_found',
			    'caddy: a host in upper case is no tenant\'s');
		} else {
			is($r->{status}, 200, 'the host is case-insensitive');
			is($r->{json}{tenant}, 'acme', '  and the backend is '
			    . 'told the tenant in lower case');
		}

		# --- toggling takes effect on the next request --------------
		for my $round (1 .. 3) {
			set_module($s, $acme, 'tasks', 1);
			$r = $on->('acme', 'GET', '/api/m/tasks/list');
			is($r->{status}, 200, "round $round: enabled at once");
			is($r->{json}{module}, 'tasks', '  and the backend saw it');
			set_module($s, $acme, 'tasks', 0);
			$before = hits($s);
			$r = $on->('acme', 'GET', '/api/m/tasks/list');
			$s->is_error($r, 403, 'module_disabled',
			    "round $round: disabled at once");
			is(hits($s), $before, '  and the backend not called');
		}
		# The gate files follow every toggle (lib/gate_files.h).
		my $gate = $s->tenants_dir . '/acme/.gate';
		ok(-f "$gate/wallet" && !-e "$gate/tasks",
		    'gate files: one for wallet, none for the disabled tasks');
		for my $round (1 .. 10) {
			set_module($s, $acme, 'tasks', $round % 2);
			$r = $on->('acme', 'GET', '/api/m/tasks/list');
			last unless is($r->{status}, $round % 2 ? 200 : 403,
			    "quick toggle $round: the very next request agrees");
			last unless is(-f "$gate/tasks" ? 1 : 0, $round % 2,
			    "quick toggle $round: the gate file agrees");
		}
		if ($frontend eq 'nginx') {
			# Asked straight, nginx answers from the file as
			# tenantd would: 204 naming the tenant, same headers.
			$r = $on->('acme', 'GET', '/api/gate?module=wallet');
			is($r->{status}, 204, '/api/gate from the gate file: 204');
			is($r->{headers}{'x-tenant-subdomain'}, 'acme',
			    '  naming the tenant');
			is($r->{headers}{'x-content-type-options'}, 'nosniff',
			    '  nosniff');
			like($r->{headers}{'content-security-policy'} // '',
			    qr/^default-src 'self'/, '  the site policy');
			$r = $on->('acme', 'HEAD', '/api/gate?module=wallet');
			is($r->{status}, 204, '  HEAD too');
			$r = $on->('acme', 'GET', '/api/gate?module=wallet&x=1');
			is($r->{status}, 204, 'another query goes to tenantd, '
			    . 'which allows it too');
			$r = $on->('acme', 'GET', '/api/gate?module=tasks');
			$s->is_error($r, 403, 'module_disabled',
			    '/api/gate without a gate file: tenantd answers');
		}

		# --- paths that could name another module --------------------
		$before = hits($s);
		for my $path ('/api/m/wallet/../tasks/list',
		    '/api/m/wallet/%2e%2e/tasks/list',
		    '/api/m/wallet/%2E%2E/tasks/list',
		    '/api/m/wallet/..%2ftasks/list') {
			$r = $on->('acme', 'GET', $path);
			ok($r->{status} == 403 || $r->{status} == 400,
			    "$path is refused ($r->{status})")
			    or diag $r->{content};
		}
		my @tasks_hits = grep { ($_->{module} // '') eq 'tasks' }
		    $s->module_backend_hits;
		my @new = $s->module_backend_hits;
		splice @new, 0, $before;
		is_deeply([grep { ($_->{module} // '') eq 'tasks'
		    || ($_->{path} // '') =~ /tasks/ } @new], [],
		    'none of them reached the backend naming tasks');
		$r = $on->('acme', 'GET', '/api/m/tasks/../wallet/x');
		if ($frontend eq 'nginx') {
			is($r->{status}, 200, 'nginx: a path normalised to wallet '
			    . 'is wallet\'s');
			is($r->{json}{path}, '/api/m/wallet/x',
			    '  and the backend gets the normalised path');
		} else {
			$s->is_error($r, 400, 'malformed_path',
			    "$frontend: a path with .. is refused before the gate");
		}
		$r = $on->('acme', 'GET', '/api/m/Wallet/x');
		is($r->{status}, 404, 'a module key in upper case is 404');
		$r = $on->('acme', 'GET', '/api/m/nosuch/x');
		$s->is_error($r, 404, 'unknown_module', 'an unknown module');

		# --- archived and unknown tenants --------------------------------
		$r = $s->post("/api/tenants/$globex/archive/");
		is($r->{status}, 200, 'globex is archived') or diag $r->{content};
		$before = hits($s);
		$r = $on->('globex', 'GET', '/api/m/tasks/list');
		$s->is_error($r, 403, 'tenant_archived', 'an archived tenant');
		$r = $on->('globex', 'GET', '/api/gate?module=employees');
		$s->is_error($r, 403, 'tenant_archived', '  also at /api/gate');
		$no_tenant->('nosuch', '/api/m/wallet/x', 'an unknown tenant');
		$no_tenant->('www', '/api/m/wallet/x', 'a reserved subdomain');
		is(hits($s), $before, 'the backend was not called for them');
		$r = $s->post("/api/tenants/$globex/restore/");
		is($r->{status}, 200, 'globex is restored') or diag $r->{content};
		$r = $on->('globex', 'GET', '/api/m/tasks/list');
		is($r->{status}, 200, 'a restored tenant is allowed again');

		# --- /api/gate itself --------------------------------------------
		$r = $on->('acme', 'GET', '/api/gate?module=wallet');
		is($r->{status}, 204, 'GET /api/gate: 204 for an enabled module');
		is($r->{content}, '', '  with no body');
		$r = $on->('acme', 'HEAD', '/api/gate?module=wallet');
		is($r->{status}, 204, 'HEAD /api/gate: 204 as well');
		$r = $on->('acme', 'GET', '/api/gate/?module=tasks');
		$s->is_error($r, 403, 'module_disabled', '/api/gate/: 403');
		$r = $on->('acme', 'GET', '/api/gate?module=nosuch');
		$s->is_error($r, 404, 'unknown_module', '/api/gate: unknown module');
		$r = $on->('acme', 'GET', '/api/gate?module=Wallet');
		$s->is_error($r, 400, 'validation_failed', '/api/gate: bad key',
		    'module');
		$r = $on->('acme', 'GET', '/api/gate');
		$s->is_error($r, 400, 'validation_failed', '/api/gate: no key',
		    'module');
		$r = $on->('acme', 'GET', '/api/gate?module=wallet&module=tasks');
		$s->is_error($r, 400, 'validation_failed',
		    '/api/gate: a repeated key', 'module');
		$r = $on->('acme', 'POST', '/api/gate?module=wallet');
		is($r->{status}, 405, '/api/gate: POST is 405');
		$no_tenant->('nosuch', '/api/gate?module=wallet',
		    '/api/gate: unknown tenant');
		$r = $s->get('/api/gate?module=wallet', token => undef);
		$s->is_error($r, 404, 'not_found', 'the admin host gets 404');
		$r = $s->get('/api/m/wallet/x', token => undef);
		is($r->{status}, 404, 'and no module API');
		$r = $s->get('/api/gate?module=wallet');
		$s->is_error($r, 404, 'not_found',
		    '  not even with the admin\'s token');

		# --- path tricks a backend reads as another module ----------------
		# acme has wallet but not reports.  Tomcat and Spring drop ";..."
		# path parameters, some backends decode twice or take '\' for
		# '/': each of these is wallet to a naive gate and reports to
		# such a backend, so each is refused before the backend.
		$before = hits($s);
		for my $path ('/api/m/wallet/..;/reports/x',
		    '/api/m/wallet/%2e%2e;/reports/x',
		    '/api/m/wallet/%2E%2E%3B/reports/x',
		    '/api/m/wallet/..%5creports/x',
		    '/api/m/wallet/..\\reports\\x',
		    '/api/m/wallet/%252e%252e/reports/x',
		    '/api/m/wallet/%252e%252e%252freports%252fx',
		    '/api/m/wallet/x;jsessionid=1',
		    '/api/m/wallet/.../reports/x') {
			$r = $on->('acme', 'GET', $path);
			$s->is_error($r, 400, 'malformed_path', "$path is refused");
		}
		my @new_hits = $s->module_backend_hits;
		splice @new_hits, 0, $before;
		is_deeply([map { $_->{path} } @new_hits], [],
		    'the backend saw none of them');
		$r = $on->('acme', 'GET', '/api/m/wallet/a.b/x%20y?q=..;');
		is($r->{status}, 200, 'dots inside a name, escapes and a query '
		    . 'with ";" still pass') or diag $r->{content};
		$r = $on->('acme', 'GET', '/api/m/wallet/%61b%7E');
		is($r->{status}, 200, 'encoded letters pass') or diag $r->{content};
		# Caddy passes the path as the client escaped it; only escapes
		# that cannot change a segment's meaning get that far.
		is($r->{json}{path}, $frontend eq 'caddy'
		    ? '/api/m/wallet/%61b%7E' : '/api/m/wallet/ab~',
		    '  and the backend gets the normalised path');

		# --- what the backend is told, and by whom ------------------------
		# Two copies of the tenant header (the client's own names differ
		# in case only) and one spelt with underscores, which some
		# backends read as the same header.
		$r = $on->('acme', 'GET', '/api/m/wallet/who', headers => {
		    'X-Tenant-Subdomain' => 'globex',
		    'x-tenant-subdomain' => 'globex',
		    'X_Tenant_Subdomain' => 'globex',
		    'X-Forwarded-Host' => 'globex.localhost',
		    'X-Forwarded-For' => '203.0.113.9',
		    'X-Forwarded-Proto' => 'https',
		    'X-Forwarded-Server' => 'globex.localhost',
		    'X-Real-IP' => '203.0.113.9',
		    'X-Host' => 'globex.localhost',
		    'Forwarded' => 'for=203.0.113.9;host=globex.localhost;proto=https' });
		is($r->{status}, 200, 'a request with forged tenant and '
		    . 'forwarding headers reaches the backend') or diag $r->{content};
		my $seen = $r->{json}{headers} // {};
		# Through Caddy the request really came over HTTPS.
		my $forged = $frontend eq 'caddy' ? qr/globex|203\.0\.113\.9/
		    : qr/globex|203\.0\.113\.9|https/;
		for my $name (sort keys %$seen) {
			unlike($seen->{$name}, $forged,
			    "  $name is not the client's");
		}
		is($r->{json}{tenant}, 'acme', '  X-Tenant-Subdomain is sent '
		    . 'once, naming the tenant of the host the gate judged');
		ok(!exists $seen->{x_tenant_subdomain},
		    '  nor under a name spelt with \'_\'');
		is($seen->{'x-real-ip'}, '127.0.0.1',
		    '  X-Real-IP is the client the server saw')
		    if $frontend ne 'lighttpd';
		is($seen->{'x-forwarded-for'}, '127.0.0.1',
		    '  X-Forwarded-For is the client the server saw');
		like($seen->{'x-forwarded-host'} // '', qr/^acme\.localhost(:\d+)?$/,
		    '  X-Forwarded-Host is the host the gate judged');
		is($seen->{'x-forwarded-proto'},
		    $frontend eq 'caddy' ? 'https' : 'http',
		    '  X-Forwarded-Proto too');
		like($seen->{forwarded} // '', qr/^for="?127\.0\.0\.1"?;/,
		    '  Forwarded names the client the server saw');
		like($seen->{forwarded} // '', qr/;host="acme\.localhost(:\d+)?"/,
		    '  and the host the gate judged');

		# A request line naming another host than the Host header: the
		# gate and the backend must judge the same one.  nginx takes the
		# request line's (so does Caddy), lighttpd refuses the request.
		$r = $on->('acme', 'GET', 'http://globex.localhost:'
		    . $s->port . '/api/m/tasks/list');
		if ($frontend ne 'lighttpd') {
			is($r->{status}, 200, 'an absolute request target for '
			    . 'globex is judged as globex') or diag $r->{content};
			is($r->{json}{tenant}, 'globex',
			    '  and the backend is told globex');
		} else {
			is($r->{status}, 400, 'an absolute request target naming '
			    . 'another host than Host is refused');
		}

		# --- a backend cannot make the front end send a file --------------
		my $secret = 'globex-secret-' . join('', map { int rand 10 } 1 .. 12);
		my $secret_path = $s->tenants_dir . '/globex/.env.local';
		open(my $fh, '>', $secret_path) or die "$secret_path: $!";
		print {$fh} "$secret\n";
		close $fh or die "$secret_path: $!";
		for my $header ('X-Accel-Redirect: /_tenantd_files/globex/.env.local',
		    "X-Sendfile: $secret_path",
		    "X-LIGHTTPD-send-file: $secret_path",
		    'X-Accel-Expires: 86400', 'X-Accel-Buffering: no',
		    'X-Accel-Limit-Rate: 1', 'X-Accel-Charset: koi8-r') {
			my ($name) = $header =~ /^([^:]+)/;
			$r = $on->('acme', 'GET', '/api/m/wallet/file',
			    headers => { 'X-Test-Reply-Header' => $header });
			is($r->{status}, 200, "a backend answering $name: 200");
			is($r->{json}{backend}, 'module',
			    '  with the backend\'s own body');
			unlike($r->{content}, qr/\Q$secret\E/,
			    '  never globex\'s file');
			is(scalar(TenantdStack->header_values($r, $name)), 0,
			    "  $frontend does not pass $name on")
			    if $frontend ne 'lighttpd' && $name =~ /^X-Accel/;
		}

		# --- a body over the front end's limit: tenantd's JSON 413 ----------
		my $limit = 1024 * 1024;
		$r = $on->('acme', 'POST', '/api/m/wallet/upload',
		    body => 'b' x $limit, content_type => 'text/plain');
		is($r->{status}, 200, 'a body of exactly 1 MiB reaches a module');
		is(length($r->{json}{body} // ''), $limit, '  whole');
		$before = hits($s);
		for my $case (['acme', '/api/m/wallet/upload', 'a module API'],
		    ['acme', '/api/m/wallet;x/upload', 'a refused module path'],
		    ['acme', '/api/tenants/', 'the API on a tenant host'],
		    ['127.0.0.1', '/api/tenants/', 'the API on the admin host']) {
			my ($host, $path, $what) = @$case;
			$r = $s->request('POST', $path, body => 'b' x ($limit + 1),
			    content_type => 'text/plain', timeout => $TIMEOUT,
			    host => $host eq '127.0.0.1' ? $host
			    : "$host.localhost");
			$s->is_error($r, 413, 'body_too_large',
			    "1 MiB and a byte to $what");
			like($r->{headers}{'content-type'} // '',
			    qr{^application/json\b}, '  in JSON');
		}
		is(hits($s), $before, 'the backend saw none of them');

		# --- tenantd down: the gate fails closed ----------------------------
		# nginx and Caddy decide an enabled module of a tenant host
		# from the tenant's gate file (lib/gate_files.h), which says
		# the same with tenantd down; what only tenantd can answer
		# fails closed.
		my $gate_files = $frontend eq 'nginx' || $frontend eq 'caddy';
		$s->stop_tenantd;
		$before = hits($s);
		if ($gate_files) {
			$r = $on->('acme', 'GET', '/api/m/wallet/x');
			is($r->{status}, 200, 'without tenantd an enabled '
			    . 'module is still allowed by its gate file');
			is(hits($s), $before + 1, '  and reaches its backend');
			$before = hits($s);
		}
		# Only a file counts: a dangling link in its place is none,
		# and tenantd is asked.
		if ($gate_files) {
			my $file = $s->tenants_dir . '/acme/.gate/wallet';
			unlink $file or die "$file: $!";
			symlink($s->tenants_dir . '/acme/no-such-file', $file)
			    or die "$file: $!";
			$r = $on->('acme', 'GET', '/api/m/wallet/x');
			is($r->{status}, 503, 'a gate entry that is no file '
			    . 'counts for nothing: tenantd is asked');
			unlink $file or die "$file: $!";
			open(my $fh, '>', $file) or die "$file: $!";
			close $fh;
		}
		$r = $on->('acme', 'GET',
		    $gate_files ? '/api/m/tasks/x' : '/api/m/wallet/x');
		is($r->{status}, 503, 'without tenantd a module API the gate '
		    . 'must ask tenantd about is 503')
		    or diag "$r->{status} $r->{content}";
		is(hits($s), $before, '  and the backend is not called');
		$s->start_tenantd;
		# lighttpd tries a backend that failed again after disable-time.
		my $deadline = time + 10;
		do {
			$r = $on->('acme', 'GET', '/api/m/wallet/x');
		} while ($r->{status} == 503 && time < $deadline
		    && select(undef, undef, undef, 0.2) == 0);
		is($r->{status}, 200, 'with tenantd back it is allowed again');

		# --- the backend down ---------------------------------------------
		$s->_stop_process('module_backend', 'TERM');
		$r = $on->('acme', 'GET', '/api/m/wallet/x');
		$s->is_error($r, 503, 'module_unavailable',
		    'a module backend that is down');
		like($r->{headers}{'content-type'} // '', qr{^application/json\b},
		    '  in JSON');
		$r = $on->('acme', 'GET', '/api/m/tasks/x');
		$s->is_error($r, 403, 'module_disabled',
		    '  while a disabled module is still 403');
		# The processes that serve requests, by effective uid.
		my @servers = $frontend eq 'lighttpd' ? ($s->lighttpd_pid)
		    : $frontend eq 'caddy' ? ($s->caddy_pid)
		    : $s->nginx_worker_pids;
		my @uids = map { ($s->slurp("/proc/$_/status")
		    =~ /^Uid:\s+\d+\s+(\d+)/m)[0] // 'unknown' } @servers;
		ok(@uids && !grep({ $_ eq 'unknown' || $_ == 0 } @uids),
		    "$frontend serves as an unprivileged user (uid @uids)");
		$s->stop;
	};
}

# --- the Authorizer role without a web server -------------------------------

subtest 'FastCGI Authorizer role, straight to the socket' => sub {
	my $s = TenantdStack->new(workers => 1, nginx => 0);
	$s->start;
	make_tenant($s, 'acme', 'wallet');
	my $ask = sub {
		my ($method, $path, %params) = @_;
		return $s->fastcgi_authorizer($method, $path,
		    { Host => 'acme.localhost:8080', %params });
	};
	my $r = $ask->('POST', '/api/m/wallet/pay?x=1');
	is($r->{status}, 200, 'an enabled module: 200');
	is($r->{content}, '', '  with no body');
	$r = $ask->('GET', '/api/m/tasks/list');
	is($r->{status}, 403, 'a disabled module: 403');
	like($r->{content}, qr/"code":"module_disabled"/, '  module_disabled');
	$r = $ask->('GET', '/api/m/wallet/../tasks');
	is($r->{status}, 400, 'a path with ..: 400');
	like($r->{content}, qr/"code":"malformed_path"/, '  malformed_path');
	$r = $ask->('GET', '/api/m/wallet//x');
	is($r->{status}, 400, 'an empty segment: 400');
	$r = $ask->('GET', '/api/tenants/');
	is($r->{status}, 404, 'no module API path: 404');
	unlike($r->{content}, qr/"results"/, '  and never the route behind it');
	$r = $s->fastcgi_authorizer('GET', '/api/m/wallet/x',
	    { Host => 'globex.localhost' });
	is($r->{status}, 404, 'an unknown tenant\'s host: 404');
	$r = $s->fastcgi_authorizer('GET', '/api/m/wallet/x',
	    { Host => '127.0.0.1' });
	is($r->{status}, 404, 'no tenant host: 404');
	$s->stop;
};

done_testing();
