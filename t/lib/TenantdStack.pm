package TenantdStack;

# TenantdStack - a private, throw-away tenantd installation for one test.
#
# start() builds (once per build tree) a MariaDB datadir template, copies it
# into a run directory of its own under $BUILDDIR/t/var, starts a private
# mariadbd on a unix socket, creates the tenantd database and user, writes a
# tenantd.conf, runs `tenantctl migrate` and `init-modules`, creates an admin
# user with an API token, starts tenantd and (by default) nginx in front of it
# on a free loopback port.  stop() takes it all down again.  Every wait is
# bounded, nothing listens beyond loopback and unix sockets, and the servers
# die with the test process even when it is killed.
#
#   my $s = TenantdStack->new(workers => 2, nginx => 1, admin => 1,
#       conf => { max_body_bytes => '64K' });
#   $s->start;
#   my $r = $s->get('/api/tenants/');          # Bearer admin token
#   is $r->{status}, 200;
#
# Options of new(): workers (2), nginx (1: requests go through nginx; 0:
# straight to the FastCGI socket), admin (1: user "admin" with a random
# password and an API token), tenantd (1; 0 stops after the database and
# the configuration, for CLI tests), conf => {key => value} (extra or
# replaced tenantd.conf keys), nginx_max_body ('64m'), frontend ('nginx',
# 'lighttpd' or 'caddy': the web server the `nginx` option starts, from
# etc/nginx/, etc/lighttpd/tenantd.conf.in or etc/caddy/Caddyfile.in;
# Caddy serves HTTPS on the stack's port, requests() talk TLS to it and
# trust only its local CA, caddy_root_cert), module_backend (0; 1 starts
# t/lib/module-backend.pl, the module API backend the front end passes
# /api/m/<module>/... to once the gate allows it; see module_backend_hits),
# data_dir (a code reference: called with the run directory once it
# exists, it returns the directory to make tenants/ and archive/ in
# instead, such as a filesystem the test mounts there; the test unmounts
# it before the stack is stopped), cdn_origin (0; 1 sets asset_base_url to
# http://127.0.0.1:<a second port>/t unless conf names one, and starts a
# second nginx there with etc/nginx/tenantd-cdn-origin.conf.in serving the
# tenants directory, the CDN's origin; see cdn_port and cdn_request).
#
# Binaries come from $TENANTD_BUILDDIR/src, data (etc/, www/) from
# $TENANTD_SRCDIR; both default to the tree this file lives in.  Set
# TENANTD_KEEP_TEST_DIRS=1 to keep the run directory for a look after the
# test; TENANTD_TEST_TIMEOUT bounds a whole test file (default 900 s).
#
# Only core Perl modules are used.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Errno qw(EINTR EAGAIN);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Find ();
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Socket::UNIX;
use JSON::PP ();
use POSIX qw(WNOHANG _exit);
use Scalar::Util qw(weaken);
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);

use FastCGIClient ();
use TestProcess qw(spawn run_captured wait_pid child_pids find_program
    find_program_quiet free_port random_hex tail_lines diag_message
    reachable_as);
use TestUtil qw(spew wait_until render_template);

our $VERSION = '1';

my $MARIADB_START_TIMEOUT = 30;
my $PROCESS_STOP_TIMEOUT = 40;
my $TENANTD_START_TIMEOUT = 20;
my $NGINX_START_TIMEOUT = 10;
my $REQUEST_TIMEOUT = 60;
my $TENANTCTL_TIMEOUT = 120;
my $TEMPLATE_LOCK_TIMEOUT = 180;

# Options given to both mariadb-install-db and mariadbd, so the InnoDB
# files of the template match what the server expects.  The sizes keep
# every copy small; durability does not matter for a test database.
# t/lib/ClusterStack.pm starts its Galera nodes with them too.
our @MARIADB_COMMON_OPTIONS = (
	'--innodb-buffer-pool-size=16M',
	'--innodb-log-file-size=8M',
	'--innodb-data-file-path=ibdata1:10M:autoextend',
);
our @MARIADB_SERVER_OPTIONS = (
	'--innodb-flush-log-at-trx-commit=2',
	'--innodb-doublewrite=0',
	'--character-set-server=utf8mb4',
	'--collation-server=utf8mb4_unicode_ci',
	'--max-connections=200',
);

my $JSON = JSON::PP->new->utf8->canonical;

# File::Temp replaces this many trailing X characters with random ones.
my $RANDOM_SUFFIX = 'X' x 6;

# Live stacks, weakly held, so END can stop whatever a test left running.
my @LIVE;

# --- construction and paths ----------------------------------------------

