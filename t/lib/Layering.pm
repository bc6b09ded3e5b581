# Layering - the layer rules of lib/ and src/, for t/layering.t (the real
# tree) and t/layering-check.t (the small trees of t/fixtures/layering/).
#
#   my $found = Layering::scan(tree => $srcdir, build => $builddir);
#   my %problems = Layering::problems($found);   # check name => [text, ...]
#   print Layering::report($found);
#
# A module of lib/ is a .c/.h pair (lib/job.c and lib/job.h are module
# job).  lib/LAYERS lists the layers, lowest first, one line each:
#
#   name: module module ...
#
# (# starts a comment).  A module may include and call only modules of its
# own layer or of lower ones, and no two modules may depend on each other,
# however indirectly, through includes or through calls.
#
# Includes come from the #include lines of lib/*.c and lib/*.h.  Calls
# come from the objects the build made (`nm` on <build>/lib/*.o): module A
# calls module B when A's object uses a symbol B's object defines, which
# also catches a call through a forward declaration that no include shows.
# An object is found by the name automake gives it (<build>/lib/X.o or
# <build>/lib/<target>-X.o for lib/X.c).  The same call graph is built
# for src/handler_*.c, whose files must not call each other in a cycle.
#
# The README's file table (the "| file | job |" table of README.md) must
# name every lib/*.c and src/*.c, as `lib/x.c` or with a pattern such as
# `src/handler_*.c`, and no file that is gone.

package Layering;

use strict;
use warnings;

use File::Basename qw(basename);

# Headers whose include means FastCGI code, which lib/ must not have.
my $FASTCGI_HEADER = qr/^fcgi/;

# The basenames (without .c/.h) of the files of `dir` matching `glob`.
sub _names {
	my ($dir, $glob) = @_;
	my %seen;
	for my $path (glob("$dir/$glob")) {
		(my $name = basename($path)) =~ s/\.[ch]$//;
		$seen{$name} = 1;
	}
	return sort keys %seen;
}

# Reads the layer table at `path`: { layers => [[name, [modules]], ...],
# layer_of => {module => index}, errors => [...] }.
sub read_layers {
	my ($path) = @_;
	my %table = (layers => [], layer_of => {}, errors => []);
	open(my $fh, '<', $path) or do {
		push @{$table{errors}}, "cannot read $path: $!";
		return \%table;
	};
	while (my $line = <$fh>) {
		$line =~ s/#.*//;
		next if $line !~ /\S/;
		if ($line !~ /^\s*([\w-]+)\s*:\s*(.*?)\s*$/) {
			push @{$table{errors}}, "$path:$.: not 'layer: module ...'";
			next;
		}
		my ($name, @modules) = ($1, split ' ', $2);
		push @{$table{errors}}, "$path:$.: layer $name lists no module"
		    unless @modules;
		for my $module (@modules) {
			if (exists $table{layer_of}{$module}) {
				push @{$table{errors}}, "$path:$.: $module is listed twice";
				next;
			}
			$table{layer_of}{$module} = scalar @{$table{layers}};
		}
		push @{$table{layers}}, [$name, \@modules];
	}
	close $fh;
	return \%table;
}

# The headers file `path` includes, as [name, line number].
sub _includes_of {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "$path: $!\n";
	my @found;
	while (my $line = <$fh>) {
		push @found, [$1, $.] if $line =~ /^\s*#\s*include\s*[<"]([^>"]+)[>"]/;
	}
	close $fh;
	return @found;
}

# The object files the build made of `dir`/`name`.c (a program's objects
# carry its name as a prefix: src/tenantd-http.o).
sub _objects_of {
	my ($build, $dir, $name) = @_;
	return grep { basename($_) eq "$name.o" || basename($_) =~ /-\Q$name\E\.o$/ }
	    glob("$build/$dir/*.o");
}

# The global symbols object `path` defines and those it uses, as two hash
# references.
sub _symbols_of {
	my ($nm, $path) = @_;
	my (%defines, %uses);
	open(my $fh, '-|', $nm, '-P', $path) or die "$nm $path: $!\n";
	while (my $line = <$fh>) {
		my ($symbol, $type) = split ' ', $line;
		next unless defined $type;
		if ($type eq 'U') {
			$uses{$symbol} = 1;
		} elsif ($type =~ /^[BCDGRSTVW]$/) {
			$defines{$symbol} = 1;
		}
	}
	close $fh or die "$nm $path failed\n";
	return (\%defines, \%uses);
}

