//! Every keyword OpenSSH's client knows (9.x and 10.x, with Debian's GSSAPI additions), and
//! what hostctl does with each: honour it, ignore it as harmless, or refuse it. A keyword is
//! harmless when ignoring it can only make hostctl do less than ssh would (no forwarding, no
//! multiplexing, no local commands), never connect elsewhere, authenticate differently, or
//! trust a host key that ssh would not.

/// How many words a keyword takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arity {
    One,
    /// One, or two (`IPQoS`, `RekeyLimit`, `AddKeysToAgent`, `RemoteForward`).
    OneOrTwo,
    Two,
    /// Any number (`SendEnv`, `UserKnownHostsFile`, ...).
    Many,
    /// The rest of the line, as written (commands, `ProxyJump`).
    Rest,
}

/// What a value must look like (checked wherever the line is, as ssh does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    Any,
    /// `yes`, `no`, `true`, `false`.
    Flag,
    /// One of these, in any case.
    Choice(&'static [&'static str]),
    /// Seconds with optional units (`1h30m`), or `none`.
    Time,
    Int,
    Port,
    /// `yes`, `no`, `true`, `false` (exact case) or a time.
    FlagOrTime,
}

/// The settings hostctl takes from ssh_config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field {
    HostName,
    User,
    Port,
    IdentityFile,
    IdentitiesOnly,
    CertificateFile,
    UserKnownHostsFile,
    ProxyJump,
    ProxyCommand,
    ConnectTimeout,
    ServerAliveInterval,
    StrictHostKeyChecking,
    IgnoreUnknown,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    Host,
    Match,
    Include,
    Set(Field),
    /// Ignoring it cannot make hostctl less safe than ssh, or send it anywhere else.
    Ignore,
    /// An error for each host it applies to (the first value obtained for it, as for any
    /// setting), unless that value is one of `unless`.
    Refuse {
        unless: &'static [&'static str],
        hint: &'static str,
    },
}

#[derive(Debug, PartialEq)]
pub struct Spec {
    /// As the man page spells it; errors name it so.
    pub name: &'static str,
    pub arity: Arity,
    pub check: Check,
    pub effect: Effect,
}

const fn spec(name: &'static str, arity: Arity, check: Check, effect: Effect) -> Spec {
    Spec {
        name,
        arity,
        check,
        effect,
    }
}

use Arity::*;
use Check::*;
use Effect::*;

const YES_NO: &[&str] = &["no", "false"];
const ALGORITHMS: &str = "hostctl negotiates libssh2's algorithms and cannot restrict or extend them per host; leave it out of the config hostctl reads (-F)";

const HOST: Spec = spec("Host", Many, Any, Effect::Host);
const MATCH: Spec = spec("Match", Rest, Any, Effect::Match);
const INCLUDE: Spec = spec("Include", Many, Any, Effect::Include);
const HOSTNAME: Spec = spec("HostName", One, Any, Set(Field::HostName));
const USER: Spec = spec("User", One, Any, Set(Field::User));
const PORT: Spec = spec("Port", One, Check::Port, Set(Field::Port));
const IDENTITY_FILE: Spec = spec("IdentityFile", One, Any, Set(Field::IdentityFile));
const USER_KNOWN_HOSTS: Spec = spec(
    "UserKnownHostsFile",
    Many,
    Any,
    Set(Field::UserKnownHostsFile),
);
const PROXY_JUMP: Spec = spec("ProxyJump", Rest, Any, Set(Field::ProxyJump));
const PROXY_COMMAND: Spec = spec("ProxyCommand", Rest, Any, Set(Field::ProxyCommand));
const CONNECT_TIMEOUT: Spec = spec("ConnectTimeout", One, Time, Set(Field::ConnectTimeout));
const SERVER_ALIVE: Spec = spec(
    "ServerAliveInterval",
    One,
    Time,
    Set(Field::ServerAliveInterval),
);
const STRICT: Spec = spec(
    "StrictHostKeyChecking",
    One,
    Choice(&["yes", "no", "true", "false", "ask", "off", "accept-new"]),
    Set(Field::StrictHostKeyChecking),
);
const IGNORE_UNKNOWN: Spec = spec("IgnoreUnknown", One, Any, Set(Field::IgnoreUnknown));

