# list-index.t - the counters and the trigram index behind the tenant list
# and its statistics (etc/migrations/0007_list_index.sql) stay exact:
# random tenants (names with accents, case variants, 'ß' and "ss", four-byte
# characters, '%', '_', '\', digits) go through random creates, bulk
# creates, renames, archives, restores, module toggles (one and bulk),
# deletes and creation times moved by SQL, and after every step each
# statistic and the answers to random searches (short and long terms,
# hits and misses, with and without is_active) are compared with a full
# scan done directly in SQL on the base tables.  TENANTD_LIST_SEED repeats
# a run.
use strict;
use warnings;
use utf8;

use Encode qw(encode_utf8);
use JSON::PP;
use Test::More;

use TenantdStack;

my $seed = $ENV{TENANTD_LIST_SEED} // time ^ $$;
srand($seed);
diag("seed $seed (TENANTD_LIST_SEED=$seed repeats this run)");

my $s = TenantdStack->new(workers => 2, conf => { job_runners => 0 });
$s->start;

my @OPTIONAL = qw(attendance wallet tasks complaints shifts reports
    notifications);
# Few characters, so that random terms often hit: letters in both cases
# with and without accents, 'ß' beside "ss", characters of two, three and
# four bytes, LIKE's wildcards and escape, digits, spaces.
my @NAME_CHARS = (qw(a b c e s A B C E S é É è ß ø Ø o ǆ 日 😀 😃 % _ \\ 0 1 2),
    ' ', ' ', 'ss');
my @SUB_CHARS = (qw(a b c e s o 0 1 2));
my $serial = 0;

sub pick { $_[int rand @_] }

sub random_name {
	my $len = 1 + int rand 12;
	my $name = join '', map { pick(@NAME_CHARS) } 1 .. $len;
	$name =~ s/^ +| +$//g;
	return length $name ? $name : 'x';
}

sub random_subdomain {
	my $len = 1 + int rand 6;
	return join('', map { pick(@SUB_CHARS) } 1 .. $len) . '-' . ++$serial;
}

sub tenant_ids { map { $_->[0] + 0 } $s->sql('SELECT id FROM tenants ORDER BY id') }

# --- the steps ---------------------------------------------------------------

sub create_one {
	my $r = $s->post('/api/tenants/?deploy=false', json => {
	    name => random_name(), subdomain => random_subdomain(),
	    module_keys => [grep { rand() < 0.4 } @OPTIONAL] });
	return $r->{status} == 201 ? 'create' : "create: $r->{status} $r->{content}";
}

sub bulk_create {
	my @items = map { { name => random_name(), subdomain => random_subdomain(),
	    module_keys => [grep { rand() < 0.5 } @OPTIONAL] } } 1 .. 2 + int rand 5;
	# A repeated subdomain: the later one is an error, the rest is created.
	push @items, { %{$items[0]}, name => random_name() } if rand() < 0.3;
	my $r = $s->post('/api/tenants/bulk-create/?deploy=false',
	    json => { tenants => \@items });
	return $r->{status} == 200 ? 'bulk create' : "bulk create: $r->{status}";
}

sub with_tenant {
	my ($what, $code) = @_;
	my @ids = tenant_ids();
	return create_one() unless @ids;
	my $id = pick(@ids);
	my $r = $code->($id);
	return $r->{status} =~ /^(200|204|409)$/ ? $what
	    : "$what $id: $r->{status} $r->{content}";
}

my @STEPS = (
	[3, \&create_one],
	[2, \&bulk_create],
	[2, sub { with_tenant('rename', sub {
	    $s->patch("/api/tenants/$_[0]/", json => { name => random_name() }) }) }],
	[2, sub { with_tenant('archive', sub {
	    $s->post("/api/tenants/$_[0]/archive/") }) }],
	[1, sub { with_tenant('restore', sub {
	    $s->post("/api/tenants/$_[0]/restore/") }) }],
	[2, sub { with_tenant('toggle a module', sub {
	    $s->post("/api/tenants/$_[0]/update_module/", json => {
	    module_key => pick(@OPTIONAL), is_enabled => rand() < 0.5
	    ? JSON::PP::true : JSON::PP::false }) }) }],
	[1, sub {
		my @ids = grep { rand() < 0.3 } tenant_ids();
		return 'bulk toggle (none)' unless @ids;
		my $r = $s->post('/api/tenants/bulk-update-modules/', json => {
		    tenant_ids => [@ids, 999999], module_key => pick(@OPTIONAL),
		    is_enabled => rand() < 0.5 ? JSON::PP::true : JSON::PP::false });
		return $r->{status} == 200 ? 'bulk toggle'
		    : "bulk toggle: $r->{status} $r->{content}";
	}],
	[1, sub { with_tenant('delete', sub {
	    $s->delete("/api/tenants/$_[0]/") }) }],
	# Creation times around the start of the 30-day window, by SQL.
	[1, sub {
		my @ids = tenant_ids();
		return 'move created_at (none)' unless @ids;
		my $id = pick(@ids);
		my $minutes = pick(-3000, -60, -1, 1, 60, 3000, 60 * 24 * 40);
		$s->sql("UPDATE tenants SET created_at = UTC_TIMESTAMP(6) - "
		    . "INTERVAL 30 DAY + INTERVAL $minutes MINUTE WHERE id = $id");
		return 'move created_at';
	}],
);

