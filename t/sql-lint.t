# sql-lint.t - no SQL is built at run time.
#
# Scans lib/*.c and src/*.c (comments removed, string literals kept) and
# fails on:
#   - a db_exec() or db_query() whose SQL argument is anything but string
#     string literals, literal constants and literal macros (or an
#     expression in %ALLOWED_SQL below, with why it is safe), and the same
#     for the functions of @SQL_WRAPPERS, which pass their SQL on to them;
#   - an snprintf/buf_printf/... whose format holds SELECT, INSERT, UPDATE
#     or DELETE;
#   - any mysql_query/mysql_real_query/mysql_stmt_prepare outside the
#     database module's files in %CLIENT_FILES, the only ones that talk to
#     the client library;
#   - db_exec_script_statement() (which runs the text it is given) outside
#     the files in %SCRIPT_CALLERS.
# The scanner first proves on a planted sample that it catches each kind.
use strict;
use warnings;

use Test::More;
use File::Basename qw(basename dirname);

my $srcdir = $ENV{TENANTD_SRCDIR} // dirname(dirname(__FILE__));

# SQL arguments that are not literals at the call, by "file expression",
# each with the reason it is safe (reviewed: the text is put together only
# from string literals and '?' parameter markers; every value is bound).
my %ALLOWED_SQL = (
	'lib/bulk_modules.c sql.data' => 'sql_repeat() (lib/sql.c) repeats a '
	    . 'literal row such as "(?,?,?)" or "?" between a literal head and '
	    . 'tail, once per item; values are bound',
	'lib/bulk_rows.c sql.data' => 'sql_repeat() (lib/sql.c) repeats a '
	    . 'literal row such as "(?,?,?)" or "?" between a literal head and '
	    . 'tail, once per item; values are bound',
	'lib/bulk_rows.c sql->data' => 'bulk_exec_audit(): sql_repeat() of its '
	    . 'literal INSERT INTO audit_log head and a row literal its callers '
	    . '(bulk_rows.c, bulk_modules.c) pass; values are bound',
	'lib/bulk_validate.c sql.data' => 'sql_repeat() (lib/sql.c) repeats a '
	    . 'literal "?" between a literal head and tail, once per subdomain; '
	    . 'values are bound',
	'lib/audit.c sql.data' => 'audit_record_many(): sql_repeat() of a '
	    . 'literal INSERT head and one literal row per tenant; values are bound',
	'lib/notification.c sql.data' => 'sql_repeat() of a literal INSERT '
	    . 'IGNORE ... SELECT head, one "?" per tenant id and a literal ")"; '
	    . 'values are bound',
	'lib/template_rows.c sql.data' => 'sql_repeat() of a literal UPDATE '
	    . 'head, one "?" per tenant id and a literal ")"; values are bound',
	'lib/tenant.c sql' => 'find_one() gets one of two literal SELECTs from '
	    . 'tenant_find_by_id/_by_subdomain',
	'lib/tenant.c modules_sql.data' => 'sql_repeat() of a literal INSERT '
	    . 'head and one "(?,?,?)" per module; values are bound',
	'lib/tenant_list.c sql.data' => 'sql_repeat() of a literal head, one "?" '
	    . 'per id and a literal tail; the listing joins (sql_join()) literal '
	    . 'filter fragments and an ORDER BY from the constant tenant_orders '
	    . 'table',
	'lib/tenant_list.c count_sql.data' => 'sql_join() of the same literal '
	    . 'filter fragments as the list query',
	'lib/list_index.c steps[i]' => 'list_index_rebuild(): each of the '
	    . 'literal DELETE and INSERT ... SELECT statements of its constant '
	    . 'steps table, no parameters',
	'lib/lifecycle.c op->sql' => 'the literal UPDATE of the constant '
	    . 'archive_operation or restore_operation',
	'lib/auth.c sql' => 'the lookup and listing helpers of lib/auth.c pass '
	    . 'on the SQL of their callers, which this test checks like '
	    . 'db_query()\'s (@SQL_WRAPPERS)',
);

# Functions that hand their second argument to db_query() as its SQL:
# their callers are held to the same rule.
my @SQL_WRAPPERS = qw(auth_query_one auth_query_hashed auth_rows_load);
my $SQL_CALL = join '|', 'db_exec', 'db_query', @SQL_WRAPPERS;

# Files allowed to call db_exec_script_statement(), with the reason.
my %SCRIPT_CALLERS = (
	'lib/migrate.c' => 'runs the statements of etc/migrations/*.sql, files '
	    . 'shipped with tenantd and installed by the operator; no request '
	    . 'data reaches them',
);

# The files of the database module that call the client library and
# define db_exec()/db_query(): the one place SQL text meets the server.
my %CLIENT_FILES = map { $_ => 1 } qw(lib/db.c lib/db_statement.c);

