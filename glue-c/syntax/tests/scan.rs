//! `scan_file`: finds the same items the macros see, with the same errors.

use coffi_syntax::{Annotated, scan_file};

#[test]
fn finds_items_everywhere() {
    let src = r#"
        use core::ffi::c_int;
        #[coffi::foreign_call(errno)]
        unsafe extern "C" { fn a(x: c_int) -> c_int; fn b(); }
        #[foreign_call]
        unsafe extern "C" { fn c(); }
        unsafe extern "C" { fn not_bridged(); }
        pub mod inner {
            pub mod deeper {
                #[::coffi::export_callback(stack = 65536)]
                pub extern "C" fn cb1(x: c_int) -> c_int { x }
            }
        }
        fn body() {
            #[export_callback]
            extern "C" fn cb2() {}
        }
        struct S;
        impl S {
            #[coffi::export_callback]
            pub extern "C" fn cb3() {}
        }
        #[other::foreign_call]
        unsafe extern "C" { fn not_ours(); }
    "#;
    let found = scan_file(&syn::parse_file(src).unwrap()).unwrap();
    let mut names = Vec::new();
    for a in &found {
        match a {
            Annotated::ForeignBlock(b) => names.extend(b.fns.iter().map(|f| f.c_name.clone())),
            Annotated::Callback(c) => names.push(format!("{}:{}", c.c_name, c.options.stack)),
        }
    }
    assert_eq!(
        names,
        ["a", "b", "c", "cb1:65536", "cb2:32768", "cb3:32768"]
    );
    let Annotated::ForeignBlock(first) = &found[0] else {
        panic!()
    };
    assert!(first.options.errno);
    assert!(first.attrs.is_empty(), "the coffi attribute is removed");
}

#[test]
fn same_errors_as_the_macro() {
    let src = "#[coffi::foreign_call(errnp)]\nunsafe extern \"C\" { fn f(s: String); }\n#[export_callback]\nfn cb() {}\n";
    let file = syn::parse_file(src).unwrap();
    let scanned: Vec<String> = scan_file(&file)
        .unwrap_err()
        .into_iter()
        .map(|e| e.to_string())
        .collect();

    let mut direct = Vec::new();
    let block: syn::Item = syn::parse_str("unsafe extern \"C\" { fn f(s: String); }").unwrap();
    let e = coffi_syntax::parse_foreign_call("errnp".parse().unwrap(), block).unwrap_err();
    direct.extend(e.into_iter().map(|e| e.to_string()));
    let f: syn::Item = syn::parse_str("fn cb() {}").unwrap();
    let e = coffi_syntax::parse_export_callback(Default::default(), f).unwrap_err();
    direct.extend(e.into_iter().map(|e| e.to_string()));
    assert_eq!(scanned, direct);
    assert_eq!(scanned.len(), 3);

    let e = scan_file(&file).unwrap_err();
    let lines: Vec<usize> = e.into_iter().map(|e| e.span().start().line).collect();
    assert_eq!(lines, [1, 2, 4]);
}

#[test]
fn name_value_form_is_rejected() {
    let file =
        syn::parse_file("#[coffi::foreign_call = \"x\"]\nunsafe extern \"C\" { fn f(); }").unwrap();
    let e = scan_file(&file).unwrap_err();
    assert!(
        e.to_string().contains("is not how options are given"),
        "{e}"
    );
}
