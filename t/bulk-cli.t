# bulk-cli.t - tenantctl bulk-create and bulk-modules: JSON and CSV files,
# the summary and the exit status, --report, --dry-run, --atomic,
# --no-deploy, progress lines when standard error is no terminal, an
# import interrupted with SIGINT after its first chunk and run again to
# completion without duplicates, a re-run that skips what is present, and
# module changes by id and for all tenants.
use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Handle;
use IPC::Open3 qw(open3);
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(sleep time);

use TenantdStack;
use TestUtil qw(spew);

my $s = TenantdStack->new(tenantd => 0);
$s->start;

my $TENANTS = $s->tenants_dir;
my $dir = tempdir('bulk-cli-' . ('X' x 6), DIR => $s->run_dir, CLEANUP => 1);
# tenantctl run by root reads and writes these as tenantd's user.
$s->give_to_service($dir);

my $J = TenantdStack->json;

# --- a JSON file ------------------------------------------------------------

my $json_file = "$dir/batch.json";
spew($json_file, $J->encode({ tenants => [
	{ name => 'Json One', subdomain => 'json1', module_keys => ['wallet'] },
	{ name => 'Json Two', subdomain => 'json2', contact_email => 'x@json2.example' },
	{ name => 'Json Three', subdomain => 'json3' },
	{ name => 'Bad', subdomain => 'Bad_Sub' },
]}));
my ($status, $out, $err) = $s->tenantctl('bulk-create', $json_file,
    '--report', "$dir/report.json");
is($status, 1, 'JSON file with an invalid item: exit 1');
like($out, qr/^created 3, skipped 0 \(already present\), errors 1, not created 0$/m,
    'JSON file: the summary counts') or diag $out;
like($out, qr/^deployed 3 sites$/m, 'JSON file: the three sites deployed');
unlike($out, qr/deploy job/, 'JSON file: no deploy job left to queue');
like($err, qr/item 3\b.*subdomain: must be lower case/,
    'JSON file: the error is named on stderr');
