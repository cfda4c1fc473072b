//! `#[cfg(..)]` evaluated as rustc evaluates it for the crate being built,
//! from what Cargo tells build scripts: `CARGO_CFG_<NAME>` for each
//! configuration option of the target (`CARGO_CFG_TARGET_OS=linux`,
//! `CARGO_CFG_UNIX=`) and `CARGO_FEATURE_<NAME>` for each enabled feature.
//!
//! A predicate it cannot decide (a `cfg` Cargo does not pass to build
//! scripts, such as `test`, or any `cfg` outside a build script) is
//! *unknown*: the item stays, and keeps its attribute, so that the
//! generator knows not to call it a duplicate of another such item.

use coffi_syntax::item_attrs_mut;
use std::collections::{BTreeMap, BTreeSet};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, ForeignItem, ImplItem, Item, Lit, Meta, Stmt, Token};

/// Options whose every value Cargo passes to build scripts (when unset,
/// the option is false), beside features. (`debug_assertions` is not one:
/// Cargo before 1.93 never sets `CARGO_CFG_DEBUG_ASSERTIONS`, so its
/// absence says nothing.)
const KNOWN_NAMES: &[&str] = &["unix", "windows"];
const KNOWN_KEYS: &[&str] = &[
    "target_os",
    "target_arch",
    "target_pointer_width",
    "target_family",
    "target_env",
    "target_vendor",
    "target_endian",
    "target_abi",
    "target_has_atomic",
    "target_feature",
    "panic",
];

/// The configuration of the crate being built.
#[derive(Clone, Debug, Default)]
pub(crate) struct CfgEnv {
    /// Whether this runs in a build script (Cargo set `CARGO_CFG_*`);
    /// otherwise nothing is decided.
    in_build_script: bool,
    /// `CARGO_CFG_<NAME>` values, keyed by the lowercase name.
    options: BTreeMap<String, BTreeSet<String>>,
    /// Enabled features, as Cargo spells them in `CARGO_FEATURE_<NAME>`
    /// (uppercase, `-` as `_`).
    features: BTreeSet<String>,
}

impl CfgEnv {
    /// The configuration Cargo gives this build script.
    pub(crate) fn from_env() -> CfgEnv {
        CfgEnv::from_vars(std::env::vars())
    }

    /// The configuration from environment variables.
    pub(crate) fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> CfgEnv {
        let mut env = CfgEnv::default();
        for (key, value) in vars {
            if let Some(name) = key.strip_prefix("CARGO_CFG_") {
                env.in_build_script = true;
                // `CARGO_CFG_TARGET_ABI=` is rustc's `target_abi = ""`: an
                // empty value is a value.
                let values = value.split(',').map(str::to_owned);
                env.options
                    .entry(name.to_ascii_lowercase())
                    .or_default()
                    .extend(values);
            } else if let Some(feature) = key.strip_prefix("CARGO_FEATURE_") {
                env.features.insert(feature.to_owned());
            }
        }
        env
    }

