# api-modules.t - GET /api/modules/: the module definitions of
# etc/modules.json, as a plain array in sort_order.
use strict;
use warnings;

use Test::More;

use TenantdStack;

my $s = TenantdStack->new(workers => 1);
$s->start;

my $defined = TenantdStack->read_json_file($s->srcdir . '/etc/modules.json');
is(ref $defined, 'ARRAY', 'etc/modules.json is a JSON array');
my @expected = sort { $a->{sort_order} <=> $b->{sort_order} } @$defined;

my $r = $s->get('/api/modules/');
is($r->{status}, 200, 'GET /api/modules/ answers 200') or diag $r->{content};
is(ref $r->{json}, 'ARRAY', 'the answer is a plain JSON array');
my @modules = @{ref $r->{json} eq 'ARRAY' ? $r->{json} : []};
is(scalar @modules, 8, 'eight modules');
is_deeply([map { $_->{module_key} } @modules],
    [qw(employees attendance wallet tasks complaints shifts reports notifications)],
    'in sort_order');

for my $i (0 .. $#expected) {
	my ($got, $want) = ($modules[$i] // {}, $expected[$i]);
	my $key = $want->{module_key};
	for my $field (qw(module_key module_name description icon route)) {
		is($got->{$field}, $want->{$field}, "$key: $field as in modules.json");
	}
	ok(JSON::PP::is_bool($got->{is_core}), "$key: is_core is a JSON boolean");
	is(!!$got->{is_core}, !!$want->{is_core}, "$key: is_core as in modules.json");
}
my %core = map { $_->{module_key} => !!$_->{is_core} } @modules;
ok($core{employees}, 'employees is core');
is(scalar(grep { $_ } values %core), 1, 'employees is the only core module');

$r = $s->get('/api/modules');
is($r->{status}, 200, 'the trailing slash is optional');
is(scalar @{$r->{json} // []}, 8, 'same list without the slash');

$r = $s->get('/api/modules/', token => undef);
$s->is_error($r, 401, 'unauthenticated', 'anonymous GET /api/modules/');

$r = $s->post('/api/modules/', json => {});
$s->is_error($r, 405, 'method_not_allowed', 'POST /api/modules/');
like($r->{headers}{allow} // '', qr/\bGET\b/, '405 names GET in Allow');
unlike($r->{headers}{allow} // '', qr/\bPOST\b/, 'Allow does not offer POST');

# The order comes from the database's sort_order, not from insertion.
$s->sql("UPDATE module_definitions SET sort_order = 0 WHERE module_key = 'notifications'");
$r = $s->get('/api/modules/');
is($r->{json}[0]{module_key}, 'notifications',
    'a changed sort_order changes the order');

# init-modules is an upsert: running it again restores modules.json's order
# and adds nothing.
my ($exit, $out, $err) = $s->tenantctl('init-modules');
is($exit, 0, 'tenantctl init-modules again') or diag $err;
$r = $s->get('/api/modules/');
is(scalar @{$r->{json} // []}, 8, 'still eight modules after init-modules');
is($r->{json}[0]{module_key}, 'employees', 'sort_order restored from modules.json');

done_testing;
