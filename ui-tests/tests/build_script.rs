//! The build script rejects the `ui/` cases with the macro's own words: for
//! every case, each error the macro gives (the plain `error:` entries of
//! the committed `.stderr`) is an error of `coffi_build::generate` on the
//! same file, at the same line and column, with the same message. Errors
//! with a code (`error[E0277]` ...) are the compiler's, which the build
//! script cannot see.

use std::path::{Path, PathBuf};

/// One error of a `.stderr` snapshot.
#[derive(Debug, PartialEq, Eq)]
struct Reported {
    message: String,
    line: usize,
    column: usize,
}

/// The macro's errors in a snapshot: `error: <line>` and its indented
/// continuation lines, then ` --> ui/<case>.rs:<line>:<column>`.
fn macro_errors(stderr: &str) -> Vec<Reported> {
    let mut out = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let Some(first) = line.strip_prefix("error: ") else {
            continue;
        };
        let mut message = first.to_owned();
        for next in lines.by_ref() {
            if let Some((_, at)) = next.split_once("--> ") {
                let mut parts = at.rsplitn(3, ':');
                let column = parts.next().and_then(|c| c.parse().ok()).expect("column");
                let line = parts.next().and_then(|l| l.parse().ok()).expect("line");
                out.push(Reported {
                    message,
                    line,
                    column,
                });
                break;
            }
            let continuation = next
                .strip_prefix("       ")
                .unwrap_or_else(|| panic!("unexpected line {next:?} in {stderr}"));
            message.push('\n');
            message.push_str(continuation);
        }
    }
    out
}

fn build_script_errors(source: &str) -> Vec<Reported> {
    match coffi_build::generate(source) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| Reported {
                message: d.message.clone(),
                line: d.line,
                column: d.column,
            })
            .collect(),
    }
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("ui/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    cases.sort();
    assert!(cases.len() > 30, "the cases are in {}", dir.display());
    cases
}

#[test]
fn one_case_by_hand() {
    let err = coffi_build::generate(include_str!("../ui/param_string.rs")).unwrap_err();
    let stderr = include_str!("../ui/param_string.stderr");
    let first = &err.diagnostics()[0];
    assert_eq!(
        first.message,
        "`String` cannot cross to C\n\
         help: pass `*const c_char`, e.g. from `CString::as_ptr` or `c\"literal\".as_ptr()` \
         (keep the `CString` alive during the call)"
    );
    assert!(stderr.starts_with(&format!(
        "error: {}",
        first.message.replace('\n', "\n       ")
    )));
    assert!(stderr.contains(&format!(
        "--> ui/param_string.rs:{}:{}",
        first.line, first.column
    )));
}

/// Cases the macro leaves to rustc because it sees one item, while the
/// build script, which sees the file's `type` aliases, rejects them: the
/// case and how the build script's message starts.
const SEES_MORE: &[(&str, &str)] = &[
    (
        "alias_to_string.rs",
        "through `type name_t = String;` (<source>:5): `String` cannot cross to C",
    ),
    (
        "callback_alias_to_string.rs",
        "through `type label_t = String;` (<source>:6): `String` cannot cross to C",
    ),
    (
        "option_of_pointer_alias.rs",
        "through `type handle_t = *mut c_void;` (<source>:8): `Option<handle_t>` cannot cross to C",
    ),
    (
        "struct_by_value_not_repr_c.rs",
        "`Point` cannot cross to C by value: it is not `#[repr(C)]`, so Rust may reorder its fields (<source>:4)",
    ),
    (
        "unknown_type_no_alias.rs",
        "`number_t` is not a C type coffi knows: no bridged file defines `type number_t = ..;`",
    ),
];

#[test]
fn every_macro_error_is_a_build_script_error() {
    let mut checked = 0;
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&case).unwrap();
        let stderr = std::fs::read_to_string(case.with_extension("stderr"))
            .unwrap_or_else(|e| panic!("{name}: no snapshot: {e}"));
        let from_macro = macro_errors(&stderr);
        let from_build = build_script_errors(&source);
        if let Some((_, start)) = SEES_MORE.iter().find(|(case, _)| *case == name) {
            // rustc reports these (E0277, E0425); the build script sees the
            // alias (or its absence) and reports it in its own words.
            assert!(from_macro.is_empty(), "{name}: {from_macro:?}");
            assert_eq!(from_build.len(), 1, "{name}: {from_build:?}");
            assert!(
                from_build[0].message.starts_with(start),
                "{name}: {from_build:?}"
            );
            continue;
        }
        if name == "callback_same_c_name.rs" {
            // A cross-item check: the compiler reports it (E0428), the
            // build script in its own words.
            assert!(from_macro.is_empty());
            assert_eq!(from_build.len(), 1);
            assert!(
                from_build[0]
                    .message
                    .starts_with("the C symbol `on_event` is exported twice"),
                "{from_build:?}"
            );
            continue;
        }
        assert_eq!(from_build, from_macro, "{name}");
        checked += usize::from(!from_macro.is_empty());
    }
    assert!(checked > 25, "only {checked} cases have macro errors");
}
