#!/usr/bin/env perl
# fsck.t - `tenantctl fsck [--repair] [--json]` and the tenantctl commands
# of the tenant lifecycle (`tenant deploy|archive|restore`).
#
# Every inconsistency of lib/fsck.h is built by hand (mv, rm, mkdir, SQL):
# fsck reports each one (exit 1) without touching anything, --json gives
# the same as a document, --repair fixes what is safe (nothing deleted,
# folders moved aside), skips busy tenants and leaves young orphans alone,
# and a final fsck is clean (exit 0).

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use JSON::PP ();
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew);

my $JSON = JSON::PP->new->utf8;

my $s = TenantdStack->new(tenantd => 0, nginx => 0, admin => 0);
$s->start;

my $TENANTS = $s->tenants_dir;
my $ARCHIVE = $s->archive_dir;
my $OLD = time - 20 * 60;	# past fsck's 10-minute grace period

# Sets the modification time of `path` 20 minutes back.
sub backdate {
	my ($path) = @_;
	utime($OLD, $OLD, $path) or die "utime $path: $!";
}

# The names in directory `dir` matching `re`.
sub entries {
	my ($dir, $re) = @_;
	opendir(my $dh, $dir) or die "$dir: $!";
	my @names = sort grep { /$re/ } readdir $dh;
	closedir $dh;
	return @names;
}

my %id;

# Creates tenant `sub` with tenantctl, which deploys it.  Returns its id.
sub make_tenant {
	my ($sub) = @_;
	my ($rc, $out, $err) = $s->tenantctl('tenant', 'create', '--name', "Tenant $sub",
	    '--subdomain', $sub, '--module', 'wallet');
	die "tenant create $sub: $err" if $rc != 0;
	my ($tid) = $out =~ /^created tenant (\d+) /m or die "no id in '$out'";
	return $id{$sub} = $tid;
}

my ($rc, $out, $err);

# --- usage ------------------------------------------------------------------

($rc, $out, $err) = $s->tenantctl('--help');
like $out, qr/^  fsck \[--repair\] \[--json\]/m, 'usage lists fsck';
like $out, qr/^  tenant deploy ID\|SUBDOMAIN \[--force\]/m,
    'usage lists tenant deploy';
like $out, qr/^  tenant archive /m, 'usage lists tenant archive';
like $out, qr/^  tenant restore /m, 'usage lists tenant restore';
($rc, $out, $err) = $s->tenantctl('fsck', 'extra');
is $rc, 2, 'fsck with an argument: exit 2';
($rc, $out, $err) = $s->tenantctl('fsck', '--force');
is $rc, 2, 'fsck --force: exit 2';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy');
is $rc, 2, 'tenant deploy without a tenant: exit 2';
($rc, $out, $err) = $s->tenantctl('tenant', 'archive', 'acme', '--repair');
is $rc, 2, 'tenant archive --repair: exit 2';

# --- an empty installation is clean -------------------------------------------

($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 0, 'fsck of an empty installation: exit 0' or diag $out, $err;
like $out, qr/^checked 0 tenants: clean$/m, '... "clean"';

# --- tenant deploy, archive, restore --------------------------------------------

make_tenant($_) for qw(clean nofolder intarch intrest misarch conflict
    stale stale2 stale3 undep leftover oldarch busy);
ok -f "$TENANTS/clean/public/index.html", 'tenant create deployed the template';
ok -f "$TENANTS/clean/package.json", '... and wrote package.json';

spew("$TENANTS/clean/public/index.html", "<p>changed by the tenant</p>\n");
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'clean');
is $rc, 0, 'tenant deploy over a changed file: exit 0' or diag $err;
like $out, qr/^deployed tenant $id{clean} clean .*: \d+ files copied, 1 kept/m,
    '... reports one file kept';
like $out, qr/^kept \(changed by the tenant\): index\.html$/m, '... naming it';
is slurp("$TENANTS/clean/public/index.html"), "<p>changed by the tenant</p>\n",
    '... and keeps it';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', $id{clean}, '--force');
is $rc, 0, 'tenant deploy --force by id: exit 0' or diag $err;
like $out, qr/1 replaced/, '... reports the file replaced';
isnt slurp("$TENANTS/clean/public/index.html"),
    "<p>changed by the tenant</p>\n", '... and replaces it';
