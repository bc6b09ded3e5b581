#!/usr/bin/env perl
# test-util.t - the helpers of t/lib/TestUtil.pm the other tests rely on.
#
# wait_until() returns the first true value of its check and gives up
# after its bound, slurp() and spew() round-trip bytes, write_tree() writes
# a tree everyone can read, which() finds an
# executable on $PATH, concurrently() runs its calls at once and returns
# their answers in order, and freeze_dir()
# makes a directory unwritable for root by each of its two ways (chattr +i
# and a read-only bind mount, each forced in turn) and thaw_dir() undoes it;
# tiny_png() is a whole PNG.

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(time);

use FindBin;
use lib "$FindBin::Bin/lib";
use TestUtil qw(wait_until slurp spew write_tree which concurrently freeze_dir
    thaw_dir tiny_png);

my $dir = tempdir('test-util-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# --- wait_until --------------------------------------------------------------

my $calls = 0;
is(wait_until(sub { ++$calls >= 3 ? "third" : 0 }, 5, 0.01), 'third',
    'wait_until returns the first true value of the check');
is($calls, 3, 'and polls no further');
my $started = time;
$calls = 0;
my $last = wait_until(sub { $calls++; 0 }, 0.3, 0.01);
my $took = time - $started;
ok(defined $last && !$last, 'a check that never holds: its last value, false');
ok($took >= 0.3 && $took < 5, sprintf('after the bound (%.2f s)', $took));
ok($calls > 2, "polled more than twice ($calls)");

# --- slurp and spew ----------------------------------------------------------

my $bytes = join '', map { chr } 0 .. 255;
spew("$dir/bytes", $bytes);
is(slurp("$dir/bytes"), $bytes, 'spew then slurp keeps every byte');
spew("$dir/empty", '');
is(slurp("$dir/empty"), '', 'an empty file slurps as ""');
is(slurp("$dir/missing"), undef, 'a missing file slurps as undef');
ok(!eval { spew("$dir/missing/x", 'x'); 1 }, 'spew dies when it cannot write');

# --- write_tree ----------------------------------------------------------------

{
	my $old_umask = umask 077;
	write_tree("$dir/tree", { 'a.txt' => "a\n", 'sub/deeper/b.bin' => $bytes });
	umask $old_umask;
	is(slurp("$dir/tree/a.txt"), "a\n", 'write_tree writes a file at the top');
	is(slurp("$dir/tree/sub/deeper/b.bin"), $bytes, '... and one in new directories');
	is_deeply([map { (stat "$dir/tree/$_")[2] & 07777 } '', 'sub', 'sub/deeper',
	    'a.txt', 'sub/deeper/b.bin'], [0755, 0755, 0755, 0644, 0644],
	    '... readable by everyone whatever the umask');
	write_tree("$dir/tree", { 'a.txt' => "again\n" });
	is(slurp("$dir/tree/a.txt"), "again\n", '... and replaces a file it wrote before');
}

# --- which ---------------------------------------------------------------------

mkdir "$dir/bin1" or die "$dir/bin1: $!";
mkdir "$dir/bin2" or die "$dir/bin2: $!";
spew("$dir/bin1/plain", '');
spew("$dir/bin2/plain", "#!/bin/sh\n");
chmod 0755, "$dir/bin2/plain" or die "chmod: $!";
{
	local $ENV{PATH} = "$dir/bin1::$dir/bin2";
	is(which('plain'), "$dir/bin2/plain",
	    'which skips a file that is not executable and an empty entry');
	is(which('absent'), undef, 'which: undef for a program on no directory');
}

# --- concurrently ---------------------------------------------------------------

# Each child waits for all of them to have started before it answers, so
# the answers only come back if the calls really overlap.
my @answers = concurrently(4, sub {
	my ($i) = @_;
	spew("$dir/started-$i", '');
	my $all = wait_until(sub { 4 == grep { -e "$dir/started-$_" } 1 .. 4 }, 10, 0.01);
	die "alone\n" if $i == 3;
	return $all ? "call $i" : "call $i alone";
});
is_deeply(\@answers, ['call 1', 'call 2', "error alone\n", 'call 4'],
    'concurrently runs the calls at once and returns their answers in order, a death as "error ..."');

# --- freeze_dir, each way ------------------------------------------------------

SKIP: {
	skip 'freezing a directory needs root', 12 if $> != 0;
	for my $way (qw(chattr bind)) {
		local $ENV{TENANTD_TEST_FREEZE} = $way;
		my $target = "$dir/frozen-$way";
		mkdir "$target" or die "$target: $!";
		mkdir "$target/inner" or die "$target/inner: $!";
		is(freeze_dir($target), $way, "$way: freezes the directory");
		ok(!mkdir("$target/new"), "$way: root cannot add an entry ($!)");
		ok(!rename("$target/inner", "$target/moved"),
		    "$way: nor rename one ($!)");
		ok(!rmdir("$target/inner"), "$way: nor remove one ($!)");
		ok(thaw_dir($target), "$way: thaws it");
		ok(mkdir("$target/new"), "$way: writable again")
		    or diag "mkdir: $!";
	}
}
{
	local $ENV{TENANTD_TEST_FREEZE} = 'sideways';
	ok(!eval { freeze_dir($dir); 1 } && $@ =~ /must be chattr or bind/,
	    'an unknown TENANTD_TEST_FREEZE is refused');
}

# tiny_png: a whole PNG (signature, IHDR first, IEND last).
like(tiny_png(), qr/\A\x89PNG\r\n\x1a\n.{4}IHDR.*IEND.{4}\z/s,
    'tiny_png is a PNG from signature to IEND');

done_testing;
