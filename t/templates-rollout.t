#!/usr/bin/env perl
# templates-rollout.t - rollouts of template versions (SPEC 10) that take
# time: cancelling them, and serving the sites while they run.
#
# Covers: POST /api/jobs/{id}/cancel/ of a queued rollout (200, cancelled,
# never runs), of a running one over 200 tenants (202; it ends cancelled,
# the tenants done are on the new version and the others on the old one,
# their files as their version's, no staging directory left), of a finished
# job (409 job_finished) and of an unknown one (404); SIGINT cancelling
# the rollout `tenantctl template rollout` runs (exit 130); and a rollout
# over 50 tenants while a reader fetches their index.html and app.js
# through nginx: every answer is 200 and the whole file of one version,
# and no tenant goes back to the old version once it served the new one
# (one atomic swap per tenant).  The rest of template versions is
# t/templates.t.

use strict;
use warnings;

use POSIX ();
use Test::More;
use Time::HiRes qw(time);

use TenantdStack;
use TestUtil qw(slurp spew wait_until write_tree);

# No job runner in tenantd: rollouts stay queued until the test runs them
# with `tenantctl worker --once`, in the foreground or in a child.
my $s = TenantdStack->new(conf => { job_runners => 0 });
$s->start;

my $TENANTS = $s->tenants_dir;
my $RUN = $s->run_dir;

# Workers with template_files = copy, so that each tenant of a rollout
# takes a while (a copy of every file instead of a link).
my $COPY_CONF = "$RUN/copy.conf";
spew($COPY_CONF, slurp($s->conf_path) . "template_files = copy\n");

# Children this test forks, killed at exit whatever happens.
my %children;
END { kill 'TERM', keys %children if %children }

# Forks a child that runs `code` and exits with its value.  Returns the
# pid.
sub in_child {
	my ($code) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $status = eval { $code->() } // 99;
		POSIX::_exit($status);
	}
	$children{$pid} = 1;
	return $pid;
}

# Waits for child `pid`; returns its exit status.
sub reap {
	my ($pid) = @_;
	waitpid($pid, 0);
	delete $children{$pid};
	return $? >> 8;
}

# Runs the queued jobs with `tenantctl worker --once` and template_files =
# copy, in a child.  Returns its pid; the child exits with the worker's
# status.
sub copy_worker_in_child {
	return in_child(sub {
		my ($exit) = $s->tenantctl('--config', $COPY_CONF, 'worker', '--once');
		return $exit;
	});
}

