#!/usr/bin/env perl
# tenantctl.t - the admin command line against a private MariaDB: migrations,
# the module catalog, users, API tokens and tenants, with their error paths
# and exit statuses (0 success, 1 failure, 2 usage error).

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Path qw(make_path);
use File::Copy qw(copy);
use JSON::PP ();
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew tiny_png);

my $JSON = JSON::PP->new->utf8;

# tenantctl does not need tenantd or nginx; the stack has already run
# `migrate` and `init-modules` once when start() returns.
my $s = TenantdStack->new(tenantd => 0, nginx => 0, admin => 0);
$s->start;

my ($rc, $out, $err);

# --- usage ------------------------------------------------------------------

($rc, $out, $err) = $s->tenantctl();
is $rc, 2, 'no command: exit 2';
like $err, qr/^usage: tenantctl/m, '... with the usage text';

($rc, $out, $err) = $s->tenantctl('--help');
is $rc, 0, '--help: exit 0';
like $out, qr/^usage: tenantctl/m, '... usage on stdout';
like $out, qr/^  tenant create /m, '... listing tenant create';

($rc, $out, $err) = $s->tenantctl('frobnicate');
is $rc, 2, 'unknown command: exit 2';
like $err, qr/unknown command "frobnicate"/, '... named in the message';

($rc, $out, $err) = $s->tenantctl('user', 'add');
is $rc, 2, 'user add without NAME: exit 2';

($rc, $out, $err) = $s->tenantctl('user', 'list', '--yes');
is $rc, 2, 'an option the command does not take: exit 2';
like $err, qr/--yes does not apply/, '... says which';

($rc, $out, $err) = $s->tenantctl('tenant', 'list', '--active', '--archived');
is $rc, 2, '--active with --archived: exit 2';

# --- the database must be reachable ------------------------------------------

{
	my $conf = slurp($s->conf_path);
	$conf =~ s/^db_socket\s*=.*$/db_socket = \/nonexistent\/mysqld.sock/m
	    or $conf .= "db_socket = /nonexistent/mysqld.sock\n";
	my $bad = $s->run_dir . '/unreachable.conf';
	spew($bad, $conf);
	($rc, $out, $err) = $s->tenantctl('--config', $bad, 'user', 'list');
	is $rc, 1, 'unreachable database: exit 1';
	like $err, qr/cannot connect to the database at \/nonexistent/,
	    '... with a message naming where it looked';
}

# --- migrate ------------------------------------------------------------------

($rc, $out, $err) = $s->tenantctl('migrate');
is $rc, 0, 'migrate again: exit 0';
is $out, "applied 0 schema migrations\n", '... applies nothing (the stack migrated already)';
my @shipped = glob($s->srcdir . '/etc/migrations/[0-9][0-9][0-9][0-9]_*.sql');
is $s->sql_value('SELECT COUNT(*) FROM schema_migrations'), scalar(@shipped),
    'one row per shipped migration recorded';

{
	# A second migration directory with one more file: it is applied once.
	my $dir = $s->run_dir . '/migrations-extra';
	make_path($dir);
	for my $file (@shipped) {
		my ($name) = $file =~ m{([^/]+)\z};
		copy($file, "$dir/$name") or die "copy $file: $!";
	}
	spew("$dir/9999_tenantctl_probe.sql",
	    "CREATE TABLE tenantctl_probe (id INT NOT NULL);\n");
	my $conf = slurp($s->conf_path);
	$conf =~ s/^migrations_dir\s*=.*$/migrations_dir = $dir/m
	    or $conf .= "migrations_dir = $dir\n";
	my $extra = $s->run_dir . '/extra.conf';
	spew($extra, $conf);

	($rc, $out, $err) = $s->tenantctl('--config', $extra, 'migrate');
	is $rc, 0, 'migrate with a new file: exit 0';
	is $out, "applied 1 schema migration\n", '... applies exactly the new one';
	($rc, $out, $err) = $s->tenantctl('--config', $extra, 'migrate');
	is $out, "applied 0 schema migrations\n", '... and nothing the second time';
	is $s->sql_value("SELECT COUNT(*) FROM tenantctl_probe"), 0,
	    'the new table exists';
}

