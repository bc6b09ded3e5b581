#!/usr/bin/env perl
# readme.t - the README's "Try it" block runs as written, on a fresh stack.
#
# The block is taken from README.md as it is and run by bash with -e and
# pipefail, so any command in it that fails fails this test.  It runs in a
# directory that stands for the clone: `./dev` there is a stand-in that
# only knows `tenantctl` and runs it against this test's stack, `tenants`
# is the stack's tenants directory and `docs` the source tree's; the block
# reaches the API through TENANTD_HTTP_PORT, as a reader's shell would
# after `TENANTD_HTTP_PORT=... ./dev up`.

use strict;
use warnings;

use Test::More;

use TenantdStack;
use TestProcess qw(run_captured);

my $BLOCK_TIMEOUT = 120;

# The first ```sh block after the "### Try it" heading.
sub try_it_block {
	my ($readme) = @_;
	my $text = TenantdStack->slurp($readme);
	my ($block) = $text =~ /^### Try it\n.*?^```sh\n(.*?)^```$/ms;
	return $block;
}

my $block = try_it_block(TenantdStack->new->srcdir . '/README.md');
ok defined $block, 'README.md has a "Try it" shell block'
    or BAIL_OUT('nothing to run');
unlike $block, qr/^\s*\.\/dev (?!tenantctl )/m,
    'the block uses no ./dev command but tenantctl (nothing else is stood in for)';

my $s = TenantdStack->new(workers => 2);
$s->start;

my $clone = $s->run_dir . '/clone';
mkdir $clone or die "$clone: $!";
my $tenantctl = $s->tenantctl_binary;
my $conf = $s->conf_path;
open my $dev, '>', "$clone/dev" or die "$clone/dev: $!";
print {$dev} <<"SH";
#!/bin/sh
# ./dev for t/readme.t: only tenantctl, against the test's stack.
[ "\$1" = tenantctl ] || { echo "readme.t: no ./dev \$1 here" >&2; exit 2; }
shift
exec '$tenantctl' --config '$conf' "\$@"
SH
close $dev or die "$clone/dev: $!";
chmod 0755, "$clone/dev" or die "chmod $clone/dev: $!";
symlink($s->tenants_dir, "$clone/tenants") or die "symlink tenants: $!";
symlink($s->srcdir . '/docs', "$clone/docs") or die "symlink docs: $!";

my ($exit, $out, $err);
{
	local $ENV{TENANTD_HTTP_PORT} = $s->port;
	chdir $clone or die "chdir $clone: $!";
	($exit, $out, $err) = run_captured(
	    ['bash', '-e', '-o', 'pipefail', '-x', '-c', $block],
	    timeout => $BLOCK_TIMEOUT);
	chdir '/' or die "chdir /: $!";
}
is $exit, 0, 'every command of the block succeeds' or diag "stdout:\n$out\nstderr:\n$err";

# What the block did, seen from the API.
my $r = $s->get('/api/tenants/?search=globex');
my ($globex) = grep { $_->{subdomain} eq 'globex' } @{$r->{json}{results} // []};
ok $globex, 'Globex was created through the API';
is $globex->{logo}, 'logo.png', '... with the sample logo' if $globex;
my %enabled = map { $_ => 1 } @{$globex->{enabled_modules} // []};
ok $enabled{wallet} && !$enabled{reports},
    '... and update_module, given the id from the answer, turned reports off';
like $out, qr/^  "tenant": \{\n    "id": \d+,\n    "name": "Acme Corp",/m,
    'the config.json of acme was printed';

done_testing;