sub random_step {
	my $total = 0;
	$total += $_->[0] for @STEPS;
	my $roll = rand $total;
	for my $step (@STEPS) {
		return $step->[1]->() if ($roll -= $step->[0]) < 0;
	}
	return $STEPS[-1][1]->();
}

# --- the full scans ---------------------------------------------------------

# A Perl string as an SQL string literal (the client talks utf8mb4).
sub quote {
	my ($text) = @_;
	$text =~ s/([\\'])/\\$1/g;
	return "'" . encode_utf8($text) . "'";
}

sub check_statistics {
	my ($label) = @_;
	my $r = $s->get('/api/tenants/statistics/');
	my ($active, $archived, $recent) = @{($s->sql(
	    'SELECT SUM(is_active = 1), SUM(is_active = 0), SUM(created_at >= '
	    . 'UTC_TIMESTAMP(6) - INTERVAL 30 DAY) FROM tenants'))[0]};
	my %modules = map { $_->[0] => $_->[1] } $s->sql('SELECT md.module_key, '
	    . '(SELECT COUNT(*) FROM tenant_modules tm WHERE tm.module_key = '
	    . 'md.module_key AND tm.is_enabled = 1) FROM module_definitions md');
	is_deeply($r->{json}, { total => ($active // 0) + ($archived // 0),
	    active => $active // 0, archived => $archived // 0,
	    created_last_30_days => $recent // 0, modules => \%modules },
	    "$label: statistics as a full count gives them");
}

# A term: a piece of an existing name or subdomain, changed in case or
# accents or not, or random characters; one to eight characters.
sub random_term {
	my @names = map { $_->[0] } $s->sql(
	    'SELECT name FROM tenants UNION ALL SELECT subdomain FROM tenants');
	my $term;
	if (@names && rand() < 0.7) {
		my $from = Encode::decode_utf8(pick(@names));
		my $len = 1 + int rand 8;
		my $at = int rand(length $from);
		$term = substr($from, $at, $len);
		$term = rand() < 0.5 ? uc $term : lc $term if rand() < 0.4;
		$term =~ tr/eé/éE/ if rand() < 0.3;
		$term =~ s/ß/ss/ if rand() < 0.3;
	} else {
		$term = join '', map { pick(@NAME_CHARS, 'z', 'Z') } 1 .. 1 + int rand 6;
	}
	return length $term ? $term : 'a';
}

sub full_scan_ids {
	my ($term, $is_active) = @_;
	(my $like = $term) =~ s/([\\%_])/\\$1/g;
	my $p = quote("%$like%");
	my $match = $term =~ /^[\x00-\x7f]*$/
	    ? "(name LIKE $p ESCAPE '\\\\' OR subdomain LIKE LOWER($p) ESCAPE '\\\\')"
	    : "name LIKE $p ESCAPE '\\\\'";
	$match .= " AND is_active = $is_active" if defined $is_active;
	return sort { $a <=> $b } map { $_->[0] }
	    $s->sql("SELECT id FROM tenants WHERE $match");
}

sub query_string {
	my (%q) = @_;
	return join '&', map { my $v = encode_utf8($q{$_});
	    $v =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; "$_=$v" }
	    sort keys %q;
}

# Searches for `term` as the API does: the count of page 1, then every
# page by cursor in a random ordering; compares both with the full scan.
sub check_search {
	my ($label, $term) = @_;
	my $is_active = pick(undef, undef, 0, 1);
	my @expected = full_scan_ids($term, $is_active);
	my %q = (search => $term, page_size => 3,
	    ordering => pick(qw(name -name subdomain -subdomain created_at -created_at)));
	$q{is_active} = $is_active ? 'true' : 'false' if defined $is_active;
	my $name = "$label: search " . encode_utf8($term)
	    . (defined $is_active ? " is_active=$is_active" : '');
	my $r = $s->get('/api/tenants/?' . query_string(%q));
	return fail("$name: 200") unless $r->{status} == 200;
	my @got;
	for (;;) {
		push @got, map { $_->{id} } @{$r->{json}{results}};
		my $cursor = $r->{json}{next_cursor} // last;
		$r = $s->get('/api/tenants/?' . query_string(%q, cursor => $cursor));
		return fail("$name: cursor page 200") unless $r->{status} == 200;
	}
	my $count = $s->get('/api/tenants/?' . query_string(%q))->{json}{count};
	is($count, scalar @expected, "$name: count as the full scan's")
	    and is_deeply([sort { $a <=> $b } @got], \@expected,
	    "$name: the tenants of the full scan, each once");
}

sub check_list_counts {
	my ($label) = @_;
	for my $filter (undef, 0, 1) {
		my %q = (page_size => 2);
		$q{is_active} = $filter ? 'true' : 'false' if defined $filter;
		my $where = defined $filter ? "is_active = $filter" : '1';
		is($s->get('/api/tenants/?' . query_string(%q))->{json}{count},
		    $s->tenant_count($where), "$label: count without search, "
		    . (defined $filter ? "is_active=$filter" : 'all'));
	}
}

# --- the run ----------------------------------------------------------------

check_statistics('empty');
check_search('empty', 'abc');
my $steps = $ENV{TENANTD_LIST_STEPS} // 60;
for my $n (1 .. $steps) {
	my $did = random_step();
	my $label = "step $n ($did)";
	unlike($did, qr/: \d/, "step $n done") or diag $did;
	check_statistics($label);
	check_list_counts($label) if $n % 5 == 0;
	check_search($label, random_term()) for 1 .. 4;
}

# Terms with each trigram rule at once, on a tenant made for them.
my $r = $s->post('/api/tenants/?deploy=false', json => {
    name => 'Große Straße 10% _Ünïcødé_ 😀日本', subdomain => 'strasse-x' });
is($r->{status}, 201, 'a tenant with a name of every kind') or diag $r->{content};
for my $term ('STRASSE', 'straße', 'STRAẞE', 'strasse-', 'groß', 'grosse',
    'ße 1', '10%', '0% _', '%', '_', '_ü', 'unicode', 'ÜNÏCØDÉ', 'ünïcødé_ 😀',
    '😀日本', '😃日本', '日', 'e 1', 'asse-x', 'ss', 'tr', 'zzz', '%%') {
	check_search('fixed', $term);
}
check_statistics('end');

# Common trigrams (2,000 tenants or more hold them, lib/tenant_list.c's
# TRIGRAM_COMMON): the count of page 1 is then made over all tenants.
$s->sql(encode_utf8("INSERT INTO tenants (name, subdomain, is_active) SELECT "
    . "CONCAT(IF(seq % 2, 'Común Filler ', 'comun filler '), seq), "
    . "CONCAT('filler-', seq), seq % 3 != 0 FROM seq_1_to_2500"));
for my $term ('filler', 'común', 'COMUN FILLER 1', 'filler 24', 'mún f', 'er-1', 'zzz') {
	for my $is_active (undef, 0, 1) {
		my %q = (search => $term, page_size => 3);
		$q{is_active} = $is_active ? 'true' : 'false' if defined $is_active;
		is($s->get('/api/tenants/?' . query_string(%q))->{json}{count},
		    scalar(my @ids = full_scan_ids($term, $is_active)),
		    'many tenants: count of search ' . encode_utf8($term)
		    . (defined $is_active ? " is_active=$is_active" : ''));
	}
}
check_statistics('many tenants');

# tenantctl fsck finds counters and trigrams that went around the
# triggers, and --repair rebuilds them.  (The tenants have no deployed
# frontend, so fsck has other things to say: only these lines count.)
sub fsck_list_lines {
	my (@args) = @_;
	my ($rc, $out, $err) = $s->tenantctl('fsck', @args);
	return grep { /^tenant_(counts|trigrams): / } split /\n/, $out;
}
is_deeply([fsck_list_lines()], [], 'fsck: counters and trigrams in step');
my $victim = $s->sql_value('SELECT tenant_id FROM tenant_trigrams '
    . 'GROUP BY tenant_id HAVING COUNT(*) >= 2 LIMIT 1');
$s->sql('UPDATE tenant_counts SET active = active + 2 LIMIT 1; '
    . 'UPDATE tenant_module_counts SET enabled = enabled - 1 LIMIT 1; '
    . "DELETE FROM tenant_trigrams WHERE tenant_id = $victim LIMIT 2; "
    . "INSERT INTO tenant_trigrams (tenant_id, gram) VALUES ($victim, 'qqq')");
my @lines = fsck_list_lines();
is(scalar @lines, 2, 'fsck reports the counters and the trigrams') or diag explain \@lines;
like($lines[0] // '', qr/^tenant_counts: stale list counters: 2 counter rows off$/,
    '... the counters, with how many rows are off');
like($lines[1] // '', qr/^tenant_trigrams: stale search trigrams: 2 missing, 1 extra$/,
    '... the trigrams, missing and extra');
@lines = fsck_list_lines('--repair');
is(scalar(grep { /\[repaired\]$/ } @lines), 2, 'fsck --repair rebuilds both')
    or diag explain \@lines;
is_deeply([fsck_list_lines()], [], 'fsck: in step again after the repair');
check_statistics('after the repair');
check_search('after the repair', random_term()) for 1 .. 4;
done_testing();