const CANONICALIZE: Spec = spec(
    "CanonicalizeHostname",
    One,
    Choice(&["yes", "no", "true", "false", "always"]),
    Refuse {
        unless: YES_NO,
        hint: "hostctl does not canonicalize host names; write the full name in HostName or the inventory's `address`",
    },
);
const PERMITTED_CNAMES: Spec = spec(
    "CanonicalizePermittedCNAMEs",
    Many,
    Any,
    Refuse {
        unless: &["none"],
        hint: "hostctl never follows CNAMEs to rename a host",
    },
);
const CERTIFICATE_FILE: Spec = spec("CertificateFile", One, Any, Set(Field::CertificateFile));
const HOST_KEY_ALIAS: Spec = spec(
    "HostKeyAlias",
    One,
    Any,
    Refuse {
        unless: &[],
        hint: "hostctl looks host keys up by address and port",
    },
);
const REVOKED: Spec = spec(
    "RevokedHostKeys",
    One,
    Any,
    Refuse {
        unless: &[],
        hint: "hostctl does not read revocation files and would trust keys ssh refuses",
    },
);
const KNOWN_HOSTS_COMMAND: Spec = spec(
    "KnownHostsCommand",
    Rest,
    Any,
    Refuse {
        unless: &[],
        hint: "hostctl reads host keys from one known_hosts file only",
    },
);
const IDENTITIES_ONLY: Spec = spec("IdentitiesOnly", One, Flag, Set(Field::IdentitiesOnly));
const IDENTITY_AGENT: Spec = spec(
    "IdentityAgent",
    One,
    Any,
    Refuse {
        unless: &["SSH_AUTH_SOCK"],
        hint: "hostctl uses the agent that SSH_AUTH_SOCK names",
    },
);
const PUBKEY_AUTH: Spec = spec(
    "PubkeyAuthentication",
    One,
    Choice(&["yes", "no", "true", "false", "unbound", "host-bound"]),
    Refuse {
        unless: &["yes", "true", "unbound", "host-bound"],
        hint: "hostctl always authenticates with keys when it has them",
    },
);
const ADDRESS_FAMILY: Spec = spec(
    "AddressFamily",
    One,
    Choice(&["inet", "inet6", "any"]),
    Refuse {
        unless: &["any"],
        hint: "hostctl connects to whichever address the name resolves to; write an address in HostName",
    },
);
const BIND_ADDRESS: Spec = spec(
    "BindAddress",
    One,
    Any,
    Refuse {
        unless: &[],
        hint: "hostctl cannot choose its source address",
    },
);
const BIND_INTERFACE: Spec = spec(
    "BindInterface",
    One,
    Any,
    Refuse {
        unless: &[],
        hint: "hostctl cannot choose its source interface",
    },
);
const REFUSE_CONNECTION: Spec = spec(
    "RefuseConnection",
    One,
    Flag,
    Refuse {
        unless: YES_NO,
        hint: "this host is meant to be refused; take it out of the selection",
    },
);
const fn algorithms(name: &'static str) -> Spec {
    spec(
        name,
        One,
        Any,
        Refuse {
            unless: &[],
            hint: ALGORITHMS,
        },
    )
}
const CIPHERS: Spec = algorithms("Ciphers");
const MACS: Spec = algorithms("MACs");
const KEX: Spec = algorithms("KexAlgorithms");
const HOST_KEY_ALGORITHMS: Spec = algorithms("HostKeyAlgorithms");
const PUBKEY_ALGORITHMS: Spec = algorithms("PubkeyAcceptedAlgorithms");
const REQUIRED_RSA_SIZE: Spec = spec(
    "RequiredRSASize",
    One,
    Int,
    Refuse {
        unless: &[],
        hint: ALGORITHMS,
    },
);

const fn ignored(name: &'static str, arity: Arity, check: Check) -> Spec {
    spec(name, arity, check, Ignore)
}
const KBD_INTERACTIVE: Spec = ignored("KbdInteractiveAuthentication", One, Flag);
const TCP_KEEPALIVE: Spec = ignored("TCPKeepAlive", One, Flag);
const HOSTBASED_ALGORITHMS: Spec = ignored("HostbasedAcceptedAlgorithms", One, Any);
const PKCS11: Spec = ignored("PKCS11Provider", One, Any);
/// ssh ignores these itself (deprecated, or no longer supported).
const OBSOLETE: Spec = ignored("(obsolete)", Rest, Any);

