# TestUtil - small helpers shared by the Perl tests.  A helper a second
# test needs moves here (or to TenantdStack.pm when it is about the stack,
# BrowserTap.pm when it is about the browser tests), never into a copy.
#
#   use TestUtil qw(wait_until slurp spew write_tree which concurrently
#       freeze_dir thaw_dir tiny_png render_template);
#
# Tests wait for a condition, never for a time: wait_until() polls a check
# with a bound, so a slow machine only makes a test slower, and a wait
# that runs out shows as the failed assertion that follows it.
#
# freeze_dir() makes a directory unwritable even for root, for tests of
# what tenantd does when a write fails: with `chattr +i` where the file
# system and the capabilities allow it, else with a read-only bind mount
# of the directory onto itself.  TENANTD_TEST_FREEZE=chattr or =bind
# forces one way (to test the other one on a machine where chattr works).

package TestUtil;

use strict;
use warnings;

use Compress::Zlib ();
use Exporter qw(import);
use File::Find ();
use File::Path ();
use POSIX ();
use Time::HiRes ();

our @EXPORT_OK = qw(wait_until slurp spew write_tree which concurrently
    freeze_dir thaw_dir tiny_png render_template);

# A real 1x1 PNG, so libmagic has a complete image to judge (a logo).
sub tiny_png {
	my $chunk = sub {
		my ($type, $data) = @_;
		return pack('N', length $data) . $type . $data
		    . pack('N', Compress::Zlib::crc32($type . $data));
	};
	return "\x89PNG\r\n\x1a\n"
	    . $chunk->('IHDR', pack('NNCCCCC', 1, 1, 8, 2, 0, 0, 0))
	    . $chunk->('IDAT', Compress::Zlib::compress("\x00\xff\x00\x00"))
	    . $chunk->('IEND', '');
}

# How long wait_until() polls when not told, in seconds.
our $DEFAULT_WAIT = 20;

# Polls `check` every `step` seconds (default 0.05) until it returns a
# true value or `seconds` (default $DEFAULT_WAIT) pass; returns its last
# value, so `wait_until(...) // default` and `ok(wait_until(...))` read
# naturally.
sub wait_until {
	my ($check, $seconds, $step) = @_;
	my $deadline = Time::HiRes::time() + ($seconds // $DEFAULT_WAIT);
	while (1) {
		my $result = $check->();
		return $result if $result || Time::HiRes::time() > $deadline;
		Time::HiRes::sleep($step // 0.05);
	}
}

# The bytes of file `path`, or undef when it cannot be read.
sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return undef;
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data // '';
}

# Writes `data` to file `path`, replacing it: a new file renamed over the
# old one, as editors and deploy tools do.  A file of a tenant's site may
# be a hard link shared with the template store and every other tenant
# (template_files = link); writing into it in place would change all of
# them, which t/templates.t tests on purpose.  Dies on failure.
sub spew {
	my ($path, $data) = @_;
	my $temp = "$path.spew-$$";
	open(my $fh, '>:raw', $temp) or die "$temp: $!";
	print {$fh} $data;
	close $fh or die "$temp: $!";
	rename($temp, $path) or die "$path: $!";
	return;
}

# Writes the files of hash `files` (relative path => bytes) below
# directory `dir`, making directories as needed, and leaves the whole tree
# readable by everyone (directories 0755, files 0644), as a template must
# be for tenantd's unprivileged user.  Dies on failure.
sub write_tree {
	my ($dir, $files) = @_;
	File::Path::make_path($dir);
	for my $path (sort keys %$files) {
		my ($parent) = "$dir/$path" =~ m{^(.*)/};
		File::Path::make_path($parent);
		spew("$dir/$path", $files->{$path});
	}
	File::Find::find({ no_chdir => 1, wanted => sub {
		return if -l $File::Find::name;
		chmod(-d $File::Find::name ? 0755 : 0644, $File::Find::name)
		    or die "chmod $File::Find::name: $!";
	} }, $dir);
	return;
}

# The path of `program` in a directory of $PATH, or undef.
sub which {
	my ($program) = @_;
	for my $dir (split /:/, $ENV{PATH} // '') {
		return "$dir/$program" if length $dir && -x "$dir/$program";
	}
	return undef;
}

# Runs `count` calls of `request` at once, each in a forked process that
# gets its index (1 .. count) and returns a short answer string; returns
# the answers in index order ('error ...' when a call died, 'no answer'
# when a process wrote nothing).  They start together: each blocks
# reading the start pipe until the parent, with all of them forked,
# closes its end.
sub concurrently {
	my ($count, $request) = @_;
	pipe(my $start_reader, my $start_writer) or die "pipe: $!";
	my @children;
	for my $i (1 .. $count) {
		pipe(my $reader, my $writer) or die "pipe: $!";
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			close $reader;
			close $start_writer;
			sysread($start_reader, my $byte, 1);
			my $answer = eval { $request->($i) } // "error $@";
			print {$writer} $answer;
			close $writer;
			POSIX::_exit(0);
		}
		close $writer;
		push @children, [$pid, $reader];
	}
	close $start_writer;
	close $start_reader;
	my @answers;
	for my $child (@children) {
		my ($pid, $reader) = @$child;
		local $/;
		push @answers, scalar(<$reader>) // 'no answer';
		close $reader;
		waitpid($pid, 0);
	}
	return @answers;
}

