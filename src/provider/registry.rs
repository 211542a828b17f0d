//! The provider registry: `registry!` turns the one list of providers in `provider/mod.rs`
//! (one line each: `Variant => folder`) into everything that dispatches on a provider —
//! [`ProviderKind`](super::ProviderKind), [`TargetSpec`](super::TargetSpec),
//! [`AnyProvider`](super::AnyProvider), reading a target's keys, and the demo — so that no
//! other file lists providers. What a provider must give is the [`Registered`] trait (with
//! [`Keys`] for its config keys, and [`Demo`]): a folder that misses an item does not
//! compile, and the compiler names it.
//!
//! It is a closed set dispatched by `match`, as mini-redis dispatches its commands: no trait
//! objects, no `init()` magic.

use serde::Deserialize;

use super::Provider;
use super::http::Http;
use crate::config::{Target, TargetCx};
use crate::demo::Demo;

/// What a provider's folder gives the registry; `provider/<kind>/mod.rs` implements it for
/// its `Client`. The names are spelled once, here and in the folder.
pub(crate) trait Registered: Provider + Demo + Sized {
    /// The provider id: the `provider:` value of its targets and the `provider` label.
    const KIND: &'static str;
    /// What one polled unit is, for messages: `instance`, `policy`, `project`, `cluster`.
    const UNIT: &'static str;
    /// The target key listing the units, when they are listed (`compute_instance_ids`).
    const IDS_KEY: Option<&'static str>;
    /// Whether a polled unit is itself a resource (then configured units get zero-valued
    /// series from the first poll, and count as the target's resources).
    const UNIT_IS_RESOURCE: bool;
    /// Task types known in advance, for zero-valued series.
    const KNOWN_TYPES: &'static [&'static str];
    /// The provider's own target keys as written (`provider/<kind>/config.rs`).
    type File: Keys<Config = Self::Config>;
    /// The provider's target keys, validated: credentials and endpoints parsed.
    type Config: std::fmt::Debug + Clone + PartialEq;
    /// The client of a target whose keys are `config`.
    fn new(config: &Self::Config, target: &Target, http: Http) -> Self;
}

/// A provider's own target keys as written: a `#[serde(deny_unknown_fields)]` struct, and
/// what is checked across them.
pub(crate) trait Keys: for<'de> Deserialize<'de> {
    /// The validated keys.
    type Config;
    /// Checks what depends on several keys (exactly one auth method, ids or discovery)
    /// and builds the validated keys; problems go to `cx`.
    fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<Self::Config>;
    /// Keys read beside this struct through one a family of providers shares (every Huawei
    /// target's `region`, `project_id` and `auth`).
    fn shared() -> &'static [&'static str] {
        &[]
    }
    /// Why `key` is not a key of the struct serde names `structure` (one of the nested
    /// mappings, such as `auth:`), when a hint says more than "unknown key".
    fn hint(structure: &str, key: &str) -> Option<String> {
        let _ = (structure, key);
        None
    }
}