# --- init-modules -----------------------------------------------------------

for my $round (1, 2) {
	($rc, $out, $err) = $s->tenantctl('init-modules');
	is $rc, 0, "init-modules round $round: exit 0";
	is $out, "inserted or updated 8 module definitions\n", '... says it inserted or updated 8 module definitions';
	is $s->sql_value('SELECT COUNT(*) FROM module_definitions'), 8,
	    '... and there are 8 modules';
}
{
	my $file = $s->run_dir . '/modules-renamed.json';
	my $modules = $JSON->decode(slurp($s->srcdir . '/etc/modules.json'));
	$_->{module_name} = "Renamed $_->{module_key}" for @$modules;
	spew($file, $JSON->encode($modules));
	($rc, $out, $err) = $s->tenantctl('init-modules', $file);
	is $rc, 0, 'init-modules FILE: exit 0';
	is $s->sql_value("SELECT module_name FROM module_definitions "
	    . "WHERE module_key = 'wallet'"), 'Renamed wallet',
	    '... updated the names from FILE';
	$s->tenantctl('init-modules');
	is $s->sql_value("SELECT module_name FROM module_definitions "
	    . "WHERE module_key = 'wallet'"), 'Wallet & Salary',
	    'init-modules again restores them';
	is $s->sql_value('SELECT COUNT(*) FROM module_definitions'), 8,
	    '... still 8 modules';

	($rc, $out, $err) = $s->tenantctl('init-modules', $s->run_dir . '/missing.json');
	is $rc, 1, 'init-modules with a missing file: exit 1';
}

# --- users ------------------------------------------------------------------

($rc, $out, $err) = $s->tenantctl({ stdin => "correct horse\n" }, 'user', 'add', 'alice');
is $rc, 0, 'user add alice: exit 0';
like $out, qr/^added user alice \(id \d+\)$/m, '... reports the id';
{
	my $hash = $s->sql_value("SELECT password_hash FROM users "
	    . "WHERE username = 'alice'");
	like $hash, qr/^\$argon2id\$/, 'password stored as an Argon2id string';
	unlike $hash, qr/correct horse/, '... not in clear';
}

($rc, $out, $err) = $s->tenantctl({ stdin => "correct horse\n" }, 'user', 'add', 'alice');
is $rc, 1, 'duplicate user: exit 1';
like $err, qr/user "alice" already exists/, '... says so';

($rc, $out, $err) = $s->tenantctl({ stdin => "short\n" }, 'user', 'add', 'bob');
is $rc, 1, 'password of 5 bytes: exit 1';
like $err, qr/password: must be at least 8 bytes/, '... says why';

($rc, $out, $err) = $s->tenantctl({ stdin => '' }, 'user', 'add', 'bob');
is $rc, 1, 'no password on stdin: exit 1';
like $err, qr/no password/, '... says so';

($rc, $out, $err) = $s->tenantctl({ stdin => "correct horse\n" }, 'user', 'add',
    'bad name');
is $rc, 1, 'user name with a space: exit 1';
like $err, qr/^tenantctl: user name: /m, '... names the problem';

($rc, $out, $err) = $s->tenantctl('user', 'add', 'bob', '--generate');
is $rc, 0, 'user add --generate: exit 0';
like $out, qr/\A[A-Za-z0-9]{24}\n\z/,
    '... prints only the 24-character password on stdout';
like $err, qr/added user bob/, '... and the note on stderr';

{
	my $before = $s->sql_value("SELECT password_hash FROM users "
	    . "WHERE username = 'alice'");
	($rc, $out, $err) = $s->tenantctl({ stdin => "battery staple\n" }, 'user',
	    'passwd', 'alice');
	is $rc, 0, 'user passwd alice: exit 0';
	isnt $s->sql_value("SELECT password_hash FROM users "
	    . "WHERE username = 'alice'"), $before, '... changed the hash';
}

