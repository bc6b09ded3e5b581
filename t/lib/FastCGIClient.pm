package FastCGIClient;

# FastCGIClient - a minimal FastCGI client for the tests, playing the part
# of the web server.
#
# It speaks the responder role only: BEGIN_REQUEST, PARAMS, STDIN, then
# reads STDOUT, STDERR and END_REQUEST.  The request body may be sent in
# parts with pauses in between, which is how t/master.t holds a request in
# flight while the master is told to stop.
#
#   my $c = FastCGIClient->new(socket => '/run/tenantd.sock');
#   my $r = $c->request(method => 'GET', uri => '/api/healthz');
#   is $r->{status}, 200;
#
#   # A request in two halves:
#   my $conn = $c->begin(method => 'POST', uri => '/api/auth/login',
#       content_type => 'application/json', content_length => length $body);
#   $conn->send_stdin(substr($body, 0, 10));
#   ... kill 'TERM', $master ...
#   $conn->send_stdin(substr($body, 10));
#   $conn->end_stdin;
#   my $r = $conn->response;
#
# A response is {status, headers => {lower-case name => value}, body,
# stderr, app_status, protocol_status}.  Every wait is bounded by `timeout`
# (10 s by default); a timeout dies with a message saying what was awaited.
# Only core Perl modules are used.
#
# TenantdStack builds its straight-to-the-socket requests with the same
# pieces: encode_params(), record(), records() and take_records().

use strict;
use warnings;

use Carp qw(croak);
use Errno qw(EINTR EAGAIN);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

our $VERSION = '1';

use constant {
	FCGI_VERSION => 1,
	FCGI_BEGIN_REQUEST => 1,
	FCGI_END_REQUEST => 3,
	FCGI_PARAMS => 4,
	FCGI_STDIN => 5,
	FCGI_STDOUT => 6,
	FCGI_STDERR => 7,
	FCGI_RESPONDER => 1,
	FCGI_AUTHORIZER => 2,
	FCGI_MAX_CONTENT => 65535,
	REQUEST_ID => 1,
};

# new(socket => '/path') or new(address => '127.0.0.1:9000'); optional
# timeout => seconds.
sub new {
	my ($class, %opt) = @_;
	croak 'FastCGIClient->new needs socket => PATH or address => HOST:PORT'
	    unless defined $opt{socket} || defined $opt{address};
	return bless { timeout => 10, %opt }, $class;
}

# Opens a connection to the server; dies if it is refused.
sub connect {
	my ($self) = @_;
	my $socket;
	if (defined $self->{socket}) {
		$socket = IO::Socket::UNIX->new(Type => SOCK_STREAM,
		    Peer => $self->{socket})
		    or die "connect $self->{socket}: $!\n";
	} else {
		$socket = IO::Socket::INET->new(PeerAddr => $self->{address},
		    Proto => 'tcp', Timeout => $self->{timeout})
		    or die "connect $self->{address}: $@\n";
	}
	binmode $socket;
	return $socket;
}

# Can a connection be opened right now?  1 or 0.
sub can_connect {
	my ($self) = @_;
	my $socket = eval { $self->connect };
	return 0 unless $socket;
	close $socket;
	return 1;
}

# One whole request.  Options: method, uri ('/path?query'), headers
# ({'X-CSRF-Token' => ...}: become HTTP_* parameters), content_type, body,
# params ({NAME => value} added or overriding).  Returns the response.
sub request {
	my ($self, %o) = @_;
	my $body = $o{body} // '';
	my $conn = $self->begin(%o, content_length => length $body);
	$conn->send_stdin($body) if length $body;
	$conn->end_stdin;
	return $conn->response;
}

