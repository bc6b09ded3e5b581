# BrowserTap - runs a browser test of t/browser/ (node, chromium and
# playwright-core) and replays the TAP it prints through Test::More, for
# t/admin-ui.t, t/templates-ui.t and t/site.t.
#
#   use BrowserTap qw(browser_missing replay_browser_tap);
#   my $missing = browser_missing($srcdir, $chromium);
#   plan skip_all => $missing if defined $missing;
#   my $failed = replay_browser_tap("$srcdir/t/browser/site.mjs");
#
# The admin UI's tests need only:
#
#   use BrowserTap qw(require_browser run_admin_ui_test);
#   require_browser();
#   my $s = TenantdStack->new(...); $s->start;
#   run_admin_ui_test($s, 'admin-ui');   # t/browser/admin-ui.mjs
#
# Every "ok"/"not ok" line becomes an assertion of the calling (sub)test, a
# "# SKIP" a skip; comment lines after a failure go out as diagnostics, the
# others as notes.  Two assertions of its own follow: the program ran its
# whole plan, and it ended normally (a non-zero exit only with failures).

package BrowserTap;

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use Exporter qw(import);
use Test::More;

use TestUtil qw(which);

our @EXPORT_OK = qw(browser_missing replay_browser_tap require_browser
    run_admin_ui_test);

# Why the browser tests cannot run here ('the browser test needs ...'),
# or undef when node, `chromium` and the source tree's
# node_modules/playwright-core are all there.
sub browser_missing {
	my ($srcdir, $chromium) = @_;
	my @missing;
	push @missing, 'node (install nodejs)' unless defined which('node');
	push @missing, "$chromium (install chromium)" unless -x $chromium;
	push @missing, "$srcdir/node_modules/playwright-core (run npm ci in $srcdir)"
	    unless -f "$srcdir/node_modules/playwright-core/package.json";
	return @missing ? 'the browser test needs ' . join(', ', @missing) : undef;
}

# Undoes tap.mjs's escaping of '#' and '\' in descriptions.
sub _unescape {
	my ($text) = @_;
	$text =~ s/\\([\\#])/$1/g;
	return $text;
}

# Runs `node script` and replays its TAP; returns how many of its
# assertions failed.  A program that cannot start or that bails out ends
# the whole test with BAIL_OUT when `bail_out` is true, else it is one
# failed assertion.
sub replay_browser_tap {
	my ($script, %o) = @_;
	my $node = which('node');
	my $builder = Test::More->builder;
	my ($plan, $seen, $failed, $after_failure) = (undef, 0, 0, 0);
	my $tap;
	if (!defined $node || !open($tap, '-|', $node, $script)) {
		my $why = 'cannot run ' . ($node // 'node') . " $script: $!";
		BAIL_OUT($why) if $o{bail_out};
		fail($why);
		return 0;
	}
	while (my $line = <$tap>) {
		chomp $line;
		if ($line =~ /^(not )?ok \d+(?: - (.*))?$/) {
			my ($not, $rest) = ($1, $2 // '');
			$seen++;
			if ($rest =~ /^(.*?)\s+# SKIP\s*(.*)$/i) {
				$builder->skip(_unescape($2) . ' (' . _unescape($1) . ')');
				$after_failure = 0;
				next;
			}
			ok(!$not, _unescape($rest));
			$failed++ if $not;
			$after_failure = $not ? 1 : 0;
		} elsif ($line =~ /^1\.\.(\d+)$/) {
			$plan = $1;
		} elsif ($line =~ /^Bail out!\s*(.*)$/) {
			BAIL_OUT("browser test: $1") if $o{bail_out};
			fail("browser test bailed out: $1");
		} elsif ($line =~ /^#\s?(.*)$/) {
			# Details of a failure go to stderr with it; the rest is progress.
			$after_failure ? diag($1) : note($1);
		} else {
			note("browser test printed: $line");
		}
	}
	close $tap;
	my ($exit, $signal) = ($? >> 8, $? & 127);
	ok(defined $plan && $plan == $seen && $seen > 0,
	    "the browser test ran its whole plan ($seen of "
	    . ($plan // 'no plan') . ')');
	ok($signal == 0 && ($exit == 0 || $failed > 0),
	    "the browser test program ended normally (exit $exit, signal $signal)");
	return $failed;
}

# The chromium the browser tests drive.
sub _chromium { $ENV{TENANTD_CHROMIUM} // '/usr/bin/chromium' }

# Where the sources and the build are (TENANTD_SRCDIR, TENANTD_BUILDDIR, or
# the tree this module is in).
sub _tree_dir {
	my ($name) = @_;
	return abs_path($ENV{$name} // dirname(abs_path(__FILE__)) . '/../..');
}

# Skips the whole calling test when the browser test cannot run here,
# unless TENANTD_REQUIRE_BROWSER=1 (./dev test sets it), which makes that
# a failure instead.
sub require_browser {
	my $reason = browser_missing(_tree_dir('TENANTD_SRCDIR'), _chromium());
	return unless defined $reason;
	if ($ENV{TENANTD_REQUIRE_BROWSER}) {
		fail($reason);
		done_testing();
		exit 1;
	}
	plan skip_all => $reason;
}

# Runs t/browser/<name>.mjs against the started TenantdStack `s` with the
# settings admin-harness.mjs reads, and `env` besides, and replays its TAP.
# Screenshots go to $TENANTD_BUILDDIR/test-artifacts/<name>/ (emptied
# first); with TENANTD_UPDATE_SCREENSHOTS=1 a passing run also copies the
# ones the README shows into docs/screenshots/.  Returns how many browser
# assertions failed.
sub run_admin_ui_test {
	my ($s, $name, %env) = @_;
	my $srcdir = _tree_dir('TENANTD_SRCDIR');
	my $artifacts = _tree_dir('TENANTD_BUILDDIR') . "/test-artifacts/$name";
	remove_tree($artifacts);
	make_path($artifacts);
	local $ENV{TENANTD_UI_URL} = $s->base_url;
	local $ENV{TENANTD_ADMIN_USER} = 'admin';
	local $ENV{TENANTD_ADMIN_PASSWORD} = $s->admin_password;
	local $ENV{TENANTD_ADMIN_TOKEN} = $s->admin_token;
	local $ENV{TENANTD_ARTIFACTS_DIR} = $artifacts;
	local $ENV{TENANTD_CHROMIUM} = _chromium();
	local $ENV{TENANTD_SCREENSHOTS_DIR} = $ENV{TENANTD_UPDATE_SCREENSHOTS}
	    ? "$srcdir/docs/screenshots" : '';
	local @ENV{keys %env} = values %env;
	my $failed = replay_browser_tap("$srcdir/t/browser/$name.mjs",
	    bail_out => 1);
	diag("screenshots: $artifacts") if $failed;
	return $failed;
}

1;