    /// Whether `attrs` (all their `#[cfg]`s) enable the item: `None` when
    /// that is unknown.
    pub(crate) fn enabled(&self, attrs: &[Attribute]) -> Option<bool> {
        let mut all = Some(true);
        for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
            let value = attr.parse_args::<Meta>().ok().and_then(|m| self.eval(&m));
            all = and(all, value);
        }
        all
    }

    fn eval(&self, meta: &Meta) -> Option<bool> {
        match meta {
            Meta::Path(p) => {
                let name = p.get_ident()?.to_string();
                self.option(&name, None)
            }
            Meta::NameValue(nv) => {
                let key = nv.path.get_ident()?.to_string();
                let Expr::Lit(ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) = &nv.value
                else {
                    return None;
                };
                if key == "feature" {
                    return self.in_build_script.then(|| {
                        let cargo_name = value.value().to_ascii_uppercase().replace('-', "_");
                        self.features.contains(&cargo_name)
                    });
                }
                self.option(&key, Some(&value.value()))
            }
            Meta::List(list) => {
                let name = list.path.get_ident()?.to_string();
                let args = list
                    .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                    .ok()?;
                let mut values = args.iter().map(|m| self.eval(m));
                match name.as_str() {
                    "all" => values.fold(Some(true), and),
                    "any" => values.fold(Some(false), or),
                    "not" if args.len() == 1 => values.next()?.map(|v| !v),
                    _ => None,
                }
            }
        }
    }

    /// `name` or `name = "value"`: set by Cargo, or known to be unset.
    fn option(&self, name: &str, value: Option<&str>) -> Option<bool> {
        if !self.in_build_script {
            return None;
        }
        match (self.options.get(name), value) {
            (Some(_), None) => Some(true),
            (Some(values), Some(v)) => Some(values.contains(v)),
            (None, None) if KNOWN_NAMES.contains(&name) => Some(false),
            (None, Some(_)) if KNOWN_KEYS.contains(&name) => Some(false),
            (None, _) => None,
        }
    }

    /// Removes from `file` every item (and extern block function) that
    /// `#[cfg]` disables, and the `#[cfg]`s that hold; an item under a cfg
    /// that is unknown keeps it, and an inline module passes it on to its
    /// items.
    pub(crate) fn strip(&self, file: &mut syn::File) {
        self.strip_items(&mut file.items, &[]);
    }

    fn strip_items(&self, items: &mut Vec<Item>, inherited: &[Attribute]) {
        items.retain_mut(|item| {
            let Some(attrs) = item_attrs_mut(item) else {
                return true;
            };
            match self.keep(attrs, inherited) {
                false => false,
                true => {
                    let unknown: Vec<Attribute> = attrs
                        .iter()
                        .filter(|a| a.path().is_ident("cfg"))
                        .cloned()
                        .collect();
                    self.strip_inside(item, &unknown);
                    true
                }
            }
        });
    }

    /// Applies the item's cfgs: `false` to drop it; otherwise leaves only
    /// the unknown ones (plus those inherited from an inline module).
    fn keep(&self, attrs: &mut Vec<Attribute>, inherited: &[Attribute]) -> bool {
        self.expand_cfg_attr(attrs);
        if self.enabled(attrs) == Some(false) {
            return false;
        }
        attrs.retain(|a| {
            !a.path().is_ident("cfg") || self.enabled(std::slice::from_ref(a)).is_none()
        });
        attrs.extend(inherited.iter().cloned());
        true
    }

    fn strip_inside(&self, item: &mut Item, unknown: &[Attribute]) {
        match item {
            Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    self.strip_items(items, unknown);
                }
            }
            Item::ForeignMod(block) => {
                block.items.retain_mut(|f| match f {
                    ForeignItem::Fn(f) => self.keep(&mut f.attrs, &[]),
                    ForeignItem::Static(s) => self.keep(&mut s.attrs, &[]),
                    _ => true,
                });
            }
            Item::Fn(f) => self.strip_stmts(&mut f.block.stmts, unknown),
            Item::Impl(i) => {
                i.items.retain_mut(|ii| match ii {
                    ImplItem::Fn(f) => {
                        let keep = self.keep(&mut f.attrs, unknown);
                        if keep {
                            self.strip_stmts(&mut f.block.stmts, unknown);
                        }
                        keep
                    }
                    _ => true,
                });
            }
            _ => {}
        }
    }

    fn strip_stmts(&self, stmts: &mut Vec<Stmt>, inherited: &[Attribute]) {
        let mut items: Vec<Item> = Vec::new();
        let mut kept = Vec::with_capacity(stmts.len());
        for stmt in stmts.drain(..) {
            match stmt {
                Stmt::Item(item) => {
                    items.push(item);
                    self.strip_items(&mut items, inherited);
                    kept.extend(items.drain(..).map(Stmt::Item));
                }
                other => kept.push(other),
            }
        }
        *stmts = kept;
    }
}

impl CfgEnv {
    /// Replaces each `#[cfg_attr(pred, attrs..)]` whose predicate is known by
    /// its attributes (true) or nothing (false), as rustc does before an
    /// attribute macro sees the item; one whose predicate is unknown stays.
    fn expand_cfg_attr(&self, attrs: &mut Vec<Attribute>) {
        let mut out = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            if attr.path().is_ident("cfg_attr") {
                let parsed = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated);
                if let Ok(list) = parsed {
                    let mut parts = list.into_iter();
                    let value = parts.next().and_then(|pred| self.eval(&pred));
                    match value {
                        Some(true) => {
                            out.extend(parts.map(|meta| Attribute {
                                meta,
                                ..attr.clone()
                            }));
                            continue;
                        }
                        Some(false) => continue,
                        None => {}
                    }
                }
            }
            out.push(attr);
        }
        *attrs = out;
    }
}

fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Whether an item carries a `#[cfg]` whose value is unknown (after
/// [`CfgEnv::strip`], the only `#[cfg]`s left).
pub(crate) fn is_conditional(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("cfg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_with(features: &[&str]) -> CfgEnv {
        let mut vars: Vec<(String, String)> = [
            ("CARGO_CFG_TARGET_OS", "linux"),
            ("CARGO_CFG_TARGET_ARCH", "x86_64"),
            ("CARGO_CFG_TARGET_POINTER_WIDTH", "64"),
            ("CARGO_CFG_TARGET_FAMILY", "unix"),
            ("CARGO_CFG_UNIX", ""),
            ("CARGO_CFG_TARGET_FEATURE", "fxsr,sse,sse2"),
            ("CARGO_CFG_TARGET_ABI", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(
            features
                .iter()
                .map(|f| (format!("CARGO_FEATURE_{f}"), "1".to_owned())),
        );
        CfgEnv::from_vars(vars)
    }

    fn eval(env: &CfgEnv, cfg: &str) -> Option<bool> {
        let item: syn::ItemFn = syn::parse_str(&format!("#[cfg({cfg})] fn f() {{}}")).unwrap();
        env.enabled(&item.attrs)
    }

    #[test]
    fn predicates_evaluate_from_cargo_s_variables() {
        let env = linux_with(&["FAST_PATH"]);
        for (cfg, want) in [
            ("unix", Some(true)),
            ("windows", Some(false)),
            ("target_os = \"linux\"", Some(true)),
            ("target_os = \"macos\"", Some(false)),
            ("target_arch = \"x86_64\"", Some(true)),
            ("target_pointer_width = \"32\"", Some(false)),
            ("target_feature = \"sse2\"", Some(true)),
            ("target_env = \"musl\"", Some(false)),
            ("target_abi = \"\"", Some(true)),
            ("debug_assertions", None),
            ("feature = \"fast-path\"", Some(true)),
            ("feature = \"slow\"", Some(false)),
            ("not(windows)", Some(true)),
            ("all(unix, feature = \"fast-path\")", Some(true)),
            ("all(unix, feature = \"slow\")", Some(false)),
            ("any(windows, target_os = \"linux\")", Some(true)),
            ("test", None),
            ("my_custom_cfg", None),
            ("any(test, unix)", Some(true)),
            ("all(test, windows)", Some(false)),
            ("not(test)", None),
        ] {
            assert_eq!(eval(&env, cfg), want, "cfg({cfg})");
        }
    }

    #[test]
    fn nothing_is_decided_outside_a_build_script() {
        let env = CfgEnv::from_vars([]);
        assert_eq!(eval(&env, "unix"), None);
        assert_eq!(eval(&env, "feature = \"x\""), None);
    }

    #[test]
    fn strip_drops_disabled_items_and_keeps_unknown_cfgs() {
        let mut file = syn::parse_file(
            r#"
            #[cfg(windows)] mod win { fn a() {} }
            #[cfg_attr(unix, path = "sys_unix.rs")] mod sys;
            #[cfg_attr(windows, cfg(any()))] mod kept;
            #[cfg(unix)] mod nix { fn b() {} }
            #[cfg(test)] mod tests { fn c() {} }
            unsafe extern "C" {
                #[cfg(target_os = "macos")] fn mac();
                #[cfg(target_os = "linux")] fn linux();
            }
            fn body() { #[cfg(windows)] fn inner() {} }
            "#,
        )
        .unwrap();
        linux_with(&[]).strip(&mut file);
        let text = quote::ToTokens::to_token_stream(&file).to_string();
        assert!(
            !text.contains("win") && !text.contains("mac") && !text.contains("inner"),
            "{text}"
        );
        assert!(
            text.contains("mod nix") && text.contains("fn linux"),
            "{text}"
        );
        // The cfg that holds is gone; the unknown one stays and reaches the
        // module's items.
        assert!(!text.contains("cfg (unix)"), "{text}");
        let Some(Item::Mod(tests)) = file
            .items
            .iter()
            .find(|i| matches!(i, Item::Mod(m) if m.ident == "tests"))
        else {
            panic!("{text}")
        };
        let Some((_, items)) = &tests.content else {
            panic!()
        };
        let Item::Fn(c) = &items[0] else { panic!() };
        assert!(is_conditional(&c.attrs));
    }
}
