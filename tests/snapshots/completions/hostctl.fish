# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hostctl_global_optspecs
    string join \n i/inventory= F/ssh-config= log-dir= v/verbose h/help V/version
end

function __fish_hostctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hostctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hostctl_using_subcommand
    set -l cmd (__fish_hostctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hostctl -n "__fish_hostctl_needs_command" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_needs_command" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_needs_command" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_needs_command" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hostctl -n "__fish_hostctl_needs_command" -s V -l version -d 'Print version'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "hosts" -d 'List the hosts a pattern selects, with their settings, without connecting'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "run" -d 'Run a shell command on every selected host'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "push" -d 'Copy local files to every selected host (atomic and verified on each host)'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "pull" -d 'Copy files from every selected host into LOCAL_DIR/<host>/'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "log" -d 'Review the audit log: list operations, show one, verify the chain, prune old files'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "man" -d 'Print the man page (roff), or write every page into a directory'
complete -c hostctl -n "__fish_hostctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -s g -l group -d 'Hosts to list' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -l json -d 'One JSON array of hosts on stdout'
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand hosts" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l timeout -d 'Stop the command after this long (e.g. 30s, 5m): SIGTERM to its process group on the host, KILL 2 s later; the host is reported `timeout`' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s g -l group -d 'Hosts to act on: groups, hosts, globs, ranges; `!x` excludes, `&x` intersects; `@last:failed` re-selects from the audit log' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s f -l forks -d 'Hosts worked on at once' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l connect-timeout -d 'Connect timeout, overriding the inventory (e.g. 5s)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l retry -d 'Retry hosts that could not be connected to, up to N more times (never re-runs a command)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l output-limit -d 'Output kept per host and stream for display (bytes, or with K/M/G suffix)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s b -l gather -d 'Show hosts with identical output and result once, under their folded names (web[01-12]); `--gather=similar` also folds outputs that differ only in each host\'s own name or address' -r -f -a "exact\t'Byte for byte'
similar\t'The same once each host\'s own name, short name and address read `{host}`'"
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l out-dir -d 'Also write each host\'s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l batch -d 'Rolling execution: N hosts (or N%) at a time, each batch after the previous one finished' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l max-fail -d 'Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are `skipped`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l sudo-user -d 'Act as this user through sudo (implies --sudo)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l audit-forward -d 'Also send every audit record to URL: syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or journald (repeatable)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l audit-ca -d 'CA certificates (PEM) that syslog+tls collectors must chain to' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s I -l stdin -d 'Give hostctl\'s standard input to the command on every host (read once, up to 64 MiB; after the password lines of --ask-pass and -K when stdin is not a terminal)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l accept-new -d 'Record unknown host keys in known_hosts and proceed (changed keys still fail)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l ask-pass -d 'Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l stream -d 'Print output lines as they arrive, prefixed by host'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l json -d 'One JSON object per host result, then a summary object (JSON lines)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l diff -d 'Configuration drift: group hosts by output, print the largest group\'s output once and every other group as a unified diff against it (with --json: group objects with diffs)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l no-log-output -d 'Keep the output out of the audit log: it records each stream\'s size and SHA-256 only (for commands whose output is secret)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l dry-run -d 'Print what would run where, and contact nothing'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l sudo -d 'Run the command (or the transfer) through sudo (as root, or --sudo-user)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s K -l ask-become-pass -d 'Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -l audit-required -d 'Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l mode -d 'File mode on the hosts, octal (default: the local file\'s mode)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l timeout -d 'Stop a host\'s transfer after this long (e.g. 10m)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s g -l group -d 'Hosts to act on: groups, hosts, globs, ranges; `!x` excludes, `&x` intersects; `@last:failed` re-selects from the audit log' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s f -l forks -d 'Hosts worked on at once' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l connect-timeout -d 'Connect timeout, overriding the inventory (e.g. 5s)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l retry -d 'Retry hosts that could not be connected to, up to N more times (never re-runs a command)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l output-limit -d 'Output kept per host and stream for display (bytes, or with K/M/G suffix)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s b -l gather -d 'Show hosts with identical output and result once, under their folded names (web[01-12]); `--gather=similar` also folds outputs that differ only in each host\'s own name or address' -r -f -a "exact\t'Byte for byte'
similar\t'The same once each host\'s own name, short name and address read `{host}`'"
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l out-dir -d 'Also write each host\'s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l batch -d 'Rolling execution: N hosts (or N%) at a time, each batch after the previous one finished' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l max-fail -d 'Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are `skipped`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l sudo-user -d 'Act as this user through sudo (implies --sudo)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l audit-forward -d 'Also send every audit record to URL: syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or journald (repeatable)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l audit-ca -d 'CA certificates (PEM) that syslog+tls collectors must chain to' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s r -l recursive -d 'Copy directories and their contents'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l mkdir -d 'Create the receiving directory (REMOTE, or REMOTE\'s parent for one file) and its parents'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l force -d 'Copy even to hosts that already hold identical content'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l fsync -d 'Flush each file (and its directory) to disk on the host before reporting success, so the copy survives a power loss; off by default, as with scp, rsync and cp'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l accept-new -d 'Record unknown host keys in known_hosts and proceed (changed keys still fail)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l ask-pass -d 'Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l stream -d 'Print output lines as they arrive, prefixed by host'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l json -d 'One JSON object per host result, then a summary object (JSON lines)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l diff -d 'Configuration drift: group hosts by output, print the largest group\'s output once and every other group as a unified diff against it (with --json: group objects with diffs)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l no-log-output -d 'Keep the output out of the audit log: it records each stream\'s size and SHA-256 only (for commands whose output is secret)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l dry-run -d 'Print what would run where, and contact nothing'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l sudo -d 'Run the command (or the transfer) through sudo (as root, or --sudo-user)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s K -l ask-become-pass -d 'Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -l audit-required -d 'Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l timeout -d 'Stop a host\'s transfer after this long (e.g. 10m)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s g -l group -d 'Hosts to act on: groups, hosts, globs, ranges; `!x` excludes, `&x` intersects; `@last:failed` re-selects from the audit log' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s f -l forks -d 'Hosts worked on at once' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l connect-timeout -d 'Connect timeout, overriding the inventory (e.g. 5s)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l retry -d 'Retry hosts that could not be connected to, up to N more times (never re-runs a command)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l output-limit -d 'Output kept per host and stream for display (bytes, or with K/M/G suffix)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s b -l gather -d 'Show hosts with identical output and result once, under their folded names (web[01-12]); `--gather=similar` also folds outputs that differ only in each host\'s own name or address' -r -f -a "exact\t'Byte for byte'
similar\t'The same once each host\'s own name, short name and address read `{host}`'"
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l out-dir -d 'Also write each host\'s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l batch -d 'Rolling execution: N hosts (or N%) at a time, each batch after the previous one finished' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l max-fail -d 'Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are `skipped`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l sudo-user -d 'Act as this user through sudo (implies --sudo)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l audit-forward -d 'Also send every audit record to URL: syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or journald (repeatable)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l audit-ca -d 'CA certificates (PEM) that syslog+tls collectors must chain to' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s r -l recursive -d 'Copy directories and their contents'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l fsync -d 'Flush each local copy (and its directory) to disk before reporting success, so it survives a power loss; off by default, as with scp, rsync and cp'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l accept-new -d 'Record unknown host keys in known_hosts and proceed (changed keys still fail)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l ask-pass -d 'Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l stream -d 'Print output lines as they arrive, prefixed by host'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l json -d 'One JSON object per host result, then a summary object (JSON lines)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l diff -d 'Configuration drift: group hosts by output, print the largest group\'s output once and every other group as a unified diff against it (with --json: group objects with diffs)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l no-log-output -d 'Keep the output out of the audit log: it records each stream\'s size and SHA-256 only (for commands whose output is secret)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l dry-run -d 'Print what would run where, and contact nothing'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l sudo -d 'Run the command (or the transfer) through sudo (as root, or --sudo-user)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s K -l ask-become-pass -d 'Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -l audit-required -d 'Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand pull" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l host -d 'Operations that touched this host' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l group -d 'Operations that touched a host of this group' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l op -d 'Only this kind of operation' -r -f -a "run\t''
push\t''
pull\t''"
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l since -d 'Started at or after: 2h, 3d, 2026-11-24, 2026-11-24T08:00:00Z' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l until -d 'Started before: same forms as --since' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l operator -d 'Run by this operator (`user` or `user@machine`)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l grep -d 'Command or paths containing this text' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -s n -l limit -d 'At most this many operations' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l failed -d 'Only operations where some host failed, timed out, was unreachable or aborted, or that never finished'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -l json -d 'JSON lines, one operation each'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "list" -d 'Operations, newest first, one line each (the default)'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "show" -d 'One operation in full: every host\'s status, exit code, duration, bytes and output'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "verify" -d 'Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "seal" -d 'Forward-secure sealing of the log: `init` starts it and writes the verification key'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "forward" -d 'Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "prune" -d 'Remove whole daily files older than a cut-off, and record that it was done'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "report" -d 'Write one self-contained HTML page: the selected operations, each host\'s result and output, a timeline per operation, and failures per host'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "diff" -d 'Per host, what changed between two operations\' results and captured output; exit 0 when nothing did, 1 when something did'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and not __fish_seen_subcommand_from list show verify seal forward prune report diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l host -d 'Operations that touched this host' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l group -d 'Operations that touched a host of this group' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l op -d 'Only this kind of operation' -r -f -a "run\t''
push\t''
pull\t''"
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l since -d 'Started at or after: 2h, 3d, 2026-11-24, 2026-11-24T08:00:00Z' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l until -d 'Started before: same forms as --since' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l operator -d 'Run by this operator (`user` or `user@machine`)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l grep -d 'Command or paths containing this text' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -s n -l limit -d 'At most this many operations' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l failed -d 'Only operations where some host failed, timed out, was unreachable or aborted, or that never finished'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -l json -d 'JSON lines, one operation each'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -l host -d 'Only this host\'s result' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -l json -d 'One JSON object'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -l verify-key -d 'The verification key `hostctl log seal init` wrote: check every seal as well' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -l json -d 'One JSON object'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -f -a "init" -d 'Start sealing: from now on every record is sealed with a key that evolves forward and erases the one before; the verification key goes to FILE (shown once) and never stays in the log directory'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from seal" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -l audit-forward -d 'Only these destinations (repeatable) [default: every spool]' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -l audit-ca -d 'CA certificates (PEM) for syslog+tls [default: the one each spool was made with]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -l json -d 'One JSON object per destination'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from forward" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -l older-than -d 'Remove daily files entirely older than this (e.g. 90d)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s o -l output -d 'Where to write the page' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l host -d 'Operations that touched this host' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l group -d 'Operations that touched a host of this group' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l op -d 'Only this kind of operation' -r -f -a "run\t''
push\t''
pull\t''"
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l since -d 'Started at or after: 2h, 3d, 2026-11-24, 2026-11-24T08:00:00Z' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l until -d 'Started before: same forms as --since' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l operator -d 'Run by this operator (`user` or `user@machine`)' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l grep -d 'Command or paths containing this text' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s n -l limit -d 'At most this many operations' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l failed -d 'Only operations where some host failed, timed out, was unreachable or aborted, or that never finished'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -l json -d 'JSON lines, one operation each'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -l host -d 'Only this host' -r
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -l json -d 'JSON lines: one object per host, then a summary'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "list" -d 'Operations, newest first, one line each (the default)'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "show" -d 'One operation in full: every host\'s status, exit code, duration, bytes and output'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "seal" -d 'Forward-secure sealing of the log: `init` starts it and writes the verification key'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "forward" -d 'Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove whole daily files older than a cut-off, and record that it was done'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "report" -d 'Write one self-contained HTML page: the selected operations, each host\'s result and output, a timeline per operation, and failures per host'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Per host, what changed between two operations\' results and captured output; exit 0 when nothing did, 1 when something did'
complete -c hostctl -n "__fish_hostctl_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hostctl -n "__fish_hostctl_using_subcommand completions" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand completions" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand completions" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand completions" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand man" -s i -l inventory -d 'Inventory file' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand man" -s F -l ssh-config -d 'OpenSSH client config to read [default: ~/.ssh/config if it exists]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand man" -l log-dir -d 'Audit log directory [default: logs/ next to the inventory]' -r -F
complete -c hostctl -n "__fish_hostctl_using_subcommand man" -s v -l verbose -d 'Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides'
complete -c hostctl -n "__fish_hostctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "hosts" -d 'List the hosts a pattern selects, with their settings, without connecting'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "run" -d 'Run a shell command on every selected host'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "push" -d 'Copy local files to every selected host (atomic and verified on each host)'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "pull" -d 'Copy files from every selected host into LOCAL_DIR/<host>/'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "log" -d 'Review the audit log: list operations, show one, verify the chain, prune old files'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "man" -d 'Print the man page (roff), or write every page into a directory'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and not __fish_seen_subcommand_from hosts run push pull log completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "list" -d 'Operations, newest first, one line each (the default)'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "show" -d 'One operation in full: every host\'s status, exit code, duration, bytes and output'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "verify" -d 'Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "seal" -d 'Forward-secure sealing of the log: `init` starts it and writes the verification key'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "forward" -d 'Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "prune" -d 'Remove whole daily files older than a cut-off, and record that it was done'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "report" -d 'Write one self-contained HTML page: the selected operations, each host\'s result and output, a timeline per operation, and failures per host'
complete -c hostctl -n "__fish_hostctl_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "diff" -d 'Per host, what changed between two operations\' results and captured output; exit 0 when nothing did, 1 when something did'
