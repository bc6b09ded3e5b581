package ClusterStack;

# ClusterStack - a throw-away tenantd installation on more than one host,
# for t/cluster.t (SPEC section 14).
#
#   3 Galera nodes (galera-4), 127.0.0.1, each its own datadir, socket and
#   ports, small buffer pools and gcache
#     ^
#   HAProxy: writes go to node 1, nodes 2 and 3 are backups; it listens on
#   127.0.0.1 (tenantctl) and on the host side of each veth pair
#     ^
#   tenantd "hosts" 1 and 2, each in a network namespace of its own (a veth
#   pair, private 10.x addresses), one job runner each, FastCGI on TCP,
#   sharing one tenants_dir
#     ^
#   nginx on 127.0.0.1 with etc/nginx/tenantd.conf.in and one upstream of
#   both hosts (fastcgi_next_upstream for idempotent requests)
#
#   my $c = ClusterStack->new(workers => 2);
#   $c->start;
#   $c->request('GET', '/api/tenants/');     # through nginx, admin token
#   $c->stop_node(1);                        # the writer goes away
#   $c->kill_host(2);                        # kill -9 master and workers
#
# Everything is bounded, loopback or namespace-local, and stop() (also run
# at exit and on a signal) kills what was started, deletes the namespaces
# and veth pairs and removes the run directory (TenantdStack's exit, signal
# and watchdog handling stops it with its own stacks).  Needs root (namespaces,
# veth), galera-4, haproxy, rsync (the joiners' state transfer) and the
# build tree of TenantdStack.  The process helpers are TenantdStack's.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use POSIX ();
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

use TenantdStack ();
use TestProcess qw(spawn run_captured wait_pid child_pids find_program
    free_port random_hex tail_lines diag_message reachable_as);
use TestUtil qw(spew wait_until render_template);

my $GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
# The nodes run as Debian's MariaDB user: a joiner's state transfer
# (rsync) would otherwise run as root's rsync daemon default, nobody, who
# cannot write a root-owned datadir.
my $MARIADB_USER = 'mysql';
my $NODE_START_TIMEOUT = 90;
my $TENANTD_START_TIMEOUT = 30;
my $HAPROXY_START_TIMEOUT = 20;
# Seconds without a heartbeat after which a job is run again; a per-tenant
# lock is taken over after 4 times that (lib/tenant_lock.c).
my $JOB_HEARTBEAT_TIMEOUT = 5;
# The FastCGI port of tenantd inside each namespace.
my $FASTCGI_PORT = 9000;

# Galera's needs on top of TenantdStack's options: row-based replication,
# interleaved auto-increment locks, and (migration 0007's triggers under
# binary logging) trusted function creators.  A small buffer pool and
# gcache keep three nodes within a test machine.
my @NODE_OPTIONS = (
	@TenantdStack::MARIADB_COMMON_OPTIONS,
	@TenantdStack::MARIADB_SERVER_OPTIONS,
	'--innodb-buffer-pool-size=32M',
	'--skip-name-resolve',
	'--binlog-format=ROW',
	'--innodb-autoinc-lock-mode=2',
	'--log-bin-trust-function-creators=1',
	'--wsrep-on=ON',
	"--wsrep-provider=$GALERA_PROVIDER",
	'--wsrep-cluster-name=tenantd-test',
	'--wsrep-sst-method=rsync',
	'--wsrep-slave-threads=2',
);

