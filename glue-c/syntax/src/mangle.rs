//! Symbol names shared by the trampoline (Rust) and the shim (C).
//!
//! Every name carries the C name and a hash of the *normalized signature*
//! (see [`ForeignFn::signature`]): the C types of the parameters and the
//! return value, the options, and a version of the frame convention. A stale
//! or mismatched build therefore fails at link time naming the function,
//! instead of passing a frame of the wrong shape.

use crate::model::ForeignFn;

/// Version of the frame convention; part of every hash.
const CONVENTION: &str = "coffi-frame-1";

/// Prefix of the link marker; see [`ForeignFn::marker_symbol`].
const MARKER_PREFIX: &str = "coffi_build_bridge_missing_for__";

/// 64-bit FNV-1a.
///
/// ```
/// assert_eq!(coffi_syntax::fnv1a64(b""), 0xcbf29ce484222325);
/// assert_eq!(coffi_syntax::fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
/// ```
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl ForeignFn {
    /// The normalized signature the hash is computed from, e.g.
    /// `coffi-frame-1;add;int(int,int);errno=0;header=`.
    ///
    /// `blocking` is not part of it: it decides only where the trampoline
    /// runs the shim (a helper thread or the scheduler stack), and the shim
    /// is the same C either way, so one compiled shim serves both and
    /// toggling the option never needs the C rebuilt.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| p.ctype.model_spelling())
            .collect();
        let header = self
            .options
            .header
            .as_ref()
            .map(|h| h.as_written())
            .unwrap_or_default();
        format!(
            "{CONVENTION};{};{}({});errno={};header={}",
            self.c_name,
            self.ret.model_spelling(),
            params.join(","),
            u8::from(self.options.errno),
            header
        )
    }

    /// 16 lowercase hex digits of the FNV-1a 64 hash of [`signature`](Self::signature).
    pub fn hash(&self) -> String {
        format!("{:016x}", fnv1a64(self.signature().as_bytes()))
    }

    /// The C shim's symbol: `__coffi_shim_<cname>_<hash>`.
    pub fn shim_symbol(&self) -> String {
        format!("__coffi_shim_{}_{}", self.c_name, self.hash())
    }

    /// The C frame struct's tag: `__coffi_frame_<cname>_<hash>`.
    pub fn frame_tag(&self) -> String {
        format!("__coffi_frame_{}_{}", self.c_name, self.hash())
    }

    /// The link marker: `coffi_build_bridge_missing_for__<cname>_<hash>`, a
    /// `const char` defined next to the shim in the generated C file and
    /// referenced by the trampoline. When the build script does not bridge
    /// the file, the link fails with an undefined reference to this symbol,
    /// which says what is missing.
    pub fn marker_symbol(&self) -> String {
        format!("{MARKER_PREFIX}{}_{}", self.c_name, self.hash())
    }

    /// The C layout table of a frame whose layout the model does not know
    /// (it has typedef fields): `__coffi_layout_<cname>_<hash>`, a
    /// `size_t[]` holding the C `sizeof`, `_Alignof` and every field offset,
    /// which the trampoline compares with the Rust frame at run time.
    pub fn layout_symbol(&self) -> String {
        format!("__coffi_layout_{}_{}", self.c_name, self.hash())
    }
}
