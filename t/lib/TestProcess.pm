# TestProcess - the processes the test stacks run (t/lib/TenantdStack.pm,
# t/lib/ClusterStack.pm, bench/run): start one, run one to completion with
# its output captured, wait for one, find a program, the children of a
# process, a free loopback port.  Every process a test starts goes through
# spawn(), so it dies with the test however the test dies.
#
#   use TestProcess qw(spawn run_captured wait_pid child_pids find_program
#       find_program_quiet free_port random_hex tail_lines diag_message
#       reachable_as);

package TestProcess;

use strict;
use warnings;

use Config;
use Exporter qw(import);
use File::Temp qw(tempfile);
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit setpgid);
use Time::HiRes qw(time sleep);

use TestUtil ();

our @EXPORT_OK = qw(spawn run_captured wait_pid child_pids find_program
    find_program_quiet free_port random_hex tail_lines diag_message
    reachable_as);

# File::Temp replaces this many trailing X characters with random ones.
my $RANDOM_SUFFIX = 'X' x 6;

# The bytes of file `path`, or '' when it cannot be read.
sub _slurp_or_empty { TestUtil::slurp($_[0]) // '' }

# prctl(2) numbers for PR_SET_PDEATHSIG: the kernel sends the child SIGTERM
# when the test process dies, however it dies.
my %PRCTL_SYSCALL = (x86_64 => 157, aarch64 => 167, riscv64 => 167);
my ($ARCH) = $Config{archname} =~ /^([^-]+)/;

# Prints `message` as TAP diagnostics (on STDERR outside a test).
sub diag_message {
	my ($message) = @_;
	if ($INC{'Test/Builder.pm'}) {
		Test::Builder->new->diag($message);
	} else {
		print STDERR "# $message\n";
	}
}

# Waits up to `timeout` seconds for child `pid` to end: its wait status
# ($?), 0 when it is no child, undef when it still runs.
sub wait_pid {
	my ($pid, $timeout) = @_;
	my $deadline = time + $timeout;
	while (1) {
		my $result = waitpid($pid, WNOHANG);
		return $? if $result == $pid;
		return 0 if $result < 0;
		return undef if time > $deadline;
		sleep 0.02;
	}
}

# Starts `command` (an array of program and arguments, no shell) in a
# process group of its own that gets SIGTERM when the test dies, with
# stdin, stdout and stderr from and to files (`stdin`, `stdout`, `stderr`;
# /dev/null when not given; `append` appends).  Returns its pid.
sub spawn {
	my ($command, %o) = @_;
	my $parent = $$;
	my $pid = fork;
	die "fork: $!\n" unless defined $pid;
	if ($pid == 0) {
		eval {
			setpgid(0, 0);
			if (my $number = $PRCTL_SYSCALL{$ARCH // ''}) {
				syscall($number, 1, 15, 0, 0, 0);
			}
			_exit(1) if getppid() != $parent;
			_redirect(\*STDIN, '<', $o{stdin} // '/dev/null');
			_redirect(\*STDOUT, $o{append} ? '>>' : '>',
			    $o{stdout} // '/dev/null');
			if (defined $o{stderr} && defined $o{stdout}
			    && $o{stderr} eq $o{stdout}) {
				open(STDERR, '>&', \*STDOUT) or die "dup: $!";
			} else {
				_redirect(\*STDERR, $o{append} ? '>>' : '>',
				    $o{stderr} // '/dev/null');
			}
			{
				no warnings q(exec);
				exec { $command->[0] } @$command;
			}
			print STDERR "exec $command->[0]: $!\n";
		};
		print STDERR $@ if $@;
		_exit(127);
	}
	return $pid;
}

sub _redirect {
	my ($handle, $mode, $path) = @_;
	open($handle, $mode, $path) or die "open $path: $!";
}

# Runs a command to completion with stdin from a string and stdout/stderr
# captured (or sent to files).  Kills it after `timeout` seconds.  Returns
# ($exit, $stdout, $stderr); $exit is 128 + signal when it was killed.
sub run_captured {
	my ($command, %o) = @_;
	my ($in_fh, $in_path) = tempfile('tenantd-stdin-' . $RANDOM_SUFFIX,
	    TMPDIR => 1, UNLINK => 1);
	print {$in_fh} $o{stdin} // '';
	close $in_fh;
	my ($out_path, $err_path) = ($o{stdout}, $o{stderr});
	my ($out_fh, $err_fh);
	($out_fh, $out_path) = tempfile('tenantd-out-' . $RANDOM_SUFFIX, TMPDIR => 1,
	    UNLINK => 1) unless defined $out_path;
	($err_fh, $err_path) = tempfile('tenantd-err-' . $RANDOM_SUFFIX, TMPDIR => 1,
	    UNLINK => 1) unless defined $err_path;
	my $pid = spawn($command, stdin => $in_path, stdout => $out_path,
	    stderr => $err_path, append => defined $o{stdout});
	my $status = wait_pid($pid, $o{timeout} // 60);
	if (!defined $status) {
		kill 'KILL', -$pid;
		kill 'KILL', $pid;
		$status = wait_pid($pid, 10) // 9;
	}
	my $exit = $status & 127 ? 128 + ($status & 127) : $status >> 8;
	my $out = defined $out_fh ? _slurp_or_empty($out_path) : '';
	my $err = defined $err_fh ? _slurp_or_empty($err_path) : '';
	unlink $in_path;
	unlink $out_path if defined $out_fh;
	unlink $err_path if defined $err_fh;
	return ($exit, $out, $err);
}

# The first of `candidates` (names looked up in PATH, /usr/sbin and /sbin,
# or paths) that is an executable, or undef.
sub find_program_quiet {
	my (@candidates) = @_;
	for my $candidate (@candidates) {
		if ($candidate =~ m{/}) {
			return $candidate if -x $candidate;
			next;
		}
		for my $dir (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/sbin') {
			return "$dir/$candidate" if -x "$dir/$candidate";
		}
	}
	return undef;
}

# As find_program_quiet(), but dies when none is there.
sub find_program {
	my (@candidates) = @_;
	return find_program_quiet(@candidates)
	    // die "none of @candidates found (install mariadb-server)\n";
}

# A free port on 127.0.0.1.  In list context the bound socket comes with
# it, for a caller that keeps the port from other processes until it
# closes the socket just before its server binds the port.
sub free_port {
	# Without SO_REUSEADDR no other socket can bind the port while this
	# one holds it; Perl marks the socket close-on-exec, so servers the
	# stack starts meanwhile do not inherit it.
	my $socket = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', ReuseAddr => 0)
	    or die "cannot bind 127.0.0.1:0: $@\n";
	my $port = $socket->sockport;
	return ($port, $socket) if wantarray;
	close $socket;
	return $port;
}

# `bytes` random bytes from /dev/urandom, as hex.
sub random_hex {
	my ($bytes) = @_;
	open(my $fh, '<:raw', '/dev/urandom') or die "/dev/urandom: $!\n";
	my $got = read($fh, my $data, $bytes);
	close $fh;
	die "short read from /dev/urandom\n" unless $got && $got == $bytes;
	return unpack('H*', $data);
}

# The last `lines` lines of file `path`, each indented, for a diagnostic.
sub tail_lines {
	my ($path, $lines) = @_;
	my @all = split /\n/, _slurp_or_empty($path);
	splice @all, 0, @all - $lines if @all > $lines;
	return join('', map { "  $_\n" } @all);
}

# Every live child of process `master` (none when it is undef).  Sorted by
# pid.
sub child_pids {
	my ($master) = @_;
	return () unless $master;
	my @children;
	opendir(my $proc, '/proc') or return ();
	for my $entry (readdir $proc) {
		next unless $entry =~ /^\d+$/;
		open(my $fh, '<', "/proc/$entry/stat") or next;
		my $stat = <$fh>;
		close $fh;
		next unless defined $stat;
		# The command name is in parentheses and may itself hold ')'.
		my $tail = substr($stat, rindex($stat, ')') + 2);
		my ($state, $ppid) = split / /, $tail;
		push @children, $entry if $ppid == $master && $state ne 'Z';
	}
	closedir $proc;
	return sort { $a <=> $b } @children;
}

# Whether uid/gid can reach `path` (search permission on every parent).
sub reachable_as {
	my ($uid, $gid, $path) = @_;
	my $pid = fork // die "fork: $!\n";
	if ($pid == 0) {
		POSIX::setgid($gid);
		POSIX::setuid($uid);
		POSIX::_exit(-e $path ? 0 : 1);
	}
	waitpid($pid, 0);
	return $? == 0;
}


1;
