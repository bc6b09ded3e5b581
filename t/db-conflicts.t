#!/usr/bin/env perl
# db-conflicts.t - a transaction the database aborts in a conflict (a
# deadlock: InnoDB's answer to a lock cycle, Galera's to a certification
# failure) is run again where it is all database work (a module switch),
# and answered 503 "try again" where it is not (a create), never 500.
#
# The deadlock is made for real: a second session (the mariadb client,
# fed statement by statement) takes a lock tenantd's transaction will
# need, waits until tenantd waits for it, then asks for a lock tenantd's
# transaction holds.  InnoDB rolls back the smaller of the two, and the
# session has written 20,000 rows of ballast first, so that is tenantd's.
# User-level locks (GET_LOCK) tell the test how far the session got.
use strict;
use warnings;

use File::Temp qw(tempfile);
use IO::Handle;
use JSON::PP ();
use POSIX qw(_exit);
use Test::More;

use TenantdStack;
use TestUtil qw(wait_until);

my $s = TenantdStack->new(workers => 2, nginx => 0);
$s->start;
$s->sql('CREATE TABLE conflict_ballast (n INT NOT NULL) ENGINE=InnoDB');

# Starts the mariadb client as the second session; returns a writer that
# sends it one statement.
sub session {
	my $pid = open(my $client, '|-') // die "fork: $!";
	if ($pid == 0) {
		# Its answers are not TAP.
		open(STDOUT, '>', '/dev/null') or die "/dev/null: $!";
		exec('mariadb', '--no-defaults', '--user=root', '--socket='
		    . $s->mariadb_socket, '--batch', '--silent', 'tenantd')
		    or _exit(127);
	}
	$client->autoflush(1);
	return $client;
}

# Whether the second session has got as far as GET_LOCK(`marker`).
sub reached {
	my ($marker) = @_;
	return wait_until(sub { $s->sql_value("SELECT IS_USED_LOCK('$marker') IS NOT NULL") }, 30);
}

# Whether some transaction of tenantd waits for a lock.
sub tenantd_waits {
	return wait_until(sub { $s->sql_value('SELECT COUNT(*) FROM '
	    . "information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'") > 0 }, 30);
}

# Sends `method path` with `json` in a child process; returns a function
# that waits for its answer, {status, json}.
sub request_in_background {
	my ($method, $path, $json) = @_;
	my ($fh, $file) = tempfile(UNLINK => 1);
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $r = $s->request($method, $path, json => $json, timeout => 60);
		print {$fh} JSON::PP->new->encode({ status => $r->{status},
		    content => $r->{content} });
		close $fh;
		_exit(0);
	}
	return sub {
		waitpid($pid, 0);
		my $r = JSON::PP->new->decode(TenantdStack->slurp($file));
		$r->{json} = eval { JSON::PP::decode_json($r->{content}) };
		return $r;
	};
}

sub log_count {
	my ($pattern) = @_;
	return scalar(() = TenantdStack->slurp($s->log_path('tenantd')) =~ /$pattern/g);
}

# --- a module switch is run again --------------------------------------
my $id = $s->create_deployed_tenant('conflictco', 'wallet');
my $session = session();
print {$session} "BEGIN;\n"
    . "INSERT INTO conflict_ballast SELECT seq FROM seq_1_to_20000;\n"
    . "SELECT COUNT(*) FROM tenant_modules WHERE tenant_id = $id FOR UPDATE;\n"
    . "SELECT GET_LOCK('holds_modules', 0);\n";
ok(reached('holds_modules'), 'the session holds the tenant\'s module rows');
my $answer = request_in_background('POST', "/api/tenants/$id/update_module/",
    { module_key => 'wallet', is_enabled => JSON::PP::false() });
ok(tenantd_waits(), 'the module switch waits for them (it holds the tenant row)');
print {$session} "SELECT COUNT(*) FROM tenants WHERE id = $id FOR UPDATE;\n"
    . "SELECT GET_LOCK('holds_tenant', 0);\n";
ok(reached('holds_tenant'), 'the session takes the tenant row: InnoDB broke the cycle');
ok(wait_until(sub { log_count(qr/retrying the transaction/) >= 1 }, 30),
    'tenantd logs that it runs the aborted transaction again');
print {$session} "ROLLBACK;\n";
close $session;
my $r = $answer->();
is($r->{status}, 200, 'the module switch succeeds') or diag $r->{content};
is($s->sql_value("SELECT is_enabled FROM tenant_modules WHERE tenant_id = $id "
    . "AND module_key = 'wallet'"), 0, '... wallet is disabled in the database');
my $config = $s->tenant_config('conflictco');
ok($config && exists $config->{modules}{wallet} && !$config->{modules}{wallet},
    '... and in config.json');
is($s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id "
    . "AND action = 'tenant.module'"), 1, '... audited once');

# --- a create is answered 503, and nothing of it stays -----------------
$session = session();
print {$session} "BEGIN;\n"
    . "INSERT INTO conflict_ballast SELECT seq FROM seq_1_to_20000;\n"
    . "SELECT COUNT(*) FROM tenant_counts FOR UPDATE;\n"
    . "SELECT GET_LOCK('holds_counts', 0);\n";
ok(reached('holds_counts'), 'the session holds every tenant counter row');
$answer = request_in_background('POST', '/api/tenants/', {
    name => 'Late Company', subdomain => 'lateco' });
ok(tenantd_waits(), 'the create waits for them (it holds its new row)');
print {$session} "SELECT COUNT(*) FROM tenants WHERE subdomain = 'lateco' FOR UPDATE;\n"
    . "SELECT GET_LOCK('holds_new_row', 0);\n";
ok(reached('holds_new_row'), 'the session asks for the new row: InnoDB broke the cycle');
print {$session} "ROLLBACK;\n";
close $session;
$r = $answer->();
is($r->{status}, 503, 'the create is answered 503') or diag $r->{content};
is($r->{json} && $r->{json}{code}, 'database_unavailable', '... try again shortly');
is($s->tenant_count("subdomain = 'lateco'"), 0, '... no row stays');
ok(! -e $s->tenants_dir . '/lateco', '... no folder');
$r = $s->post('/api/tenants/', json => {
    name => 'Late Company', subdomain => 'lateco' });
is($r->{status}, 201, 'the same create again succeeds') or diag $r->{content};
my $job = $r->{json}{deploy_job_id} // 0;
is(wait_until(sub {
	my $status = $s->get("/api/jobs/$job/")->{json}{status} // '';
	return $status =~ /^(done|failed)$/ ? $status : undef;
}, 60), 'done', '... and its site is deployed');
like(TenantdStack->slurp($s->log_path('tenantd')),
    qr/info: could not save the tenant: Deadlock found/,
    'the log says why the first one was refused');
my ($exit, $out) = $s->tenantctl('fsck');
is($exit, 0, 'fsck is clean') or diag $out;

$s->stop;
done_testing();
