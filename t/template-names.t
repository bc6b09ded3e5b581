# template-names.t - a real app tree as the template (SPEC 10): the tree
# bench/gen-nextjs-template writes (route groups "(auth)", dynamic segments
# "[id]", catch-alls "[...slug]", the parallel route "@modal", dotfiles),
# plus UTF-8, spaces, '#', '%' and hidden files, is accepted by `tenantctl
# manifest`; for each front end a tenant deployed with it holds every file
# byte for byte, as its tenantd-template.json ("web_root": "public") asks:
# the web root's files in the tenant's public/, the rest of the tree beside
# it, the template's own package.json customised for the tenant; health
# reports nothing missing or modified and fsck is clean.  Only the web
# root is served, never a dotfile: the front ends refuse dotfiles (nginx
# and Caddy 404, lighttpd 403), files outside the web root are 404 and the asset
# route answers 404 for both, while names with brackets, parentheses, '@'
# and UTF-8 in the web root are served.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

use TenantdStack;
use TestUtil qw(slurp spew);

my $tree = abs_path(dirname(__FILE__) . '/..');
my $srcdir = abs_path($ENV{TENANTD_SRCDIR} // $tree);
my $builddir = abs_path($ENV{TENANTD_BUILDDIR} // $tree);

# The template lives beside the run directories, readable by the service
# user tenantd runs as (a tempdir is 0700).
make_path("$builddir/t/var");
my $work = tempdir('template-names-XXXXXX', DIR => "$builddir/t/var",
    CLEANUP => 1);
chmod 0755, $work or die "chmod $work: $!";
my $TEMPLATE = "$work/template";
my $MANIFEST = "$work/template.manifest";
system("$srcdir/bench/gen-nextjs-template", $TEMPLATE) == 0
    or BAIL_OUT('bench/gen-nextjs-template failed');

my %EXTRA = (
	'app/.hidden' => "not for the web\n",
	'public/.hidden-asset' => "not for the web either\n",
	'public/(group)/[id]/@slot.txt' => "served with its odd name\n",
	"app/(auth)/notes.txt" => "route group notes\n",
	"public/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt" => "utf-8 name\n",
	'public/#1 100% "quoted".txt' => "odd characters\n",
);
for my $path (sort keys %EXTRA) {
	make_path(dirname("$TEMPLATE/$path"));
	spew("$TEMPLATE/$path", $EXTRA{$path});
}
system('chmod', '-R', 'a+rX', $TEMPLATE) == 0 or die "chmod -R failed\n";

my $out = `"$builddir/src/tenantctl" manifest "$TEMPLATE" 2>&1`;
is($?, 0, 'tenantctl manifest accepts the Next.js-shaped tree')
    or diag $out;
spew($MANIFEST, $out);
my @ENTRIES = map { /^([0-9a-f]{64}) (\d+) (.+)$/ ? { path => $3 } : () }
    split /\n/, $out;
my %LISTED = map { ($_->{path} => 1) } @ENTRIES;
for my $path ('.gitignore', '.eslintrc.json', 'app/.hidden',
    'app/(auth)/login/page.tsx', 'app/(dashboard)/employees/[id]/page.tsx',
    'app/[...slug]/page.tsx', 'app/@modal/default.tsx', keys %EXTRA) {
	ok($LISTED{$path}, "the manifest lists $path");
}

# A symlink in the tree is refused, naming its path.
symlink('/etc/passwd', "$TEMPLATE/app/(auth)/passwd") or die "symlink: $!";
my $refused = `"$builddir/src/tenantctl" manifest "$TEMPLATE" 2>&1`;
isnt($?, 0, 'a symlink in the template fails the manifest');
like($refused, qr{app/\(auth\)/passwd: symbolic links are not allowed},
    '  naming its path');
unlink("$TEMPLATE/app/(auth)/passwd") or die "unlink: $!";

# Where template path `path` lands in the tenant folder `dir`: the web
# root's files in public/, the others beside it.
sub deployed_path {
	my ($dir, $path) = @_;
	return $path =~ m{^public/(.+)$} ? "$dir/public/$1" : "$dir/$path";
}

# Every template file is in the tenant folder with the template's bytes,
# but package.json, which is the tenant's own (checked apart).
sub deployed_files_identical {
	my ($dir) = @_;
	my $differ = 0;
	for my $e (@ENTRIES) {
		next if $e->{path} eq 'package.json';
		my $file = deployed_path($dir, $e->{path});
		my $got = -f $file && !-l $file ? slurp($file) : undef;
		next if defined $got && $got eq slurp("$TEMPLATE/$e->{path}");
		diag("$e->{path} differs from the template");
		$differ++;
	}
	return $differ == 0;
}

# How each front end refuses a dotfile: nginx and Caddy answer 404,
# lighttpd's url.access-deny 403.
my %DOTFILE_STATUS = (nginx => 404, lighttpd => 403, caddy => 404);

sub site_get {
	my ($s, $path) = @_;
	return $s->get($path, token => undef, host => 'acme.localhost');
}

for my $frontend (qw(nginx lighttpd caddy)) {
	subtest "deployed and served through $frontend" => sub {
		my $s = TenantdStack->new(workers => 2, frontend => $frontend,
		    conf => { template_dir => $TEMPLATE,
		    template_manifest => $MANIFEST });
		$s->start;
		my $r = $s->post('/api/tenants/?deploy=false', form => [
		    name => 'Acme', subdomain => 'acme']);
		is($r->{status}, 201, 'a tenant is created')
		    or diag $r->{content};
		my $id = $r->{json}{id};
		$r = $s->post("/api/tenants/$id/deploy_frontend/");
		is($r->{status}, 200, 'its site is deployed')
		    or diag $r->{content};
		is($r->{json}{files_copied}, scalar @ENTRIES - 1,
		    '  every file of the manifest but package.json');
		my $folder = $s->tenants_dir . '/acme';
		ok(deployed_files_identical($folder),
		    'the tenant folder holds every file with the template bytes');
		ok(-f "$folder/public/logo.svg" && -d "$folder/app" &&
		    !-e "$folder/public/public" && !-e "$folder/public/app",
		    '  the web root in public/, the rest beside it');
		my $package = JSON::PP->new->decode(slurp("$folder/package.json"));
		is($package->{name}, 'acme-app', 'package.json: the tenant\'s name');
		is($package->{description}, 'Application for Acme',
		    '  and description');
		is_deeply($package->{scripts}, JSON::PP->new->decode(
		    slurp("$TEMPLATE/package.json"))->{scripts},
		    '  the template\'s other members kept');

		$r = $s->get("/api/tenants/$id/health/");
		is($r->{status}, 200, 'health answers');
		ok($r->{json}{frontend_deployed}, '  the front end is deployed');
		is($r->{json}{manifest_files}, scalar @ENTRIES - 1,
		    '  judged against every deployed file');
		is($r->{json}{missing_count}, 0, '  nothing missing')
		    or diag explain $r->{json}{missing_files};
		is($r->{json}{modified_count}, 0, '  nothing modified');

		my ($rc, $fsck_out, $fsck_err) = $s->tenantctl('fsck');
		is($rc, 0, 'fsck is clean') or diag "$fsck_out$fsck_err";

		# A dotfile the tenant changed is reported and kept by the next
		# deploy, which reads the record of the first one back.
		my $changed = $s->tenants_dir . '/acme/.eslintrc.json';
		spew($changed, slurp($changed) . "\n");
		$r = $s->get("/api/tenants/$id/health/");
		is_deeply($r->{json}{modified_files}, ['.eslintrc.json'],
		    'health reports the changed dotfile');
		$r = $s->post("/api/tenants/$id/deploy_frontend/");
		is($r->{status}, 200, 'a second deploy succeeds')
		    or diag $r->{content};
		is_deeply($r->{json}{kept}, ['.eslintrc.json'],
		    '  keeping the changed dotfile');

		for my $path ('/.hidden-asset', '/%2Ehidden-asset',
		    '/.eslintrc.json', '/.gitignore', '/app/.hidden',
		    '/%2Eeslintrc.json', '/app/%2ehidden') {
			$r = site_get($s, $path);
			is($r->{status}, $DOTFILE_STATUS{$frontend},
			    "$frontend: $path is $DOTFILE_STATUS{$frontend}");
			unlike($r->{content}, qr/not for the web|"extends"/,
			    '  without the file');
		}
		for my $path ('/app/(auth)/notes.txt', '/package.json',
		    '/next.config.mjs', '/public/logo.svg', '/config.json/x') {
			$r = site_get($s, $path);
			is($r->{status}, 404,
			    "$frontend: $path, outside the web root, is 404");
		}
		$r = site_get($s, '/caf%C3%A9%20%E6%97%A5%E6%9C%AC.txt');
		is($r->{status}, 200, "$frontend: a UTF-8 name is 200");
		is($r->{content}, "utf-8 name\n", '  with its bytes');
		$r = site_get($s, '/(group)/[id]/@slot.txt');
		is($r->{status}, 200, "$frontend: ( ) [ ] @ in the web root: 200");
		is($r->{content}, "served with its odd name\n", '  with its bytes');

		my $assets = '/api/tenants/by-subdomain/acme/assets';
		for my $path ('.hidden-asset', '%2Ehidden-asset',
		    '.eslintrc.json', '.gitignore', 'app/.hidden',
		    '%2Egitignore', 'app/%2Ehidden',
		    'app/%28auth%29/login/page.tsx', 'package.json') {
			$r = site_get($s, "$assets/$path");
			is($r->{status}, 404, "asset route: $path is 404");
		}
		for my $path ('%28group%29/%5Bid%5D/%40slot.txt',
		    '%231%20100%25%20%22quoted%22.txt', 'logo.svg') {
			(my $file = $path) =~ s/%([0-9A-F]{2})/chr hex $1/ge;
			$r = site_get($s, "$assets/$path");
			is($r->{status}, 200, "asset route: $file is 200");
			is($r->{content}, slurp("$TEMPLATE/public/$file"),
			    '  with its bytes');
		}
		$s->stop;
	};
}

done_testing();