sub new {
	my ($class, %opt) = @_;
	my $tree = abs_path(dirname(abs_path(__FILE__)) . '/../..');
	my $self = bless {
		workers => 2,
		hosts => 2,
		%opt,
		owner_pid => $$,
		srcdir => abs_path($ENV{TENANTD_SRCDIR} // $tree),
		builddir => abs_path($ENV{TENANTD_BUILDDIR} // $tree),
		netns => [],
		links => [],
	}, $class;
	# TenantdStack provides the template datadir, tenantctl, the HTTP
	# client and the process helpers, and keeps the pids; it starts no
	# server of its own.
	$self->{helper} = TenantdStack->new(nginx => 1);
	$self->{pids} = $self->{helper}{pids};
	TenantdStack->stop_with_stacks($self);
	return $self;
}

sub run_dir { $_[0]{run} }
sub tenants_dir { "$_[0]{run}/tenants" }
sub port { $_[0]{port} }
sub admin_token { $_[0]{helper}{admin_token} }
sub node_socket { "$_[0]{sockdir}/node$_[1].sock" }
sub node_log { "$_[0]{run}/node$_[1]/mariadbd.err" }
sub haproxy_stats { "$_[0]{run}/haproxy.sock" }
sub lock_takeover_seconds { 4 * $JOB_HEARTBEAT_TIMEOUT }

# --- start ----------------------------------------------------------------

sub start {
	my ($self) = @_;
	croak 'cluster already started' if $self->{started};
	$self->{started} = 1;
	die "ClusterStack needs root (network namespaces)\n" if $> != 0;
	TenantdStack::install_signal_handlers();
	TenantdStack::start_watchdog();
	eval {
		$self->_prepare_run_dir;
		$self->_start_nodes;
		$self->_create_database;
		$self->_make_namespaces;
		$self->_start_haproxy;
		$self->_write_confs;
		$self->{helper}->_tenantctl_or_die('migrate');
		$self->{helper}->_tenantctl_or_die('init-modules');
		$self->{helper}->_create_admin;
		$self->start_host($_) for 1 .. $self->{hosts};
		$self->_start_nginx;
		1;
	} or do {
		$self->{exit_failing} = 1;
		$self->stop;
		die 'ClusterStack: ' . ($@ || 'unknown error');
	};
	return $self;
}

sub _prepare_run_dir {
	my ($self) = @_;
	my $helper = $self->{helper};
	my $var = "$self->{builddir}/t/var";
	make_path($var);
	$helper->{var} = $var;
	$self->{run} = tempdir('cluster-XXXXXX', DIR => $var);
	$helper->{run} = $self->{run};
	chmod 0755, $self->{run};
	# Unix socket paths must fit in sun_path.
	$self->{sockdir} = tempdir('tenantd-cluster-XXXXXX',
	    DIR => File::Spec->tmpdir);
	chmod 0755, $self->{sockdir};
	my @mysql = (getpwnam($MARIADB_USER))[2, 3];
	die "no user $MARIADB_USER (install mariadb-server)\n"
	    unless defined $mysql[0];
	$self->{mysql_ids} = \@mysql;
	chown @mysql, $self->{sockdir} or die "chown $self->{sockdir}: $!\n";
	my $user = $ENV{TENANTD_TEST_USER} // 'nobody';
	my ($uid, $gid) = (getpwnam($user))[2, 3];
	die "no user \"$user\" for tenantd (set TENANTD_TEST_USER)\n"
	    unless defined $uid;
	@$self{qw(user uid gid)} = ($user, $uid, $gid);
	make_path($self->tenants_dir, "$self->{run}/archive",
	    "$self->{run}/tmp", "$self->{run}/nginx");
	for my $dir ($self->tenants_dir, "$self->{run}/archive") {
		chown $uid, $gid, $dir or die "chown $dir: $!\n";
	}
	$helper->_ensure_mariadb_template;
}

# Gives each of the three nodes a copy of the datadir template and four
# ports on 127.0.0.1 (SQL, Galera's group communication, incremental and
# full state transfer; each kept bound until its node starts), then
# bootstraps node 1 and joins nodes 2 and 3, a full transfer each.
sub _start_nodes {
	my ($self) = @_;
	for my $n (1 .. 3) {
		my %ports;
		for my $kind (qw(sql gcomm ist sst)) {
			($ports{$kind}, $self->{holders}{"$kind$n"}) =
			    free_port();
		}
		$self->{nodes}[$n] = \%ports;
		my $dir = "$self->{run}/node$n";
		make_path("$dir/tmp");
		my ($status) = run_captured(['cp', '-a',
		    "$self->{helper}{var}/mariadb-template", "$dir/data"],
		    timeout => 120);
		die "cp of the datadir template failed (exit $status)\n"
		    if $status != 0;
		($status) = run_captured(['chown', '-R',
		    "$MARIADB_USER:", $dir], timeout => 60);
		die "chown $dir failed\n" if $status != 0;
	}
	die "user $MARIADB_USER cannot reach $self->{run}/node1; give it "
	    . "search permission on the parent directories (./dev cluster-test "
	    . "does: setfacl -m u:$MARIADB_USER:x DIR)\n"
	    unless reachable_as(@{$self->{mysql_ids}},
	    "$self->{run}/node1/data");
	$self->start_node(1, bootstrap => 1);
	$self->start_node($_) for 2, 3;
	$self->_wait_cluster_size(3);
}

# Starts node `n` (bootstrap => 1: a new cluster of its own) and waits
# until it is synced with the cluster.
sub start_node {
	my ($self, $n, %o) = @_;
	my $ports = $self->{nodes}[$n];
	my $run = $self->{run};
	delete $self->{holders}{"$_$n"} for qw(sql gcomm ist sst);
	my $peers = join ',', map { "127.0.0.1:$self->{nodes}[$_]{gcomm}" } 1 .. 3;
	my $mariadbd = find_program('mariadbd',
	    '/usr/sbin/mariadbd');
	my $dir = "$run/node$n";
	my @command = ($mariadbd, '--no-defaults', "--datadir=$dir/data",
	    '--socket=' . $self->node_socket($n), "--port=$ports->{sql}",
	    '--bind-address=127.0.0.1', "--pid-file=$dir/mariadbd.pid",
	    '--log-error=' . $self->node_log($n), "--tmpdir=$dir/tmp",
	    "--user=$MARIADB_USER", @NODE_OPTIONS,
	    "--wsrep-cluster-address=gcomm://$peers",
	    "--wsrep-node-name=node$n",
	    "--wsrep-node-address=127.0.0.1:$ports->{gcomm}",
	    "--wsrep-node-incoming-address=127.0.0.1:$ports->{sql}",
	    "--wsrep-sst-receive-address=127.0.0.1:$ports->{sst}",
	    '--wsrep-provider-options='
	    . "gmcast.listen_addr=tcp://127.0.0.1:$ports->{gcomm};"
	    . "ist.recv_addr=127.0.0.1:$ports->{ist};gcache.size=32M",
	    ($o{bootstrap} ? '--wsrep-new-cluster' : ()));
	$self->{pids}{"node$n"} = spawn(\@command,
	    stdout => "$run/node$n.out", stderr => "$run/node$n.out");
	my $synced = wait_until(sub {
		die "galera node $n exited while starting:\n"
		    . tail_lines($self->node_log($n), 40)
		    unless $self->_alive("node$n");
		my $state = eval { $self->node_sql($n,
		    "SHOW STATUS LIKE 'wsrep_local_state_comment'") } // '';
		return $state =~ /\tSynced$/m;
	}, $NODE_START_TIMEOUT, 0.2);
	die "galera node $n was not synced within ${NODE_START_TIMEOUT}s:\n"
	    . tail_lines($self->node_log($n), 40) unless $synced;
}

# Stops node `n` cleanly (it leaves the cluster) and waits for it.
sub stop_node {
	my ($self, $n) = @_;
	return $self->_stop_process("node$n", 'TERM');
}

# Waits until a running node counts `size` members in the cluster.
sub _wait_cluster_size {
	my ($self, $size) = @_;
	my $n = (grep { $self->{pids}{"node$_"} } 1 .. 3)[0];
	wait_until(sub {
		(eval { $self->node_sql($n,
		    "SHOW STATUS LIKE 'wsrep_cluster_size'") } // '')
		    =~ /\t\Q$size\E$/m;
	}, $NODE_START_TIMEOUT, 0.2)
	    or die "the cluster did not reach $size nodes\n";
}

# Runs `sql` as root on node `n` (its socket) in database `database`
# (none when undef); returns the tab-separated output, dies on an error.
sub node_sql {
	my ($self, $n, $sql, $database) = @_;
	my ($status, $out, $err) = run_captured(['mariadb',
	    '--no-defaults', '--user=root', '--socket=' . $self->node_socket($n),
	    '--batch', '--skip-column-names', '--default-character-set=utf8mb4',
	    (defined $database ? ($database) : ())], stdin => $sql,
	    timeout => 60);
	die "mariadb on node $n failed (exit $status): $err\n" if $status != 0;
	return $out;
}

# The rows of `sql` in the tenantd database, read on a running node.
sub sql {
	my ($self, $sql) = @_;
	my $n = (grep { $self->{pids}{"node$_"} } 1 .. 3)[0]
	    // die "no galera node runs\n";
	my $out = $self->node_sql($n, $sql, 'tenantd');
	return map { [map { $_ eq 'NULL' ? undef : $_ } split /\t/, $_, -1] }
	    split /\n/, $out;
}

# The first column of the first row of `sql`, or undef.
sub sql_value {
	my ($self, $sql) = @_;
	my @rows = $self->sql($sql);
	return @rows ? $rows[0][0] : undef;
}

# The database and its users: tenantd's (its connections come through
# HAProxy, from 127.0.0.1) and HAProxy's health check's (no password, no
# privileges).  Replicated to every node.
sub _create_database {
	my ($self) = @_;
	$self->{db_password} = random_hex(16);
	$self->node_sql(1, join "\n",
	    'CREATE DATABASE tenantd CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
	    "CREATE USER 'tenantd'\@'127.0.0.1' IDENTIFIED BY '$self->{db_password}';",
	    "GRANT ALL PRIVILEGES ON tenantd.* TO 'tenantd'\@'127.0.0.1';",
	    "CREATE USER 'haproxy'\@'127.0.0.1';", '');
}

# --- namespaces -------------------------------------------------------------

# Runs ip(8) with `args`; returns its output, dies on a failure.
sub _ip {
	my (@args) = @_;
	my ($status, $out, $err) = run_captured(['ip', @args],
	    timeout => 30);
	die "ip @args failed (exit $status): $err\n" if $status != 0;
	return $out;
}

# Deletes the namespaces and veth pairs of a test process that is gone
# (killed before its stop() ran): the names carry its pid.
sub _remove_orphans {
	for my $ns (_ip('netns', 'list') =~ /^(tdc\d+-h\d+)\b/mg) {
		next if $ns =~ /^tdc(\d+)/ && kill 0, $1;
		_ip('netns', 'del', $ns);
	}
	for my $link (_ip('-o', 'link', 'show') =~ /^\d+: (tdc\d+o\d+)[\@:]/mg) {
		next if $link =~ /^tdc(\d+)/ && kill 0, $1;
		_ip('link', 'del', $link);
	}
}

# One namespace per host, each joined to this one by a veth pair on a /30
# of 10.213.0.0/16 that no interface here uses yet.
sub _make_namespaces {
	my ($self) = @_;
	_remove_orphans();
	my $used = _ip('-o', '-4', 'addr', 'show');
	my $third = $$ % 250;
	$third = ($third + 1) % 250 while $used =~ /\b10\.213\.\Q$third\E\./;
	for my $h (1 .. $self->{hosts}) {
		my $ns = "tdc$$-h$h";
		my ($outside, $inside) = ("tdc$$" . "o$h", "tdc$$" . "i$h");
		my $base = 4 * ($h - 1);
		my %a = (ns => $ns, outside => "10.213.$third." . ($base + 1),
		    inside => "10.213.$third." . ($base + 2));
		_ip('netns', 'add', $ns);
		push @{$self->{netns}}, $ns;
		_ip('link', 'add', $outside, 'type', 'veth', 'peer', 'name',
		    $inside);
		push @{$self->{links}}, $outside;
		_ip('link', 'set', $inside, 'netns', $ns);
		_ip('addr', 'add', "$a{outside}/30", 'dev', $outside);
		_ip('link', 'set', $outside, 'up');
		_ip('-n', $ns, 'addr', 'add', "$a{inside}/30", 'dev', $inside);
		_ip('-n', $ns, 'link', 'set', $inside, 'up');
		_ip('-n', $ns, 'link', 'set', 'lo', 'up');
		$self->{addresses}[$h - 1] = \%a;
	}
}

# --- HAProxy --------------------------------------------------------------

# Writes to node 1 while its health check (t/lib/galera-check: the node
# is Synced) passes; nodes 2 and 3 are backups, taken in order.  A server marked down has its sessions cut, so
# no client keeps talking to a node that left, and when node 1 is back
# the backup's sessions are cut, so that no client goes on writing
# through a second node.
sub _start_haproxy {
	my ($self) = @_;
	my $run = $self->{run};
	($self->{haproxy_port}, my $holder) = free_port();
	my $binds = join '', map { "\tbind $_->{outside}:$self->{haproxy_port}\n" }
	    @{$self->{addresses}};
	my $servers = join '', map {
		"\tserver node$_ 127.0.0.1:$self->{nodes}[$_]{sql} check inter 500 "
		    . 'fall 2 rise 2 on-marked-down shutdown-sessions'
		    . ($_ == 1 ? ' on-marked-up shutdown-backup-sessions'
		    : ' backup') . "\n"
	} 1 .. 3;
	spew("$run/haproxy.cfg", <<"EOF");
# written by t/lib/ClusterStack.pm
global
	stats socket $run/haproxy.sock mode 600 level admin
	maxconn 1000
	external-check
	insecure-fork-wanted
defaults
	mode tcp
	timeout connect 2s
	timeout client 10m
	timeout server 10m
listen galera
	bind 127.0.0.1:$self->{haproxy_port}
$binds	option external-check
	external-check path "/usr/bin:/bin"
	external-check command $self->{srcdir}/t/lib/galera-check
	balance first
$servers
EOF
	close $holder;
	$self->{pids}{haproxy} = spawn(['haproxy', '-db', '-f',
	    "$run/haproxy.cfg"], stdout => "$run/haproxy.log",
	    stderr => "$run/haproxy.log");
	wait_until(sub {
		die "haproxy exited:\n" . tail_lines("$run/haproxy.log", 20)
		    unless $self->_alive('haproxy');
		($self->haproxy_state)[0] eq 'UP';
	}, $HAPROXY_START_TIMEOUT, 0.1)
	    or die "haproxy did not see node 1 up\n";
}

# The check state of node 1, 2 and 3 as HAProxy sees them ('UP', 'DOWN' ...).
sub haproxy_state {
	my ($self) = @_;
	my $socket = IO::Socket::UNIX->new(Type => SOCK_STREAM,
	    Peer => $self->haproxy_stats) or return ('', '', '');
	print {$socket} "show stat\n";
	my %state;
	while (my $line = <$socket>) {
		my @f = split /,/, $line;
		$state{$1} = $f[17] if @f > 17 && $f[1] =~ /^node(\d)$/;
	}
	close $socket;
	return map { $state{$_} // '' } 1 .. 3;
}

# --- tenantd hosts ----------------------------------------------------------

# TenantdStack's configuration at `path` with the cluster's keys and
# those of `own`: the database through HAProxy, one runner per host that
# notices a dead one within seconds.
sub _write_conf {
	my ($self, $path, %own) = @_;
	my $helper = $self->{helper};
	@$helper{qw(port db_password service_gid workers)} = ($self->{port},
	    $self->{db_password}, $self->{gid}, $self->{workers});
	$helper->{conf}{user} = $self->{user};
	$helper->_write_conf($path, job_runners => 1,
	    job_heartbeat_timeout => $JOB_HEARTBEAT_TIMEOUT, job_poll_ms => 200,
	    db_socket => undef,
	    db_port => $self->{haproxy_port}, %own);
}

# One configuration per host (its namespace's addresses) and one for
# tenantctl here, through HAProxy's loopback address.
sub _write_confs {
	my ($self) = @_;
	($self->{port}, $self->{port_holder}) = free_port();
	$self->{helper}{port} = $self->{port};
	for my $h (1 .. $self->{hosts}) {
		my $a = $self->{addresses}[$h - 1];
		make_path("$self->{run}/host$h");
		chown $self->{uid}, $self->{gid}, "$self->{run}/host$h";
		$self->_write_conf("$self->{run}/host$h.conf",
		    listen => "$a->{inside}:$FASTCGI_PORT",
		    db_host => $a->{outside});
	}
	$self->_write_conf($self->{helper}->conf_path, db_host => '127.0.0.1');
}

# tenantctl with the configuration of the hosts, through HAProxy on
# 127.0.0.1 (TenantdStack::tenantctl's arguments and answer).
sub tenantctl {
	my ($self, @args) = @_;
	return $self->{helper}->tenantctl(@args);
}

# Starts tenantd in host `h`'s namespace and waits until it answers
# /api/healthz over FastCGI there.
sub start_host {
	my ($self, $h) = @_;
	my $a = $self->{addresses}[$h - 1];
	my $run = $self->{run};
	$self->{pids}{"tenantd$h"} = spawn(['ip', 'netns',
	    'exec', $a->{ns}, "$self->{builddir}/src/tenantd", '-c',
	    "$run/host$h.conf", '-p', "$run/host$h/tenantd.pid"],
	    stdout => "$run/tenantd$h.log", stderr => "$run/tenantd$h.log",
	    append => 1);
	my $last = 'no answer';
	my $up = wait_until(sub {
		die "tenantd on host $h exited while starting:\n"
		    . tail_lines("$run/tenantd$h.log", 40)
		    unless $self->_alive("tenantd$h");
		my $r = eval { $self->fastcgi($h, 'GET', '/api/healthz') };
		$last = $r ? "status $r->{status}" : $@;
		return $r && $r->{status} == 200;
	}, $TENANTD_START_TIMEOUT, 0.1);
	die "tenantd on host $h did not answer /api/healthz ($last):\n"
	    . tail_lines("$run/tenantd$h.log", 40) unless $up;
}

# A request straight to host `h`'s FastCGI port (from here: the veth
# routes it), for answers of one host alone.
sub fastcgi {
	my ($self, $h, $method, $path, %o) = @_;
	my $helper = $self->{helper};
	local $helper->{nginx} = 0;
	local $helper->{fastcgi_address} =
	    "$self->{addresses}[$h - 1]{inside}:$FASTCGI_PORT";
	return $helper->request($method, $path, %o);
}

# SIGKILLs host `h`'s tenantd master and all its processes (workers,
# runner), as a host that dies would lose them.
sub kill_host {
	my ($self, $h) = @_;
	my $master = $self->{pids}{"tenantd$h"} or return;
	my @all = ($master, child_pids($master));
	kill 'KILL', @all;
	wait_pid($master, 10);
	delete $self->{pids}{"tenantd$h"};
	wait_until(sub { !grep { kill 0, $_ } @all }, 10);
}

# The job runner of host `h` (the master's child named tenantd-runner).
sub runner_pids {
	my ($self, $h) = @_;
	return grep {
		my $comm = TenantdStack->slurp("/proc/$_/comm");
		$comm =~ /^tenantd-runner$/m;
	} child_pids($self->{pids}{"tenantd$h"});
}

# A file of the run directory: tenantd1.log, nginx-error.log ...
sub log_path { "$_[0]{run}/$_[1]" }

# --- nginx ------------------------------------------------------------------

sub _start_nginx {
	my ($self) = @_;
	my $helper = $self->{helper};
	my $run = $self->{run};
	@$helper{qw(run port srcdir builddir service_uid service_gid)} = ($run,
	    $self->{port}, $self->{srcdir}, $self->{builddir}, $self->{uid},
	    $self->{gid});
	$helper->{conf}{user} = $self->{user};
	my $servers = join '', map {
		"\tserver $_->{inside}:$FASTCGI_PORT max_fails=1 fail_timeout=5s;\n"
	} @{$self->{addresses}};
	# nginx retries a request on the next host only when the first
	# failed before answering and the method is idempotent (its
	# default; POST and PATCH are not passed twice).
	my $template = render_template(
	    "$self->{srcdir}/etc/nginx/tenantd.conf.in",
	    HTTP_LISTEN => "127.0.0.1:$self->{port}",
	    BASE_DOMAIN_REGEX => 'localhost',
	    FASTCGI_PASS => 'tenantd_hosts',
	    ADMIN_ROOT => "$self->{srcdir}/www/admin",
	    TENANTS_DIR => $self->tenants_dir,
	    TEMPLATE_DIR => "$self->{srcdir}/www/template",
	    MODULE_BACKEND => 'http://127.0.0.1:9',
	    MAX_BODY => '64m',
	    ASSET_SOURCE => '');
	spew("$run/tenantd-servers.conf", "upstream tenantd_hosts {\n$servers}\n"
	    . "fastcgi_next_upstream error timeout;\n"
	    . "fastcgi_next_upstream_tries 2;\n" . $template);
	$helper->_write_nginx_conf('nginx', 'etc/nginx/tenantd.conf.in',
	    "$run/tenantd-servers.conf", 512);
	close delete $self->{port_holder};
	$self->{pids}{nginx} = spawn(['nginx', '-p',
	    "$run/nginx", '-c', "$run/nginx.conf", '-e', "$run/nginx-error.log"],
	    stdout => "$run/nginx.out", stderr => "$run/nginx.out");
	wait_until(sub {
		die "nginx exited:\n" . tail_lines("$run/nginx.out", 20)
		    . tail_lines("$run/nginx-error.log", 20)
		    unless $self->_alive('nginx');
		my $r = eval { $self->request('GET', '/api/healthz', timeout => 5) };
		return $r && $r->{status} == 200;
	}, 20, 0.1) or die "nginx did not pass /api/healthz through\n";
}

# A request through nginx (TenantdStack::request's options).
sub request {
	my ($self, $method, $path, %o) = @_;
	return $self->{helper}->request($method, $path, %o);
}

# --- stop -------------------------------------------------------------------

sub _alive { $_[0]{helper}->_alive($_[1]) }
sub _stop_process { $_[0]{helper}->_stop_process($_[1], $_[2]) }

# Takes everything down, namespaces and veth pairs too, shows the logs
# when the test fails, and removes the run directory (kept with
# TENANTD_KEEP_TEST_DIRS=1).  Safe to call twice; never from a fork.
sub stop {
	my ($self) = @_;
	return unless $self->{started} && $$ == $self->{owner_pid};
	local ($?, $!, $@);
	local @SIG{qw(INT TERM HUP)} = ('IGNORE') x 3;
	$self->{started} = 0;
	$self->_stop_process('nginx', 'QUIT');
	for my $h (1 .. $self->{hosts}) {
		$self->_stop_process("tenantd$h", 'TERM');
	}
	$self->_stop_process('haproxy', 'TERM');
	$self->_stop_process("node$_", 'TERM') for reverse 1 .. 3;
	# Deleting one end of a veth pair deletes both.
	for my $link (@{$self->{links}}) {
		run_captured(['ip', 'link', 'del', $link],
		    timeout => 30);
	}
	for my $ns (@{$self->{netns}}) {
		run_captured(['ip', 'netns', 'del', $ns],
		    timeout => 30);
	}
	$self->_diag_logs if $self->{exit_failing} || $self->{helper}->_failing;
	# The helper stack owns nothing that runs; its run directory is ours.
	$self->{helper}{started} = 0;
	delete $self->{helper}{run};
	return unless $self->{run};
	if ($ENV{TENANTD_KEEP_TEST_DIRS}) {
		diag_message("kept test directory $self->{run}");
	} else {
		remove_tree($self->{run}, $self->{sockdir});
	}
	delete $self->{run};
}

sub _diag_logs {
	my ($self) = @_;
	return unless $self->{run};
	for my $log (qw(tenantd1.log tenantd2.log nginx-error.log haproxy.log
	    node1/mariadbd.err node2/mariadbd.err node3/mariadbd.err)) {
		my $path = "$self->{run}/$log";
		next unless -s $path;
		diag_message("---- $log, last lines ----");
		diag_message($_)
		    for split /\n/, tail_lines($path, 40);
	}
}

sub DESTROY { $_[0]->stop if $_[0]{started} }

1;