/// Lowercased spellings (aliases included) and what each means.
static KEYWORDS: &[(&str, &Spec)] = &[
    ("host", &HOST),
    ("match", &MATCH),
    ("include", &INCLUDE),
    // Honoured.
    ("hostname", &HOSTNAME),
    ("user", &USER),
    ("port", &PORT),
    ("identityfile", &IDENTITY_FILE),
    ("identityfile2", &IDENTITY_FILE),
    ("userknownhostsfile", &USER_KNOWN_HOSTS),
    ("proxyjump", &PROXY_JUMP),
    ("proxycommand", &PROXY_COMMAND),
    ("connecttimeout", &CONNECT_TIMEOUT),
    ("serveraliveinterval", &SERVER_ALIVE),
    ("protocolkeepalives", &SERVER_ALIVE),
    ("stricthostkeychecking", &STRICT),
    ("ignoreunknown", &IGNORE_UNKNOWN),
    // Refused where they apply (some only with certain values).
    ("canonicalizehostname", &CANONICALIZE),
    ("canonicalizepermittedcnames", &PERMITTED_CNAMES),
    ("certificatefile", &CERTIFICATE_FILE),
    ("hostkeyalias", &HOST_KEY_ALIAS),
    ("revokedhostkeys", &REVOKED),
    ("knownhostscommand", &KNOWN_HOSTS_COMMAND),
    ("identitiesonly", &IDENTITIES_ONLY),
    ("identityagent", &IDENTITY_AGENT),
    ("pubkeyauthentication", &PUBKEY_AUTH),
    ("dsaauthentication", &PUBKEY_AUTH),
    ("addressfamily", &ADDRESS_FAMILY),
    ("bindaddress", &BIND_ADDRESS),
    ("bindinterface", &BIND_INTERFACE),
    ("refuseconnection", &REFUSE_CONNECTION),
    ("ciphers", &CIPHERS),
    ("macs", &MACS),
    ("kexalgorithms", &KEX),
    ("hostkeyalgorithms", &HOST_KEY_ALGORITHMS),
    ("pubkeyacceptedalgorithms", &PUBKEY_ALGORITHMS),
    ("pubkeyacceptedkeytypes", &PUBKEY_ALGORITHMS),
    ("requiredrsasize", &REQUIRED_RSA_SIZE),
    // Harmless: forwarding, multiplexing, terminals, local commands and logging hostctl does
    // not do; trust sources it does not use (so it trusts less); retries and keepalive counts
    // its own deadlines replace; authentication methods it never uses.
    ("forwardagent", &ignored("ForwardAgent", One, Any)),
    ("forwardx11", &ignored("ForwardX11", One, Flag)),
    (
        "forwardx11trusted",
        &ignored("ForwardX11Trusted", One, Flag),
    ),
    (
        "forwardx11timeout",
        &ignored("ForwardX11Timeout", One, Time),
    ),
    ("xauthlocation", &ignored("XAuthLocation", One, Any)),
    ("gatewayports", &ignored("GatewayPorts", One, Flag)),
    (
        "exitonforwardfailure",
        &ignored("ExitOnForwardFailure", One, Flag),
    ),
    ("localforward", &ignored("LocalForward", Two, Any)),
    ("remoteforward", &ignored("RemoteForward", OneOrTwo, Any)),
    ("dynamicforward", &ignored("DynamicForward", One, Any)),
    ("permitremoteopen", &ignored("PermitRemoteOpen", Many, Any)),
    (
        "clearallforwardings",
        &ignored("ClearAllForwardings", One, Flag),
    ),
    (
        "streamlocalbindmask",
        &ignored("StreamLocalBindMask", One, Any),
    ),
    (
        "streamlocalbindunlink",
        &ignored("StreamLocalBindUnlink", One, Flag),
    ),
    (
        "tunnel",
        &ignored(
            "Tunnel",
            One,
            Choice(&["ethernet", "point-to-point", "true", "yes", "false", "no"]),
        ),
    ),
    ("tunneldevice", &ignored("TunnelDevice", One, Any)),
    (
        "controlmaster",
        &ignored(
            "ControlMaster",
            One,
            Choice(&["yes", "no", "true", "false", "auto", "ask", "autoask"]),
        ),
    ),
    ("controlpath", &ignored("ControlPath", One, Any)),
    (
        "controlpersist",
        &ignored("ControlPersist", One, FlagOrTime),
    ),
    ("localcommand", &ignored("LocalCommand", Rest, Any)),
    (
        "permitlocalcommand",
        &ignored("PermitLocalCommand", One, Flag),
    ),
    ("remotecommand", &ignored("RemoteCommand", Rest, Any)),
    (
        "requesttty",
        &ignored(
            "RequestTTY",
            One,
            Choice(&["yes", "no", "true", "false", "force", "auto"]),
        ),
    ),
    (
        "sessiontype",
        &ignored(
            "SessionType",
            One,
            Choice(&["none", "subsystem", "default"]),
        ),
    ),
    ("stdinnull", &ignored("StdinNull", One, Flag)),
    (
        "forkafterauthentication",
        &ignored("ForkAfterAuthentication", One, Flag),
    ),
    ("escapechar", &ignored("EscapeChar", One, Any)),
    (
        "enableescapecommandline",
        &ignored("EnableEscapeCommandline", One, Flag),
    ),
    ("sendenv", &ignored("SendEnv", Many, Any)),
    ("setenv", &ignored("SetEnv", Many, Any)),
    (
        "compression",
        &ignored("Compression", One, Choice(&["yes", "no"])),
    ),
    ("ipqos", &ignored("IPQoS", OneOrTwo, Any)),
    ("rekeylimit", &ignored("RekeyLimit", OneOrTwo, Any)),
    (
        "loglevel",
        &ignored(
            "LogLevel",
            One,
            Choice(&[
                "quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3",
            ]),
        ),
    ),
    ("logverbose", &ignored("LogVerbose", Many, Any)),
    ("syslogfacility", &ignored("SyslogFacility", One, Any)),
    ("visualhostkey", &ignored("VisualHostKey", One, Flag)),
    (
        "fingerprinthash",
        &ignored("FingerprintHash", One, Choice(&["md5", "sha256"])),
    ),
    ("batchmode", &ignored("BatchMode", One, Flag)),
    (
        "numberofpasswordprompts",
        &ignored("NumberOfPasswordPrompts", One, Int),
    ),
    (
        "connectionattempts",
        &ignored("ConnectionAttempts", One, Int),
    ),
    (
        "serveralivecountmax",
        &ignored("ServerAliveCountMax", One, Int),
    ),
    ("tcpkeepalive", &TCP_KEEPALIVE),
    ("keepalive", &TCP_KEEPALIVE),
    (
        "globalknownhostsfile",
        &ignored("GlobalKnownHostsFile", Many, Any),
    ),
    ("checkhostip", &ignored("CheckHostIP", One, Flag)),
    (
        "verifyhostkeydns",
        &ignored(
            "VerifyHostKeyDNS",
            One,
            Choice(&["yes", "no", "true", "false", "ask"]),
        ),
    ),
    (
        "nohostauthenticationforlocalhost",
        &ignored("NoHostAuthenticationForLocalhost", One, Flag),
    ),
    (
        "updatehostkeys",
        &ignored(
            "UpdateHostKeys",
            One,
            Choice(&["yes", "no", "true", "false", "ask"]),
        ),
    ),
    ("hashknownhosts", &ignored("HashKnownHosts", One, Flag)),
    ("addkeystoagent", &ignored("AddKeysToAgent", OneOrTwo, Any)),
    (
        "passwordauthentication",
        &ignored("PasswordAuthentication", One, Flag),
    ),
    ("kbdinteractiveauthentication", &KBD_INTERACTIVE),
    ("challengeresponseauthentication", &KBD_INTERACTIVE),
    ("skeyauthentication", &KBD_INTERACTIVE),
    ("tisauthentication", &KBD_INTERACTIVE),
    (
        "kbdinteractivedevices",
        &ignored("KbdInteractiveDevices", One, Any),
    ),
    (
        "preferredauthentications",
        &ignored("PreferredAuthentications", One, Any),
    ),
    (
        "hostbasedauthentication",
        &ignored("HostbasedAuthentication", One, Flag),
    ),
    ("hostbasedacceptedalgorithms", &HOSTBASED_ALGORITHMS),
    ("hostbasedkeytypes", &HOSTBASED_ALGORITHMS),
    ("enablesshkeysign", &ignored("EnableSSHKeysign", One, Flag)),
    (
        "casignaturealgorithms",
        &ignored("CASignatureAlgorithms", One, Any),
    ),
    (
        "securitykeyprovider",
        &ignored("SecurityKeyProvider", One, Any),
    ),
    ("pkcs11provider", &PKCS11),
    ("smartcarddevice", &PKCS11),
    (
        "gssapiauthentication",
        &ignored("GSSAPIAuthentication", One, Flag),
    ),
    (
        "gssapidelegatecredentials",
        &ignored("GSSAPIDelegateCredentials", One, Flag),
    ),
    (
        "gssapikeyexchange",
        &ignored("GSSAPIKeyExchange", One, Flag),
    ),
    (
        "gssapiclientidentity",
        &ignored("GSSAPIClientIdentity", One, Any),
    ),
    (
        "gssapiserveridentity",
        &ignored("GSSAPIServerIdentity", One, Any),
    ),
    (
        "gssapirenewalforcesrekey",
        &ignored("GSSAPIRenewalForcesRekey", One, Flag),
    ),
    ("gssapitrustdns", &ignored("GSSAPITrustDns", One, Flag)),
    (
        "gssapikexalgorithms",
        &ignored("GSSAPIKexAlgorithms", One, Any),
    ),
    ("proxyusefdpass", &ignored("ProxyUseFdpass", One, Flag)),
    ("canonicaldomains", &ignored("CanonicalDomains", Many, Any)),
    (
        "canonicalizefallbacklocal",
        &ignored("CanonicalizeFallbackLocal", One, Flag),
    ),
    (
        "canonicalizemaxdots",
        &ignored("CanonicalizeMaxDots", One, Int),
    ),
    // Newer than OpenSSH 9.2 (which calls them unknown).
    ("tag", &ignored("Tag", One, Any)),
    ("channeltimeout", &ignored("ChannelTimeout", Many, Any)),
    (
        "obscurekeystroketiming",
        &ignored("ObscureKeystrokeTiming", One, Any),
    ),
    ("versionaddendum", &ignored("VersionAddendum", Rest, Any)),
    ("warnweakcrypto", &ignored("WarnWeakCrypto", One, Any)),
    // ssh itself ignores these (deprecated or unsupported), and so does hostctl.
    ("protocol", &OBSOLETE),
    ("cipher", &OBSOLETE),
    ("fallbacktorsh", &OBSOLETE),
    ("globalknownhostsfile2", &OBSOLETE),
    ("rhostsauthentication", &OBSOLETE),
    ("userknownhostsfile2", &OBSOLETE),
    ("useroaming", &OBSOLETE),
    ("usersh", &OBSOLETE),
    ("useprivilegedport", &OBSOLETE),
    ("useblacklistedkeys", &OBSOLETE),
    ("setuptimeout", &OBSOLETE),
    ("afstokenpassing", &OBSOLETE),
    ("kerberosauthentication", &OBSOLETE),
    ("kerberostgtpassing", &OBSOLETE),
    ("rsaauthentication", &OBSOLETE),
    ("rhostsrsaauthentication", &OBSOLETE),
    ("compressionlevel", &OBSOLETE),
];

/// The keyword's meaning; `lower` is lowercased, as ssh compares keywords.
pub fn lookup(lower: &str) -> Option<&'static Spec> {
    KEYWORDS.iter().find(|(k, _)| *k == lower).map(|(_, s)| *s)
}

/// Every spelling with its meaning.
#[cfg(test)]
pub fn all() -> impl Iterator<Item = (&'static str, &'static Spec)> {
    KEYWORDS.iter().copied()
}

#[cfg(test)]
mod tests {
    #[test]
    fn spellings_are_lowercase_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (k, spec) in super::all() {
            assert_eq!(k, k.to_ascii_lowercase(), "{k}");
            assert!(seen.insert(k), "{k} twice");
            if spec.name != "(obsolete)" && !k.ends_with('2') {
                assert!(
                    spec.name.eq_ignore_ascii_case(k)
                        || super::all().any(
                            |(o, s)| std::ptr::eq(s, spec) && spec.name.eq_ignore_ascii_case(o)
                        ),
                    "{k} -> {}",
                    spec.name
                );
            }
        }
    }
}