($rc, $out, $err) = $s->tenantctl({ stdin => "battery staple\n" }, 'user', 'passwd',
    'nobody');
is $rc, 1, 'user passwd for an unknown user: exit 1';
like $err, qr/no such user "nobody"/, '... says so';

($rc, $out, $err) = $s->tenantctl('user', 'list');
is $rc, 0, 'user list: exit 0';
my @user_lines = split /\n/, $out;
is scalar(@user_lines), 2, '... two users';
like $user_lines[0], qr/^\d+\talice\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    '... id, name, created_at separated by tabs';

($rc, $out, $err) = $s->tenantctl('user', 'list', '--json');
is $rc, 0, 'user list --json: exit 0';
is_deeply [map { $_->{username} } @{$JSON->decode($out)}], ['alice', 'bob'],
    '... a JSON array of both users';

# --- tokens -----------------------------------------------------------------

($rc, $out, $err) = $s->tenantctl('token', 'create', 'alice', '--label', 'ci');
is $rc, 0, 'token create: exit 0';
like $out, qr/\Atnd_[0-9a-f]{64}\n\z/, '... prints the token alone';
my ($token) = $out =~ /(tnd_[0-9a-f]{64})/;
my $token_id = $s->sql_value('SELECT MAX(id) FROM api_tokens');
is $s->sql_value("SELECT token_hash FROM api_tokens WHERE id = $token_id"),
    sha256_hex($token), 'only the SHA-256 of the token is stored';

($rc, $out, $err) = $s->tenantctl('token', 'create', 'nobody');
is $rc, 1, 'token for an unknown user: exit 1';

($rc, $out, $err) = $s->tenantctl('token', 'create', 'alice', '--label', "a\tb");
is $rc, 1, 'label with a control character: exit 1';

($rc, $out, $err) = $s->tenantctl('token', 'list');
is $rc, 0, 'token list: exit 0';
like $out, qr/^$token_id\talice\tci\t\S+Z\t-\t-$/m,
    '... id, user, label, created, never used, not revoked';
unlike $out, qr/\Q$token\E|\Q${\ substr($token, 4)}\E/,
    '... without the token';
unlike $out, qr/\Q${\ sha256_hex($token)}\E/, '... or its hash';

($rc, $out, $err) = $s->tenantctl('token', 'list', '--json');
is $rc, 0, 'token list --json: exit 0';
{
	my $list = $JSON->decode($out);
	is scalar(@$list), 1, '... one token';
	is $list->[0]{label}, 'ci', '... with its label';
	is $list->[0]{revoked_at}, undef, '... not revoked';
	unlike $out, qr/\Q${\ substr($token, 4)}\E/, '... no secret in JSON';
}

($rc, $out, $err) = $s->tenantctl('token', 'revoke', $token_id);
is $rc, 0, 'token revoke: exit 0';
isnt $s->sql_value("SELECT revoked_at FROM api_tokens WHERE id = $token_id"),
    undef, '... sets revoked_at';
($rc, $out, $err) = $s->tenantctl('token', 'list');
like $out, qr/^$token_id\talice\tci\t\S+Z\t-\t\d{4}-\S+Z$/m,
    '... and the listing shows when';
($rc, $out, $err) = $s->tenantctl('token', 'revoke', 999999);
is $rc, 1, 'revoking an unknown token: exit 1';
($rc, $out, $err) = $s->tenantctl('token', 'revoke', 'abc');
is $rc, 2, 'revoking a non-number: exit 2';

# --- tenants ----------------------------------------------------------------

my $tenants = $s->tenants_dir;

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Acme Corp',
    '--subdomain', 'acme', '--email', 'admin@acme.com', '--module', 'wallet',
    '--primary-color', '#112233', '--json');