is $s->sql_value("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $id{clean} "
    . "AND action = 'tenant.deploy'"), 3, 'each deploy is in the audit log';

($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'no-such-tenant');
is $rc, 1, 'tenant deploy of an unknown tenant: exit 1';
like $err, qr/no such tenant/, '... saying so';

for my $sub (qw(intrest misarch conflict)) {
	($rc, $out, $err) = $s->tenantctl('tenant', 'archive', $sub);
	is $rc, 0, "tenant archive $sub: exit 0" or diag $err;
	like $out, qr/^tenant $id{$sub} $sub: archived since \S+Z$/m,
	    '... printing the new state';
}
ok !-e "$TENANTS/intrest" && -d "$ARCHIVE/intrest/public",
    'the archived folder moved to archive_dir';
($rc, $out, $err) = $s->tenantctl('tenant', 'archive', 'intrest');
is $rc, 0, 'tenant archive again: exit 0';
like $out, qr/archived since/, '... still archived';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'intrest');
is $rc, 1, 'tenant deploy of an archived tenant: exit 1';
like $err, qr/archived; restore the tenant first/, '... saying why';
ok !-e "$TENANTS/intrest", '... and no folder appears';

($rc, $out, $err) = $s->tenantctl('tenant', 'restore', 'misarch');
is $rc, 0, 'tenant restore: exit 0' or diag $err;
like $out, qr/^tenant $id{misarch} misarch: active$/m, '... active';
ok -f "$TENANTS/misarch/config.json" && !-e "$ARCHIVE/misarch",
    '... folder back';
($rc, $out, $err) = $s->tenantctl('tenant', 'restore', 'misarch');
is $rc, 0, 'tenant restore again: exit 0';
($rc, $out, $err) = $s->tenantctl('tenant', 'archive', 'misarch');
is $rc, 0, 'and archived once more' or diag $err;
($rc, $out, $err) = $s->tenantctl('tenant', 'restore', 'nope');
is $rc, 1, 'tenant restore of an unknown tenant: exit 1';

$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = '"
    . ('b' x 32) . "', busy_since = UTC_TIMESTAMP(6) WHERE id = $id{busy}");
($rc, $out, $err) = $s->tenantctl('tenant', 'archive', 'busy');
is $rc, 1, 'tenant archive of a busy tenant: exit 1';
like $err, qr/busy/, '... saying it is busy';
($rc, $out, $err) = $s->tenantctl('tenant', 'deploy', 'busy');
is $rc, 1, 'tenant deploy of a busy tenant: exit 1';
like $err, qr/busy/, '... saying it is busy';
$s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, "
    . "busy_since = NULL WHERE id = $id{busy}");

