//! `hosts.toml` as written: serde structs that keep each value's position for error messages.
//! Unknown keys are rejected here so a typo (`usr = "x"`) never goes unnoticed.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    #[serde(default)]
    pub defaults: RawSettings,
    #[serde(default)]
    pub hosts: BTreeMap<String, Spanned<RawHost>>,
    #[serde(default)]
    pub groups: BTreeMap<String, Spanned<RawGroup>>,
    #[serde(default)]
    pub audit: RawAudit,
}

/// `[audit]`: where the audit log's records also go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// Destination URLs (`syslog+tcp://host:port`, `journald`, ...).
    #[serde(default)]
    pub forward: Vec<Spanned<String>>,
    pub required: Option<Spanned<bool>>,
    /// Bytes, or `64M`-style, per destination.
    pub spool_size: Option<Spanned<toml::Value>>,
    pub ca_file: Option<Spanned<String>>,
}

/// The SSH settings that `[defaults]`, a host and a group can each carry; the three structs
/// below share them through this macro because serde's `flatten` cannot be combined with
/// `deny_unknown_fields`.
macro_rules! with_settings {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            pub user: Option<Spanned<String>>,
            pub port: Option<Spanned<i64>>,
            /// A string or a list of strings; checked in `Layer::check`.
            pub identity_file: Option<Spanned<toml::Value>>,
            /// A string or a list of strings, like `identity_file`.
            pub certificate_file: Option<Spanned<toml::Value>>,
            pub known_hosts: Option<Spanned<String>>,
            pub connect_timeout: Option<Spanned<DurationText>>,
            pub keepalive: Option<Spanned<DurationText>>,
            /// A host or a list of hosts (first hop first); checked in `Layer::check`.
            pub jump: Option<Spanned<toml::Value>>,
        }

        impl $name {
            pub fn settings(&self) -> RawSettingsRef<'_> {
                RawSettingsRef {
                    user: self.user.as_ref(),
                    port: self.port.as_ref(),
                    identity_file: self.identity_file.as_ref(),
                    certificate_file: self.certificate_file.as_ref(),
                    known_hosts: self.known_hosts.as_ref(),
                    connect_timeout: self.connect_timeout.as_ref(),
                    keepalive: self.keepalive.as_ref(),
                    jump: self.jump.as_ref(),
                }
            }
        }
    };
}

with_settings! {
    /// `[defaults]`: settings for every host.
    pub struct RawSettings {}
}

with_settings! {
    /// `[hosts.NAME]`: a named host; `address` defaults to the name.
    pub struct RawHost {
        pub address: Option<Spanned<String>>,
    }
}

with_settings! {
    /// `[groups.NAME]`: member hosts (names, addresses or ranges), child groups, and settings
    /// for all of them.
    pub struct RawGroup {
        #[serde(default)]
        pub hosts: Vec<Spanned<String>>,
        #[serde(default)]
        pub children: Vec<Spanned<String>>,
    }
}

/// A borrowed view of the settings of any of the three sections.
#[derive(Clone, Copy, Default)]
pub struct RawSettingsRef<'a> {
    pub user: Option<&'a Spanned<String>>,
    pub port: Option<&'a Spanned<i64>>,
    pub identity_file: Option<&'a Spanned<toml::Value>>,
    pub certificate_file: Option<&'a Spanned<toml::Value>>,
    pub known_hosts: Option<&'a Spanned<String>>,
    pub connect_timeout: Option<&'a Spanned<DurationText>>,
    pub keepalive: Option<&'a Spanned<DurationText>>,
    pub jump: Option<&'a Spanned<toml::Value>>,
}

/// A duration as written: `"10s"`, or a bare number of seconds (`10`, `2.5`), as `--timeout`
/// and `--connect-timeout` accept on the command line.
#[derive(Debug)]
pub struct DurationText(pub String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DurationText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration like \"10s\" or a number of seconds")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<DurationText, E> {
                Ok(DurationText(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}
