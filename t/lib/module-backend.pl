#!/usr/bin/perl
# module-backend.pl - a tiny real HTTP server standing in for a module's
# API backend in the tests (TenantdStack's module_backend => 1).
#
#   perl t/lib/module-backend.pl PORT LOGFILE
#
# Listens on 127.0.0.1:PORT and answers every request with 200 and JSON
# {"backend": "module", "module", "method", "path", "host", "tenant",
# "body", "headers"}: the module is the segment after /api/m/, the path the
# request target exactly as the front end sent it, the tenant the
# X-Tenant-Subdomain header (the front end sets it), headers every header
# by its lower-case name (repeated ones joined with ", ").  A request with
# "X-Test-Reply-Header: Name: value" gets that header in the answer, so a
# test can play a backend that tells the front end something (an
# X-Accel-Redirect, an X-Sendfile).  Each request is also
# appended to LOGFILE as one such JSON line, so a test can tell whether a
# request ever got here.  One connection at a time, every wait bounded;
# it runs until it is killed.  Only core Perl modules are used.
use strict;
use warnings;

use IO::Handle;
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();

my ($port, $log_path) = @ARGV;
die "usage: $0 PORT LOGFILE\n"
    unless defined $log_path && defined $port && $port =~ /^\d+$/;

my $READ_TIMEOUT = 10;
my $MAX_HEAD = 64 * 1024;
my $MAX_BODY = 1024 * 1024;
my $JSON = JSON::PP->new->utf8->canonical;

my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $port, Proto => 'tcp', Listen => 64, ReuseAddr => 1)
    or die "listen 127.0.0.1:$port: $@\n";

# Reads from `socket` until `done` says the data is complete, at most
# $READ_TIMEOUT seconds and `limit` bytes.  Returns what arrived.
sub read_until {
	my ($socket, $data, $limit, $done) = @_;
	my $select = IO::Select->new($socket);
	while (!$done->($data) && length $data <= $limit) {
		last unless $select->can_read($READ_TIMEOUT);
		my $n = sysread($socket, my $chunk, 65536);
		last unless $n;
		$data .= $chunk;
	}
	return $data;
}

# Answers one connection.
sub serve {
	my ($socket) = @_;
	my $raw = read_until($socket, '', $MAX_HEAD,
	    sub { index($_[0], "\r\n\r\n") >= 0 });
	my $end = index($raw, "\r\n\r\n");
	return if $end < 0;
	my ($request_line, @lines) = split /\r\n/, substr($raw, 0, $end);
	my ($method, $target) = split / /, $request_line // '';
	my %headers;
	for my $line (@lines) {
		my ($name, $value) = $line =~ /^([^:]+):\s*(.*?)\s*$/ or next;
		$headers{lc $name} = exists $headers{lc $name}
		    ? "$headers{lc $name}, $value" : $value;
	}
	my $body = substr($raw, $end + 4);
	my $length = $headers{'content-length'} // 0;
	$length = 0 unless $length =~ /^\d+$/ && $length <= $MAX_BODY;
	$body = read_until($socket, $body, $MAX_BODY,
	    sub { length $_[0] >= $length }) if length $body < $length;
	my ($module) = ($target // '') =~ m{^/api/m/([^/?]+)};
	my $hit = {
		backend => 'module',
		module => $module,
		method => $method,
		path => $target,
		host => $headers{host},
		tenant => $headers{'x-tenant-subdomain'},
		body => substr($body, 0, $length),
		headers => \%headers,
	};
	my ($reply_header) = ($headers{'x-test-reply-header'} // '')
	    =~ /^([A-Za-z0-9-]+: [^\r\n]*)$/;
	my $json = $JSON->encode($hit);
	if (open(my $log, '>>', $log_path)) {
		print {$log} "$json\n";
		close $log;
	}
	$json .= "\n";
	print {$socket} "HTTP/1.1 200 OK\r\n"
	    . "Content-Type: application/json\r\n"
	    . 'Content-Length: ' . length($json) . "\r\n"
	    . (defined $reply_header ? "$reply_header\r\n" : '')
	    . "Connection: close\r\n\r\n"
	    . ($method eq 'HEAD' ? '' : $json);
}

while (1) {
	my $socket = $listener->accept or next;
	$socket->autoflush(1);
	eval { serve($socket); 1 } or print STDERR "module backend: $@";
	close $socket;
}
