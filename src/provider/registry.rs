//! The provider registry: `registry!` turns the one list of providers in `provider/mod.rs`
//! (one line each: `Variant => folder`) into everything that dispatches on a provider —
//! [`ProviderKind`](super::ProviderKind), [`TargetSpec`](super::TargetSpec),
//! [`AnyProvider`](super::AnyProvider), reading a target's keys, and the demo — so that no
//! other file lists providers. What a provider must give is the
//! [`Registered`](super::plugin::Registered) trait (with [`Keys`](super::plugin::Keys) for its
//! config keys, and [`Demo`](crate::demo::service::Demo)): a folder that misses an item does not
//! compile, and the compiler names it.
//!
//! It is a closed set dispatched by `match`, as mini-redis dispatches its commands: no trait
//! objects, no `init()` magic.

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
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::plugin::Registered>::KIND, )+
                }
            }

            /// Parses a provider id.
            pub fn parse(s: &str) -> Option<ProviderKind> {
                Self::ALL.into_iter().find(|k| k.as_str() == s)
            }

            /// What one polled unit is, for messages.
            pub(crate) const fn unit_noun(self) -> &'static str {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::plugin::Registered>::UNIT, )+
                }
            }

            /// The target key listing the units, if the provider has one.
            pub(crate) const fn ids_key(self) -> Option<&'static str> {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::plugin::Registered>::IDS_KEY, )+
                }
            }

            /// Whether a polled unit is itself a resource.
            pub(crate) const fn unit_is_resource(self) -> bool {
                match self {
                    $( ProviderKind::$variant => {
                        <$module::Client as $crate::provider::plugin::Registered>::UNIT_IS_RESOURCE
                    } )+
                }
            }

            /// Task types known in advance.
            pub(crate) const fn known_types(self) -> &'static [&'static str] {
                match self {
                    $( ProviderKind::$variant => <$module::Client as $crate::provider::plugin::Registered>::KNOWN_TYPES, )+
                }
            }

            /// The provider's own target keys.
            pub(crate) fn keys(self) -> Vec<&'static str> {
                match self {
                    $( ProviderKind::$variant => {
                        type C = $module::Client;
                        let mut keys = $crate::config::de::fields_of::<
                            <C as $crate::provider::plugin::Registered>::File,
                        >()
                        .to_vec();
                        keys.extend_from_slice(<<C as $crate::provider::plugin::Registered>::File as $crate::provider::plugin::Keys>::shared());
                        keys
                    } )+
                }
            }

            /// A hint for an unknown key of one of the provider's nested structs.
            pub(crate) fn hint(self, structure: &str, key: &str) -> Option<String> {
                match self {
                    $( ProviderKind::$variant => {
                        <<$module::Client as $crate::provider::plugin::Registered>::File as $crate::provider::plugin::Keys>::hint(structure, key)
                    } )+
                }
            }

            /// Reads and checks the provider's own keys of a target's mapping.
            pub(crate) fn config(
                self,
                cx: &mut $crate::config::keys::TargetCx<'_, '_, '_>,
            ) -> Option<TargetSpec> {
                match self {
                    $( ProviderKind::$variant => {
                        let file = cx.keys::<<$module::Client as $crate::provider::plugin::Registered>::File>()?;
                        $crate::provider::plugin::Keys::check(file, cx).map(TargetSpec::$variant)
                    } )+
                }
            }

            /// The keys of the provider's `auth:` block.
            pub(crate) fn credentials(self) -> &'static [&'static str] {
                match self {
                    $( ProviderKind::$variant => {
                        <<$module::Client as $crate::provider::plugin::Registered>::File as $crate::provider::plugin::Keys>::credentials()
                    } )+
                }
            }

            /// The demo's side of the provider (`provider/<kind>/demo.rs`).
            pub(crate) fn demo(self) -> $crate::demo::service::DemoService {
                match self {
                    $( ProviderKind::$variant => {
                        $crate::demo::service::DemoService::of::<$module::Client>()
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
            fn new(
                spec: &TargetSpec,
                settings: &$crate::config::settings::Settings,
                endpoint: Option<&$crate::config::value::BaseUrl>,
                http: $crate::provider::http::Http,
            ) -> Any {
                match spec {
                    $( TargetSpec::$variant(c) => {
                        Any::$variant(<$module::Client as $crate::provider::plugin::Registered>::new(
                            c, settings, endpoint, http,
                        ))
                    } )+
                }
            }

            fn units(&self) -> $crate::provider::plugin::Units {
                match self {
                    $( Any::$variant(p) => p.units(), )+
                }
            }

            async fn discover(&self) -> Result<Vec<String>, $crate::provider::error::ProviderError> {
                match self {
                    $( Any::$variant(p) => p.discover().await, )+
                }
            }

            async fn list_tasks(
                &self,
                unit: &str,
                ctx: &$crate::provider::plugin::PollContext,
            ) -> Result<$crate::model::Listing, $crate::provider::error::ProviderError> {
                match self {
                    // Boxed: a listing's future is moved into its task, and unboxed the
                    // enum's future is the largest provider's, copied whole at every move.
                    $( Any::$variant(p) => Box::pin(p.list_tasks(unit, ctx)).await, )+
                }
            }

            async fn schedules(
                &self,
            ) -> Option<Result<$crate::schedule::Policies, $crate::provider::error::ProviderError>> {
                match self {
                    $( Any::$variant(p) => p.schedules().await, )+
                }
            }

            fn schedules_pending(&self) -> bool {
                match self {
                    $( Any::$variant(p) => p.schedules_pending(), )+
                }
            }
        }
    };
}

pub(crate) use registry;