# The call graph of the `names` of `dir` (module => {callee => [symbols]})
# and the names no object was found for.
sub _call_graph {
	my ($build, $dir, $nm, @names) = @_;
	my (%defined_by, %uses, @missing);
	for my $name (@names) {
		my @objects = _objects_of($build, $dir, $name);
		push @missing, $name unless @objects;
		for my $object (@objects) {
			my ($defines, $uses) = _symbols_of($nm, $object);
			$defined_by{$_} //= $name for keys %$defines;
			$uses{$name}{$_} = 1 for keys %$uses;
		}
	}
	my %calls;
	for my $name (sort keys %uses) {
		for my $symbol (sort keys %{$uses{$name}}) {
			my $callee = $defined_by{$symbol};
			push @{$calls{$name}{$callee}}, $symbol
			    if defined $callee && $callee ne $name;
		}
	}
	return (\%calls, \@missing);
}

# Everything the checks look at, for the tree of sources `tree` built in
# `build`.
sub scan {
	my (%o) = @_;
	my ($tree, $build) = ($o{tree}, $o{build} // $o{tree});
	my $nm = $o{nm} // $ENV{NM} // 'nm';
	my %found = (tree => $tree);
	$found{table} = read_layers($o{layers} // "$tree/lib/LAYERS");
	my @modules = _names("$tree/lib", '*.[ch]');
	my %is_module = map { $_ => 1 } @modules;
	my %src_header = map { $_ => 1 } _names("$tree/src", '*.h');
	$found{modules} = \@modules;
	my (%includes, @src_includes, @fastcgi_includes);
	for my $path (sort glob("$tree/lib/*.[ch]")) {
		(my $module = basename($path)) =~ s/\.[ch]$//;
		my $file = 'lib/' . basename($path);
		for my $include (_includes_of($path)) {
			my ($header, $line) = @$include;
			(my $name = basename($header)) =~ s/\.h$//;
			if ($header =~ $FASTCGI_HEADER) {
				push @fastcgi_includes, "$file:$line includes $header";
			} elsif ($header =~ /\.h$/ && $is_module{$name}) {
				push @{$includes{$module}{$name}}, "$file:$line"
				    if $name ne $module;
			} elsif ($header =~ /\.h$/ && $src_header{$name}) {
				push @src_includes, "$file:$line includes src/$name.h";
			}
		}
	}
	$found{includes} = \%includes;
	$found{src_includes} = \@src_includes;
	$found{fastcgi_includes} = \@fastcgi_includes;
	my @lib_sources = _names("$tree/lib", '*.c');
	($found{calls}, $found{missing_objects}) =
	    _call_graph($build, 'lib', $nm, @lib_sources);
	my @handlers = _names("$tree/src", 'handler_*.c');
	$found{handlers} = \@handlers;
	my $missing_handlers;
	($found{handler_calls}, $missing_handlers) =
	    _call_graph($build, 'src', $nm, @handlers);
	push @{$found{missing_objects}}, map { "src/$_" } @$missing_handlers;
	$found{readme} = _readme_files("$tree/README.md");
	$found{sources} = [(map { "lib/$_.c" } @lib_sources),
	    (map { "src/$_.c" } _names("$tree/src", '*.c'))];
	return \%found;
}

# The paths and patterns the file table of `readme` names, or undef when
# it has no such table.
sub _readme_files {
	my ($readme) = @_;
	open(my $fh, '<', $readme) or return undef;
	my ($in_table, @named) = (0);
	while (my $line = <$fh>) {
		if ($line =~ /^\|\s*file\s*\|\s*job\s*\|/) {
			$in_table = 1;
		} elsif ($in_table && $line =~ /^\|/) {
			my ($first) = $line =~ /^\|([^|]*)\|/;
			push @named, $first =~ /`([^`]+)`/g;
		} elsif ($in_table) {
			last;
		}
	}
	close $fh;
	return $in_table ? \@named : undef;
}

# The strongly connected components of more than one node of `graph`
# (node => {node => ...}), each as a sorted list, in sorted order.
sub cycles {
	my ($graph) = @_;
	my ($index, @stack, %on_stack, %number, %low, @components) = (0);
	my $visit;
	$visit = sub {
		my ($node) = @_;
		$number{$node} = $low{$node} = $index++;
		push @stack, $node;
		$on_stack{$node} = 1;
		for my $next (sort keys %{$graph->{$node} // {}}) {
			if (!exists $number{$next}) {
				$visit->($next);
				$low{$node} = $low{$next} if $low{$next} < $low{$node};
			} elsif ($on_stack{$next} && $number{$next} < $low{$node}) {
				$low{$node} = $number{$next};
			}
		}
		return if $low{$node} != $number{$node};
		my @component;
		while (1) {
			my $top = pop @stack;
			delete $on_stack{$top};
			push @component, $top;
			last if $top eq $node;
		}
		push @components, [sort @component] if @component > 1;
	};
	$visit->($_) for grep { !exists $number{$_} } sort keys %$graph;
	undef $visit;
	return sort { "@$a" cmp "@$b" } @components;
}

# How many simple cycles of one component _cycle_lines() names at most.
my $MAX_CYCLES = 40;

# One line per simple cycle of `graph` ('a -> b -> a'), each starting at
# its first module in sorted order; a component with more than
# $MAX_CYCLES of them ends with a line saying how many it left out.
sub _cycle_lines {
	my ($graph) = @_;
	my @lines;
	for my $component (cycles($graph)) {
		my %in = map { $_ => 1 } @$component;
		my ($count, @found) = (0);
		for my $start (@$component) {
			# Paths from `start` through modules sorted after it.
			my @paths = ([$start]);
			while (my $path = pop @paths) {
				for my $next (reverse sort keys %{$graph->{$path->[-1]}}) {
					next unless $in{$next};
					if ($next eq $start) {
						$count++;
						push @found, join(' -> ', @$path, $start)
						    if @found < $MAX_CYCLES;
					} elsif ($next gt $start && !grep { $_ eq $next } @$path) {
						push @paths, [@$path, $next];
					}
				}
			}
		}
		push @lines, @found;
		push @lines, 'and ' . ($count - @found) . ' more cycles among '
		    . join(' ', @$component) if $count > @found;
	}
	return @lines;
}

# The edges of `graph` that go to a higher layer, as text.
sub _upward {
	my ($graph, $layer_of, $what) = @_;
	my @lines;
	for my $from (sort keys %$graph) {
		for my $to (sort keys %{$graph->{$from}}) {
			next unless defined $layer_of->{$from} && defined $layer_of->{$to};
			next unless $layer_of->{$to} > $layer_of->{$from};
			my $where = $graph->{$from}{$to};
			push @lines, "$from $what $to (" . join(' ', @$where) . ')';
		}
	}
	return @lines;
}

# Whether README pattern or path `named` names file `path`.
sub _names_file {
	my ($named, $path) = @_;
	(my $regex = quotemeta $named) =~ s/\\\*/[^\/]*/g;
	return $path =~ /^$regex$/;
}

# What each check found wrong (check name => [text, ...]; empty lists
# where all is well).
sub problems {
	my ($found) = @_;
	my $table = $found->{table};
	my $layer_of = $table->{layer_of};
	my %is_module = map { $_ => 1 } @{$found->{modules}};
	my %problems;
	$problems{'lib/LAYERS reads'} = [@{$table->{errors}}];
	$problems{'every lib/ module is in lib/LAYERS'} =
	    [grep { !defined $layer_of->{$_} } @{$found->{modules}}];
	$problems{'every module of lib/LAYERS is in lib/'} =
	    [grep { !$is_module{$_} } sort keys %$layer_of];
	$problems{'every source has its object (build first)'} =
	    [@{$found->{missing_objects}}];
	$problems{'no lib/ file includes a src/ header'} = [@{$found->{src_includes}}];
	$problems{'no lib/ file includes a FastCGI header'} =
	    [@{$found->{fastcgi_includes}}];
	$problems{'no include goes up a layer'} =
	    [_upward($found->{includes}, $layer_of, 'includes')];
	$problems{'no call goes up a layer'} =
	    [_upward($found->{calls}, $layer_of, 'calls')];
	$problems{'no include cycle in lib/'} = [_cycle_lines($found->{includes})];
	$problems{'no call cycle in lib/'} = [_cycle_lines($found->{calls})];
	$problems{'no call cycle among src/handler_*.c'} =
	    [_cycle_lines($found->{handler_calls})];
	my $named = $found->{readme};
	if (!defined $named) {
		$problems{'README.md names every source in its file table'} =
		    ['README.md has no "| file | job |" table'];
		$problems{'README.md names no missing file'} = [];
	} else {
		my @sources = @{$found->{sources}};
		$problems{'README.md names every source in its file table'} =
		    [grep { my $path = $_; !grep { _names_file($_, $path) } @$named }
		    @sources];
		$problems{'README.md names no missing file'} =
		    [grep { my $n = $_; !grep { _names_file($n, $_) } @sources }
		    grep { m{^(lib|src)/[^/]+\.c$} } @$named];
	}
	return %problems;
}

# The layer table and the edges found, as text for diagnostics.
sub report {
	my ($found) = @_;
	my $text = "layers, lowest first:\n";
	for my $layer (@{$found->{table}{layers}}) {
		$text .= "  $layer->[0]: @{$layer->[1]}\n";
	}
	for my $graph (['lib includes', $found->{includes}],
	    ['lib calls', $found->{calls}],
	    ['src/handler_*.c calls', $found->{handler_calls}]) {
		my ($title, $edges) = @$graph;
		$text .= "$title:\n";
		for my $from (sort keys %$edges) {
			$text .= "  $from -> " . join(' ', sort keys %{$edges->{$from}}) . "\n";
		}
	}
	return $text;
}

1;
