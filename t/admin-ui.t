# admin-ui.t - the admin UI in a real browser: brings up a TenantdStack
# (MariaDB, tenantd with its job runner, nginx serving www/admin) and runs
# t/browser/admin-ui.mjs, which drives Debian's chromium through
# playwright-core and prints TAP.  Every line of that TAP is replayed here
# through Test::More, so a failed browser assertion fails this test (and
# `make check`), and the stack prints its logs when anything failed.
#
# Needs node, /usr/bin/chromium and node_modules/playwright-core in the
# source tree (`npm ci`; ./dev test does both).  Without them the test is
# skipped, unless TENANTD_REQUIRE_BROWSER=1 (./dev test sets it), which
# makes it fail instead.  Screenshots land in
# $TENANTD_BUILDDIR/test-artifacts/admin-ui/; with
# TENANTD_UPDATE_SCREENSHOTS=1 a passing run also refreshes the ones the
# README shows in docs/screenshots/.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use Test::More;

use TenantdStack;

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);
my $chromium = $ENV{TENANTD_CHROMIUM} // '/usr/bin/chromium';
my $script = "$srcdir/t/browser/admin-ui.mjs";

# Where node is, or undef.
sub find_node {
	for my $dir (split /:/, $ENV{PATH} // '') {
		return "$dir/node" if length $dir && -x "$dir/node";
	}
	return undef;
}

my $node = find_node();
my @missing;
push @missing, 'node (install nodejs)' unless defined $node;
push @missing, "$chromium (install chromium)" unless -x $chromium;
push @missing, "$srcdir/node_modules/playwright-core (run npm ci in $srcdir)"
    unless -f "$srcdir/node_modules/playwright-core/package.json";
if (@missing) {
	my $reason = 'the browser test needs ' . join(', ', @missing);
	if ($ENV{TENANTD_REQUIRE_BROWSER}) {
		fail($reason);
		done_testing();
		exit 1;
	}
	plan skip_all => $reason;
}

my $s = TenantdStack->new(workers => 2);
$s->start;

my $artifacts = "$builddir/test-artifacts/admin-ui";
remove_tree($artifacts);
make_path($artifacts);

local $ENV{TENANTD_UI_URL} = $s->base_url;
local $ENV{TENANTD_ADMIN_USER} = 'admin';
local $ENV{TENANTD_ADMIN_PASSWORD} = $s->admin_password;
local $ENV{TENANTD_ADMIN_TOKEN} = $s->admin_token;
local $ENV{TENANTD_ARTIFACTS_DIR} = $artifacts;
local $ENV{TENANTD_CHROMIUM} = $chromium;
local $ENV{TENANTD_SCREENSHOTS_DIR} = $ENV{TENANTD_UPDATE_SCREENSHOTS}
    ? "$srcdir/docs/screenshots" : '';

# Undoes tap.mjs's escaping of '#' and '\' in descriptions.
sub unescape {
	my ($text) = @_;
	$text =~ s/\\([\\#])/$1/g;
	return $text;
}

my $builder = Test::More->builder;
my ($plan, $seen, $failed, $after_failure) = (undef, 0, 0, 0);
open(my $tap, '-|', $node, $script)
    or BAIL_OUT("cannot run $node $script: $!");
while (my $line = <$tap>) {
	chomp $line;
	if ($line =~ /^(not )?ok \d+(?: - (.*))?$/) {
		my ($not, $rest) = ($1, $2 // '');
		$seen++;
		if ($rest =~ /^(.*?)\s+# SKIP\s*(.*)$/i) {
			$builder->skip(unescape($2) . ' (' . unescape($1) . ')');
			$after_failure = 0;
			next;
		}
		ok(!$not, unescape($rest));
		$failed++ if $not;
		$after_failure = $not ? 1 : 0;
	} elsif ($line =~ /^1\.\.(\d+)$/) {
		$plan = $1;
	} elsif ($line =~ /^Bail out!\s*(.*)$/) {
		BAIL_OUT("browser test: $1");
	} elsif ($line =~ /^#\s?(.*)$/) {
		# Details of a failure go to stderr with it; the rest is progress.
		$after_failure ? diag($1) : note($1);
	} else {
		note("browser test printed: $line");
	}
}
close $tap;
my $exit = $? >> 8;
my $signal = $? & 127;

ok(defined $plan && $plan == $seen && $seen > 0,
    "the browser test ran its whole plan ($seen of " . ($plan // 'no plan') . ')');
ok($signal == 0 && ($exit == 0 || $failed > 0),
    "the browser test program ended normally (exit $exit, signal $signal)");
diag("screenshots: $artifacts") if $failed;
done_testing();