my $count = scalar keys %id;
($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 0, 'fsck of a consistent installation: exit 0' or diag $out, $err;
is $out, "checked $count tenants: clean\n", '... one line: clean';
($rc, $out, $err) = $s->tenantctl('fsck', '--json');
is $rc, 0, 'fsck --json: exit 0';
my $doc = eval { $JSON->decode($out) };
is_deeply($doc, { problems => [], checked => $count, repaired => 0 },
    '... {"problems": [], "checked": N}') or diag $out;

# --- every inconsistency, by hand -----------------------------------------------

remove_tree("$TENANTS/nofolder");
rename("$TENANTS/intarch", "$ARCHIVE/intarch") or die $!;
rename("$ARCHIVE/intrest", "$TENANTS/intrest") or die $!;
remove_tree("$ARCHIVE/misarch");
make_path("$TENANTS/conflict/public");
spew("$TENANTS/conflict/public/stray.html", "stray\n");
my $config = slurp("$TENANTS/stale/config.json");
$config =~ s/"Tenant stale"/"Someone Else"/ or die 'no name in config.json';
spew("$TENANTS/stale/config.json", $config);
unlink("$TENANTS/stale2/config.json") or die $!;
spew("$TENANTS/stale3/config.json", "{ not json");
unlink("$TENANTS/undep/public/index.html") or die $!;
make_path("$TENANTS/.staging-zombie-0123456789abcdef/public",
    "$TENANTS/.staging-young-0123456789abcdef",
    "$TENANTS/leftover/.public.staging-0123456789abcdef/css",
    "$TENANTS/ghost/public", "$ARCHIVE/ghost2", "$TENANTS/fresh-ghost",
    "$ARCHIVE/oldarch");
spew("$TENANTS/ghost/public/data.txt", "keep me\n");
backdate($_) for ("$TENANTS/.staging-zombie-0123456789abcdef",
    "$TENANTS/leftover/.public.staging-0123456789abcdef",
    "$TENANTS/ghost", "$ARCHIVE/ghost2");

my %expected = (
	"tenant $id{nofolder} nofolder" => 'missing folder',
	"tenant $id{intarch} intarch" => 'interrupted archive',
	"tenant $id{intrest} intrest" => 'interrupted restore',
	"tenant $id{misarch} misarch" => 'missing archived folder',
	"tenant $id{conflict} conflict" => 'conflicting folder',
	"tenant $id{stale} stale" => 'stale config',
	"tenant $id{stale2} stale2" => 'stale config',
	"tenant $id{stale3} stale3" => 'stale config',
	"tenant $id{undep} undep" => 'undeployed frontend',
	"tenant $id{leftover} leftover" => 'leftover staging folder',
	"tenant $id{oldarch} oldarch" => 'orphan folder',
	'.staging-zombie-0123456789abcdef' => 'leftover staging folder',
	'ghost' => 'orphan folder',
	'ghost2' => 'orphan folder',
	'fresh-ghost' => 'orphan folder',
);

($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 1, 'fsck with problems: exit 1' or diag $err;
for my $who (sort keys %expected) {
	like $out, qr/^\Q$who\E: \Q$expected{$who}\E(?::|$)/m,
	    "fsck reports $who: $expected{$who}";
}
my @lines = grep { !/^checked / } split /\n/, $out;
is scalar @lines, scalar keys %expected, '... and nothing else' or diag $out;
like $out, qr/^stale config|: config\.json: stale$/m, 'the detail says why';
unlike $out, qr/staging-young/, 'a young staging folder is not reported';
like $out, qr/^checked $count tenants: 15 problems, 0 repaired$/m,
    'summary line';
unlike $out, qr/\[(not )?repaired\]/, 'no repair marks without --repair';
ok !-e "$TENANTS/nofolder" && -d "$TENANTS/ghost" && -d "$ARCHIVE/intarch"
    && -d "$TENANTS/.staging-zombie-0123456789abcdef"
    && !-e "$TENANTS/undep/public/index.html",
    'fsck without --repair changed nothing';
is $s->sql_value("SELECT is_active FROM tenants WHERE id = $id{intarch}"), 1,
    '... not even the rows';

($rc, $out, $err) = $s->tenantctl('fsck', '--json');
is $rc, 1, 'fsck --json with problems: exit 1';
$doc = eval { $JSON->decode($out) };
ok ref $doc eq 'HASH', '... one JSON document' or diag $out;
is $doc->{checked}, $count, '... checked counts the tenant rows';
my %got = map { (($_->{tenant_id} ? "tenant $_->{tenant_id} " : '')
    . $_->{subdomain}) => $_->{problem} } @{$doc->{problems} // []};
is_deeply(\%got, \%expected, '... listing the same problems');
my ($ghost) = grep { $_->{subdomain} eq 'ghost' } @{$doc->{problems} // []};
is_deeply([sort keys %{$ghost // {}}],
    [qw(detail problem repaired subdomain tenant_id)],
    '... each with tenant_id, subdomain, problem, detail, repaired');
ok defined $ghost && !defined $ghost->{tenant_id},
    '... tenant_id null for a folder without a tenant';
ok defined $ghost && JSON::PP::is_bool($ghost->{repaired}) && !$ghost->{repaired},
    '... repaired false';

# --- repair -----------------------------------------------------------------

# A busy tenant is skipped, not waited for.
$s->sql("UPDATE tenants SET busy_operation = 'deploy', busy_token = '"
    . ('c' x 32) . "', busy_since = UTC_TIMESTAMP(6) WHERE id = $id{undep}");

# The damage above was done as root when the suite runs as root; tenantd's
# user owns tenant folders in real life.
$s->give_to_service($TENANTS, $ARCHIVE);
($rc, $out, $err) = $s->tenantctl('fsck', '--repair');
is $rc, 1, 'fsck --repair with unrepairable problems left: exit 1'
    or diag $err;
for my $who (sort keys %expected) {
	next if $who =~ /misarch|fresh-ghost|undep/;
	like $out, qr/^\Q$who\E: \Q$expected{$who}\E: .*\[repaired\]$/m,
	    "repaired: $who";
}
like $out, qr/^tenant $id{misarch} misarch: missing archived folder: .*\[not repaired\]$/m,
    'a missing archived folder is reported only';
like $out, qr/^fresh-ghost: orphan folder: .*left alone \[not repaired\]$/m,
    'a young orphan folder is left alone';
like $out, qr/^tenant $id{undep} undep: undeployed frontend: skipped: .*running \[not repaired\]$/m,
    'a busy tenant is skipped';
like $out, qr/^checked $count tenants: 15 problems, 12 repaired$/m,
    'summary line counts the repairs';

ok -f "$TENANTS/nofolder/config.json"
    && -f "$TENANTS/nofolder/public/index.html",
    'missing folder: recreated with config.json and a deployed public/';
my $recreated = TenantdStack->read_json_file("$TENANTS/nofolder/config.json");
is $recreated && $recreated->{tenant}{id}, $id{nofolder}, '... its own config';
is_deeply([$s->sql("SELECT is_active, archived_at IS NOT NULL FROM tenants "
    . "WHERE id = $id{intarch}")], [[0, 1]],
    'interrupted archive: completed (row archived)');
ok -d "$ARCHIVE/intarch" && !-e "$TENANTS/intarch", '... folder archived';
is_deeply([$s->sql("SELECT is_active, archived_at FROM tenants "
    . "WHERE id = $id{intrest}")], [[1, undef]],
    'interrupted restore: completed (row active)');
ok -f "$TENANTS/intrest/config.json" && !-e "$ARCHIVE/intrest",
    '... folder in place';
ok !-e "$TENANTS/conflict" && -d "$ARCHIVE/conflict/public",
    'conflicting folder: the tenants_dir copy is gone from tenants_dir';
my @conflict = entries($ARCHIVE, qr/^\.orphan-conflict-[0-9a-f]{16}$/);
is scalar @conflict, 1, '... moved aside to archive_dir/.orphan-conflict-<hex>';
ok @conflict && -f "$ARCHIVE/$conflict[0]/public/stray.html", '... whole';
like slurp("$TENANTS/stale/config.json"), qr/"Tenant stale"/,
    'stale config: rewritten from the row';
ok -f "$TENANTS/stale2/config.json", 'missing config.json: written';
ok(TenantdStack->read_json_file("$TENANTS/stale3/config.json"),
    'unparsable config.json: rewritten');
ok !-e "$TENANTS/.staging-zombie-0123456789abcdef",
    'an old staging folder is removed';
ok -d "$TENANTS/.staging-young-0123456789abcdef",
    'a young one is kept';
ok !-e "$TENANTS/leftover/.public.staging-0123456789abcdef",
    'an old .public.staging folder in a tenant folder is removed';
ok !-e "$TENANTS/ghost", 'orphan folder: gone from tenants_dir';
my @ghost = entries($ARCHIVE, qr/^\.orphan-ghost-[0-9a-f]{16}$/);
is scalar @ghost, 1, '... moved to archive_dir/.orphan-ghost-<hex>';
is @ghost ? slurp("$ARCHIVE/$ghost[0]/public/data.txt") : '', "keep me\n",
    '... with its data';
ok !-e "$ARCHIVE/ghost2"
    && entries($ARCHIVE, qr/^\.orphan-ghost2-[0-9a-f]{16}$/) == 1,
    'an orphan in archive_dir is put aside there';
ok !-e "$ARCHIVE/oldarch" && -d "$TENANTS/oldarch"
    && entries($ARCHIVE, qr/^\.orphan-oldarch-[0-9a-f]{16}$/) == 1,
    'an active tenant\'s leftover archived copy is put aside';
ok -d "$TENANTS/fresh-ghost", 'the young orphan is still there';
ok !-e "$TENANTS/undep/public/index.html", 'the busy tenant was not touched';
is $s->sql_value("SELECT busy_token FROM tenants WHERE id = $id{undep}"), 'c' x 32,
    '... nor its lock';
is $s->sql_value("SELECT COUNT(*) FROM tenants WHERE busy_operation IS NOT NULL"),
    1, 'every lock fsck took was given back';

# --- and then clean ---------------------------------------------------------------

$s->sql("UPDATE tenants SET busy_operation = NULL, busy_token = NULL, "
    . "busy_since = NULL WHERE id = $id{undep}");
backdate("$TENANTS/fresh-ghost");
($rc, $out, $err) = $s->tenantctl('tenant', 'delete', 'misarch', '--yes');
is $rc, 0, 'the tenant with the lost archive is deleted' or diag $err;
$s->give_to_service($TENANTS, $ARCHIVE);
($rc, $out, $err) = $s->tenantctl('fsck', '--repair', '--json');
is $rc, 0, 'fsck --repair --json fixing all that is left: exit 0'
    or diag $out, $err;
$doc = eval { $JSON->decode($out) };
%got = map { $_->{subdomain} => [$_->{problem}, $_->{repaired}] }
    @{$doc->{problems} // []};
is_deeply(\%got, { 'fresh-ghost' => ['orphan folder', JSON::PP::true()],
    undep => ['undeployed frontend', JSON::PP::true()] },
    '... the old orphan and the undeployed frontend') or diag $out;
is $doc->{repaired}, 2, '... "repaired": 2';
ok -f "$TENANTS/undep/public/index.html", '... the frontend is deployed';

($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 0, 'a last fsck: exit 0' or diag $out, $err;
is $out, "checked " . ($count - 1) . " tenants: clean\n", '... clean';
ok -d "$TENANTS/.staging-young-0123456789abcdef",
    '(the young staging folder is still not reported)';

# --- stray logos: uploads of an update that did not finish ---------------------

my $public = "$TENANTS/undep/public";
spew("$public/logo.gif", "GIF89a never accepted\n");
spew("$public/.pending-logo.png", "half a replacement\n");
spew("$public/logo.webp", "just written\n");
spew("$public/logo-notes.txt", "the tenant's own file\n");
backdate("$public/$_") for qw(logo.gif .pending-logo.png logo-notes.txt);
$s->give_to_service($public);
($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 1, 'stray logos: fsck exit 1' or diag $out, $err;
like $out, qr/^tenant $id{undep} undep: stray logo: 2 logo file\(s\) in public\/ that are not the tenant's logo, e\.g\. \S+ \(an update that did not finish\)$/m,
    '... both old ones are reported, the young one and the tenant\'s own file not';
($rc, $out, $err) = $s->tenantctl('fsck', '--repair');
is $rc, 0, 'fsck --repair removes them: exit 0' or diag $out, $err;
like $out, qr/^tenant $id{undep} undep: stray logo: 2 stray logo file\(s\) removed \[repaired\]$/m,
    '... and says so';
ok !-e "$public/logo.gif" && !-e "$public/.pending-logo.png",
    '... they are gone';
ok -e "$public/logo.webp" && -e "$public/logo-notes.txt",
    '... the young one and the tenant\'s own file are not';

# --- gate files: .gate/ lost, or holding what config.json does not enable --------

my $gate = "$TENANTS/undep/.gate";
my $modules = TenantdStack->read_json_file("$TENANTS/undep/config.json")->{modules};
my @enabled = sort grep { $modules->{$_} } keys %$modules;
ok @enabled > 0, 'gate files: undep enables modules (' . join(' ', @enabled) . ')';
is_deeply [sort map { s{.*/}{}r } glob "$gate/*"], \@enabled,
    'gate files: .gate/ holds one file per enabled module';
($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 0, 'gate files: in step, fsck is clean' or diag $out, $err;
remove_tree($gate);
make_path($gate);
spew("$gate/not-enabled", '');
$s->give_to_service("$TENANTS/undep/.gate");
($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 1, 'gate files: out of step, fsck exit 1' or diag $out, $err;
like $out, qr/^tenant $id{undep} undep: stale gate files: ${\ scalar @enabled} enabled module\(s\) without a gate file, 1 entry of \.gate\/ that config\.json does not enable$/m,
    '... reported with the counts';
($rc, $out, $err) = $s->tenantctl('fsck', '--repair');
is $rc, 0, 'fsck --repair publishes them: exit 0' or diag $out, $err;
like $out, qr/^tenant $id{undep} undep: stale gate files: gate files published from config\.json: ${\ scalar @enabled} added, 1 removed \[repaired\]$/m,
    '... and says so';
is_deeply [sort map { s{.*/}{}r } glob "$gate/*"], \@enabled,
    '... .gate/ holds the enabled modules\' files again';
($rc, $out, $err) = $s->tenantctl('fsck');
is $rc, 0, '... and fsck is clean' or diag $out, $err;

done_testing;
