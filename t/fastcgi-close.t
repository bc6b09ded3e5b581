#!/usr/bin/perl
# How a worker ends a FastCGI connection.  libfcgi's default close lingers:
# it shuts down the sending side and then reads until the front end hangs
# up (up to 2 s), so a TCP close cannot reset the connection while input
# is still arriving.  When the front end has sent the whole request that
# wait is pure cost - a round trip before the worker can accept again -
# so tenantd closes at once; it keeps the lingering close when input was
# left unread.  Which one happened is visible without any timing: after a
# plain close, writing to the connection fails with EPIPE; during a
# lingering close the worker is still reading, so the write succeeds.

use strict;
use warnings;

use Errno qw(EPIPE);
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Test::More;

use TenantdStack;

my $s = TenantdStack->new(nginx => 0,
    conf => { workers => 1, max_body_bytes => 1024 * 1024 });
$s->start;

$SIG{PIPE} = 'IGNORE';

# Sends `bytes`, reads the whole answer (until the worker's end of the
# connection stops sending), then writes once more.  Returns the answer
# and the errno of that last write (0 when it was accepted).
sub exchange {
	my ($bytes) = @_;
	my $socket = IO::Socket::UNIX->new(Type => SOCK_STREAM,
	    Peer => $s->fastcgi_socket) or die "connect: $!";
	my $sent = syswrite($socket, $bytes) // die "write: $!";
	die "short write" if $sent != length $bytes;
	my ($answer, $chunk) = ('');
	while (sysread($socket, $chunk, 65536)) {
		$answer .= $chunk;
	}
	my $errno = 0;
	$errno = $! + 0 unless defined syswrite($socket, "x" x 16);
	close $socket;
	return ($answer, $errno);
}

my ($answer, $errno) = exchange($s->fastcgi_request_bytes('GET',
    '/api/healthz', {}, ''));
like($answer, qr/Status: 200/, 'GET /api/healthz is answered');
is($errno, EPIPE, '... and the worker closed the connection at once')
    or diag "errno $errno";

my $body = TenantdStack->json->encode({ username => 'admin',
    password => 'wrong password' });
($answer, $errno) = exchange($s->fastcgi_request_bytes('POST',
    '/api/auth/login/', { 'Content-Type' => 'application/json' }, $body));
like($answer, qr/Status: 401/, 'a POST with a body is answered');
is($errno, EPIPE, '... and closed at once: the body and its end were read')
    or diag "errno $errno";

# A body over max_body_bytes is refused unread: the worker must not close
# under input that may still be coming, so it lingers until we hang up.
# Only the first record of the announced 2 MiB is sent.
my $big = 'x' x (2 * 1024 * 1024);
my $bytes = $s->fastcgi_request_bytes('POST', '/api/tenants/',
    { 'Content-Type' => 'application/json',
      Authorization => 'Bearer ' . $s->admin_token }, $big);
my $first_stdin = index($bytes, pack('CCnnCC', 1, 5, 1, 65535, 1, 0));
die 'no FCGI_STDIN record' if $first_stdin < 0;
my $first_record = substr($bytes, 0, $first_stdin + 8 + 65535 + 1);
($answer, $errno) = exchange($first_record);
like($answer, qr/Status: 413/, 'an oversized body is refused with 413');
is($errno, 0, '... and the worker lingers, reading what is left, before it closes');

my $r = $s->get('/api/healthz');
is($r->{status}, 200, 'the single worker answers the next request');

done_testing;