# Starts a request: connects and sends BEGIN_REQUEST and the parameters,
# but no body.  Takes request()'s options plus content_length.  Returns a
# FastCGIClient::Connection.
sub begin {
	my ($self, %o) = @_;
	my $method = $o{method} // 'GET';
	my $uri = $o{uri} // '/';
	my ($path, $query) = split /\?/, $uri, 2;
	my %params = (
		GATEWAY_INTERFACE => 'CGI/1.1',
		SERVER_PROTOCOL => 'HTTP/1.1',
		SERVER_SOFTWARE => 'FastCGIClient',
		SERVER_NAME => 'localhost',
		SERVER_PORT => '80',
		REMOTE_ADDR => '127.0.0.1',
		REMOTE_PORT => '50000',
		REQUEST_METHOD => $method,
		REQUEST_URI => $uri,
		DOCUMENT_URI => $path,
		SCRIPT_NAME => $path,
		QUERY_STRING => $query // '',
		CONTENT_LENGTH => defined $o{content_length}
		    ? "$o{content_length}" : '',
	);
	$params{CONTENT_TYPE} = $o{content_type} if defined $o{content_type};
	for my $name (keys %{$o{headers} // {}}) {
		(my $key = 'HTTP_' . uc $name) =~ s/-/_/g;
		$params{$key} = $o{headers}{$name};
	}
	%params = (%params, %{$o{params} // {}});

	my $conn = FastCGIClient::Connection->_new($self->connect,
	    $self->{timeout});
	$conn->_send(record(FCGI_BEGIN_REQUEST,
	    pack('nCx5', FCGI_RESPONDER, 0)));
	$conn->_send(records(FCGI_PARAMS, encode_params(\%params)));
	$conn->_send(record(FCGI_PARAMS, ''));
	return $conn;
}

# A name-value pair length: one byte below 128, else four with the top bit.
sub _length {
	my ($text) = @_;
	my $n = length $text;
	return $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000);
}

# The FCGI_PARAMS content of `params` ({NAME => value}, undef as ''), in
# name order.
sub encode_params {
	my ($params) = @_;
	my $encoded = '';
	for my $name (sort keys %$params) {
		my $value = $params->{$name} // '';
		$encoded .= _length($name) . _length($value) . $name . $value;
	}
	return $encoded;
}

# One record of `type` (content at most FCGI_MAX_CONTENT bytes), padded to
# a multiple of 8.
sub record {
	my ($type, $content) = @_;
	my $padding = (8 - length($content) % 8) % 8;
	return pack('CCnnCC', FCGI_VERSION, $type, REQUEST_ID,
	    length $content, $padding, 0) . $content . ("\0" x $padding);
}

# `content` split into as many records as it needs (none when empty).
sub records {
	my ($type, $content) = @_;
	my $out = '';
	for (my $offset = 0; $offset < length $content;
	    $offset += FCGI_MAX_CONTENT) {
		$out .= record($type, substr($content, $offset,
		    FCGI_MAX_CONTENT));
	}
	return $out;
}

# Takes the whole records off the front of the server's bytes in scalar
# reference `raw`, up to and with END_REQUEST: STDOUT and STDERR content
# is appended to $out->{stdout} and $out->{stderr}, END_REQUEST sets
# $out->{app_status} and $out->{protocol_status}.  Returns true once
# END_REQUEST came; a record not whole yet stays in `raw`.
sub take_records {
	my ($raw, $out) = @_;
	while (length($$raw) >= 8) {
		my (undef, $type, undef, $length, $padding) = unpack('CCnnC', $$raw);
		last if length($$raw) < 8 + $length + $padding;
		my $content = substr($$raw, 8, $length);
		substr($$raw, 0, 8 + $length + $padding) = '';
		if ($type == FCGI_STDOUT) {
			$out->{stdout} .= $content;
		} elsif ($type == FCGI_STDERR) {
			$out->{stderr} .= $content;
		} elsif ($type == FCGI_END_REQUEST) {
			($out->{app_status}, $out->{protocol_status}) =
			    unpack('NC', $content);
			return 1;
		}
	}
	return 0;
}

package FastCGIClient::Connection;

use strict;
use warnings;

use Errno qw(EINTR EAGAIN);
use IO::Select;
use Time::HiRes qw(time);

sub _new {
	my ($class, $socket, $timeout) = @_;
	return bless { socket => $socket, timeout => $timeout }, $class;
}

# Sends part of the request body.
sub send_stdin {
	my ($self, $data) = @_;
	$self->_send(FastCGIClient::records(FastCGIClient::FCGI_STDIN, $data))
	    if length $data;
	return $self;
}

# Ends the request body (an empty STDIN record).
sub end_stdin {
	my ($self) = @_;
	$self->_send(FastCGIClient::record(FastCGIClient::FCGI_STDIN, ''));
	return $self;
}

# Writes all of `data` within the timeout; dies when the server went away.
sub _send {
	my ($self, $data) = @_;
	my $select = IO::Select->new($self->{socket});
	my $deadline = time + $self->{timeout};
	my $offset = 0;
	local $SIG{PIPE} = 'IGNORE';
	while ($offset < length $data) {
		my $left = $deadline - time;
		die "FastCGIClient: timed out sending the request\n"
		    if $left <= 0;
		next unless $select->can_write($left);
		my $n = syswrite($self->{socket}, $data, length($data) - $offset,
		    $offset);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			die "FastCGIClient: write: $!\n";
		}
		$offset += $n;
	}
}

# Reads records until END_REQUEST and returns the parsed response.
sub response {
	my ($self) = @_;
	my $select = IO::Select->new($self->{socket});
	my $deadline = time + $self->{timeout};
	my $raw = '';
	my %out = (stdout => '', stderr => '');
	while (!FastCGIClient::take_records(\$raw, \%out)) {
		my $left = $deadline - time;
		die "FastCGIClient: timed out waiting for the response (got "
		    . length($out{stdout}) . " bytes of output)\n" if $left <= 0;
		next unless $select->can_read($left);
		my $n = sysread($self->{socket}, my $chunk, 65536);
		if (!defined $n) {
			next if $! == EINTR || $! == EAGAIN;
			die "FastCGIClient: read: $!\n";
		}
		die "FastCGIClient: the server closed the connection before "
		    . "END_REQUEST (got " . length($out{stdout}) . " bytes)\n"
		    if $n == 0;
		$raw .= $chunk;
	}
	close $self->{socket};
	return _parse(@out{qw(stdout stderr app_status protocol_status)});
}

# Splits the CGI-style output into status, headers and body.
sub _parse {
	my ($stdout, $stderr, $app_status, $protocol_status) = @_;
	my $end = index($stdout, "\r\n\r\n");
	die "FastCGIClient: response without a header block: '"
	    . substr($stdout, 0, 200) . "'\n" if $end < 0;
	my %headers;
	for my $line (split /\r\n/, substr($stdout, 0, $end)) {
		my ($name, $value) = $line =~ /^([^:]+):\s*(.*?)\s*$/ or next;
		my $key = lc $name;
		$headers{$key} = exists $headers{$key}
		    ? "$headers{$key}, $value" : $value;
	}
	my ($status) = ($headers{status} // '200') =~ /^(\d{3})/;
	return {
		status => defined $status ? $status + 0 : 0,
		headers => \%headers,
		body => substr($stdout, $end + 4),
		stderr => $stderr,
		app_status => $app_status,
		protocol_status => $protocol_status,
	};
}

1;
