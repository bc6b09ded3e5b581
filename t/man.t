#!/usr/bin/env perl
# man.t - the manual pages doc/tenantd.8, doc/tenantctl.8 and
# doc/tenantd.conf.5 render without a single warning.
#
# groff with -ww turns on every warning; -z formats without output, so
# anything on standard error is a warning or an error.  `man -l` is run as
# well, the way an operator reads an uninstalled page.  The test skips when
# neither groff nor man is installed.

use strict;
use warnings;

use Test::More;

use TestUtil qw(which);

my $SRCDIR = $ENV{TENANTD_SRCDIR} // '.';
my @PAGES = map { "$SRCDIR/doc/$_" } qw(tenantd.8 tenantctl.8 tenantd.conf.5);

# Runs a command with the output to /dev/null; returns (exit status, stderr).
sub run_quiet {
	my (@command) = @_;
	my $pid = open my $err, '-|' // die "fork: $!";
	if ($pid == 0) {
		open STDERR, '>&', \*STDOUT or die "dup: $!";
		open STDOUT, '>', '/dev/null' or die "/dev/null: $!";
		exec @command or die "exec $command[0]: $!";
	}
	my $text = do { local $/; <$err> } // '';
	close $err;
	return ($? >> 8, $text);
}

my $groff = which('groff');
my $man = which('man');
plan skip_all => 'neither groff nor man is installed' unless $groff || $man;

for my $page (@PAGES) {
	ok -r $page, "$page exists";
	if ($groff) {
		my ($status, $err) = run_quiet($groff, '-mandoc', '-Tutf8',
		    '-ww', '-z', $page);
		is $status, 0, "groff renders $page";
		is $err, '', "groff has no warnings for $page";
	}
	if ($man) {
		local $ENV{MANWIDTH} = 80;
		local $ENV{MAN_KEEP_FORMATTING} = 0;
		my ($status, $err) = run_quiet($man, '-l', '-Tutf8', $page);
		is $status, 0, "man -l renders $page";
		is $err, '', "man -l has no warnings for $page";
	}
}

done_testing;
