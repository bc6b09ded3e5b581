#!/usr/bin/env perl
# layering.t - lib/ is built in layers and src/'s handlers call each other
# without a cycle (t/lib/Layering.pm says how each is checked).
#
# lib/LAYERS lists the layers of lib/, lowest first, with their modules
# (a module is a .c/.h pair); a module may include and call only modules
# of its own or of lower layers.  The test fails on an include or a call
# that goes up a layer, an include or call cycle among lib/'s modules, a
# lib/ file including a src/ header or FastCGI, a module missing from
# lib/LAYERS (or listed there and gone), a call cycle among
# src/handler_*.c, and a lib/*.c or src/*.c the README's file table does
# not name.  Calls are read with nm from the objects of the build tree.
#
# It checks the tree TENANTD_SRCDIR built in TENANTD_BUILDDIR (make check
# sets both), so pointing them at another tree checks that one.  The table
# and the edges found go out as notes, or as diagnostics when a check
# fails.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Test::More;

use FindBin;
use lib "$FindBin::Bin/lib";
use Layering;

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $srcdir);

my $found = Layering::scan(tree => $srcdir, build => $builddir);
my %problems = Layering::problems($found);
my $failed = 0;
for my $check (sort keys %problems) {
	my @problems = @{$problems{$check}};
	ok(!@problems, $check) or do {
		diag("  $_") for @problems;
		$failed++;
	};
}
my $report = Layering::report($found);
$failed ? diag($report) : note($report);

done_testing;
