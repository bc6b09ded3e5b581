#!/usr/bin/env perl
# layering-check.t - the checks of t/layering.t (t/lib/Layering.pm) on the
# two small trees of t/fixtures/layering/, compiled here with cc.
#
# acyclic/ keeps every rule, calling one module through a forward
# declaration no include shows: every check passes, that call is among
# the edges found, and t/layering.t pointed at the tree passes.
# cyclic/ breaks every rule once (an include cycle, a call cycle made by
# a forward declaration, an upward include and an upward call, a src/
# header and FastCGI included from lib/, a module lib/LAYERS does not
# list and one it lists that is gone, a line that is not a layer, a
# handler call cycle, a source README.md does not name and one it names
# that is gone): each check names exactly that, and t/layering.t fails.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;

use FindBin;
use lib "$FindBin::Bin/lib";
use Layering;

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $fixtures = "$srcdir/t/fixtures/layering";
my $cc = $ENV{CC} // 'cc';
my $work = tempdir('layering-check-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# Compiles the lib/*.c and src/*.c of fixture `name` into a build tree of
# its own, each object named `prefix`X.o, as automake names them; returns
# the build tree.
sub build_fixture {
	my ($name, $prefix) = @_;
	my $build = "$work/$name";
	for my $dir (qw(lib src)) {
		make_path("$build/$dir");
		for my $source (glob("$fixtures/$name/$dir/*.c")) {
			(my $object = basename($source)) =~ s/\.c$/.o/;
			my @command = ($cc, '-c', "-I$fixtures/$name/lib",
			    "-I$fixtures/$name/src", '-o', "$build/$dir/$prefix$object",
			    $source);
			system(@command) == 0 or die "@command failed\n";
		}
	}
	return $build;
}

# Runs t/layering.t on `name` built in `build`; returns its exit status
# and output.
sub run_layering_test {
	my ($name, $build) = @_;
	local $ENV{TENANTD_SRCDIR} = "$fixtures/$name";
	local $ENV{TENANTD_BUILDDIR} = $build;
	my $output = qx{"$^X" "$srcdir/t/layering.t" 2>&1};
	return ($? >> 8, $output);
}

# --- acyclic ---------------------------------------------------------------

my $acyclic_build = build_fixture('acyclic', 'libfixture_a-');
my $acyclic = Layering::scan(tree => "$fixtures/acyclic", build => $acyclic_build);
my %problems = Layering::problems($acyclic);
is(scalar(keys %problems), 13, 'acyclic: 13 checks');
for my $check (sort keys %problems) {
	is_deeply($problems{$check}, [], "acyclic: $check")
	    or diag explain $problems{$check};
}
is_deeply($acyclic->{includes}, { app => { store => ['lib/app.c:6'] },
    store => { buf => ['lib/store.c:2'] } },
    'acyclic: the include edges, with where they are');
is_deeply($acyclic->{calls}, { app => { buf => ['buf_size'],
    store => ['store_put'] }, store => { buf => ['buf_size'] } },
    'acyclic: the call edges, with app->buf through a forward declaration');
is_deeply($acyclic->{handler_calls}, { handler_a => { handler_b => ['handle_b'] } },
    'acyclic: the handler call edge');
like(Layering::report($acyclic), qr/^  middle: store\n.*^lib calls:\n.*^  app -> buf store\n/ms,
    'acyclic: the report shows the table and the edges');
my ($exit, $output) = run_layering_test('acyclic', $acyclic_build);
is($exit, 0, 't/layering.t passes on the acyclic tree') or diag $output;
like($output, qr/^1\.\.13$/m, '... running all 13 checks');

# --- cyclic ----------------------------------------------------------------

my $cyclic_build = build_fixture('cyclic', '');
my $cyclic = Layering::scan(tree => "$fixtures/cyclic", build => $cyclic_build);
%problems = Layering::problems($cyclic);
my $layers = "$fixtures/cyclic/lib/LAYERS";
my %expected = (
	'lib/LAYERS reads' => ["$layers:4: not 'layer: module ...'"],
	'every lib/ module is in lib/LAYERS' => ['extra'],
	'every module of lib/LAYERS is in lib/' => ['ghost'],
	'every source has its object (build first)' => [],
	'no lib/ file includes a src/ header' => ['lib/app.c:6 includes src/handler.h'],
	'no lib/ file includes a FastCGI header' => ['lib/app.c:3 includes fcgiapp.h'],
	'no include goes up a layer' => ['buf includes queue (lib/buf.c:3)'],
	'no call goes up a layer' => ['store calls app (app_run)'],
	'no include cycle in lib/' => ['queue -> runner -> queue'],
	'no call cycle in lib/' => ['app -> store -> app'],
	'no call cycle among src/handler_*.c' => ['handler_a -> handler_b -> handler_a'],
	'README.md names every source in its file table' => ['lib/extra.c'],
	'README.md names no missing file' => ['lib/gone.c'],
);
is_deeply([sort keys %problems], [sort keys %expected], 'cyclic: the same 13 checks');
for my $check (sort keys %expected) {
	is_deeply($problems{$check}, $expected{$check}, "cyclic: $check")
	    or diag explain $problems{$check};
}
($exit, $output) = run_layering_test('cyclic', $cyclic_build);
isnt($exit, 0, 't/layering.t fails on the cyclic tree');
like($output, qr/^not ok \d+ - no call cycle in lib\/\n(?:#.*\n)*#\s+app -> store -> app$/m,
    '... naming the call cycle') or diag $output;

# A tree not built yet fails the check for its objects, naming them.
%problems = Layering::problems(Layering::scan(tree => "$fixtures/acyclic",
    build => "$work/unbuilt"));
is_deeply($problems{'every source has its object (build first)'},
    ['app', 'buf', 'store', 'src/handler_a', 'src/handler_b'],
    'a tree without objects: every source is named as missing its object');

done_testing;