sub new {
	my ($class, %opt) = @_;
	my $module_dir = dirname(abs_path(__FILE__));
	my $tree = abs_path("$module_dir/../..");
	my $self = bless {
		workers => 2,
		nginx => 1,
		frontend => 'nginx',
		module_backend => 0,
		admin => 1,
		tenantd => 1,
		conf => {},
		%opt,
		owner_pid => $$,
		srcdir => abs_path($ENV{TENANTD_SRCDIR} // $tree),
		builddir => abs_path($ENV{TENANTD_BUILDDIR} // $tree),
		started => 0,
		pids => {},
	}, $class;
	push @LIVE, $self;
	weaken($LIVE[-1]);
	return $self;
}

# Has `stack`, an object with a stop method (t/lib/ClusterStack.pm), stopped
# with the stacks: at exit, on a signal and by the watchdog, with its
# exit_failing set when the test fails.
sub stop_with_stacks {
	my ($class, $stack) = @_;
	push @LIVE, $stack;
	weaken($LIVE[-1]);
}

sub srcdir { $_[0]{srcdir} }
sub builddir { $_[0]{builddir} }
sub run_dir { $_[0]{run} }
sub conf_path { "$_[0]{run}/tenantd.conf" }
sub tenants_dir { ($_[0]{data} // $_[0]{run}) . '/tenants' }
sub archive_dir { ($_[0]{data} // $_[0]{run}) . '/archive' }
sub fastcgi_socket { "$_[0]{sockdir}/tenantd.sock" }
sub mariadb_socket { "$_[0]{sockdir}/mysqld.sock" }
sub port { $_[0]{port} }

# Lets go of the port the stack keeps bound for its front end, for a
# caller that starts a front end of its own on it (bench/run).
sub release_port {
	my ($self) = @_;
	close delete $self->{port_holder} if $self->{port_holder};
}
sub base_url { "http://127.0.0.1:$_[0]{port}" }
sub admin_token { $_[0]{admin_token} }
sub admin_password { $_[0]{admin_password} }
sub db_password { $_[0]{db_password} }
sub tenantd_pid { $_[0]{pids}{tenantd} }
sub cdn_port { $_[0]{cdn_port} }
sub nginx_pid { $_[0]{pids}{nginx} }
sub lighttpd_pid { $_[0]{pids}{lighttpd} }
sub caddy_pid { $_[0]{pids}{caddy} }
sub caddy_http_port { $_[0]{caddy_http_port} }
# The root certificate of Caddy's local CA, the one a client must trust.
sub caddy_root_cert { "$_[0]{run}/caddy/data/pki/authorities/local/root.crt" }
sub mariadb_pid { $_[0]{pids}{mariadb} }
sub frontend { $_[0]{frontend} }

# The path of one of the logs: 'tenantd', 'nginx', 'nginx-access', 'caddy',
# 'lighttpd', 'module-backend', 'mariadb' or 'dnsmasq'.
sub log_path {
	my ($self, $which) = @_;
	my %logs = (
		tenantd => 'tenantd.log',
		nginx => 'nginx-error.log',
		'nginx-access' => 'nginx-access.log',
		lighttpd => 'lighttpd-error.log',
		caddy => 'caddy.log',
		'module-backend' => 'module-backend.log',
		mariadb => 'mariadb.err',
		dnsmasq => 'dnsmasq.log',
	);
	croak "unknown log '$which'" unless $logs{$which};
	return "$self->{run}/$logs{$which}";
}

sub tenantd_binary { "$_[0]{builddir}/src/tenantd" }
sub tenantctl_binary { "$_[0]{builddir}/src/tenantctl" }

# --- start ----------------------------------------------------------------

# Brings the whole stack up.  Dies with a message that names the step and
# quotes the relevant log when anything fails; what was already started is
# stopped again first.
sub start {
	my ($self) = @_;
	croak 'stack already started' if $self->{started};
	$self->{started} = 1;
	install_signal_handlers();
	start_watchdog();
	my $ok = eval {
		for my $binary ($self->tenantctl_binary,
		    $self->{tenantd} ? $self->tenantd_binary : ()) {
			die "$binary is missing or not executable; "
			    . "build first (make)\n" unless -x $binary;
		}
		$self->_start_database;
		$self->_prepare_service_user;
		$self->_write_conf;
		$self->_tenantctl_or_die('migrate');
		$self->_tenantctl_or_die('init-modules');
		$self->_create_admin if $self->{admin};
		if ($self->{tenantd}) {
			$self->start_tenantd;
			$self->start_module_backend if $self->{module_backend};
			$self->start_frontend if $self->{nginx};
			$self->start_cdn_origin if $self->{cdn_origin};
		}
		1;
	};
	unless ($ok) {
		my $error = $@ || 'unknown error';
		$self->{failed_start} = 1;
		$self->stop;
		die "TenantdStack: $error";
	}
	return $self;
}

# The database half of start(): run directory, datadir copied from the
# template, mariadbd, the tenantd database and user, and the HTTP port the
# configuration will name.
sub _start_database {
	my ($self) = @_;
	$self->_prepare_run_dir;
	$self->_ensure_mariadb_template;
	$self->_copy_template;
	$self->start_mariadb;
	$self->_create_database;
	# The port stays bound (not listening) until the front end starts, so
	# no stack started meanwhile by a parallel test is given it.
	($self->{port}, $self->{port_holder}) = free_port();
	if ($self->{cdn_origin}) {
		($self->{cdn_port}, $self->{cdn_port_holder}) = free_port();
		$self->{conf}{asset_base_url} //=
		    "http://127.0.0.1:$self->{cdn_port}/t";
	}
}

# Starts only the private MariaDB (no tenantd, no configuration); stop()
# takes it down.  For tests of the stack itself.
sub start_database_only {
	my ($self) = @_;
	croak 'stack already started' if $self->{started};
	$self->{started} = 1;
	install_signal_handlers();
	eval { $self->_start_database; 1 } or do {
		my $error = $@ || 'unknown error';
		$self->{failed_start} = 1;
		$self->stop;
		die "TenantdStack: $error";
	};
	return $self;
}

sub _prepare_run_dir {
	my ($self) = @_;
	my $var = "$self->{builddir}/t/var";
	make_path($var);
	$self->{var} = $var;
	$self->{run} = tempdir('run-' . $RANDOM_SUFFIX, DIR => $var);
	chmod 0755, $self->{run};
	# A unix socket path must fit in sun_path (108 bytes).
	if (length("$self->{run}/tenantd.sock") > 100) {
		$self->{sockdir} = tempdir('tenantd-' . $RANDOM_SUFFIX,
		    DIR => File::Spec->tmpdir);
		$self->{own_sockdir} = 1;
	} else {
		$self->{sockdir} = $self->{run};
	}
	$self->{data} = $self->{data_dir}->($self->{run})
	    if ref $self->{data_dir} eq 'CODE';
	make_path($self->tenants_dir, $self->archive_dir, "$self->{run}/tmp",
	    "$self->{run}/nginx");
}

# tenantd refuses to run as root, so a suite run by root names an
# unprivileged user for it (TENANTD_TEST_USER, default "nobody") and hands
# that user what tenantd writes: the tenant folders, the archive, the
# directories of its pid file and socket.  Everything else in the run
# directory (MariaDB's files, logs) stays root's.  The sources and build
# tree must be reachable by the user; ./dev test sees to that.
sub _prepare_service_user {
	my ($self) = @_;
	return if $> != 0;
	$self->{conf}{user} //= $ENV{TENANTD_TEST_USER} // 'nobody';
	my $user = $self->{conf}{user};
	my ($uid, $gid) = (getpwnam($user))[2, 3];
	die "no user \"$user\" for tenantd (set TENANTD_TEST_USER)\n"
	    unless defined $uid;
	$self->{service_uid} = $uid;
	$self->{service_gid} = $gid;
	for my $dir ($self->tenants_dir, $self->archive_dir, $self->{run},
	    $self->{sockdir}) {
		chown $uid, $gid, $dir or die "chown $dir: $!\n";
	}
	my @needed = ("$self->{srcdir}/www/template",
	    "$self->{srcdir}/etc/modules.json",
	    "$self->{builddir}/www/template.manifest", $self->tenants_dir,
	    $self->mariadb_socket);
	my @unreachable = grep { !reachable_as($uid, $gid, $_) } @needed;
	die "user \"$user\" (tenantd's user in tests run as root) cannot "
	    . "reach @unreachable; give it search permission on the parent "
	    . "directories (./dev test does: setfacl -m u:$user:x DIR)\n"
	    if @unreachable;
}

# Hands `paths` and everything below them (files and directories a test
# made as root, e.g. inside tenant folders) to tenantd's user, so tenantd
# and tenantctl can change them later, as they could their own.  A no-op
# when the suite does not run as root.
sub give_to_service {
	my ($self, @paths) = @_;
	return unless defined $self->{service_uid};
	my ($uid, $gid) = @$self{qw(service_uid service_gid)};
	File::Find::find({ no_chdir => 1, wanted => sub {
		POSIX::lchown($uid, $gid, $File::Find::name)
		    or die "lchown $File::Find::name: $!\n";
	} }, grep { -e $_ || -l $_ } @paths);
}

# Builds $BUILDDIR/t/var/mariadb-template once.  An exclusive flock makes
# parallel tests wait for the one that builds it; the template is built under
# a temporary name and renamed into place, so a crash never leaves a half
# template behind.  A template made by another server version is rebuilt.
sub _ensure_mariadb_template {
	my ($self) = @_;
	my $template = "$self->{var}/mariadb-template";
	my $version = _mariadbd_version();
	my $lock = _lock("$self->{var}/mariadb-template.lock", LOCK_EX);
	my $stamp = "$template/.tenantd-template";
	if (-d $template && -f $stamp && TenantdStack->slurp($stamp) eq $version) {
		close $lock;
		return;
	}
	remove_tree($template);
	my $building = "$template.building-$$";
	remove_tree($building);
	my @command = ('mariadb-install-db', '--no-defaults',
	    '--auth-root-authentication-method=normal', '--skip-test-db',
	    "--datadir=$building", "--tmpdir=$self->{var}", @MARIADB_COMMON_OPTIONS,
	    ($> == 0 ? '--user=root' : ()));
	my $log = "$self->{var}/mariadb-template.log";
	my ($status) = run_captured(\@command, stdout => $log, stderr => $log,
	    timeout => 120);
	if ($status != 0) {
		remove_tree($building);
		close $lock;
		die "mariadb-install-db failed (exit $status):\n" . tail_lines($log, 30);
	}
	spew($stamp =~ s/^\Q$template\E/$building/r, $version);
	rename $building, $template
	    or die "rename $building -> $template: $!\n";
	close $lock;
}

sub _copy_template {
	my ($self) = @_;
	my $template = "$self->{var}/mariadb-template";
	my $lock = _lock("$self->{var}/mariadb-template.lock", LOCK_SH);
	my ($status) = run_captured(['cp', '-a', $template,
	    "$self->{run}/mysql"], timeout => 120);
	close $lock;
	die "cp -a $template failed (exit $status)\n" if $status != 0;
}

# Starts the private mariadbd on the run directory's datadir and waits until
# it answers a ping.  Also used to bring it back after stop_mariadb.
sub start_mariadb {
	my ($self) = @_;
	die "mariadb already running\n" if $self->{pids}{mariadb};
	my $mariadbd = find_program('mariadbd', '/usr/sbin/mariadbd',
	    '/usr/libexec/mariadbd', '/usr/sbin/mysqld');
	my $run = $self->{run};
	my @command = ($mariadbd, '--no-defaults',
	    "--datadir=$run/mysql",
	    '--socket=' . $self->mariadb_socket,
	    '--skip-networking',
	    "--pid-file=$run/mysqld.pid",
	    '--log-error=' . $self->log_path('mariadb'),
	    "--tmpdir=$run/tmp",
	    @MARIADB_COMMON_OPTIONS, @MARIADB_SERVER_OPTIONS,
	    ($> == 0 ? '--user=root' : ()));
	$self->{pids}{mariadb} = spawn(\@command,
	    stdout => "$run/mariadb.out", stderr => "$run/mariadb.out");
	my $deadline = time + $MARIADB_START_TIMEOUT;
	while (1) {
		if (!$self->_alive('mariadb')) {
			die "mariadbd exited while starting:\n"
			    . tail_lines($self->log_path('mariadb'), 30);
		}
		my ($status) = run_captured(['mariadb-admin', '--no-defaults',
		    '--user=root', '--socket=' . $self->mariadb_socket,
		    '--connect-timeout=2', 'ping'], timeout => 10);
		last if $status == 0;
		if (time > $deadline) {
			die "mariadbd did not answer within "
			    . "${MARIADB_START_TIMEOUT}s:\n"
			    . tail_lines($self->log_path('mariadb'), 30);
		}
		sleep 0.1;
	}
	return 1;
}

# Stops the private mariadbd (SIGTERM, bounded wait, then SIGKILL).
sub stop_mariadb {
	my ($self) = @_;
	$self->_stop_process('mariadb', 'TERM');
	return 1;
}

sub restart_mariadb {
	my ($self) = @_;
	$self->stop_mariadb;
	$self->start_mariadb;
	return 1;
}

sub _create_database {
	my ($self) = @_;
	$self->{db_password} = random_hex(16);
	$self->_mariadb_root(join "\n",
	    'CREATE DATABASE tenantd CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
	    "CREATE USER 'tenantd'\@'localhost' IDENTIFIED BY '$self->{db_password}';",
	    "GRANT ALL PRIVILEGES ON tenantd.* TO 'tenantd'\@'localhost';",
	    '');
}

# Runs SQL as the MariaDB root user (socket, no password) and returns the
# output (tab separated, no column names).  Dies on an error.
sub _mariadb_root {
	my ($self, $sql, $database) = @_;
	my ($status, $out, $err) = run_captured(['mariadb', '--no-defaults',
	    '--user=root', '--socket=' . $self->mariadb_socket,
	    '--batch', '--skip-column-names', '--default-character-set=utf8mb4',
	    (defined $database ? ($database) : ())],
	    stdin => $sql, timeout => 60);
	die "mariadb client failed (exit $status): $err\nSQL: $sql\n"
	    if $status != 0;
	return $out;
}

# Runs one or more SQL statements in the tenantd database.  In list context
# returns the rows as array references (NULL comes back as undef); in scalar
# context the raw tab-separated output.
sub sql {
	my ($self, $statement) = @_;
	my $out = $self->_mariadb_root($statement, 'tenantd');
	return $out unless wantarray;
	my @rows;
	for my $line (split /\n/, $out) {
		push @rows, [map { $_ eq 'NULL' ? undef : _unescape_batch($_) }
		    split /\t/, $line, -1];
	}
	return @rows;
}

# The first column of the first row `statement` returns, or undef when
# it returns no row.
sub sql_value {
	my ($self, $statement) = @_;
	my @rows = $self->sql($statement);
	return @rows ? $rows[0][0] : undef;
}

# How many rows of table tenants match the SQL condition `where`.
sub tenant_count {
	my ($self, $where) = @_;
	return $self->sql_value("SELECT COUNT(*) FROM tenants WHERE $where");
}

# The decoded config.json of tenant `subdomain` (undef when missing or
# invalid).
sub tenant_config {
	my ($self, $subdomain) = @_;
	return $self->read_json_file($self->tenants_dir . "/$subdomain/config.json");
}

sub _unescape_batch {
	my ($value) = @_;
	my %map = (n => "\n", t => "\t", 0 => "\0", '\\' => '\\');
	$value =~ s/\\([nt0\\])/$map{$1}/g;
	return $value;
}

# Writes tenantd.conf (or the file at `path`, with the keys of `own` added
# or replaced on top of the conf option's; undef drops one).
sub _write_conf {
	my ($self, $path, %own) = @_;
	$path //= $self->conf_path;
	my $src = $self->{srcdir};
	my %conf = (
		listen => 'unix:' . $self->fastcgi_socket,
		workers => $self->{workers},
		db_socket => $self->mariadb_socket,
		db_name => 'tenantd',
		db_user => 'tenantd',
		db_password => $self->{db_password},
		tenants_dir => $self->tenants_dir,
		archive_dir => $self->archive_dir,
		template_dir => "$src/www/template",
		template_manifest => "$self->{builddir}/www/template.manifest",
		modules_file => "$src/etc/modules.json",
		migrations_dir => "$src/etc/migrations",
		mail_templates_dir => "$src/etc/mail",
		base_domain => 'localhost',
		tenant_url_format => "http://{subdomain}.localhost:$self->{port}",
		log_level => 'info',
		%{$self->{conf}},
		%own,
	);
	my $text = "# written by t/lib/TenantdStack.pm for one test run\n";
	for my $key (sort keys %conf) {
		next unless defined $conf{$key};
		$text .= "$key = $conf{$key}\n";
	}
	spew($path, $text);
	# As installed: root's, readable by the service user's group so
	# that SIGHUP can re-read it.
	if (defined $self->{service_gid}) {
		chown 0, $self->{service_gid}, $path or die "chown $path: $!\n";
		chmod 0640, $path;
	} else {
		chmod 0600, $path;
	}
}

sub _create_admin {
	my ($self) = @_;
	$self->{admin_password} = random_hex(12);
	$self->_tenantctl_or_die({ stdin => "$self->{admin_password}\n" },
	    'user', 'add', 'admin');
	my $out = $self->_tenantctl_or_die('token', 'create', 'admin',
	    '--label', 'test');
	my ($token) = $out =~ /^\s*(\S+)\s*$/;
	die "tenantctl token create printed no token: '$out'\n"
	    unless defined $token;
	$self->{admin_token} = $token;
}

# Starts the tenantd master and waits until its socket exists and
# /api/healthz answers 200 over FastCGI.
sub start_tenantd {
	my ($self, @extra) = @_;
	die "tenantd already running\n" if $self->{pids}{tenantd};
	my $run = $self->{run};
	$self->{pids}{tenantd} = spawn([$self->tenantd_binary,
	    '-c', $self->conf_path, '-p', "$run/tenantd.pid", @extra],
	    stdout => $self->log_path('tenantd'),
	    stderr => $self->log_path('tenantd'), append => 1);
	my $deadline = time + $TENANTD_START_TIMEOUT;
	my $last = 'no answer';
	while (1) {
		if (!$self->_alive('tenantd')) {
			die "tenantd exited while starting:\n"
			    . tail_lines($self->log_path('tenantd'), 40);
		}
		if (-S $self->fastcgi_socket) {
			my $r = eval { $self->_fastcgi_request('GET',
			    '/api/healthz', {}, '', 5) };
			if ($r && $r->{status} == 200) {
				last;
			}
			$last = $r ? "status $r->{status}: $r->{content}" : $@;
		}
		if (time > $deadline) {
			die "tenantd did not answer /api/healthz with 200 "
			    . "within ${TENANTD_START_TIMEOUT}s (last: $last):\n"
			    . tail_lines($self->log_path('tenantd'), 40);
		}
		sleep 0.05;
	}
	return $self->{pids}{tenantd};
}

# Stops tenantd with `signal` (TERM by default) and waits for it.  Returns
# the exit status as from waitpid ($?).
sub stop_tenantd {
	my ($self, $signal) = @_;
	return $self->_stop_process('tenantd', $signal // 'TERM');
}

# Replaces or adds tenantd.conf keys (`key => value`, undef to drop one)
# and restarts tenantd with them.
sub restart_tenantd_with {
	my ($self, %conf) = @_;
	while (my ($key, $value) = each %conf) {
		$self->{conf}{$key} = $value;
	}
	$self->stop_tenantd;
	$self->_write_conf;
	return $self->start_tenantd;
}

# --- a DNS server for custom domains (dnsmasq) ----------------------------

# A free UDP port on 127.0.0.1 (or `address`, such as ::1) for the DNS
# server, held by a bound socket until start_dns_server() starts dnsmasq
# there, so tenantd.conf can name it (dns_server) before the records are
# known.
sub reserve_dns_port {
	my ($self, $address) = @_;
	$self->{dns_address} = $address // '127.0.0.1';
	$self->{dns_socket} = IO::Socket::IP->new(
	    LocalHost => $self->{dns_address}, LocalPort => 0, Proto => 'udp',
	    ReuseAddr => 0)
	    or die "cannot bind udp $self->{dns_address} port 0: $@\n";
	return $self->{dns_port} = $self->{dns_socket}->sockport;
}

# Makes tenantd ask the stack's own dnsmasq (start_dns_server) for the
# verification records of custom domains: reserves its port on 127.0.0.1
# and sets tenantd.conf's dns_server.  Call before start.
sub use_own_dns_server {
	my ($self) = @_;
	my $port = $self->reserve_dns_port;
	$self->{conf}{dns_server} = "127.0.0.1:$port";
	return $port;
}

# Adds the custom domains of `domains` ([tenant id, domain] pairs) through
# the API, a test each ("<prefix>add <domain>"), then starts dnsmasq
# answering the verification TXT record of each domain in `answer` (all
# by default) with its token, and the `records` given (dnsmasq options).
# Returns {domain => token}.
sub add_answered_domains {
	my ($self, $domains, %o) = @_;
	require Test::More;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $prefix = $o{prefix} // '';
	my %token;
	for my $pair (@$domains) {
		my ($id, $name) = @$pair;
		my $r = $self->post("/api/tenants/$id/domains/", json => { domain => $name });
		Test::More::is($r->{status}, 201, "${prefix}add $name")
		    or Test::More::diag($r->{content});
		$token{$name} = $r->{json}{verification}{value} // '';
	}
	my @answer = @{$o{answer} // [sort keys %token]};
	$self->start_dns_server((map { "--txt-record=_tenantd-challenge.$_,$token{$_}" }
	    @answer), @{$o{records} // []});
	return \%token;
}

# (Re)starts dnsmasq on the reserved port, authoritative for *.test (a
# name it has no record of is NXDOMAIN) and asking no one else, with the
# records of `options` (--txt-record=..., --cname=..., --host-record=...).
# Returns once it holds the port.
sub start_dns_server {
	my ($self, @options) = @_;
	my $port = $self->{dns_port} // die "reserve_dns_port first\n";
	$self->_stop_process('dnsmasq', 'TERM');
	close(CORE::delete $self->{dns_socket}) if $self->{dns_socket};
	my @command = (find_program('dnsmasq'), '--keep-in-foreground',
	    '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
	    "--port=$port", "--listen-address=$self->{dns_address}",
	    '--bind-interfaces',
	    '--pid-file=', '--local=/test/', '--log-queries',
	    '--log-facility=-', @options);
	push @command, '--user=nobody', '--group=nogroup' if $> == 0;
	$self->{pids}{dnsmasq} = spawn(\@command,
	    stdout => $self->log_path('dnsmasq'),
	    stderr => $self->log_path('dnsmasq'), append => 1);
	my $deadline = time + 10;
	while (1) {
		die "dnsmasq exited:\n" . tail_lines($self->log_path('dnsmasq'), 20)
		    unless $self->_alive('dnsmasq');
		my $probe = IO::Socket::IP->new(
		    LocalHost => $self->{dns_address}, LocalPort => $port,
		    Proto => 'udp', ReuseAddr => 0);
		last unless $probe;
		close $probe;
		die "dnsmasq did not bind udp port $port within 10 s\n"
		    if time > $deadline;
		sleep 0.02;
	}
	return $port;
}

# Renders etc/nginx/tenantd.conf.in and the global wrapper into the run
# directory, starts nginx in the foreground (so it stays our child) and
# waits until /api/healthz answers 200 through it.
sub start_nginx {
	my ($self) = @_;
	die "nginx already running\n" if $self->{pids}{nginx};
	my $run = $self->{run};
	my $template = render_template(
	    "$self->{srcdir}/etc/nginx/tenantd.conf.in",
	    HTTP_LISTEN => "127.0.0.1:$self->{port}",
	    BASE_DOMAIN_REGEX => 'localhost',
	    FASTCGI_PASS => 'unix:' . $self->fastcgi_socket,
	    ADMIN_ROOT => "$self->{srcdir}/www/admin",
	    TENANTS_DIR => $self->tenants_dir,
	    TEMPLATE_DIR => "$self->{srcdir}/www/template",
	    MODULE_BACKEND => 'http://127.0.0.1:' . $self->module_backend_port,
	    MAX_BODY => $self->{nginx_max_body} // '64m',
	    ASSET_SOURCE => $self->asset_source);
	spew("$run/tenantd-servers.conf", $template);
	$self->_write_nginx_conf('nginx', 'etc/nginx/tenantd.conf.in',
	    "$run/tenantd-servers.conf", 512);
	my ($status, undef, $err) = run_captured(['nginx', '-t', '-q', '-p',
	    "$run/nginx", '-c', "$run/nginx.conf", '-e',
	    "$run/nginx-error.log"], timeout => 30);
	die "nginx -t rejected the configuration:\n$err"
	    . tail_lines("$run/nginx-error.log", 20) if $status != 0;
	$self->release_port;
	$self->{pids}{nginx} = spawn(['nginx', '-p', "$run/nginx", '-c',
	    "$run/nginx.conf", '-e', "$run/nginx-error.log"],
	    stdout => "$run/nginx.out", stderr => "$run/nginx.out");
	$self->_wait_until_serving('nginx', $self->{port}, 'pass /api/healthz '
	    . 'through', sub { $self->_healthz_through_front_end },
	    "$run/nginx.out", "$run/nginx-error.log");
	return $self->{pids}{nginx};
}

sub stop_nginx {
	my ($self) = @_;
	return $self->_stop_process('nginx', 'QUIT');
}

# Waits until web server `name`, a process of the stack, answers: `probe`
# returns (1) once it does, else (0, what it got), and the server holds
# the socket listening on `port` (an answer there may otherwise come from
# another test's server that took the port first).  Dies with the tails
# of `logs` when the server exits or $NGINX_START_TIMEOUT seconds pass
# without it being able to `what`.
sub _wait_until_serving {
	my ($self, $name, $port, $what, $probe, @logs) = @_;
	my $deadline = time + $NGINX_START_TIMEOUT;
	my $last = 'no answer';
	while (1) {
		die "$name exited while starting:\n"
		    . join('', map { tail_lines($_, 20) } @logs)
		    unless $self->_alive($name);
		my ($ready, $got) = eval { $probe->() };
		last if $ready && $self->_listens_on($port, $self->{pids}{$name});
		$last = $@ || $got // $last;
		die "$name did not $what within ${NGINX_START_TIMEOUT}s "
		    . "(last: $last):\n" . tail_lines($logs[-1], 20)
		    if time > $deadline;
		sleep 0.05;
	}
}

# The probe of a front end: does /api/healthz answer 200 through it?
sub _healthz_through_front_end {
	my ($self) = @_;
	my $r = $self->_http_request('GET', '/api/healthz',
	    { Host => "127.0.0.1:$self->{port}" }, undef, 5);
	return ($r->{status} == 200, "status $r->{status}");
}

# Writes the global part of an nginx configuration, $run/<name>.conf,
# around the rendered server file `servers` (from template `template`):
# its pid, temp directories below $run/<name>/, logs $run/<name>-error.log
# and $run/<name>-access.log.  Run by root, nginx's workers run as
# tenantd's unprivileged user; the master opens the logs and hands the
# temp directories to that user.
sub _write_nginx_conf {
	my ($self, $name, $template, $servers, $connections) = @_;
	my $run = $self->{run};
	my $user = '';
	if (defined $self->{service_uid}) {
		my $group = getgrgid($self->{service_gid})
		    // die "no group $self->{service_gid}\n";
		$user = "user $self->{conf}{user} $group;\n";
	}
	make_path("$run/$name");
	spew("$run/$name.conf", <<"EOF");
# written by t/lib/TenantdStack.pm: the global part around $template
daemon off;
${user}worker_processes 1;
pid $run/$name/nginx.pid;
error_log $run/$name-error.log info;
events {
	worker_connections $connections;
}
http {
	include $self->{srcdir}/etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $run/$name-access.log;
	client_body_temp_path $run/$name/client_body;
	fastcgi_temp_path $run/$name/fastcgi;
	proxy_temp_path $run/$name/proxy;
	uwsgi_temp_path $run/$name/uwsgi;
	scgi_temp_path $run/$name/scgi;
	server_tokens off;
	include $servers;
}
EOF
}

# What the tenant sites' CSP admits besides 'self' for asset_base_url: a
# space and its origin, or "" when it is unset, as tenantd itself reads
# the configuration (tenantd --print-asset-origin).
sub asset_source {
	my ($self) = @_;
	my ($status, $out, $err) = run_captured([$self->tenantd_binary, '-c',
	    $self->conf_path, '--print-asset-origin'], timeout => 30);
	die "tenantd --print-asset-origin failed:\n$err" if $status != 0;
	chomp $out;
	return $out eq '' ? '' : " $out";
}

# Renders etc/nginx/tenantd-cdn-origin.conf.in for asset_base_url (an
# http://127.0.0.1:<cdn_port>/<path> URL) into the run directory, starts
# a second nginx with it and waits until it answers on cdn_port.
sub start_cdn_origin {
	my ($self) = @_;
	die "the CDN origin is already running\n" if $self->{pids}{cdn_origin};
	my $run = $self->{run};
	my ($port, $prefix) = ($self->{conf}{asset_base_url} // '')
	    =~ m{^http://127\.0\.0\.1:(\d+)((?:/[A-Za-z0-9._~-]+)*)$}
	    or die "asset_base_url is no http://127.0.0.1:<port>/... URL\n";
	(my $prefix_regex = $prefix) =~ s/\./\\./g;
	spew("$run/tenantd-cdn-origin.conf", render_template(
	    "$self->{srcdir}/etc/nginx/tenantd-cdn-origin.conf.in",
	    CDN_LISTEN => "127.0.0.1:$port",
	    CDN_PREFIX_REGEX => $prefix_regex,
	    TENANTS_DIR => $self->tenants_dir));
	$self->_write_nginx_conf('cdn', 'etc/nginx/tenantd-cdn-origin.conf.in',
	    "$run/tenantd-cdn-origin.conf", 256);
	my @command = ('nginx', '-p', "$run/cdn", '-c', "$run/cdn.conf", '-e',
	    "$run/cdn-error.log");
	my ($status, undef, $err) = run_captured([@command, '-t', '-q'],
	    timeout => 30);
	die "nginx -t rejected the CDN origin's configuration:\n$err"
	    . tail_lines("$run/cdn-error.log", 20) if $status != 0;
	close delete $self->{cdn_port_holder} if $self->{cdn_port_holder};
	$self->{pids}{cdn_origin} = spawn(\@command,
	    stdout => "$run/cdn.out", stderr => "$run/cdn.out");
	$self->_wait_until_serving('cdn_origin', $port, 'answer', sub {
		my $r = $self->cdn_request('GET', '/', timeout => 5);
		return ($r->{status} == 404, "status $r->{status}");
	}, "$run/cdn.out", "$run/cdn-error.log");
	return $self->{pids}{cdn_origin};
}

sub stop_cdn_origin {
	my ($self) = @_;
	return $self->_stop_process('cdn_origin', 'QUIT');
}

# One request to the CDN origin with the raw path as given (escapes and
# all); the answer as request() returns it, without the JSON.
sub cdn_request {
	my ($self, $method, $path, %o) = @_;
	return $self->_http_request_to($self->{cdn_port}, $method, $path,
	    { Host => "127.0.0.1:$self->{cdn_port}", %{$o{headers} // {}} },
	    undef, $o{timeout} // $REQUEST_TIMEOUT);
}

# Starts the web server the stack was made with (frontend => 'nginx' or
# 'lighttpd'), or `frontend` from now on when given, and waits until
# /api/healthz answers 200 through it.
sub start_frontend {
	my ($self, $frontend) = @_;
	$self->{frontend} = $frontend if defined $frontend;
	return $self->start_lighttpd if $self->{frontend} eq 'lighttpd';
	return $self->start_caddy if $self->{frontend} eq 'caddy';
	croak "unknown frontend '$self->{frontend}'"
	    unless $self->{frontend} eq 'nginx';
	return $self->start_nginx;
}

sub stop_frontend {
	my ($self) = @_;
	return $self->stop_lighttpd if $self->{frontend} eq 'lighttpd';
	return $self->stop_caddy if $self->{frontend} eq 'caddy';
	return $self->stop_nginx;
}

# Renders etc/lighttpd/tenantd.conf.in and a global wrapper into the run
# directory, starts lighttpd in the foreground (so it stays our child) and
# waits until /api/healthz answers 200 through it.  It listens on the
# stack's port, like nginx would.
sub start_lighttpd {
	my ($self) = @_;
	die "lighttpd already running\n" if $self->{pids}{lighttpd};
	my $run = $self->{run};
	my $max_body = $self->{nginx_max_body} // '64m';
	my ($number, $unit) = $max_body =~ /^(\d+)([kKmM]?)$/
	    or die "nginx_max_body '$max_body' is no size\n";
	my $kbytes = lc $unit eq 'm' ? $number * 1024
	    : lc $unit eq 'k' ? $number : int(($number + 1023) / 1024);
	my $template = render_template(
	    "$self->{srcdir}/etc/lighttpd/tenantd.conf.in",
	    HTTP_BIND => '127.0.0.1',
	    HTTP_PORT => $self->{port},
	    BASE_DOMAIN_REGEX => 'localhost',
	    EVHOST_SUBDOMAIN => '%2',
	    FASTCGI_SOCKET => $self->fastcgi_socket,
	    ADMIN_ROOT => "$self->{srcdir}/www/admin",
	    TENANTS_DIR => $self->tenants_dir,
	    TEMPLATE_DIR => "$self->{srcdir}/www/template",
	    MAX_BODY_KBYTES => $kbytes,
	    LIGHTTPD_DIR => "$self->{srcdir}/etc/lighttpd",
	    MODULE_BACKEND_HOST => '127.0.0.1',
	    MODULE_BACKEND_PORT => $self->module_backend_port,
	    ASSET_SOURCE => $self->asset_source);
	spew("$run/tenantd-lighttpd.conf", $template);
	make_path("$run/lighttpd");
	# Run by root, lighttpd drops to tenantd's unprivileged user once it
	# has bound the port and opened its log, and keeps its uploads where
	# that user can write.
	my $user = '';
	if (defined $self->{service_uid}) {
		my $group = getgrgid($self->{service_gid})
		    // die "no group $self->{service_gid}\n";
		$user = "server.username = \"$self->{conf}{user}\"\n"
		    . "server.groupname = \"$group\"\n";
		chown $self->{service_uid}, $self->{service_gid}, "$run/lighttpd"
		    or die "chown $run/lighttpd: $!\n";
	}
	# lighttpd_workers: server.max-worker, processes beside the first
	# (bench/run compares lighttpd with a two-worker nginx); one process
	# when unset, lighttpd's default.
	my $workers = $self->{lighttpd_workers}
	    ? "server.max-worker = $self->{lighttpd_workers}\n" : '';
	spew("$run/lighttpd.conf", <<"EOF");
# written by t/lib/TenantdStack.pm: the global part around etc/lighttpd/tenantd.conf.in
${user}${workers}server.errorlog = "$run/lighttpd-error.log"
server.upload-dirs = ( "$run/lighttpd" )
server.tag = "lighttpd"
include "$run/tenantd-lighttpd.conf"
EOF
	my ($status, $out, $err) = run_captured(['lighttpd', '-tt', '-f',
	    "$run/lighttpd.conf"], timeout => 30);
	die "lighttpd -tt rejected the configuration:\n$out$err"
	    . tail_lines("$run/lighttpd-error.log", 20) if $status != 0;
	$self->release_port;
	$self->{pids}{lighttpd} = spawn(['lighttpd', '-D', '-f',
	    "$run/lighttpd.conf"], stdout => "$run/lighttpd.out",
	    stderr => "$run/lighttpd.out");
	$self->_wait_until_serving('lighttpd', $self->{port}, 'pass '
	    . '/api/healthz through', sub { $self->_healthz_through_front_end },
	    "$run/lighttpd.out", "$run/lighttpd-error.log");
	return $self->{pids}{lighttpd};
}

sub stop_lighttpd {
	my ($self) = @_;
	return $self->_stop_process('lighttpd', 'TERM');
}

# Renders etc/caddy/Caddyfile.in into the run directory and starts Caddy
# in the foreground (so it stays our child): HTTPS on the stack's port,
# plain HTTP (the on-demand check and redirects) on caddy_http_port, its
# CA and certificates below $run/caddy/data.  Run by root, Caddy runs as
# tenantd's unprivileged user (it has no user option of its own).  Waits
# until /api/healthz answers 200 through it over TLS, which also means the
# admin host's certificate has been issued.
sub start_caddy {
	my ($self) = @_;
	die "caddy already running\n" if $self->{pids}{caddy};
	my $run = $self->{run};
	my $max_body = $self->{nginx_max_body} // '64m';
	my ($number, $unit) = $max_body =~ /^(\d+)([kKmM]?)$/
	    or die "nginx_max_body '$max_body' is no size\n";
	($self->{caddy_http_port}, my $http_holder) = free_port()
	    unless $self->{caddy_http_port};
	my $template = render_template(
	    "$self->{srcdir}/etc/caddy/Caddyfile.in",
	    HTTP_PORT => $self->{caddy_http_port},
	    HTTPS_PORT => $self->{port},
	    BIND => '127.0.0.1',
	    BASE_DOMAIN => 'localhost',
	    BASE_DOMAIN_REGEX => 'localhost',
	    ADMIN_HOST => '127.0.0.1',
	    FASTCGI => 'unix/' . $self->fastcgi_socket,
	    ADMIN_ROOT => "$self->{srcdir}/www/admin",
	    TENANTS_DIR => $self->tenants_dir,
	    TEMPLATE_DIR => "$self->{srcdir}/www/template",
	    MODULE_BACKEND => '127.0.0.1:' . $self->module_backend_port,
	    MAX_BODY_BYTES => $number * { '' => 1, k => 1024,
	    m => 1024 * 1024 }->{lc $unit},
	    ASSET_SOURCE => $self->asset_source,
	    STORAGE_DIR => "$run/caddy/data",
	    LOG_FILE => "$run/caddy.log");
	spew("$run/Caddyfile", $template);
	make_path("$run/caddy/data", "$run/caddy/config");
	my @user;
	if (defined $self->{service_uid}) {
		File::Find::find({ no_chdir => 1, wanted => sub {
			chown $self->{service_uid}, $self->{service_gid}, $_;
		} }, "$run/caddy");
		@user = ('setpriv', "--reuid=$self->{service_uid}",
		    "--regid=$self->{service_gid}", '--clear-groups');
	}
	my @command = (@user, 'env', "HOME=$run/caddy",
	    "XDG_DATA_HOME=$run/caddy/data", "XDG_CONFIG_HOME=$run/caddy/config",
	    'caddy');
	my ($status, $out, $err) = run_captured([@command, 'validate',
	    '--adapter', 'caddyfile', '--config', "$run/Caddyfile"],
	    timeout => 30);
	die "caddy validate rejected the configuration:\n$out$err"
	    if $status != 0;
	$self->release_port;
	close $http_holder if $http_holder;
	$self->{pids}{caddy} = spawn([@command, 'run', '--adapter',
	    'caddyfile', '--config', "$run/Caddyfile"],
	    stdout => "$run/caddy.out", stderr => "$run/caddy.out");
	$self->_wait_until_serving('caddy', $self->{port}, 'pass /api/healthz '
	    . 'through', sub { $self->_healthz_through_front_end },
	    "$run/caddy.out", "$run/caddy.log");
	return $self->{pids}{caddy};
}

sub stop_caddy {
	my ($self) = @_;
	return $self->_stop_process('caddy', 'TERM');
}

# The port the front end passes module APIs to: the module backend's when
# the stack has one, else a free port nothing listens on (the front end
# then answers 503 module_unavailable).
sub module_backend_port {
	my ($self) = @_;
	$self->{module_backend_port} //= free_port();
	return $self->{module_backend_port};
}

# Starts t/lib/module-backend.pl on module_backend_port and waits until it
# accepts connections.  It answers every request with JSON naming what it
# saw and logs the same as one line (module_backend_hits).
sub start_module_backend {
	my ($self) = @_;
	die "module backend already running\n" if $self->{pids}{module_backend};
	my $port = $self->module_backend_port;
	my $log = $self->log_path('module-backend');
	spew($log, '');
	$self->{pids}{module_backend} = spawn([$^X,
	    "$self->{srcdir}/t/lib/module-backend.pl", $port, $log],
	    stdout => "$self->{run}/module-backend.out",
	    stderr => "$self->{run}/module-backend.out");
	my $deadline = time + $NGINX_START_TIMEOUT;
	until (IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => 2)) {
		if (!$self->_alive('module_backend')) {
			die "the module backend exited while starting:\n"
			    . tail_lines("$self->{run}/module-backend.out", 20);
		}
		die "the module backend did not listen on port $port within "
		    . "${NGINX_START_TIMEOUT}s\n" if time > $deadline;
		sleep 0.05;
	}
	return $self->{pids}{module_backend};
}

# The requests the module backend has answered so far, oldest first, as
# hashes {method, path, module, host, tenant, body} (see
# t/lib/module-backend.pl).
sub module_backend_hits {
	my ($self) = @_;
	my @hits;
	for my $line (split /\n/, TenantdStack->slurp($self->log_path('module-backend'))) {
		my $hit = eval { $JSON->decode($line) } or next;
		push @hits, $hit;
	}
	return @hits;
}

# The FastCGI worker processes of the tenantd master: every process whose
# parent is the master, read from /proc/*/stat, except the job runners
# (named "tenantd-runner", see runner_pids).  Sorted by pid.
sub worker_pids {
	my ($self) = @_;
	my %runner = map { $_ => 1 } $self->runner_pids;
	return grep { !$runner{$_} } $self->_master_children;
}

# The job runner processes of the tenantd master, which rename themselves
# "tenantd-runner" (src/runner.h).  Sorted by pid.
sub runner_pids {
	my ($self) = @_;
	return grep {
		my $comm = TenantdStack->slurp("/proc/$_/comm");
		chomp $comm;
		$comm eq 'tenantd-runner';
	} $self->_master_children;
}

# Every live child of the tenantd master.  Sorted by pid.
sub _master_children { child_pids($_[0]{pids}{tenantd}) }

# The worker processes of the nginx master.  Sorted by pid.
sub nginx_worker_pids { child_pids($_[0]{pids}{nginx}) }

# --- tenantctl ------------------------------------------------------------

# Runs src/tenantctl --config <our conf> @args.  A leading hash reference
# may give {stdin => "text"}.  Returns ($exit, $stdout, $stderr); $exit is
# 128 + signal for a process killed by a signal.
sub tenantctl {
	my ($self, @args) = @_;
	my %o = ref $args[0] eq 'HASH' ? %{shift @args} : ();
	my ($status, $out, $err) = run_captured([$self->tenantctl_binary,
	    '--config', $self->conf_path, @args], stdin => $o{stdin} // '',
	    timeout => $o{timeout} // $TENANTCTL_TIMEOUT);
	return ($status, $out, $err);
}

sub _tenantctl_or_die {
	my ($self, @args) = @_;
	my ($status, $out, $err) = $self->tenantctl(@args);
	my @shown = grep { !ref } @args;
	die "tenantctl @shown failed (exit $status):\n$out$err" if $status != 0;
	return $out;
}

# --- tenants and template versions ----------------------------------------

# Stores template directory `dir` as a version with `tenantctl template
# add` and returns the version's name; dies when tenantctl refuses it.
sub template_add {
	my ($self, $dir) = @_;
	my $out = $self->_tenantctl_or_die('template', 'add', $dir);
	my ($version) = $out =~ /^([0-9a-f]{12})$/m
	    or die "tenantctl template add $dir printed no version: '$out'\n";
	return $version;
}

# Creates tenant `sub` ("Tenant <sub>") with modules `modules`, waits
# for its deploy job and puts public/marker.txt ("site of <sub>") into
# its site, so a test can tell whose site a host serves.  Returns its
# id; dies when the create or the deploy fails.
sub create_deployed_tenant {
	my ($self, $sub, @modules) = @_;
	my $r = $self->post('/api/tenants/', json => { name => "Tenant $sub",
	    subdomain => $sub, module_keys => \@modules });
	die "create $sub: $r->{status} $r->{content}\n" if $r->{status} != 201;
	my $job = $r->{json}{deploy_job_id};
	my $done = wait_until(sub {
		my $j = $self->get("/api/jobs/$job/")->{json} // {};
		return ($j->{status} // '') =~ /^(done|failed)$/ ? $j->{status} : undef;
	}, 60);
	die "deploy of $sub: " . ($done // 'timed out') . "\n"
	    unless ($done // '') eq 'done';
	spew($self->tenants_dir . "/$sub/public/marker.txt", "site of $sub\n");
	return $r->{json}{id};
}

# Creates the tenants `subdomains` ("Tenant <sub>") with one bulk-create
# request that deploys none of them.  Returns their ids, as numbers, in
# the order given; dies when any was refused.
sub create_tenants {
	my ($self, @subdomains) = @_;
	my $r = $self->post('/api/tenants/bulk-create/', json => {
	    deploy => JSON::PP::false(),
	    tenants => [map { { name => "Tenant $_", subdomain => $_ } }
	    @subdomains] });
	die "bulk-create: $r->{status} $r->{content}\n"
	    unless $r->{status} == 200 && $r->{json}{success};
	my %id = map { ($_->{subdomain} => $_->{id} + 0) }
	    @{$r->{json}{created_tenants}};
	return map { $id{$_} // die "bulk-create did not create $_\n" }
	    @subdomains;
}

# Asks for a rollout to template version `version` with request body
# `body` (POST /api/templates/{version}/rollout/), runs it with `tenantctl
# worker --once` (for stacks whose tenantd runs no job runners) and
# returns the finished job as GET /api/jobs/{id}/ shows it.  Dies when the
# rollout is not accepted or the worker fails.
sub run_rollout {
	my ($self, $version, $body) = @_;
	my $r = $self->post("/api/templates/$version/rollout/", json => $body);
	die "rollout to $version: $r->{status} $r->{content}\n"
	    unless $r->{status} == 202;
	my ($exit, undef, $err) = $self->tenantctl('worker', '--once');
	die "tenantctl worker --once (exit $exit): $err\n" if $exit != 0;
	return $self->get("/api/jobs/$r->{json}{job_id}/")->{json};
}

# The template version each of tenants `ids` is on, as the database says:
# {id => version, or undef for none}.
sub template_versions_of {
	my ($self, @ids) = @_;
	return {} unless @ids;
	return { map { ($_->[0] => $_->[1]) } $self->sql('SELECT id, '
	    . 'template_version FROM tenants WHERE id IN ('
	    . join(', ', map { $_ + 0 } @ids) . ')') };
}

# --- HTTP -----------------------------------------------------------------

# request($method, $path, %o) sends one request through nginx (or straight
# to the FastCGI socket when the stack has no nginx) and returns
# {status, headers => {lower-case name => value}, header_list => [[n, v]...],
# content, json}.  Options:
#   json => $ref | form => [k => v, ...] | multipart => [name => value or
#   {filename, content, type}, ...] | body => $bytes (+ content_type)
#   headers => {...}, host => 'acme.localhost', cookie => 'a=b'
#   token => $token (default: the admin token; token => undef sends none)
#   timeout => seconds
sub request {
	my ($self, $method, $path, %o) = @_;
	my %headers = %{$o{headers} // {}};
	my $token = exists $o{token} ? $o{token} : $self->{admin_token};
	$headers{Authorization} = "Bearer $token" if defined $token;
	$headers{Cookie} = $o{cookie} if defined $o{cookie};
	my $body;
	if (exists $o{json}) {
		$body = ref $o{json} ? $JSON->encode($o{json}) : $o{json};
		$headers{'Content-Type'} //= 'application/json';
	} elsif ($o{form}) {
		$body = _urlencode(@{$o{form}});
		$headers{'Content-Type'} //= 'application/x-www-form-urlencoded';
	} elsif ($o{multipart}) {
		my $boundary = 'tenantdstack' . random_hex(12);
		$body = _multipart($boundary, @{$o{multipart}});
		$headers{'Content-Type'} //=
		    "multipart/form-data; boundary=$boundary";
	} elsif (defined $o{body}) {
		$body = $o{body};
		$headers{'Content-Type'} //= $o{content_type}
		    if defined $o{content_type};
	}
	my $host = $o{host} // "127.0.0.1:$self->{port}";
	my $timeout = $o{timeout} // $REQUEST_TIMEOUT;
	my $response;
	if ($self->{nginx}) {
		$headers{Host} = $host =~ /:\d+$/ ? $host : "$host:$self->{port}";
		$response = $self->_http_request($method, $path, \%headers,
		    $body, $timeout);
	} else {
		$headers{Host} = $host;
		$response = $self->_fastcgi_request($method, $path, \%headers,
		    $body // '', $timeout);
	}
	$response->{json} = undef;
	if (($response->{headers}{'content-type'} // '') =~ m{[/+]json\b}
	    && length $response->{content}) {
		$response->{json} = eval { $JSON->decode($response->{content}) };
	}
	return $response;
}

sub get { my ($self, $path, %o) = @_; $self->request('GET', $path, %o) }
sub head { my ($self, $path, %o) = @_; $self->request('HEAD', $path, %o) }
sub post { my ($self, $path, %o) = @_; $self->request('POST', $path, %o) }
sub patch { my ($self, $path, %o) = @_; $self->request('PATCH', $path, %o) }
sub put { my ($self, $path, %o) = @_; $self->request('PUT', $path, %o) }
sub delete { my ($self, $path, %o) = @_; $self->request('DELETE', $path, %o) }

sub _urlencode {
	my @pairs = @_;
	my @out;
	while (my ($name, $value) = splice @pairs, 0, 2) {
		push @out, _percent($name) . '=' . _percent($value // '');
	}
	return join '&', @out;
}

sub _percent {
	my ($text) = @_;
	utf8::encode($text) if utf8::is_utf8($text);
	$text =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
	return $text;
}

sub _multipart {
	my ($boundary, @parts) = @_;
	my $body = '';
	while (my ($name, $value) = splice @parts, 0, 2) {
		$body .= "--$boundary\r\n";
		if (ref $value eq 'HASH') {
			my $filename = $value->{filename} // 'upload';
			my $type = $value->{type} // 'application/octet-stream';
			$body .= "Content-Disposition: form-data; name=\"$name\"; "
			    . "filename=\"$filename\"\r\n"
			    . "Content-Type: $type\r\n\r\n"
			    . $value->{content} . "\r\n";
		} else {
			my $text = $value // '';
			utf8::encode($text) if utf8::is_utf8($text);
			$body .= "Content-Disposition: form-data; name=\"$name\"\r\n"
			    . "\r\n$text\r\n";
		}
	}
	return $body . "--$boundary--\r\n";
}

# A plain HTTP/1.1 client (HTTP::Tiny cannot send our own Host header),
# to the front end's port; over TLS to Caddy.
sub _http_request {
	my ($self, @request) = @_;
	return $self->_http_request_to($self->{port}, @request);
}

# The same to 127.0.0.1:`port`: over TLS when it is Caddy's HTTPS port,
# naming the Host's name (not an address) in SNI and trusting nothing but
# Caddy's local CA.
sub _http_request_to {
	my ($self, $port, $method, $path, $headers, $body, $timeout) = @_;
	my $socket;
	if ($self->{pids}{caddy} && $port == $self->{port}) {
		my ($name) = ($headers->{Host} // '') =~ /^([^:]*)/;
		$socket = $self->tls_connect($name);
	} else {
		$socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $port, Proto => 'tcp', Timeout => 5)
		    or die "connect 127.0.0.1:$port: $@\n";
	}
	my $request = "$method $path HTTP/1.1\r\n";
	my %sent;
	for my $name (sort keys %$headers) {
		my $value = $headers->{$name};
		die "header $name holds CR or LF\n" if $value =~ /[\r\n]/;
		$request .= "$name: $value\r\n";
		$sent{lc $name} = 1;
	}
	$request .= "Connection: close\r\n";
	if (defined $body) {
		$request .= 'Content-Length: ' . length($body) . "\r\n"
		    unless $sent{'content-length'};
	} elsif ($method =~ /^(?:POST|PUT|PATCH)$/) {
		$request .= "Content-Length: 0\r\n";
	}
	$request .= "\r\n";
	$request .= $body if defined $body;
	my $deadline = time + $timeout;
	_write_all($socket, $request, $deadline);
	my $raw = _read_all($socket, $deadline);
	close $socket;
	return _parse_http_response($raw, $method);
}

# A TLS connection to Caddy's HTTPS port for host name `name` (SNI, and
# the name the certificate must hold; an IP address is checked as one and
# sent as no SNI), trusting Caddy's local CA only.  Dies when the handshake
# fails, with OpenSSL's reason.
sub tls_connect {
	my ($self, $name) = @_;
	require IO::Socket::SSL;
	my $is_ip = $name =~ /^[0-9.]+$/;
	# OpenSSL's reason says only "certificate verify failed": the
	# callback keeps which certificate failed and why.
	my $why = '';
	my $socket = IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
	    PeerPort => $self->{port}, Timeout => 10,
	    SSL_hostname => $is_ip ? '' : $name,
	    SSL_verifycn_name => $name, SSL_verifycn_scheme => 'http',
	    SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
	    SSL_verify_callback => sub {
		my ($ok, undef, $certificate, $error) = @_;
		$why ||= " ($error: $certificate)" if !$ok;
		return $ok;
	    },
	    SSL_ca_file => $self->caddy_root_cert)
	    or die "TLS to 127.0.0.1:$self->{port} as '$name': "
	    . ($IO::Socket::SSL::SSL_ERROR || $@ || 'failed') . "$why\n";
	return $socket;
}

sub _write_all {
	my ($socket, $data, $deadline) = @_;
	my $select = IO::Select->new($socket);
	my $offset = 0;
	while ($offset < length $data) {
		my $left = $deadline - time;
		die "timed out sending the request\n" if $left <= 0;
		next unless $select->can_write($left);
		my $n = syswrite($socket, $data, length($data) - $offset, $offset);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			# The server may answer early (413) and close; keep what
			# it said.
			last;
		}
		$offset += $n;
	}
}

sub _read_all {
	my ($socket, $deadline) = @_;
	my $select = IO::Select->new($socket);
	my $raw = '';
	while (1) {
		my $left = $deadline - time;
		die "timed out waiting for the response (got "
		    . length($raw) . " bytes)\n" if $left <= 0;
		next unless ($socket->can('pending') && $socket->pending)
		    || $select->can_read($left);
		my $n = sysread($socket, my $chunk, 65536);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			last if length $raw;
			die "read: $!\n";
		}
		last if $n == 0;
		$raw .= $chunk;
	}
	return $raw;
}

sub _parse_http_response {
	my ($raw, $method) = @_;
	my $end = index($raw, "\r\n\r\n");
	die "malformed HTTP response: '" . substr($raw, 0, 200) . "'\n"
	    if $end < 0;
	my ($status_line, @lines) = split /\r\n/, substr($raw, 0, $end);
	my ($status) = $status_line =~ m{^HTTP/\d\.\d (\d{3})}
	    or die "malformed status line '$status_line'\n";
	my $response = _headers_into({ status => $status + 0 }, @lines);
	my $content = substr($raw, $end + 4);
	if (($response->{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
		$content = _dechunk($content);
	}
	$content = '' if $method eq 'HEAD';
	$response->{content} = $content;
	return $response;
}

sub _headers_into {
	my ($response, @lines) = @_;
	$response->{headers} = {};
	$response->{header_list} = [];
	for my $line (@lines) {
		my ($name, $value) = $line =~ /^([^:]+):\s*(.*?)\s*$/ or next;
		push @{$response->{header_list}}, [$name, $value];
		my $key = lc $name;
		if (exists $response->{headers}{$key}) {
			$response->{headers}{$key} .= ", $value";
		} else {
			$response->{headers}{$key} = $value;
		}
	}
	return $response;
}

sub _dechunk {
	my ($data) = @_;
	my $out = '';
	while ($data =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
		my $size = hex $1;
		last if $size == 0;
		$out .= substr($data, 0, $size);
		substr($data, 0, $size + 2) = '';
	}
	return $out;
}

# All values of header `name` in a response, in order.
sub header_values {
	my ($class_or_self, $response, $name) = @_;
	return map { $_->[1] } grep { lc $_->[0] eq lc $name }
	    @{$response->{header_list}};
}

# --- a minimal FastCGI client (used when there is no nginx) ----------------

# Sends one FastCGI request in the Authorizer role straight to tenantd's
# socket, the way lighttpd's mod_fastcgi "mode" => "authorizer" does: no
# body, no CONTENT_LENGTH and no TENANT_SUBDOMAIN.  `headers` become HTTP_*
# parameters (Host among them).  Returns {status, headers, content}.
sub fastcgi_authorizer {
	my ($self, $method, $path, $headers) = @_;
	return $self->_fastcgi_request($method, $path, $headers // {}, '',
	    $REQUEST_TIMEOUT, 'authorizer');
}

sub _fastcgi_request {
	my ($self, $method, $path, $headers, $body, $timeout, $role) = @_;
	my $request = $self->fastcgi_request_bytes($method, $path, $headers,
	    $body, $role);
	# fastcgi_address (host:port) is a tenantd on TCP, such as one of
	# t/lib/ClusterStack.pm's hosts.
	my $peer = $self->{fastcgi_address} // $self->fastcgi_socket;
	my $socket = defined $self->{fastcgi_address}
	    ? IO::Socket::IP->new(PeerAddr => $peer, Timeout => $timeout)
	    : IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $peer);
	die "connect $peer: $!\n" unless $socket;
	my $deadline = time + $timeout;
	_write_all($socket, $request, $deadline);
	my $raw = _read_all($socket, $deadline);
	close $socket;
	return _fastcgi_parse_response($raw, $method);
}

# The bytes of one FastCGI request as a front end sends them: BEGIN_REQUEST
# (responder, or authorizer when `role` says so), the CGI parameters of
# `method` `path` with `headers`, then `body` on FCGI_STDIN and its empty
# end record.
sub fastcgi_request_bytes {
	my ($self, $method, $path, $headers, $body, $role) = @_;
	my $authorizer = ($role // '') eq 'authorizer';
	my ($uri_path, $query) = split /\?/, $path, 2;
	my %params = (
		REQUEST_METHOD => $method,
		REQUEST_URI => $path,
		DOCUMENT_URI => $uri_path,
		SCRIPT_NAME => $uri_path,
		QUERY_STRING => $query // '',
		CONTENT_LENGTH => length $body,
		SERVER_PROTOCOL => 'HTTP/1.1',
		GATEWAY_INTERFACE => 'CGI/1.1',
		REMOTE_ADDR => '127.0.0.1',
		REMOTE_PORT => '40000',
		SERVER_ADDR => '127.0.0.1',
		SERVER_PORT => $self->{port} // 80,
	);
	my $host = $headers->{Host} // '127.0.0.1';
	($params{SERVER_NAME} = $host) =~ s/:\d+$//;
	$params{TENANT_SUBDOMAIN} =
	    $params{SERVER_NAME} =~ /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.localhost$/
	    ? $1 : '';
	delete @params{qw(TENANT_SUBDOMAIN CONTENT_LENGTH)} if $authorizer;
	for my $name (keys %$headers) {
		if (lc $name eq 'content-type') {
			$params{CONTENT_TYPE} = $headers->{$name};
			next;
		}
		next if lc $name eq 'content-length';
		(my $key = uc "HTTP_$name") =~ s/-/_/g;
		$params{$key} = $headers->{$name};
	}
	my $role_code = $authorizer ? FastCGIClient::FCGI_AUTHORIZER
	    : FastCGIClient::FCGI_RESPONDER;
	return FastCGIClient::record(FastCGIClient::FCGI_BEGIN_REQUEST,
	    pack('nCx5', $role_code, 0))
	    . FastCGIClient::records(FastCGIClient::FCGI_PARAMS,
	    FastCGIClient::encode_params(\%params))
	    . FastCGIClient::record(FastCGIClient::FCGI_PARAMS, '')
	    . FastCGIClient::records(FastCGIClient::FCGI_STDIN, $body)
	    . FastCGIClient::record(FastCGIClient::FCGI_STDIN, '');
}

# Parses what a FastCGI application answered to a `method` request (all
# records up to the end of the connection) into the response hash of
# request().
sub _fastcgi_parse_response {
	my ($raw, $method) = @_;
	my %out = (stdout => '', stderr => '');
	FastCGIClient::take_records(\$raw, \%out)
	    or die "FastCGI response without END_REQUEST\n";
	my ($stdout, $stderr) = @out{qw(stdout stderr)};
	my $end = index($stdout, "\r\n\r\n");
	my $split = 4;
	if ($end < 0) {
		$end = index($stdout, "\n\n");
		$split = 2;
	}
	die "FastCGI response without a header block: '"
	    . substr($stdout, 0, 200) . "'\n" if $end < 0;
	my @lines = split /\r?\n/, substr($stdout, 0, $end);
	my $response = _headers_into({}, @lines);
	my ($status) = ($response->{headers}{status} // '200') =~ /^(\d{3})/;
	$response->{status} = $status + 0;
	$response->{content} = $method eq 'HEAD' ? ''
	    : substr($stdout, $end + $split);
	$response->{stderr} = $stderr;
	return $response;
}

# --- assertions for the API tests ------------------------------------------

# Checks that response `r` is the error document of SPEC section 4 with
# `status` and `code`: {"error": non-empty text, "code": code, ...}.  With
# `field`, also that {"fields": {field: message}} names it.  Prints the
# response when anything differs.  Returns true when all of it holds.
sub is_error {
	my ($self, $r, $status, $code, $name, $field) = @_;
	require Test::More;
	my $builder = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $json = ref $r->{json} eq 'HASH' ? $r->{json} : {};
	my $ok = 1;
	$ok &&= Test::More::is($r->{status}, $status, "$name: status $status");
	$ok &&= Test::More::is($json->{code}, $code, "$name: code $code");
	$ok &&= Test::More::ok(defined $json->{error} && !ref $json->{error}
	    && length $json->{error}, "$name: has an error message");
	if (defined $field) {
		my $fields = ref $json->{fields} eq 'HASH' ? $json->{fields} : {};
		$ok &&= Test::More::ok(defined $fields->{$field}
		    && length $fields->{$field},
		    "$name: fields names '$field'");
	}
	$builder->diag("response: $r->{status} $r->{content}") unless $ok;
	return $ok;
}

# Decodes the JSON file at `path` (undef when missing or invalid).
sub read_json_file {
	my ($class_or_self, $path) = @_;
	return undef unless -f $path;
	return eval { $JSON->decode(TenantdStack->slurp($path)) };
}

# The entries of the manifest at `path` (what `tenantctl manifest` writes
# and www/template.manifest holds), in order, each as { sha256 =>, size =>,
# path => }; dies when the file cannot be read or its header is not the
# one of this manifest format.
sub manifest_entries {
	my ($class_or_self, $path) = @_;
	open(my $fh, '<', $path) or die "$path: $!";
	my $header = <$fh> // '';
	die "$path: bad manifest header\n"
	    unless $header eq "# tenantd template manifest 1\n";
	my @entries;
	while (my $line = <$fh>) {
		next if $line =~ /^#/;
		chomp $line;
		my ($sha, $size, $file) = split / /, $line, 3;
		push @entries, { sha256 => $sha, size => $size, path => $file };
	}
	close $fh;
	return @entries;
}

# --- stop -----------------------------------------------------------------

# Takes everything down (tenantd, nginx, mariadbd), prints the logs as TAP
# diagnostics when the test is failing, and removes the run directory
# unless TENANTD_KEEP_TEST_DIRS is set.  Safe to call more than once; a
# forked child never stops its parent's stack.
sub stop {
	my ($self) = @_;
	return unless $self->{started};
	return if $$ != $self->{owner_pid};
	local ($?, $!, $@);
	# A signal that arrives now must not cut the clean-up short.
	local @SIG{qw(INT TERM HUP)} = ('IGNORE') x 3;
	$self->{started} = 0;
	$self->_stop_process('tenantd', 'TERM');
	$self->_stop_process('nginx', 'QUIT');
	$self->_stop_process('cdn_origin', 'QUIT');
	$self->_stop_process('lighttpd', 'TERM');
	$self->_stop_process('caddy', 'TERM');
	$self->_stop_process('module_backend', 'TERM');
	$self->_stop_process('dnsmasq', 'TERM');
	$self->_stop_process('mariadb', 'TERM');
	$self->_check_sanitizer_reports;
	$self->_diag_logs if $self->_failing;
	return unless $self->{run};
	if ($ENV{TENANTD_KEEP_TEST_DIRS} || $self->{keep}) {
		diag_message("kept test directory $self->{run}");
	} else {
		_clear_immutable($self->{run});
		remove_tree($self->{run});
		remove_tree($self->{sockdir}) if $self->{own_sockdir};
	}
	CORE::delete $self->{run};
}

# Sanitizer builds (--enable-sanitizers) report into tenantd's stderr, which
# is the log; a report there fails the test file even when every response
# looked right (a leak, or an error in a worker that was then respawned).
my $SANITIZER_REPORTS = 0;

sub _check_sanitizer_reports {
	my ($self) = @_;
	return unless $self->{run};
	my $log = TenantdStack->slurp($self->log_path('tenantd'));
	my @reports = $log =~ /^(.*(?:==\d+==ERROR: \w+Sanitizer|runtime error: ).*)$/mg;
	return unless @reports;
	$SANITIZER_REPORTS += @reports;
	$self->{exit_failing} = 1;
	diag_message("sanitizer report in tenantd's log: $_") for @reports;
}

sub _failing {
	my ($self) = @_;
	return 1 if $self->{failed_start} || $self->{exit_failing};
	return 0 unless $INC{'Test/Builder.pm'};
	return !Test::Builder->new->is_passing;
}

sub _diag_logs {
	my ($self) = @_;
	return unless $self->{run};
	for my $which (qw(tenantd nginx lighttpd module-backend mariadb)) {
		my $path = $self->log_path($which);
		next unless -s $path;
		diag_message("---- $which log ($path), last lines ----");
		diag_message($_) for split /\n/, tail_lines($path, 60);
	}
}

# chattr +i left on by a test would make the run directory undeletable.
sub _clear_immutable {
	my ($dir) = @_;
	return unless -d $dir;
	run_captured(['chattr', '-R', '-i', $dir], timeout => 30)
	    if find_program_quiet('chattr');
}

sub DESTROY {
	my ($self) = @_;
	$self->stop if $self->{started};
}

END {
	_stop_all($? != 0);
	$? = 1 if $SANITIZER_REPORTS && $? == 0;
}

# Signals sent to a test (make being interrupted, a timeout) still stop
# the servers: the handler stops every live stack and then dies of the same
# signal.  It does not die with an exception, because Perl may deliver the
# signal inside a destructor, where an exception is swallowed.
sub install_signal_handlers {
	for my $signal (qw(INT TERM HUP)) {
		next if defined $SIG{$signal} && $SIG{$signal} ne 'DEFAULT';
		$SIG{$signal} = sub {
			_stop_all(1);
			$SIG{$signal} = 'DEFAULT';
			kill $signal, $$;
			_exit(128 + 15);
		};
	}
}

# A test that hangs must not hang `make check`: after TENANTD_TEST_TIMEOUT
# seconds (default 900; 0 turns it off) the stacks are stopped and the test
# exits with status 124, as timeout(1) would.  Only set when the test has
# no SIGALRM handler of its own.
my $WATCHDOG_STARTED = 0;

sub start_watchdog {
	return if $WATCHDOG_STARTED++;
	my $seconds = $ENV{TENANTD_TEST_TIMEOUT} // 900;
	return unless $seconds =~ /^\d+$/ && $seconds > 0;
	return if defined $SIG{ALRM} && $SIG{ALRM} ne 'DEFAULT';
	$SIG{ALRM} = sub {
		diag_message("TenantdStack: the test ran longer than ${seconds}s "
		    . '(TENANTD_TEST_TIMEOUT); stopping it');
		_stop_all(1);
		_exit(124);
	};
	alarm $seconds;
}

sub _stop_all {
	my ($failing) = @_;
	for my $stack (grep { defined } @LIVE) {
		$stack->{exit_failing} = 1 if $failing;
		$stack->stop;
	}
}

# --- processes ------------------------------------------------------------

sub _alive {
	my ($self, $name) = @_;
	my $pid = $self->{pids}{$name} or return 0;
	my $result = waitpid($pid, WNOHANG);
	if ($result == $pid) {
		$self->{exit_status}{$name} = $?;
		CORE::delete $self->{pids}{$name};
		return 0;
	}
	return 1;
}

# Sends `signal` to process `name`, waits up to $PROCESS_STOP_TIMEOUT
# seconds, then SIGKILLs it.  Returns its wait status, or undef when it was
# not running.
sub _stop_process {
	my ($self, $name, $signal) = @_;
	my $pid = $self->{pids}{$name};
	return $self->{exit_status}{$name} unless $pid;
	kill $signal, $pid;
	my $status = wait_pid($pid, $PROCESS_STOP_TIMEOUT);
	if (!defined $status) {
		diag_message("$name (pid $pid) ignored SIG$signal for "
		    . "${PROCESS_STOP_TIMEOUT}s; killing it");
		kill 'KILL', $pid;
		$status = wait_pid($pid, 10);
	}
	CORE::delete $self->{pids}{$name};
	$self->{exit_status}{$name} = $status;
	return $status;
}

# The wait status ($?) of the last time process `name` ended.
sub exit_status {
	my ($self, $name) = @_;
	return $self->{exit_status}{$name};
}

# --- small helpers ----------------------------------------------------------

sub _lock {
	my ($path, $mode) = @_;
	open(my $fh, '>>', $path) or die "open $path: $!\n";
	my $deadline = time + $TEMPLATE_LOCK_TIMEOUT;
	until (flock($fh, $mode | LOCK_NB)) {
		die "could not lock $path within ${TEMPLATE_LOCK_TIMEOUT}s\n"
		    if time > $deadline;
		sleep 0.1;
	}
	return $fh;
}

sub _mariadbd_version {
	my $mariadbd = find_program('mariadbd', '/usr/sbin/mariadbd',
	    '/usr/libexec/mariadbd', '/usr/sbin/mysqld');
	my (undef, $out) = run_captured([$mariadbd, '--no-defaults',
	    '--version'], timeout => 30);
	chomp $out;
	return $out;
}

# Whether one of processes `pids` (or their children) holds the socket that
# listens on 127.0.0.1:`port`: an answer on the port may otherwise come from
# another test's server that took the port first.
sub _listens_on {
	my ($self, $port, @pids) = @_;
	my %inodes;
	my $local = sprintf('0100007F:%04X', $port);
	if (open(my $fh, '<', '/proc/net/tcp')) {
		while (my $line = <$fh>) {
			my @field = split ' ', $line;
			$inodes{$field[9]} = 1
			    if @field > 9 && $field[1] eq $local && $field[3] eq '0A';
		}
		close $fh;
	}
	for my $pid (@pids, map { child_pids($_) } @pids) {
		opendir(my $dir, "/proc/$pid/fd") or next;
		for my $fd (readdir $dir) {
			my $link = readlink("/proc/$pid/fd/$fd") // next;
			return 1 if $link =~ /^socket:\[(\d+)\]$/ && $inodes{$1};
		}
	}
	return 0;
}

# The bytes of the file at `path`, '' when it cannot be read (TestUtil's
# slurp() says undef); for files the stack wrote (config.json, logs ...).
sub slurp {
	my ($class_or_self, $path) = @_;
	return TestUtil::slurp($path) // '';
}

sub json { $JSON }

1;