is $rc, 0, 'tenant create: exit 0' or diag $err;
my $acme = eval { $JSON->decode($out) } || {};
is $acme->{subdomain}, 'acme', '... JSON with the subdomain';
is $acme->{primary_color}, '#112233', '... the color';
is_deeply [sort @{$acme->{enabled_modules} || []}], ['employees', 'wallet'],
    '... wallet and the core module enabled';
ok -f "$tenants/acme/config.json", '... config.json written';
ok -d "$tenants/acme/public", '... public/ created';
ok -f "$tenants/acme/public/index.html", '... and the site deployed, as the API does';
ok -f "$tenants/acme/package.json", '... with package.json';
is $s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $acme->{id} "
    . "AND action = 'tenant.deploy'"), 1, '... recorded in the audit log';
is $s->sql_value("SELECT GROUP_CONCAT(action, ':', COALESCE(user_id, 'none') "
    . "ORDER BY id) FROM audit_log WHERE tenant_id = $acme->{id}"),
    'tenant.create:none,tenant.deploy:none',
    '... after the create, both with no user';
{
	my $config = eval { $JSON->decode(slurp("$tenants/acme/config.json")) }
	    || {};
	is $config->{tenant}{subdomain}, 'acme', 'config.json names the tenant';
	ok $config->{modules}{wallet}, '... with wallet enabled';
}

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Logo Inc',
    '--subdomain', 'logoinc', '--logo', do {
	my $path = $s->run_dir . '/logo.png';
	spew($path, tiny_png());
	$path;
    });
is $rc, 0, 'tenant create with a PNG logo: exit 0' or diag $err;
like $out, qr/^created tenant \d+ logoinc http:\/\/logoinc\./m,
    '... a summary line';
like $out, qr/^deployed tenant \d+ logoinc \S+: \d+ files copied, 0 kept, 0 replaced$/m,
    '... and a line for the deploy';
is slurp("$tenants/logoinc/public/logo.png"), tiny_png(),
    '... logo stored under public/';

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Upper',
    '--subdomain', 'UPPER');
is $rc, 1, 'upper-case subdomain: exit 1';
like $err, qr/^subdomain: /m, '... "subdomain: message" on stderr';
ok !-e "$tenants/UPPER" && !-e "$tenants/upper", '... no folder';
is $s->sql_value("SELECT COUNT(*) FROM tenants WHERE subdomain IN "
    . "('UPPER', 'upper')"), 0, '... no row';

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--subdomain', 'noname',
    '--primary-color', 'red');
is $rc, 1, 'missing name and a bad color: exit 1';
like $err, qr/^name: /m, '... the name is reported';
like $err, qr/^primary_color: /m, '... and the color';

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'W', '--subdomain',
    'www');
is $rc, 1, 'reserved subdomain: exit 1';
like $err, qr/^subdomain: .*reserved/m, '... says reserved';

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Again',
    '--subdomain', 'acme');
is $rc, 1, 'duplicate subdomain: exit 1';
like $err, qr/already taken/, '... says taken';
is $s->sql_value("SELECT name FROM tenants WHERE subdomain = 'acme'"),
    'Acme Corp', '... the first tenant is untouched';

($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Bad',
    '--subdomain', 'badmod', '--module', 'nope');
is $rc, 1, 'unknown module: exit 1';
like $err, qr/^module_keys: unknown module "nope"/m, '... names it';

($rc, $out, $err) = $s->tenantctl('tenant', 'list');
is $rc, 0, 'tenant list: exit 0';
my @tenant_lines = split /\n/, $out;
is scalar(@tenant_lines), 2, '... two tenants';
like $out, qr/^$acme->{id}\tacme\tAcme Corp\tactive\t\S+Z$/m,
    '... id, subdomain, name, status, created_at';

($rc, $out, $err) = $s->tenantctl('tenant', 'list', '--search', 'LOGO');
is $out =~ tr/\n//, 1, 'tenant list --search: case-insensitive match';
like $out, qr/\tlogoinc\t/, '... the right one';

