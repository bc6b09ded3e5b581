#!/usr/bin/env perl
# skip-guard.t - under CI=true a skipped test fails the run.
#
# Feeds t/skip-guard, in front of automake's tap-driver.sh exactly as
# Makefile.am runs every test, small TAP producers: a Test::More SKIP:
# block, a "1..0 # SKIP" plan as the C unit tests print it, a clean run.
# Under CI=true each skip must come out as FAIL in the .trs file (what
# `make check` counts), unless the test is on the allow-list with a
# reason; without CI a skip stays a skip.  Also checks that Makefile.am
# puts the guard in front of both test drivers and that the allow-list of
# the tree is well formed.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Test::More;

use FindBin;
use lib "$FindBin::Bin/lib";
use TestUtil qw(slurp spew);

my $SRCDIR = $ENV{TENANTD_SRCDIR} // dirname($FindBin::Bin);
my $GUARD = "$SRCDIR/t/skip-guard";
my $DRIVER = "$SRCDIR/build-aux/tap-driver.sh";
my $dir = tempdir('skip-guard-XXXXXX', TMPDIR => 1, CLEANUP => 1);

ok(-f $DRIVER, 'automake\'s tap-driver.sh is there') or BAIL_OUT("no $DRIVER");

# Producers of TAP, run with perl like the integration tests.
my %PRODUCER = (
	skip_block => <<'PL',
use Test::More tests => 2;
pass('runs');
SKIP: { skip 'no widget here', 1; ok(0, 'never runs') }
PL
	skip_plan => qq{print "1..0 # SKIP cannot set up libmagic\\n";\n},
	clean => <<'PL',
use Test::More tests => 2;
pass('one');
pass('two');
PL
);
for my $name (keys %PRODUCER) {
	spew("$dir/$name.t", $PRODUCER{$name});
}

# Runs producer `name` under the guard as test `test_name` with `ci` as
# CI (undef: unset) and `allowlist` as the allow-list text.  Returns the
# .trs results ({ results => [...], global => ... }), the log text and
# what the guard printed.
sub guarded_run {
	my (%o) = @_;
	my $base = "$dir/run-$o{name}";
	spew("$dir/allowlist", $o{allowlist} // '');
	unlink "$base.trs", "$base.log";
	local $ENV{CI} = $o{ci};
	delete $ENV{CI} unless defined $o{ci};
	local $ENV{AM_TAP_AWK} = 'awk';
	my @command = ('sh', $GUARD, "$dir/allowlist", 'sh', $DRIVER,
	    '--test-name', $o{test_name} // "t/$o{name}.t",
	    '--log-file', "$base.log", '--trs-file', "$base.trs",
	    '--color-tests', 'no', '--enable-hard-errors', 'yes',
	    '--expect-failure', 'no', '--', $^X, "$dir/$o{name}.t");
	open(my $out, '-|', @command) or die "$GUARD: $!";
	my $printed = do { local $/; <$out> } // '';
	close $out;
	my $trs = slurp("$base.trs") // '';
	return ({ results => [$trs =~ /^:test-result: (\S+)/mg],
	    global => ($trs =~ /^:global-test-result: (\S+)/m)[0] // '',
	    recheck => ($trs =~ /^:recheck: (\S+)/m)[0] // '' },
	    slurp("$base.log") // '', $printed);
}

# --- without CI a skip is a skip -------------------------------------------

my ($trs, $log, $printed) = guarded_run(name => 'skip_block');
is_deeply($trs->{results}, ['PASS', 'SKIP'], 'no CI: a SKIP: block stays a skip');
($trs) = guarded_run(name => 'skip_block', ci => 'false');
is_deeply($trs->{results}, ['PASS', 'SKIP'], 'CI=false: likewise');
($trs) = guarded_run(name => 'skip_plan');
is_deeply($trs->{results}, ['SKIP'], 'no CI: a skipped plan stays a skip');

# --- under CI=true a skip fails ----------------------------------------------

($trs, $log, $printed) = guarded_run(name => 'skip_block', ci => 'true');
is_deeply($trs->{results}, ['PASS', 'FAIL'], 'CI=true: the skipped test point fails');
is($trs->{global}, 'FAIL', 'and the test as a whole');
is($trs->{recheck}, 'yes', '`make recheck` runs it again');
like($log, qr/^# skip-guard: t\/skip_block\.t: 1 skipped under CI=true/m,
    'the log says why');
like($printed, qr/^FAIL: t\/skip_block\.t: 1 skipped/m, 'so does the console');

($trs) = guarded_run(name => 'skip_plan', ci => 'true');
is_deeply($trs->{results}, ['FAIL'], 'CI=true: a "1..0 # SKIP" plan fails');
is($trs->{global}, 'FAIL', 'and the test as a whole');

($trs, $log) = guarded_run(name => 'clean', ci => 'true');
is_deeply($trs->{results}, ['PASS', 'PASS'], 'CI=true: a run without skips passes');
is($trs->{global}, 'PASS', 'as a whole too');
unlike($log, qr/skip-guard/, 'and the guard adds nothing to its log');

# --- the allow-list ----------------------------------------------------------

($trs) = guarded_run(name => 'skip_block', ci => 'true',
    allowlist => "# comment\n\nt/skip_block.t: needs a widget CI cannot have\n");
is_deeply($trs->{results}, ['PASS', 'SKIP'], 'an allowed test may skip under CI=true');
($trs) = guarded_run(name => 'skip_plan', ci => 'true',
    allowlist => "t/skip_block.t: needs a widget\n");
is_deeply($trs->{results}, ['FAIL'], 'the entry allows that test only');
($trs) = guarded_run(name => 'skip_block', ci => 'true',
    allowlist => "t/skip_block.t:   \n");
is_deeply($trs->{results}, ['PASS', 'FAIL'], 'an entry without a reason allows nothing');
($trs) = guarded_run(name => 'skip_block', ci => 'true',
    allowlist => "# t/skip_block.t: commented out\n");
is_deeply($trs->{results}, ['PASS', 'FAIL'], 'a commented-out entry allows nothing');

# --- the suite runs every test through the guard -------------------------------

my $makefile = slurp("$SRCDIR/Makefile.am") // '';
my ($tap_driver) = $makefile =~ /^TAP_DRIVER = (.*(?:\\\n.*)*)$/m;
like($tap_driver // '', qr{t/skip-guard \S*t/skip-allowlist},
    'Makefile.am\'s TAP driver is the guard');
my @unguarded = grep {
	my ($value) = $makefile =~ /^\Q$_\E = (.*)$/m;
	($value // '') ne '$(TAP_DRIVER)';
} qw(TEST_LOG_DRIVER T_LOG_DRIVER);
is_deeply(\@unguarded, [], 'both the unit and the Perl tests go through it');

my @entries = grep { /\S/ && !/^\s*#/ } split /\n/, slurp("$SRCDIR/t/skip-allowlist") // '';
my @malformed = grep { !m{^\s*t/\S+\s*:\s*\S} } @entries;
is_deeply(\@malformed, [], 't/skip-allowlist: every entry is "test-file: reason"');
my @unknown = grep { !-f "$SRCDIR/$_" } map { m{^\s*(t/\S+?)\s*:} ? $1 : () } @entries;
is_deeply(\@unknown, [], 't/skip-allowlist names only tests that exist');

done_testing;