# Directories frozen by this process (path => how), and those bind-mounted
# onto themselves and not yet unmounted.
my %frozen;
my %bound;
my $owner = $$;

# Runs a command with its output thrown away; true if it exited 0.
sub _quietly {
	my (@command) = @_;
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec(@command) or POSIX::_exit(127);
	}
	waitpid($pid, 0);
	return $? == 0;
}

# Makes directory `dir` unwritable: no entry can be added, removed or
# renamed in it, by anyone.  Returns how ('chattr' or 'bind'), or undef
# when this machine allows neither (not root, or no CAP_LINUX_IMMUTABLE
# and no CAP_SYS_ADMIN).
#
# A read-only mount only covers what is opened through it: a process that
# opened `dir` before the mount still writes through its descriptor.  For
# such a directory pass after_bind => sub { ... }, called once the
# directory is a mount point and before it turns read-only, to have the
# holders open it again (the mount then stays until the test ends, and
# thaw_dir() only makes it writable).
sub freeze_dir {
	my ($dir, %o) = @_;
	my @ways = defined $ENV{TENANTD_TEST_FREEZE}
	    ? ($ENV{TENANTD_TEST_FREEZE}) : qw(chattr bind);
	for my $way (@ways) {
		die "TENANTD_TEST_FREEZE must be chattr or bind, not $way\n"
		    unless $way eq 'chattr' || $way eq 'bind';
	}
	return undef if $> != 0;
	for my $way (@ways) {
		if ($way eq 'chattr') {
			next unless _quietly('chattr', '+i', $dir);
		} else {
			if (!$bound{$dir}) {
				next unless _quietly('mount', '--bind', $dir, $dir);
				$bound{$dir} = 1;
				$o{after_bind}->() if $o{after_bind};
			}
			next unless _quietly('mount', '-o', 'remount,bind,ro', $dir);
		}
		$frozen{$dir} = $way;
		return $way;
	}
	return undef;
}

# Undoes freeze_dir(`dir`); true when it is writable again.  A bind mount
# that something still holds open stays, writable, until the test ends.
sub thaw_dir {
	my ($dir) = @_;
	my $way = delete $frozen{$dir} or return 1;
	return _quietly('chattr', '-i', $dir) if $way eq 'chattr';
	_quietly('mount', '-o', 'remount,bind,rw', $dir) or return 0;
	delete $bound{$dir} if _quietly('umount', $dir);
	return 1;
}

# A test that dies half-way leaves nothing frozen or mounted (a forked
# child that exits normally leaves its parent's directories alone).
END {
	local $?;
	if ($$ == $owner) {
		thaw_dir($_) for keys %frozen;
		_quietly('umount', '-l', $_) for keys %bound;
	}
}

# Reads front end template `path` (etc/nginx/tenantd.conf.in and the
# like), fills in its @NAME@ fields from `values` and dies when one is
# left over outside a comment.
sub render_template {
	my ($path, %values) = @_;
	my $text = slurp($path) // die "cannot read $path\n";
	$text =~ s/\@([A-Z_]+)\@/$values{$1} \/\/ "\@$1\@"/ge;
	for my $line (split /\n/, $text) {
		die "unknown placeholder in $path: $line\n"
		    if $line !~ /^\s*#/ && $line =~ /\@[A-Z_]+\@/;
	}
	return $text;
}

1;
