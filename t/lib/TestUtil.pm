# TestUtil - small helpers shared by the Perl tests.
#
#   use TestUtil qw(wait_until slurp spew);
#
# Tests wait for a condition, never for a time: wait_until() polls a check
# with a bound, so a slow machine only makes a test slower, and a wait
# that runs out shows as the failed assertion that follows it.

package TestUtil;

use strict;
use warnings;

use Exporter qw(import);
use Time::HiRes ();

our @EXPORT_OK = qw(wait_until slurp spew);

# How long wait_until() polls when not told, in seconds.
our $DEFAULT_WAIT = 20;

# Polls `check` every `step` seconds (default 0.05) until it returns a
# true value or `seconds` (default $DEFAULT_WAIT) pass; returns its last
# value, so `wait_until(...) // default` and `ok(wait_until(...))` read
# naturally.
sub wait_until {
	my ($check, $seconds, $step) = @_;
	my $deadline = Time::HiRes::time() + ($seconds // $DEFAULT_WAIT);
	while (1) {
		my $result = $check->();
		return $result if $result || Time::HiRes::time() > $deadline;
		Time::HiRes::sleep($step // 0.05);
	}
}

# The bytes of file `path`, or undef when it cannot be read.
sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return undef;
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data // '';
}

# Writes `data` to file `path` (replacing it); dies on failure.
sub spew {
	my ($path, $data) = @_;
	open(my $fh, '>:raw', $path) or die "$path: $!";
	print {$fh} $data;
	close $fh or die "$path: $!";
	return;
}

1;
