#compdef hostctl

autoload -U is-at-least

_hostctl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_hostctl_commands" \
"*::: :->hostctl" \
&& ret=0
    case $state in
    (hostctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-command-$line[1]:"
        case $line[1] in
            (hosts)
_arguments "${_arguments_options[@]}" : \
'-g+[Hosts to list]:PATTERN:_default' \
'--group=[Hosts to list]:PATTERN:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--json[One JSON array of hosts on stdout]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(run)
_arguments "${_arguments_options[@]}" : \
'--timeout=[Stop the command after this long (e.g. 30s, 5m)\: SIGTERM to its process group on the host, KILL 2 s later; the host is reported \`timeout\`]:DURATION:_default' \
'-g+[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'--group=[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'-f+[Hosts worked on at once]:N:_default' \
'--forks=[Hosts worked on at once]:N:_default' \
'--connect-timeout=[Connect timeout, overriding the inventory (e.g. 5s)]:DURATION:_default' \
'--retry=[Retry hosts that could not be connected to, up to N more times (never re-runs a command)]:N:_default' \
'--output-limit=[Output kept per host and stream for display (bytes, or with K/M/G suffix)]:SIZE:_default' \
'(--stream --json)-b+[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'(--stream --json)--gather=[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'--out-dir=[Also write each host'\''s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err]:DIR:_files' \
'--batch=[Rolling execution\: N hosts (or N%) at a time, each batch after the previous one finished]:N|N%:_default' \
'--max-fail=[Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are \`skipped\`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so]:N|N%:_default' \
'--sudo-user=[Act as this user through sudo (implies --sudo)]:USER:_default' \
'*--audit-forward=[Also send every audit record to URL\: syslog+udp\://HOST\:PORT, syslog+tcp\://HOST\:PORT, syslog+tls\://HOST\:PORT or journald (repeatable)]:URL:_default' \
'--audit-ca=[CA certificates (PEM) that syslog+tls collectors must chain to]:FILE:_files' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'-I[Give hostctl'\''s standard input to the command on every host (read once, up to 64 MiB; after the password lines of --ask-pass and -K when stdin is not a terminal)]' \
'--stdin[Give hostctl'\''s standard input to the command on every host (read once, up to 64 MiB; after the password lines of --ask-pass and -K when stdin is not a terminal)]' \
'--accept-new[Record unknown host keys in known_hosts and proceed (changed keys still fail)]' \
'--ask-pass[Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)]' \
'(--json)--stream[Print output lines as they arrive, prefixed by host]' \
'--json[One JSON object per host result, then a summary object (JSON lines)]' \
'(--stream)--diff[Configuration drift\: group hosts by output, print the largest group'\''s output once and every other group as a unified diff against it (with --json\: group objects with diffs)]' \
'--no-log-output[Keep the output out of the audit log\: it records each stream'\''s size and SHA-256 only (for commands whose output is secret)]' \
'--dry-run[Print what would run where, and contact nothing]' \
'--sudo[Run the command (or the transfer) through sudo (as root, or --sudo-user)]' \
'-K[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--ask-become-pass[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--audit-required[Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::command -- The command, run by the login shell on each host. hostctl'\''s options go before it; an option of hostctl'\''s typed after it is refused. After `--`, nothing is read as an option:_default' \
&& ret=0
;;
(push)
_arguments "${_arguments_options[@]}" : \
'--mode=[File mode on the hosts, octal (default\: the local file'\''s mode)]:OCTAL:_default' \
'--timeout=[Stop a host'\''s transfer after this long (e.g. 10m)]:DURATION:_default' \
'-g+[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'--group=[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'-f+[Hosts worked on at once]:N:_default' \
'--forks=[Hosts worked on at once]:N:_default' \
'--connect-timeout=[Connect timeout, overriding the inventory (e.g. 5s)]:DURATION:_default' \
'--retry=[Retry hosts that could not be connected to, up to N more times (never re-runs a command)]:N:_default' \
'--output-limit=[Output kept per host and stream for display (bytes, or with K/M/G suffix)]:SIZE:_default' \
'(--stream --json)-b+[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'(--stream --json)--gather=[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'--out-dir=[Also write each host'\''s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err]:DIR:_files' \
'--batch=[Rolling execution\: N hosts (or N%) at a time, each batch after the previous one finished]:N|N%:_default' \
'--max-fail=[Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are \`skipped\`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so]:N|N%:_default' \
'--sudo-user=[Act as this user through sudo (implies --sudo)]:USER:_default' \
'*--audit-forward=[Also send every audit record to URL\: syslog+udp\://HOST\:PORT, syslog+tcp\://HOST\:PORT, syslog+tls\://HOST\:PORT or journald (repeatable)]:URL:_default' \
'--audit-ca=[CA certificates (PEM) that syslog+tls collectors must chain to]:FILE:_files' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'-r[Copy directories and their contents]' \
'--recursive[Copy directories and their contents]' \
'--mkdir[Create the receiving directory (REMOTE, or REMOTE'\''s parent for one file) and its parents]' \
'--force[Copy even to hosts that already hold identical content]' \
'--fsync[Flush each file (and its directory) to disk on the host before reporting success, so the copy survives a power loss; off by default, as with scp, rsync and cp]' \
'--accept-new[Record unknown host keys in known_hosts and proceed (changed keys still fail)]' \
'--ask-pass[Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)]' \
'(--json)--stream[Print output lines as they arrive, prefixed by host]' \
'--json[One JSON object per host result, then a summary object (JSON lines)]' \
'(--stream)--diff[Configuration drift\: group hosts by output, print the largest group'\''s output once and every other group as a unified diff against it (with --json\: group objects with diffs)]' \
'--no-log-output[Keep the output out of the audit log\: it records each stream'\''s size and SHA-256 only (for commands whose output is secret)]' \
'--dry-run[Print what would run where, and contact nothing]' \
'--sudo[Run the command (or the transfer) through sudo (as root, or --sudo-user)]' \
'-K[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--ask-become-pass[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--audit-required[Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::local -- Local files, and directories with -r (`dir/` for what is inside):_files' \
':remote -- Where they land on each host\: a path, or a directory when it ends in `/`:_files' \
&& ret=0
;;
(pull)
_arguments "${_arguments_options[@]}" : \
'--timeout=[Stop a host'\''s transfer after this long (e.g. 10m)]:DURATION:_default' \
'-g+[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'--group=[Hosts to act on\: groups, hosts, globs, ranges; \`!x\` excludes, \`&x\` intersects; \`@last\:failed\` re-selects from the audit log]:PATTERN:_default' \
'-f+[Hosts worked on at once]:N:_default' \
'--forks=[Hosts worked on at once]:N:_default' \
'--connect-timeout=[Connect timeout, overriding the inventory (e.g. 5s)]:DURATION:_default' \
'--retry=[Retry hosts that could not be connected to, up to N more times (never re-runs a command)]:N:_default' \
'--output-limit=[Output kept per host and stream for display (bytes, or with K/M/G suffix)]:SIZE:_default' \
'(--stream --json)-b+[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'(--stream --json)--gather=[Show hosts with identical output and result once, under their folded names (web\[01-12\]); \`--gather=similar\` also folds outputs that differ only in each host'\''s own name or address]::HOW:((exact\:"Byte for byte"
similar\:"The same once each host'\''s own name, short name and address read \`{host}\`"))' \
'--out-dir=[Also write each host'\''s whole stdout and stderr to DIR/<host>.out and DIR/<host>.err]:DIR:_files' \
'--batch=[Rolling execution\: N hosts (or N%) at a time, each batch after the previous one finished]:N|N%:_default' \
'--max-fail=[Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were unreachable; the rest are \`skipped\`. Hosts already running are never stopped, so when all start at once (-f and --batch at least the host count) it cannot act, and says so]:N|N%:_default' \
'--sudo-user=[Act as this user through sudo (implies --sudo)]:USER:_default' \
'*--audit-forward=[Also send every audit record to URL\: syslog+udp\://HOST\:PORT, syslog+tcp\://HOST\:PORT, syslog+tls\://HOST\:PORT or journald (repeatable)]:URL:_default' \
'--audit-ca=[CA certificates (PEM) that syslog+tls collectors must chain to]:FILE:_files' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'-r[Copy directories and their contents]' \
'--recursive[Copy directories and their contents]' \
'--fsync[Flush each local copy (and its directory) to disk before reporting success, so it survives a power loss; off by default, as with scp, rsync and cp]' \
'--accept-new[Record unknown host keys in known_hosts and proceed (changed keys still fail)]' \
'--ask-pass[Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)]' \
'(--json)--stream[Print output lines as they arrive, prefixed by host]' \
'--json[One JSON object per host result, then a summary object (JSON lines)]' \
'(--stream)--diff[Configuration drift\: group hosts by output, print the largest group'\''s output once and every other group as a unified diff against it (with --json\: group objects with diffs)]' \
'--no-log-output[Keep the output out of the audit log\: it records each stream'\''s size and SHA-256 only (for commands whose output is secret)]' \
'--dry-run[Print what would run where, and contact nothing]' \
'--sudo[Run the command (or the transfer) through sudo (as root, or --sudo-user)]' \
'-K[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--ask-become-pass[Ask once for the sudo password and give it to sudo on each host through stdin (never in process lists, output or the log); without it sudo must not need a password]' \
'--audit-required[Contact no host until the start record reached every destination, and start no more hosts once a record cannot be delivered (exit 3)]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::remote -- Files (and directories with -r) on the hosts:_default' \
':local_dir -- The local directory\: each host'\''s copies land in LOCAL_DIR/<host>/:_default' \
&& ret=0
;;
(log)
_arguments "${_arguments_options[@]}" : \
'--host=[Operations that touched this host]:NAME:_default' \
'--group=[Operations that touched a host of this group]:NAME:_default' \
'--op=[Only this kind of operation]:OP:(run push pull)' \
'--since=[Started at or after\: 2h, 3d, 2026-11-24, 2026-11-24T08\:00\:00Z]:WHEN:_default' \
'--until=[Started before\: same forms as --since]:WHEN:_default' \
'--operator=[Run by this operator (\`user\` or \`user@machine\`)]:WHO:_default' \
'--grep=[Command or paths containing this text]:TEXT:_default' \
'-n+[At most this many operations]:LIMIT:_default' \
'--limit=[At most this many operations]:LIMIT:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--failed[Only operations where some host failed, timed out, was unreachable or aborted, or that never finished]' \
'--json[JSON lines, one operation each]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_hostctl__subcmd__log_commands" \
"*::: :->log" \
&& ret=0

    case $state in
    (log)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-log-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
'--host=[Operations that touched this host]:NAME:_default' \
'--group=[Operations that touched a host of this group]:NAME:_default' \
'--op=[Only this kind of operation]:OP:(run push pull)' \
'--since=[Started at or after\: 2h, 3d, 2026-11-24, 2026-11-24T08\:00\:00Z]:WHEN:_default' \
'--until=[Started before\: same forms as --since]:WHEN:_default' \
'--operator=[Run by this operator (\`user\` or \`user@machine\`)]:WHO:_default' \
'--grep=[Command or paths containing this text]:TEXT:_default' \
'-n+[At most this many operations]:LIMIT:_default' \
'--limit=[At most this many operations]:LIMIT:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--failed[Only operations where some host failed, timed out, was unreachable or aborted, or that never finished]' \
'--json[JSON lines, one operation each]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'--host=[Only this host'\''s result]:NAME:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--json[One JSON object]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
':id -- Operation id (a unique prefix is enough):_default' \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
'--verify-key=[The verification key \`hostctl log seal init\` wrote\: check every seal as well]:FILE:_files' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--json[One JSON object]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(seal)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_hostctl__subcmd__log__subcmd__seal_commands" \
"*::: :->seal" \
&& ret=0

    case $state in
    (seal)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-log-seal-command-$line[1]:"
        case $line[1] in
            (init)
_arguments "${_arguments_options[@]}" : \
'--verify-key=[Where to write the verification key (a new file)]:FILE:_files' \
'--epoch=[When the key steps forward\: a duration (15m, 1h) or \`operation\` (after every operation)]:DURATION|operation:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--force[Start again with a new key although sealing is already on (the old key then verifies only the records before this)]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__log__subcmd__seal__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-log-seal-help-command-$line[1]:"
        case $line[1] in
            (init)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(forward)
_arguments "${_arguments_options[@]}" : \
'*--audit-forward=[Only these destinations (repeatable) \[default\: every spool\]]:URL:_default' \
'--audit-ca=[CA certificates (PEM) for syslog+tls \[default\: the one each spool was made with\]]:FILE:_files' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--json[One JSON object per destination]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'--older-than=[Remove daily files entirely older than this (e.g. 90d)]:AGE:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
'-o+[Where to write the page]:FILE:_files' \
'--output=[Where to write the page]:FILE:_files' \
'--host=[Operations that touched this host]:NAME:_default' \
'--group=[Operations that touched a host of this group]:NAME:_default' \
'--op=[Only this kind of operation]:OP:(run push pull)' \
'--since=[Started at or after\: 2h, 3d, 2026-11-24, 2026-11-24T08\:00\:00Z]:WHEN:_default' \
'--until=[Started before\: same forms as --since]:WHEN:_default' \
'--operator=[Run by this operator (\`user\` or \`user@machine\`)]:WHO:_default' \
'--grep=[Command or paths containing this text]:TEXT:_default' \
'-n+[At most this many operations]:LIMIT:_default' \
'--limit=[At most this many operations]:LIMIT:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--failed[Only operations where some host failed, timed out, was unreachable or aborted, or that never finished]' \
'--json[JSON lines, one operation each]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'--host=[Only this host]:NAME:_default' \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'--json[JSON lines\: one object per host, then a summary]' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
':first -- The earlier operation (id prefix):_default' \
':second -- The later operation (id prefix):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__log__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-log-help-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(seal)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__log__subcmd__help__subcmd__seal_commands" \
"*::: :->seal" \
&& ret=0

    case $state in
    (seal)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-log-help-seal-command-$line[1]:"
        case $line[1] in
            (init)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(forward)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'-i+[Inventory file]:PATH:_files' \
'--inventory=[Inventory file]:PATH:_files' \
'-F+[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--ssh-config=[OpenSSH client config to read \[default\: ~/.ssh/config if it exists\]]:FILE:_files' \
'--log-dir=[Audit log directory \[default\: logs/ next to the inventory\]]:DIR:_files' \
'*-v[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'*--verbose[Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides]' \
'-h[Print help]' \
'--help[Print help]' \
'::dir -- Write every page (hostctl.1, hostctl-run.1, ...) into DIR, creating it, instead of printing hostctl(1):_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-help-command-$line[1]:"
        case $line[1] in
            (hosts)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(run)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(push)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(pull)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(log)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__help__subcmd__log_commands" \
"*::: :->log" \
&& ret=0

    case $state in
    (log)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-help-log-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(seal)
_arguments "${_arguments_options[@]}" : \
":: :_hostctl__subcmd__help__subcmd__log__subcmd__seal_commands" \
"*::: :->seal" \
&& ret=0

    case $state in
    (seal)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:hostctl-help-log-seal-command-$line[1]:"
        case $line[1] in
            (init)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(forward)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_hostctl_commands] )) ||
_hostctl_commands() {
    local commands; commands=(
'hosts:List the hosts a pattern selects, with their settings, without connecting' \
'run:Run a shell command on every selected host' \
'push:Copy local files to every selected host (atomic and verified on each host)' \
'pull:Copy files from every selected host into LOCAL_DIR/<host>/' \
'log:Review the audit log\: list operations, show one, verify the chain, prune old files' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff), or write every page into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__completions_commands] )) ||
_hostctl__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl completions commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help_commands] )) ||
_hostctl__subcmd__help_commands() {
    local commands; commands=(
'hosts:List the hosts a pattern selects, with their settings, without connecting' \
'run:Run a shell command on every selected host' \
'push:Copy local files to every selected host (atomic and verified on each host)' \
'pull:Copy files from every selected host into LOCAL_DIR/<host>/' \
'log:Review the audit log\: list operations, show one, verify the chain, prune old files' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff), or write every page into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__completions_commands] )) ||
_hostctl__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help completions commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__help_commands] )) ||
_hostctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__hosts_commands] )) ||
_hostctl__subcmd__help__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help hosts commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log_commands] )) ||
_hostctl__subcmd__help__subcmd__log_commands() {
    local commands; commands=(
'list:Operations, newest first, one line each (the default)' \
'show:One operation in full\: every host'\''s status, exit code, duration, bytes and output' \
'verify:Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered' \
'seal:Forward-secure sealing of the log\: \`init\` starts it and writes the verification key' \
'forward:Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable' \
'prune:Remove whole daily files older than a cut-off, and record that it was done' \
'report:Write one self-contained HTML page\: the selected operations, each host'\''s result and output, a timeline per operation, and failures per host' \
'diff:Per host, what changed between two operations'\'' results and captured output; exit 0 when nothing did, 1 when something did' \
    )
    _describe -t commands 'hostctl help log commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__diff_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log diff commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__forward_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__forward_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log forward commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__list_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log list commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__prune_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log prune commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__report_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log report commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__seal_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__seal_commands() {
    local commands; commands=(
'init:Start sealing\: from now on every record is sealed with a key that evolves forward and erases the one before; the verification key goes to FILE (shown once) and never stays in the log directory' \
    )
    _describe -t commands 'hostctl help log seal commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__seal__subcmd__init_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__seal__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log seal init commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__show_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log show commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__log__subcmd__verify_commands] )) ||
_hostctl__subcmd__help__subcmd__log__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help log verify commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__man_commands] )) ||
_hostctl__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help man commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__pull_commands] )) ||
_hostctl__subcmd__help__subcmd__pull_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help pull commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__push_commands] )) ||
_hostctl__subcmd__help__subcmd__push_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help push commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__help__subcmd__run_commands] )) ||
_hostctl__subcmd__help__subcmd__run_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl help run commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__hosts_commands] )) ||
_hostctl__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl hosts commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log_commands] )) ||
_hostctl__subcmd__log_commands() {
    local commands; commands=(
'list:Operations, newest first, one line each (the default)' \
'show:One operation in full\: every host'\''s status, exit code, duration, bytes and output' \
'verify:Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered' \
'seal:Forward-secure sealing of the log\: \`init\` starts it and writes the verification key' \
'forward:Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable' \
'prune:Remove whole daily files older than a cut-off, and record that it was done' \
'report:Write one self-contained HTML page\: the selected operations, each host'\''s result and output, a timeline per operation, and failures per host' \
'diff:Per host, what changed between two operations'\'' results and captured output; exit 0 when nothing did, 1 when something did' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl log commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__diff_commands] )) ||
_hostctl__subcmd__log__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log diff commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__forward_commands] )) ||
_hostctl__subcmd__log__subcmd__forward_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log forward commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help_commands] )) ||
_hostctl__subcmd__log__subcmd__help_commands() {
    local commands; commands=(
'list:Operations, newest first, one line each (the default)' \
'show:One operation in full\: every host'\''s status, exit code, duration, bytes and output' \
'verify:Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a record was edited, removed or reordered' \
'seal:Forward-secure sealing of the log\: \`init\` starts it and writes the verification key' \
'forward:Send what the forwarding spools still hold, in order, and report what is pending; exit 0 when nothing is left, 3 when some destination is still unreachable' \
'prune:Remove whole daily files older than a cut-off, and record that it was done' \
'report:Write one self-contained HTML page\: the selected operations, each host'\''s result and output, a timeline per operation, and failures per host' \
'diff:Per host, what changed between two operations'\'' results and captured output; exit 0 when nothing did, 1 when something did' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl log help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__diff_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help diff commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__forward_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__forward_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help forward commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__help_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__list_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help list commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__prune_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help prune commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__report_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help report commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__seal_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__seal_commands() {
    local commands; commands=(
'init:Start sealing\: from now on every record is sealed with a key that evolves forward and erases the one before; the verification key goes to FILE (shown once) and never stays in the log directory' \
    )
    _describe -t commands 'hostctl log help seal commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__seal__subcmd__init_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__seal__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help seal init commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__show_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help show commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__help__subcmd__verify_commands] )) ||
_hostctl__subcmd__log__subcmd__help__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log help verify commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__list_commands] )) ||
_hostctl__subcmd__log__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log list commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__prune_commands] )) ||
_hostctl__subcmd__log__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log prune commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__report_commands] )) ||
_hostctl__subcmd__log__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log report commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__seal_commands] )) ||
_hostctl__subcmd__log__subcmd__seal_commands() {
    local commands; commands=(
'init:Start sealing\: from now on every record is sealed with a key that evolves forward and erases the one before; the verification key goes to FILE (shown once) and never stays in the log directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl log seal commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__seal__subcmd__help_commands] )) ||
_hostctl__subcmd__log__subcmd__seal__subcmd__help_commands() {
    local commands; commands=(
'init:Start sealing\: from now on every record is sealed with a key that evolves forward and erases the one before; the verification key goes to FILE (shown once) and never stays in the log directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'hostctl log seal help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__seal__subcmd__help__subcmd__help_commands] )) ||
_hostctl__subcmd__log__subcmd__seal__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log seal help help commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__seal__subcmd__help__subcmd__init_commands] )) ||
_hostctl__subcmd__log__subcmd__seal__subcmd__help__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log seal help init commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__seal__subcmd__init_commands] )) ||
_hostctl__subcmd__log__subcmd__seal__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log seal init commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__show_commands] )) ||
_hostctl__subcmd__log__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log show commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__log__subcmd__verify_commands] )) ||
_hostctl__subcmd__log__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl log verify commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__man_commands] )) ||
_hostctl__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl man commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__pull_commands] )) ||
_hostctl__subcmd__pull_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl pull commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__push_commands] )) ||
_hostctl__subcmd__push_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl push commands' commands "$@"
}
(( $+functions[_hostctl__subcmd__run_commands] )) ||
_hostctl__subcmd__run_commands() {
    local commands; commands=()
    _describe -t commands 'hostctl run commands' commands "$@"
}

if [ "$funcstack[1]" = "_hostctl" ]; then
    _hostctl "$@"
else
    compdef _hostctl hostctl
fi