sub job { $s->get("/api/jobs/$_[0]/")->{json} // {} }

# The first ten of a list of reads, as lines for diag().
sub first_ten { return join "\n", map { "@$_" } @_[0 .. ($#_ < 9 ? $#_ : 9)] }

# A template whose index.html and app.js name it, with `fillers` more
# files to make each deploy take longer.
sub make_version {
	my ($name, $fillers) = @_;
	my %files = (
	    'index.html' => "<!doctype html><title>$name</title><p>This is $name.</p>\n",
	    'app.js' => join('', map { "// $name, line $_ of the application\n" } 1 .. 2000),
	    map { (sprintf('lib/part%03d.js', $_) => "// $name part $_\n" x 40) } 1 .. $fillers);
	write_tree("$RUN/$name", \%files);
	return ($s->template_add("$RUN/$name"), \%files);
}

# The staging or old trees a deploy left in the folders of `subs`.
sub leftovers {
	my @left;
	for my $sub (@_) {
		opendir(my $dh, "$TENANTS/$sub") or next;
		push @left, map { "$sub/$_" } grep { /^\.public\.(?:staging|old)-/ } readdir $dh;
		closedir $dh;
	}
	return @left;
}

my ($A, $A_FILES) = make_version('version-a', 100);
my ($B, $B_FILES) = make_version('version-b', 100);

# --- cancel -------------------------------------------------------------------

# A queued rollout is cancelled at once and never runs.
my @QUEUED = $s->create_tenants('queued-1', 'queued-2');
my $r = $s->post("/api/templates/$A/rollout/", json => { tenant_ids => \@QUEUED });
is($r->{status}, 202, 'a rollout is queued') or diag $r->{content};
my $queued_job = $r->{json}{job_id} // 0;
$r = $s->post("/api/jobs/$queued_job/cancel/", json => {});
is($r->{status}, 200, 'cancelling it while queued answers 200') or diag $r->{content};
is($r->{json}{id}, $queued_job, '... with the job');
is($r->{json}{status}, 'cancelled', '... now cancelled');
my ($exit, undef, $err) = $s->tenantctl('worker', '--once');
is($exit, 0, 'a worker runs the queue afterwards') or diag $err;
my $job = job($queued_job);
is($job->{status}, 'cancelled', '... and the job stays cancelled');
is_deeply([@$job{qw(attempts started_at result)}], [0, undef, undef], '... never started');
is_deeply($s->template_versions_of(@QUEUED), { map { ($_ => undef) } @QUEUED },
    '... its tenants were not deployed');
ok(!-e "$TENANTS/queued-1/public/index.html", '... and have no site');
$s->is_error($s->post("/api/jobs/$queued_job/cancel/", json => {}), 409, 'job_finished',
    'cancelling a cancelled job');
$s->is_error($s->post('/api/jobs/987654321/cancel/', json => {}), 404, 'not_found',
    'cancelling an unknown job');
is($s->post("/api/jobs/$queued_job/cancel/", json => {}, token => undef)->{status}, 401,
    'cancelling needs an administrator');

# A running rollout over 200 tenants stops within a heartbeat: tenants
# done stay on the new version, the others on the old one.
my @MANY_SUBS = map { sprintf('many-%03d', $_) } 1 .. 200;
my @MANY = $s->create_tenants(@MANY_SUBS);
my %SUB_OF;
@SUB_OF{@MANY} = @MANY_SUBS;
$job = $s->run_rollout($A, { tenant_ids => \@MANY });
is($job->{result}{deployed}, 200, '200 tenants are on the first version');

$r = $s->post("/api/templates/$B/rollout/", json => { tenant_ids => \@MANY });
is($r->{status}, 202, 'a rollout of the second version is queued') or diag $r->{content};
my $running_job = $r->{json}{job_id} // 0;
my $worker = copy_worker_in_child();
ok(wait_until(sub { my $j = job($running_job);
    ($j->{status} // '') eq 'running' && $j->{progress} > 0 }, 60),
    'a worker runs it (running, progress > 0)');
$r = $s->post("/api/jobs/$running_job/cancel/", json => {});
is($r->{status}, 202, 'cancelling a running rollout answers 202') or diag $r->{content};
is($r->{json}{status}, 'running', '... with the job, still running');
ok(wait_until(sub { (job($running_job)->{status} // '') ne 'running' }, 60),
    'the rollout stops');
is(reap($worker), 0, '... and the worker exits 0');
$job = job($running_job);
is($job->{status}, 'cancelled', "the job ends 'cancelled'");
is($job->{error}, 'cancelled', '... error says so');
my $result = $job->{result} // {};
ok(JSON::PP::is_bool($result->{cancelled}) && $result->{cancelled}, '... result.cancelled true');
ok(JSON::PP::is_bool($result->{success}) && !$result->{success}, '... result.success false');
is_deeply([@$result{qw(total failed_count)}], [200, 0], '... of 200 tenants, none failed');
my $done = $result->{deployed} // 0;
cmp_ok($done, '>', 0, '... some tenants were moved');
cmp_ok($done, '<', 200, '... not all of them');
diag("$done of 200 tenants moved before the cancel");

my $versions = $s->template_versions_of(@MANY);
my @on_new = grep { ($versions->{$_} // '') eq $B } @MANY;
my @on_old = grep { ($versions->{$_} // '') eq $A } @MANY;
is(scalar @on_new, $done, 'as many tenants as the job moved are on the new version');
is(scalar @on_old, 200 - $done, '... and all the others on the old one');
my @wrong;
for my $id (@MANY) {
	my $files = ($versions->{$id} // '') eq $B ? $B_FILES : $A_FILES;
	push @wrong, grep { (slurp("$TENANTS/$SUB_OF{$id}/public/$_") // '') ne $files->{$_} }
	    'index.html', 'app.js', 'lib/part100.js';
}
is_deeply(\@wrong, [], "each tenant's site holds the files of its version");
is_deeply([leftovers(@MANY_SUBS)], [], 'no tenant folder holds a staging or old tree');
$s->is_error($s->post("/api/jobs/$running_job/cancel/", json => {}), 409, 'job_finished',
    'cancelling the job once it ended');

# `tenantctl template rollout` runs the job itself; its first SIGINT
# (Ctrl-C) cancels the job, and it exits 130.
my $ctl_out = "$RUN/rollout-interrupted.out";
my $ctl = in_child(sub {
	open(STDOUT, '>', $ctl_out) or return 126;
	open(STDERR, '>&', \*STDOUT) or return 126;
	{
		no warnings 'exec';
		exec($s->tenantctl_binary, '--config', $COPY_CONF, 'template',
		    'rollout', $A, @MANY_SUBS);
	}
	return 127;
});
my $ctl_job;
ok(wait_until(sub {
	($ctl_job) = map { $_->[0] } $s->sql("SELECT id FROM jobs WHERE kind = 'rollout' "
	    . "AND status = 'running' AND progress > 0");
	$ctl_job }, 60), 'tenantctl template rollout is running its job');
kill 'INT', $ctl;
is(reap($ctl), 130, 'SIGINT: tenantctl exits 130') or diag(slurp($ctl_out));
$job = job($ctl_job // 0);
is($job->{status}, 'cancelled', '... the job is cancelled');
ok($job->{result} && $job->{result}{cancelled}, '... its result says so');
like(slurp($ctl_out) // '', qr/^job ${\ ($ctl_job \/\/ 0)} cancelled: \d+ tenants moved/m,
    '... and tenantctl says what it did');
is_deeply([leftovers(@MANY_SUBS)], [], '... leaving no staging tree');

# --- the sites while a rollout runs -------------------------------------------

# A reader fetches index.html and app.js of 50 tenants through nginx
# while their rollout runs: each round every site once, then a hundred
# times the first site (in id order, the order a rollout goes through its
# tenants) not yet seen serving the new version, the one being moved or
# about to be, where a swap that is not atomic would show.  Each request is a new connection and each file a request of its
# own: what is checked is that every answer is 200 and one version's whole
# file, and that once a tenant served the new version it never serves the
# old one again.
my @LOAD_SUBS = map { sprintf('load-%02d', $_) } 1 .. 50;
my @LOAD = $s->create_tenants(@LOAD_SUBS);
my ($OLD, $OLD_FILES) = make_version('serving-old', 100);
my ($NEW, $NEW_FILES) = make_version('serving-new', 100);
$job = $s->run_rollout($OLD, { tenant_ids => \@LOAD });
is($job->{result}{deployed}, 50, '50 tenants serve the old version');

my $reads = "$RUN/reads";
my $ready = "$RUN/reader-ready";
my $stop = "$RUN/reader-stop";
my $reader = in_child(sub {
	my @lines;
	my $front = 0;
	my $read = sub {
		my ($round, $i) = @_;
		my $sub = $LOAD_SUBS[$i];
		for my $file ('index.html', 'app.js') {
			my $r = eval { $s->get("/$file", host => "$sub.localhost",
			    token => undef) };
			my $status = $r ? $r->{status} : 'error';
			my $body = $r ? $r->{content} : '';
			my $which = $body eq $OLD_FILES->{$file} ? 'old'
			    : $body eq $NEW_FILES->{$file} ? 'new' : 'other';
			push @lines, join(' ', time, $round, $sub, $file, $status, $which);
			$front++ if $i == $front && $front < $#LOAD_SUBS
			    && $file eq 'app.js' && $which eq 'new';
		}
	};
	for (my $round = 0; !-e $stop; $round++) {
		$read->($round, $_) for 0 .. $#LOAD_SUBS;
		$read->($round, $front) for 1 .. 100;
		spew($ready, "$round\n");
	}
	spew($reads, join("\n", @lines) . "\n");
	return 0;
});
ok(wait_until(sub { -e $ready }, 60), 'the reader read every site once');

$r = $s->post("/api/templates/$NEW/rollout/", json => { tenant_ids => \@LOAD });
is($r->{status}, 202, 'a rollout of the new version is queued') or diag $r->{content};
my $started = time;
($exit, undef, $err) = $s->tenantctl('--config', $COPY_CONF, 'worker', '--once');
my $ended = time;
is($exit, 0, 'a worker runs it while the reader reads') or diag $err;
is(job($r->{json}{job_id})->{result}{deployed}, 50, '... moving the 50 tenants');
# One more whole round after the rollout, then stop.
my $last_round = slurp($ready);
ok(wait_until(sub { slurp($ready) > $last_round + 1 }, 60), 'the reader read on after it');
spew($stop, '');
is(reap($reader), 0, 'the reader stops');

my @reads = map { [split / /] } grep { length } split /\n/, slurp($reads) // '';
my @not_200 = grep { $_->[4] ne '200' } @reads;
my @other = grep { $_->[5] eq 'other' } @reads;
diag(scalar(@reads) . ' reads, ' . scalar(grep { $_->[0] >= $started && $_->[0] <= $ended }
    @reads) . ' of them during the rollout (' . sprintf('%.1f', $ended - $started) . ' s)');
is(scalar @not_200, 0, 'every answer was 200') or diag(first_ten(@not_200));
is(scalar @other, 0, "every body was one version's whole file")
    or diag(first_ten(@other));
my %seen_new;
my @back = grep {
	my $key = "$_->[2]/$_->[3]";
	$seen_new{$key} = 1 if $_->[5] eq 'new';
	$_->[5] eq 'old' && $seen_new{$key};
} @reads;
is(scalar @back, 0, 'no file went back to the old version after serving the new one')
    or diag(first_ten(@back));
my %during = map { ($_->[5] => 1) } grep { $_->[0] >= $started && $_->[0] <= $ended } @reads;
ok($during{old} && $during{new}, 'during the rollout the reader saw both versions');
my $final = $reads[-1] ? $reads[-1][1] : -1;
is_deeply([grep { $_->[1] == $final && $_->[5] ne 'new' } @reads], [],
    'in its last round every site served the new version');
is_deeply([leftovers(@LOAD_SUBS)], [], 'no tenant folder holds a staging or old tree');

$s->stop;
done_testing();