($rc, $out, $err) = $s->tenantctl('tenant', 'list', '--archived');
is $out, '', 'tenant list --archived: none';

($rc, $out, $err) = $s->tenantctl('tenant', 'list', '--json', '--order', 'subdomain');
is $rc, 0, 'tenant list --json: exit 0';
{
	my $list = eval { $JSON->decode($out) } || [];
	is_deeply [map { $_->{subdomain} } @$list], ['acme', 'logoinc'],
	    '... a JSON array, ordered by subdomain';
}

($rc, $out, $err) = $s->tenantctl('tenant', 'show', 'acme');
is $rc, 0, 'tenant show by subdomain: exit 0';
like $out, qr/^subdomain:\s+acme$/m, '... shows the subdomain';
like $out, qr/^modules:\s+employees wallet$/m, '... and the enabled modules';

($rc, $out, $err) = $s->tenantctl('tenant', 'show', $acme->{id}, '--json');
is $rc, 0, 'tenant show by id --json: exit 0';
is eval { $JSON->decode($out)->{name} }, 'Acme Corp', '... the tenant';

($rc, $out, $err) = $s->tenantctl('tenant', 'show', 'nosuch');
is $rc, 1, 'tenant show unknown: exit 1';
like $err, qr/no such tenant "nosuch"/, '... says so';

($rc, $out, $err) = $s->tenantctl('tenant', 'delete', 'acme');
is $rc, 1, 'tenant delete without --yes on a pipe: exit 1';
like $err, qr/--yes/, '... asks for --yes';
ok -d "$tenants/acme", '... the folder is still there';

($rc, $out, $err) = $s->tenantctl('tenant', 'delete', 'acme', '--yes');
is $rc, 0, 'tenant delete --yes: exit 0';
ok !-e "$tenants/acme", '... the folder is gone';
is $s->sql_value("SELECT COUNT(*) FROM tenants WHERE subdomain = 'acme'"), 0,
    '... and the row';
is $s->sql_value("SELECT COUNT(*) FROM tenant_modules "
    . "WHERE tenant_id = $acme->{id}"), 0, '... and its module rows';
{
	opendir my $dh, $tenants or die "$tenants: $!";
	my @left = grep { /^\.(staging|trash)-/ } readdir $dh;
	is_deeply \@left, [], '... no staging or trash folder left behind';
}

($rc, $out, $err) = $s->tenantctl('tenant', 'show', 'acme');
is $rc, 1, 'deleted tenant: show exits 1';
($rc, $out, $err) = $s->tenantctl('tenant', 'delete', 'acme', '--yes');
is $rc, 1, 'deleting it again: exit 1';

($rc, $out, $err) = $s->tenantctl('tenant', 'list');
is $out =~ tr/\n//, 1, 'one tenant left';

# --no-deploy, then the README's "Try it": a deploy after the create's own.
($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Bare', '--subdomain',
    'bare', '--no-deploy');
is $rc, 0, 'tenant create --no-deploy: exit 0' or diag $err;
unlike $out, qr/^deployed/m, '... no deploy line';
ok -f "$tenants/bare/config.json", '... config.json written';
ok !-e "$tenants/bare/public/index.html" && !-e "$tenants/bare/package.json",
    '... and the site not deployed';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'bare');
is $rc, 0, 'tenant deploy of it: exit 0' or diag $err;
ok -f "$tenants/bare/public/index.html", '... deploys the site';
($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', 'Acme Corp',
    '--subdomain', 'acme2', '--module', 'wallet', '--json');
is $rc, 0, 'tenant create --json: exit 0' or diag $err;
ok eval { $JSON->decode($out) }, '... stdout is the tenant\'s JSON alone';
ok -f "$tenants/acme2/public/index.html", '... deployed';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'acme2');
is $rc, 0, 'tenant deploy right after tenant create: exit 0' or diag $err;
like $out, qr/^deployed tenant \d+ acme2 /m, '... deployed again';

$s->stop;
done_testing();