is($s->tenant_count("subdomain LIKE 'json%'"), 3, 'JSON file: three rows');
ok(-f "$TENANTS/$_/config.json", "JSON file: $_ has config.json") for qw(json1 json2 json3);
ok($s->tenant_config('json1')->{modules}{wallet}, 'JSON file: module_keys honoured');
my $report = TenantdStack->read_json_file("$dir/report.json");
ok(ref $report eq 'HASH', '--report writes JSON');
is($report->{created_count}, 3, '--report: created_count');
is_deeply([map { $_->{index} } @{$report->{errors} // []}], [3], '--report: the error');
is($report->{errors}[0]{data}{subdomain}, 'Bad_Sub', '--report: with the item as data');
my ($jobs) = $s->sql("SELECT COUNT(*) FROM jobs WHERE kind = 'bulk_deploy'");
is($jobs->[0], 0, 'no bulk_deploy job in the queue');
ok(-f "$TENANTS/$_/.deployed", "JSON file: $_ is deployed") for qw(json1 json2 json3);

# The same file again: what is there with the same data is skipped.
($status, $out, $err) = $s->tenantctl('bulk-create', $json_file, '--no-deploy');
like($out, qr/^created 0, skipped 3 \(already present\), errors 1/m,
    're-run: the present tenants are skipped, not errors') or diag "$out$err";
is($s->tenant_count("subdomain LIKE 'json%'"), 3, 're-run: no duplicates');

# The same subdomain with other data is an error.
spew("$dir/changed.json", $J->encode({ tenants => [
	{ name => 'Json One renamed', subdomain => 'json1', module_keys => ['wallet'] },
]}));
($status, $out, $err) = $s->tenantctl('bulk-create', "$dir/changed.json");
is($status, 1, 'changed data under a present subdomain: exit 1');
like($err, qr/already taken/, '... reported as taken');

# --- CSV ------------------------------------------------------------------

my $csv_file = "$dir/batch.csv";
spew($csv_file, "name,subdomain,contact_email,primary_color,module_keys\r\n"
    . "\"Csv, One\",csv1,one\@csv.example,#aabbcc,wallet;tasks\r\n"
    . "Csv Two,csv2,,,reports|shifts\r\n");
($status, $out, $err) = $s->tenantctl('bulk-create', $csv_file, '--no-deploy');
is($status, 0, 'CSV file: exit 0') or diag "$out$err";
like($out, qr/^created 2, skipped 0/m, 'CSV file: two created');
unlike($out, qr/deploy job|deployed/, '--no-deploy: no deploy, no job');
my ($row) = $s->sql("SELECT name, contact_email, primary_color FROM tenants "
    . "WHERE subdomain = 'csv1'");
is_deeply($row, ['Csv, One', 'one@csv.example', '#aabbcc'], 'CSV: quoted name and columns');
my $config = $s->tenant_config('csv2');
ok($config->{modules}{reports} && $config->{modules}{shifts} && !$config->{modules}{wallet},
    'CSV: module keys split on | and ;');

spew("$dir/broken.csv", "name,subdomain\nA,a1\n\"B,b1\n");
($status, $out, $err) = $s->tenantctl('bulk-create', "$dir/broken.csv");
is($status, 1, 'a malformed CSV file: exit 1');
like($err, qr/line 3/, 'a malformed CSV file: the line is named');
is($s->tenant_count("subdomain = 'a1'"), 0, 'a malformed CSV file creates nothing');

# --- dry run and atomic -----------------------------------------------------

spew("$dir/dry.csv", "name,subdomain\nDry One,dry1\nDry Two,dry2\n");
($status, $out, $err) = $s->tenantctl('bulk-create', "$dir/dry.csv", '--dry-run');
is($status, 0, '--dry-run of a valid file: exit 0');
like($out, qr/^dry run: 2 valid, 0 skipped \(already present\), 0 errors/m,
    '--dry-run: the summary');
is($s->tenant_count("subdomain LIKE 'dry%'"), 0, '--dry-run: nothing created');
ok(!-e "$TENANTS/dry1", '--dry-run: no folder');
spew("$dir/dry-bad.csv", "name,subdomain\nDry One,dry1\nDry Two,www\n");
($status, $out, $err) = $s->tenantctl('bulk-create', "$dir/dry-bad.csv", '--dry-run',
    '--report', "$dir/dry-report.json");
is($status, 1, '--dry-run with an error: exit 1');
is(TenantdStack->read_json_file("$dir/dry-report.json")->{errors}[0]{index}, 1,
    '--dry-run: the report names the bad item');
($status, $out, $err) = $s->tenantctl('bulk-create', "$dir/dry-bad.csv", '--atomic');
is($status, 1, '--atomic with an error: exit 1');
is($s->tenant_count("subdomain LIKE 'dry%'"), 0, '--atomic with an error: nothing created');

# --- an interrupted import, run again -----------------------------------------

my $big = "$dir/big.csv";
spew($big, "name,subdomain\n" . join('', map { "Big $_,big$_\n" } 1 .. 1000));

# Runs tenantctl bulk-create on the big file with chunks of 200, sends
# SIGINT after the first progress line, and returns (exit status, stdout,
# stderr).
sub interrupted_run {
	my $stderr = gensym;
	my $pid = open3(my $in, my $stdout, $stderr, $s->tenantctl_binary,
	    '--config', $s->conf_path, 'bulk-create', $big, '--chunk-size', '200',
	    '--no-deploy');
	close $in;
	my ($errors, $sent) = ('', 0);
	while (defined(my $line = <$stderr>)) {
		$errors .= $line;
		if (!$sent && $line =~ /^progress: /) {
			kill 'INT', $pid;
			$sent = 1;
		}
	}
	my $output = do { local $/; <$stdout> } // '';
	waitpid($pid, 0);
	return ($? >> 8, $output, $errors, $sent);
}

my ($first_status, $first_out, $first_err, $sent) = interrupted_run();
ok($sent, 'the import printed a progress line and got SIGINT');
is($first_status, 130, 'the interrupted import exits 130') or diag "$first_out$first_err";
like($first_err, qr{^progress: 200/1000 created, \d+/s, ETA \d+s$}m,
    'progress lines on a non-terminal: "progress: 200/1000 created, N/s, ETA Ns"');
my ($created_first) = $first_out =~ /^created (\d+),/m;
$created_first //= -1;
ok($created_first >= 200 && $created_first < 1000 && $created_first % 200 == 0,
    "the interrupted import created whole chunks ($created_first)");
like($first_out, qr/^interrupted: /m, 'the summary says it was interrupted');
is($s->tenant_count("subdomain LIKE 'big%'"), $created_first,
    'the database holds exactly what the summary says');

($status, $out, $err) = $s->tenantctl('bulk-create', $big, '--chunk-size', '200',
    '--no-deploy');
is($status, 0, 'the re-run completes: exit 0') or diag "$out$err";
like($out, qr/^created ${\(1000 - $created_first)}, skipped $created_first \(already present\), errors 0, not created 0$/m,
    'the re-run creates the rest and skips what the first run made');
is($s->tenant_count("subdomain LIKE 'big%'"), 1000, 'exactly 1000 tenants, no duplicates');
my @no_folder = grep { !-f "$TENANTS/big$_/config.json" } 1 .. 1000;
is(scalar @no_folder, 0, 'every imported tenant has its folder');
opendir(my $dh, $TENANTS) or die "$TENANTS: $!";
my @hidden = grep { /^\.(staging|trash)-/ } readdir $dh;
closedir $dh;
is_deeply(\@hidden, [], 'no staging folder is left');

# --- bulk-modules -------------------------------------------------------------

my @ids = map { $_->[0] } $s->sql("SELECT id FROM tenants WHERE subdomain IN "
    . "('json2', 'json3') ORDER BY id");
($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'attendance',
    '--enable', @ids);
is($status, 0, 'bulk-modules by id: exit 0') or diag "$out$err";
like($out, qr/^updated 2 tenants: module attendance enabled; not found 0$/m,
    'bulk-modules: the summary');
ok($s->tenant_config('json2')->{modules}{attendance} && $s->tenant_config('json3')->{modules}{attendance},
    'bulk-modules: both config.json files changed');
ok(!$s->tenant_config('json1')->{modules}{attendance}, 'bulk-modules: others unchanged');

($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'attendance',
    '--enable', $ids[0], 99999999);
is($status, 1, 'bulk-modules with an unknown id: exit 1');
like($err, qr/no tenant with id 99999999/, '... naming it');

($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'notifications',
    '--enable', '--all');
is($status, 0, 'bulk-modules --all: exit 0') or diag "$out$err";
my $total = $s->tenant_count('1');
like($out, qr/^updated $total tenants/m, 'bulk-modules --all: every tenant');
my ($off) = $s->sql("SELECT COUNT(*) FROM tenant_modules WHERE module_key = "
    . "'notifications' AND is_enabled = 0");
is($off->[0], 0, 'bulk-modules --all: every row enabled');
ok($s->tenant_config('big777')->{modules}{notifications}, 'bulk-modules --all: configs rewritten');

($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'employees',
    '--disable', '--all');
is($status, 1, 'disabling a core module: exit 1');
like($err, qr/core module/, '... saying why');
($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'wallet', '--all');
is($status, 2, 'neither --enable nor --disable: usage error');
($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'wallet', '--enable');
is($status, 2, 'neither --all nor ids: usage error');
($status, $out, $err) = $s->tenantctl('bulk-modules', '--module', 'wallet', '--enable',
    'abc');
is($status, 2, 'an id that is no number: usage error');
($status, $out, $err) = $s->tenantctl('bulk-create', $big, '--chunk-size', '0');
is($status, 2, '--chunk-size 0: usage error');

$s->stop;
done_testing();
