package SmtpServer;

# SmtpServer - a real SMTP server for one test: t/lib/smtp-recorder.py
# (Debian's python3-aiosmtpd) on 127.0.0.1 and a free port, recording the
# messages it takes into a directory of its own.
#
#   my $smtp = SmtpServer->new(dir => "$run/smtp", replies => [451, 250]);
#   $smtp->start;
#   ... $smtp->url ...                # smtp://127.0.0.1:PORT
#   my @messages = $smtp->messages;   # raw messages, oldest first
#   $smtp->stop;
#
# Options of new(): dir (required), port (a free one by default; kept
# across stop/start so a client can find the server again), replies
# (codes for the first DATA commands), default (250), starttls or smtps
# (with a self-signed certificate made by openssl in dir; see cert_path),
# auth => [user, password].  attempts() lists the DATA replies given.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use File::Basename qw(dirname);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

use TestUtil qw(slurp wait_until);

my $PYTHON = '/usr/bin/python3';
my $START_TIMEOUT = 20;
my $STOP_TIMEOUT = 10;

sub new {
	my ($class, %o) = @_;
	die "SmtpServer: dir is required\n" unless $o{dir};
	my $self = bless { %o }, $class;
	$self->{port} //= _free_port();
	$self->{default} //= 250;
	$self->{script} = dirname(__FILE__) . '/smtp-recorder.py';
	make_path("$self->{dir}/box");
	$self->_make_certificate if $self->{starttls} || $self->{smtps};
	return $self;
}

sub port { $_[0]{port} }
sub cert_path { "$_[0]{dir}/cert.pem" }
sub url {
	my ($self) = @_;
	return ($self->{smtps} ? 'smtps' : 'smtp')
	    . "://127.0.0.1:$self->{port}";
}

# A loopback port nothing listens on now.
sub _free_port {
	my $socket = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
	    or die "no free port: $!\n";
	my $port = $socket->sockport;
	close $socket;
	return $port;
}

# A self-signed certificate for 127.0.0.1, valid for a day.
sub _make_certificate {
	my ($self) = @_;
	my @command = ('openssl', 'req', '-x509', '-newkey', 'rsa:2048',
	    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
	    '-addext', 'subjectAltName=IP:127.0.0.1',
	    '-keyout', "$self->{dir}/key.pem", '-out', $self->cert_path);
	my $pid = fork // die "fork: $!\n";
	if ($pid == 0) {
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec @command or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	die "openssl could not make a certificate (exit $?)\n" if $? != 0;
	chmod 0644, $self->cert_path;
}

# Starts the server and waits until it listens.
sub start {
	my ($self) = @_;
	die "SmtpServer already running\n" if $self->{pid};
	my $box = "$self->{dir}/box";
	unlink "$box/ready";
	my @command = ($PYTHON, $self->{script}, '--port', $self->{port},
	    '--dir', $box, '--default', $self->{default},
	    '--replies', join(',', @{$self->{replies} // []}));
	push @command, '--starttls' if $self->{starttls};
	push @command, '--smtps' if $self->{smtps};
	push @command, '--cert', $self->cert_path, '--key',
	    "$self->{dir}/key.pem" if $self->{starttls} || $self->{smtps};
	push @command, '--auth', join(':', @{$self->{auth}}) if $self->{auth};
	my $log = "$self->{dir}/server.log";
	my $pid = fork // die "fork: $!\n";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		exec @command or POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	my $ready = wait_until(sub {
		return 1 if -e "$box/ready";
		die "the SMTP server exited:\n" . (slurp($log) // '') . "\n"
		    if waitpid($pid, WNOHANG) == $pid;
		return 0;
	}, $START_TIMEOUT);
	die "the SMTP server did not start:\n" . (slurp($log) // '') . "\n"
	    unless $ready;
	# The replies are a script for this run of the server only.
	$self->{replies} = [];
	return $pid;
}

# Stops the server (SIGTERM, then SIGKILL) and waits for it.
sub stop {
	my ($self) = @_;
	my $pid = delete $self->{pid} or return;
	kill 'TERM', $pid;
	my $deadline = time + $STOP_TIMEOUT;
	while (waitpid($pid, WNOHANG) == 0) {
		if (time > $deadline) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			last;
		}
		sleep 0.05;
	}
}

# The files of the box whose names match `pattern`, in numeric order.
sub _box_files {
	my ($self, $pattern) = @_;
	opendir(my $dh, "$self->{dir}/box") or return ();
	my @names = grep { /$pattern/ && !/\.tmp$/ } readdir $dh;
	closedir $dh;
	return map { $_->[1] } sort { $a->[0] <=> $b->[0] }
	    map { [ /-(\d+)/ ? $1 : 0, $_ ] } @names;
}

# The messages taken so far, raw, oldest first.
sub messages {
	my ($self) = @_;
	return map { slurp("$self->{dir}/box/$_") }
	    $self->_box_files(qr/^message-\d+\.eml$/);
}

# The envelopes of the messages taken: [mail_from, rcpt...] each.
sub envelopes {
	my ($self) = @_;
	return map { [ split /\n/, slurp("$self->{dir}/box/$_") ] }
	    $self->_box_files(qr/^message-\d+\.envelope$/);
}

# The codes the server answered DATA with, in order.
sub attempts {
	my ($self) = @_;
	return map { /^attempt-\d+-(\d+)$/ ? $1 : () }
	    $self->_box_files(qr/^attempt-\d+-\d+$/);
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $!, $@);
	$self->stop if $self->{pid};
}

1;