my $FORMAT_FUNCTIONS = qr/\b(?:v?s?n?printf|buf_v?printf|asprintf|dprintf)\s*\(/;
my $SQL_WORD = qr/\b(?:SELECT|INSERT|UPDATE|DELETE)\b/;

# Removes comments, keeping string and character literals and line count.
sub strip_comments {
	my ($text) = @_;
	my $out = '';
	while ($text =~ m{\G(?:(/\*.*?\*/)|(//[^\n]*)|("(?:\\.|[^"\\])*")|('(?:\\.|[^'\\])*')|(.))}gsc) {
		if (defined $1) {
			(my $lines = $1) =~ s/[^\n]//g;
			$out .= ' ' . $lines;
		} elsif (defined $2) {
			$out .= ' ';
		} else {
			$out .= $3 // $4 // $5;
		}
	}
	return $out;
}

# The arguments of the call whose '(' is at `pos` in `text`, split at
# top-level commas.
sub call_arguments {
	my ($text, $pos) = @_;
	my ($depth, $current, @args) = (0, '');
	pos($text) = $pos;
	while ($text =~ m{\G(?:("(?:\\.|[^"\\])*")|('(?:\\.|[^'\\])*')|([(\[{])|([)\]}])|(,)|(.))}gsc) {
		if (defined $3) {
			$depth++;
			next if $depth == 1;
		} elsif (defined $4) {
			$depth--;
			if ($depth == 0) {
				push @args, $current;
				last;
			}
		} elsif (defined $5 && $depth == 1) {
			push @args, $current;
			$current = '';
			next;
		}
		$current .= $1 // $2 // $3 // $4 // $5 // $6;
	}
	return @args;
}

# The line number of offset `pos` in `text`.
sub line_of {
	my ($text, $pos) = @_;
	return 1 + (substr($text, 0, $pos) =~ tr/\n//);
}

my $LITERAL = qr/"(?:\\.|[^"\\])*"/;

# Is `expr` only string literals, names of literal constants (in %$known)
# and calls of literal macros (in %$known as "NAME()") on literals?
sub is_literal_text {
	my ($expr, $known) = @_;
	my $changed = 1;
	while ($changed) {
		$changed = 0;
		$expr =~ s{\b([A-Za-z_]\w*)\s*\(\s*((?:$LITERAL\s*)+)\)}{
		    $known->{"$1()"} ? do { $changed = 1; '""' } : "$1\0($2)"}ge;
	}
	$expr =~ s/^\s+|\s+$//g;
	return 0 if $expr eq '';
	for my $piece ($expr =~ /\G\s*($LITERAL|[A-Za-z_]\w*|.)/gs) {
		next if $piece =~ /^"/;
		return 0 unless $piece =~ /^[A-Za-z_]\w*$/ && $known->{$piece};
	}
	return 1;
}

# Names whose value is fixed literal text: macros (#define NAME "...") and
# constants (const char NAME[] = "..." or const char *const NAME = "...")
# made of literals and such names only.  Added to %$known.
sub collect_literal_names {
	my ($text, $known) = @_;
	(my $joined = $text) =~ s/\\\n/ /g;
	my $added = 1;
	while ($added) {
		$added = 0;
		while ($joined =~ /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]+)/mg) {
			next if $known->{$1} || !is_literal_text($2, $known);
			$known->{$1} = $added = 1;
		}
		# Function-like macros whose body is literals and parameters.
		while ($joined =~ /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([\w\s,]*)\)[ \t]+([^\n]+)/mg) {
			my ($macro, $body) = ("$1()", $3);
			my @params = split /\s*,\s*/, $2;
			$body =~ s/\b\Q$_\E\b/""/g for grep { length } @params;
			next if $known->{$macro} || !is_literal_text($body, $known);
			$known->{$macro} = $added = 1;
		}
		while ($joined =~ /\bconst\s+char\s+(?:\*\s*const\s+)?([A-Za-z_]\w*)\s*(?:\[\s*\])?\s*=\s*([^;]+);/g) {
			next if $known->{$1} || !is_literal_text($2, $known);
			$known->{$1} = $added = 1;
		}
	}
}

my %HEADER_LITERALS;

# Returns the problems found in the C text of file `name`.  Constants are
# looked up in the function the call is in (style(9): a body runs from a
# "{" to a "}" in column 0), then at file scope and in the headers.
sub scan {
	my ($name, $raw) = @_;
	my $text = strip_comments($raw);
	(my $file_scope = $text) =~ s/^\{\n.*?^\}//msg;
	my %file_known = %HEADER_LITERALS;
	collect_literal_names($file_scope, \%file_known);
	my @problems;
	while ($text =~ /^\{\n.*?^\}/msg) {
		my ($body, $body_start) = ($&, $-[0]);
		my %known = %file_known;
		collect_literal_names($body, \%known);
		# A name also declared as a writable array may hold text made
		# at run time.
		while ($body =~ /(\bconst\s+)?\bchar\s+\*?\s*([A-Za-z_]\w*)\s*\[/g) {
			delete $known{$2} unless defined $1;
		}
		while ($body =~ /\b($SQL_CALL)\s*\(/g) {
			my ($function, $open) = ($1, $+[0] - 1);
			next if $CLIENT_FILES{$name};
			my @args = call_arguments($body, $open);
			my $sql = $args[1] // '';
			$sql =~ s/^\s+|\s+$//g;
			next if is_literal_text($sql, \%known);
			next if exists $ALLOWED_SQL{"$name $sql"};
			push @problems, sprintf('%s:%d: %s() with SQL that is not a literal: %s',
			    $name, line_of($text, $body_start + $open), $function, $sql);
		}
	}
	while ($text =~ /$FORMAT_FUNCTIONS/g) {
		my $open = $+[0] - 1;
		my @literals = join(' ', call_arguments($text, $open)) =~ /"((?:\\.|[^"\\])*)"/g;
		next unless grep { /$SQL_WORD/ } @literals;
		push @problems, sprintf('%s:%d: SQL put together with a printf-like call',
		    $name, line_of($text, $open));
	}
	while ($text =~ /\b(mysql_query|mysql_real_query|mysql_stmt_prepare|mysql_send_query)\s*\(/g) {
		next if $CLIENT_FILES{$name};
		push @problems, sprintf('%s:%d: %s() outside the database module', $name,
		    line_of($text, $-[0]), $1);
	}
	while ($text =~ /\bdb_exec_script_statement\s*\(/g) {
		next if $name eq 'lib/db.c' || $name =~ /\.h$/ || $SCRIPT_CALLERS{$name};
		push @problems, sprintf('%s:%d: db_exec_script_statement() outside '
		    . 'the allowed callers', $name, line_of($text, $-[0]));
	}
	return @problems;
}

# --- the scanner catches what it must ---------------------------------------

my $planted = <<'C';
/* db_exec(db, sql_in_a_comment, NULL, 0) is fine */
#define COLUMNS "a, b"
static int
f(struct db *db, const char *name, char *sql)
{
	db_exec(db, "SELECT 1 FROM t WHERE a = ?", p, 1);
	db_query(db, "SELECT a "
	    "FROM t", NULL, 0, &r);
	static const char fixed[] = "SELECT " COLUMNS " FROM t";
	db_query(db, fixed, NULL, 0, &r);
	db_exec(db, sql, NULL, 0);
	db_query(db, cond ? "SELECT 1" : "SELECT 2", NULL, 0, &r);
	snprintf(sql, 100, "DELETE FROM t WHERE name = '%s'", name);
	buf_printf(&b, "UPDATE t SET a = %d", 1);
	mysql_query(conn, "SELECT 1");
	db_exec_script_statement(db, sql, 10);
	return 0;
}
C
my @found = scan('src/planted.c', $planted);
is(scalar @found, 6, 'the scanner finds the six planted problems')
    or diag join "\n", @found;
like($found[0] // '', qr/planted\.c:11: db_exec\(\) with SQL that is not a literal: sql/,
    'a variable as SQL is named with file and line');
like($found[1] // '', qr/planted\.c:12: db_query\(\)/, 'a conditional between literals is refused');
like($found[2] // '', qr/planted\.c:13: SQL put together/, 'snprintf building SQL');
like($found[3] // '', qr/planted\.c:14: SQL put together/, 'buf_printf building SQL');
like($found[4] // '', qr/planted\.c:15: mysql_query\(\) outside/, 'mysql_query outside db.c');
like($found[5] // '', qr/planted\.c:16: db_exec_script_statement/,
    'running a script from an unexpected file');

# --- the tree -----------------------------------------------------------------

for my $header (glob("$srcdir/lib/*.h"), glob("$srcdir/src/*.h")) {
	open(my $fh, '<', $header) or die "$header: $!";
	collect_literal_names(strip_comments(do { local $/; <$fh> }), \%HEADER_LITERALS);
	close $fh;
}
my @files = sort(glob("$srcdir/lib/*.c"), glob("$srcdir/src/*.c"));
cmp_ok(scalar @files, '>=', 20, 'lib/*.c and src/*.c are there to scan');
my ($calls, @problems) = (0);
for my $path (@files) {
	open(my $fh, '<', $path) or die "$path: $!";
	my $raw = do { local $/; <$fh> };
	close $fh;
	my $name = basename(dirname($path)) . '/' . basename($path);
	$calls += () = $raw =~ /\bdb_(?:exec|query)\s*\(/g;
	push @problems, scan($name, $raw);
}
cmp_ok($calls, '>=', 20, "the scan saw the tree's database calls ($calls)");
is(scalar @problems, 0, 'no SQL is built at run time in lib/ or src/')
    or diag join "\n", @problems;

done_testing;
