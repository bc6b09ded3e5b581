#!/usr/bin/env perl
# config-static.t - GET/HEAD /api/tenants/by-subdomain/<sub>/config/ sent
# by the front end itself (nginx, lighttpd), from the tenant's
# config.json (Caddy, which cannot refuse to follow a symlink, leaves it
# to tenantd, and the same contract is checked through it), with
# tenantd's contract (SPEC 4-5, 11): the exact bytes,
# JSON, no-cache, nosniff, an ETag and 304 (weak and listed ETags too),
# HEAD; never stale: config.json files of the same size written within
# one second are each seen by the very next request, and the previous
# ETag then gets 200; tenantd still answers what the front end does not
# serve: an archived, deleted or unknown tenant (its JSON 404), a
# config.json replaced by a symlink, an invalid <sub>, another method
# (405); a custom domain's host serves its own tenant's config whatever
# <sub> the path names.
use strict;
use warnings;

use File::Path qw(make_path);
use JSON::PP ();
use Test::More;

use TenantdStack;
use TestUtil qw(spew wait_until);

my $BASE = '/api/tenants/by-subdomain';

for my $frontend (qw(nginx lighttpd caddy)) {
	my $s = TenantdStack->new(workers => 2, frontend => $frontend);
	$s->use_own_dns_server;
	$s->start;
	my $T = $s->tenants_dir;

	my $create = sub {
		my ($sub, @modules) = @_;
		my $r = $s->post('/api/tenants/?deploy=false', json => {
		    name => 'Acme-A', subdomain => $sub, module_keys => \@modules });
		is($r->{status}, 201, "$frontend: tenant $sub is created") or diag $r->{content};
		return $r->{json}{id};
	};
	my $acme = $create->('acme', 'wallet');
	my $globex = $create->('globex');

	# A public request on `host` (the admin host unless given).
	my $get = sub {
		my ($path, %o) = @_;
		my $host = delete $o{host};
		return $s->get($path, token => undef, headers => \%o,
		    defined $host ? (host => $host) : ());
	};
	# How many config requests tenantd has answered so far.
	my $tenantd_answers = sub {
		my $log = TenantdStack->slurp($s->log_path('tenantd'));
		return scalar(() = $log =~ m{ (?:GET|HEAD) \Q$BASE\E/[^ ]*/config/ }g);
	};

	# --- the front end sends config.json itself, on every kind of host
	$s->add_answered_domains([[$acme, 'hr.acme.test']], prefix => "$frontend: ");
	my $r = $s->post("/api/tenants/$acme/domains/hr.acme.test/verify/");
	is($r->{status}, 200, "$frontend: verify hr.acme.test") or diag $r->{content};

	my $path = "$BASE/acme/config/";
	for my $case (['127.0.0.1', $path], ['acme.localhost', $path],
	    ['globex.localhost', $path], ['hr.acme.test', "$BASE/globex/config/"]) {
		my ($host, $url) = @$case;
		my $what = "$frontend: $url on $host";
		my $file = TenantdStack->slurp("$T/acme/config.json");
		my $before = $tenantd_answers->();
		$r = $get->($url, host => $host);
		is($r->{status}, 200, "$what: 200");
		is($r->{content}, $file, "$what: exactly the bytes of acme's config.json");
		is($r->{headers}{'content-type'}, 'application/json; charset=utf-8',
		    "$what: JSON");
		is($r->{headers}{'cache-control'}, 'no-cache', "$what: no-cache");
		is(join('|', $s->header_values($r, 'X-Content-Type-Options')), 'nosniff',
		    "$what: nosniff, once");
		my $etag = $r->{headers}{etag} // '';
		like($etag, qr/^"[^"]+"$/, "$what: a strong ETag");
		for my $match ($etag, "W/$etag", qq{"nope", $etag}) {
			my $x = $get->($url, host => $host, 'If-None-Match' => $match);
			is($x->{status}, 304, "$what: If-None-Match $match: 304");
			is($x->{content}, '', "$what: ... with no body");
		}
		is($get->($url, host => $host, 'If-None-Match' => '"0123"')->{status},
		    200, "$what: another ETag gets the body");
		my $head = $s->head($url, token => undef, host => $host);
		is($head->{status}, 200, "$what: HEAD 200");
		is($head->{headers}{'content-length'}, length $file, "$what: HEAD announces the length");
		is($head->{content}, '', "$what: HEAD has no body");
		if ($frontend eq 'caddy') {
			cmp_ok($tenantd_answers->(), '>', $before,
			    "$what: Caddy asks tenantd");
		} else {
			is($tenantd_answers->(), $before, "$what: tenantd was not asked");
		}
	}

	# --- never stale: same-size files within the same second
	my ($previous_etag, $previous_file) = ($get->($path)->{headers}{etag},
	    TenantdStack->slurp("$T/acme/config.json"));
	my ($stale, $cached, $sizes, $changes) = (0, 0, 0, 12);
	my $started = time;
	for my $i (1 .. $changes) {
		my $name = $i % 2 ? 'Acme-B' : 'Acme-A';
		$r = $s->patch("/api/tenants/$acme/", json => { name => $name });
		is($r->{status}, 200, "$frontend: PATCH $i") or diag $r->{content};
		my $file = TenantdStack->slurp("$T/acme/config.json");
		$sizes++ if length $file != length $previous_file;
		$r = $get->($path, 'If-None-Match' => $previous_etag);
		$cached++ if $r->{status} != 200;
		$r = $get->($path);
		$stale++ if $r->{content} ne $file
		    || JSON::PP->new->decode($r->{content})->{tenant}{name} ne $name;
		($previous_etag, $previous_file) = ($r->{headers}{etag}, $file);
	}
	is($sizes, 0, "$frontend: the $changes config.json files all have one size");
	cmp_ok(time - $started, '<', $changes,
	    "$frontend: ... several of them written within one second");
	is($stale, 0, "$frontend: the next GET after each change has the new bytes");
	is($cached, 0, "$frontend: ... and the previous ETag then gets 200, never 304");
	$r = $s->post("/api/tenants/$acme/update_module/",
	    json => { module_key => 'wallet', is_enabled => JSON::PP::false() });
	is($r->{status}, 200, "$frontend: wallet disabled") or diag $r->{content};
	ok(!JSON::PP->new->decode($get->($path)->{content})->{modules}{wallet},
	    "$frontend: ... and off in the next config served");

	# --- what tenantd still answers
	$r = $s->post("/api/tenants/$globex/archive/");
	is($r->{status}, 200, "$frontend: globex archived") or diag $r->{content};
	$s->is_error($get->("$BASE/globex/config/"), 404, 'not_found',
	    "$frontend: an archived tenant");
	$r = $s->post("/api/tenants/$globex/restore/");
	is($r->{status}, 200, "$frontend: globex restored") or diag $r->{content};
	$r = $get->("$BASE/globex/config/");
	is($r->{status}, 200, "$frontend: a restored tenant is served again");
	is($r->{content}, TenantdStack->slurp("$T/globex/config.json"),
	    "$frontend: ... its config.json");

	my $gone = $create->('gone');
	is($get->("$BASE/gone/config/")->{status}, 200, "$frontend: gone: served before");
	$r = $s->delete("/api/tenants/$gone/");
	is($r->{status}, 204, "$frontend: gone deleted") or diag $r->{content};
	$s->is_error($get->("$BASE/gone/config/"), 404, 'not_found',
	    "$frontend: a deleted tenant");
	$s->is_error($get->("$BASE/nosuch/config/"), 404, 'not_found',
	    "$frontend: an unknown tenant");
	$s->is_error($get->("$BASE/www/config/"), 404, 'not_found',
	    "$frontend: a reserved name (no folder)");
	$s->is_error($s->post($path, token => undef), 405, 'method_not_allowed',
	    "$frontend: POST");

	# Invalid names never reach a file: planted ones would show.
	spew($s->run_dir . '/config.json', qq{{"planted": "above tenants"}\n});
	for my $name ('ACME', 'x' x 64) {
		make_path("$T/$name");
		spew("$T/$name/config.json", qq{{"planted": "$name"}\n});
	}
	for my $bad ('..', '%2e%2e', '%2E%2E', 'ACME', 'x' x 64, 'acme%2F..', '.') {
		$r = $get->("$BASE/$bad/config/");
		ok($r->{status} == 404 || $r->{status} == 400,
		    "$frontend: <sub> '$bad': 404 (or 400)") or diag "$r->{status} $r->{content}";
		unlike($r->{content}, qr/planted|"version"/, "$frontend: ... and no config");
	}

	# config.json replaced by a symlink, to another tenant's file and to a
	# file outside tenants_dir: never followed.
	spew($s->run_dir . '/outside.json', qq{{"secret": "outside"}\n});
	for my $target ("$T/globex/config.json", $s->run_dir . '/outside.json') {
		rename("$T/acme/config.json", "$T/acme/config.json.real") or die "rename: $!";
		symlink($target, "$T/acme/config.json") or die "symlink: $!";
		for my $host ('127.0.0.1', 'hr.acme.test') {
			$r = $get->($path, host => $host);
			$s->is_error($r, 404, 'not_found',
			    "$frontend: config.json a symlink to $target, on $host");
			unlike($r->{content}, qr/secret|globex/, "$frontend: ... nothing of it");
		}
		unlink("$T/acme/config.json") or die "unlink: $!";
		rename("$T/acme/config.json.real", "$T/acme/config.json") or die "rename: $!";
	}
	is($get->($path)->{status}, 200, "$frontend: the real config.json is served again");

	# A removed domain serves no config (Caddy still has its certificate).
	$r = $s->delete("/api/tenants/$acme/domains/hr.acme.test/");
	is($r->{status}, 204, "$frontend: remove hr.acme.test");
	$s->is_error($get->($path, host => 'hr.acme.test'), 404, 'not_found',
	    "$frontend: a removed domain");

	$s->stop;
}

done_testing();