/// Declares the providers; see the module doc. Each line is `Variant => folder`, with doc
/// comments.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident, )+) => {
        $( pub mod $module; )+

        /// Which API a target polls. `as_str` is the `provider` label and the config value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ProviderKind {
            $( $(#[$doc])* $variant, )+
        }

        const COUNT: usize = [$( stringify!($variant) ),+].len();

        impl ProviderKind {
            /// Every provider, in registry order.
            pub const ALL: [ProviderKind; COUNT] = [$( ProviderKind::$variant ),+];

            /// The provider id (`provider` label and config value).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::Registered>::KIND, )+
                }
            }

            /// Parses a provider id.
            pub fn parse(s: &str) -> Option<ProviderKind> {
                Self::ALL.into_iter().find(|k| k.as_str() == s)
            }

            /// What one polled unit is, for messages.
            pub(crate) const fn unit_noun(self) -> &'static str {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::Registered>::UNIT, )+
                }
            }

            /// The target key listing the units, if the provider has one.
            pub(crate) const fn ids_key(self) -> Option<&'static str> {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::Registered>::IDS_KEY, )+
                }
            }

            /// Whether a polled unit is itself a resource.
            pub(crate) const fn unit_is_resource(self) -> bool {
                match self {
                    $( ProviderKind::$variant => {
                        <$module::Client as $crate::provider::Registered>::UNIT_IS_RESOURCE
                    } )+
                }
            }

            /// Task types known in advance.
            pub(crate) const fn known_types(self) -> &'static [&'static str] {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::Registered>::KNOWN_TYPES, )+
                }
            }

            /// The provider's own target keys.
            pub(crate) fn keys(self) -> Vec<&'static str> {
                match self {
                    $( ProviderKind::$variant => {
                        type C = $module::Client;
                        let mut keys = $crate::config::fields_of::<
                            <C as $crate::provider::Registered>::File,
                        >()
                        .to_vec();
                        keys.extend_from_slice(<<C as $crate::provider::Registered>::File as $crate::provider::Keys>::shared());
                        keys
                    } )+
                }
            }

            /// A hint for an unknown key of one of the provider's nested structs.
            pub(crate) fn hint(self, structure: &str, key: &str) -> Option<String> {
                match self {
                    $( ProviderKind::$variant => {
                        <<$module::Client as $crate::provider::Registered>::File as $crate::provider::Keys>::hint(structure, key)
                    } )+
                }
            }

            /// Reads and checks the provider's own keys of a target's mapping.
            pub(crate) fn config(
                self,
                cx: &mut $crate::config::TargetCx<'_, '_, '_>,
            ) -> Option<TargetSpec> {
                match self {
                    $( ProviderKind::$variant => {
                        let file = cx.keys::<<$module::Client as $crate::provider::Registered>::File>()?;
                        $crate::provider::Keys::check(file, cx).map(TargetSpec::$variant)
                    } )+
                }
            }

            /// The demo's side of the provider (`provider/<kind>/demo.rs`).
            pub(crate) fn demo(self) -> $crate::demo::DemoService {
                match self {
                    $( ProviderKind::$variant => {
                        $crate::demo::DemoService::of::<$module::Client>()
                    } )+
                }
            }
        }

        /// A target's own provider keys, validated (`provider/<kind>/config.rs`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum TargetSpec {
            $( $(#[$doc])* $variant($module::Config), )+
        }

        impl TargetSpec {
            /// The provider these keys are of.
            pub fn kind(&self) -> ProviderKind {
                match self {
                    $( TargetSpec::$variant(_) => ProviderKind::$variant, )+
                }
            }
        }

        /// The client of one target, whichever its provider.
        #[derive(Debug)]
        #[allow(
            clippy::large_enum_variant,
            reason = "one per target, built once and never moved in a hot path"
        )]
        enum Any {
            $( $variant($module::Client), )+
        }

        impl Any {
            fn new(target: &$crate::config::Target, http: $crate::provider::http::Http) -> Any {
                match &target.spec {
                    $( TargetSpec::$variant(c) => {
                        Any::$variant(<$module::Client as $crate::provider::Registered>::new(c, target, http))
                    } )+
                }
            }

            fn units(&self) -> $crate::provider::Units {
                match self {
                    $( Any::$variant(p) => p.units(), )+
                }
            }

            async fn discover(&self) -> Result<Vec<String>, $crate::provider::ProviderError> {
                match self {
                    $( Any::$variant(p) => p.discover().await, )+
                }
            }

            async fn list_tasks(
                &self,
                unit: &str,
                ctx: &$crate::provider::PollContext,
            ) -> Result<$crate::model::Listing, $crate::provider::ProviderError> {
                match self {
                    $( Any::$variant(p) => p.list_tasks(unit, ctx).await, )+
                }
            }
        }
    };
}

pub(crate) use registry;
