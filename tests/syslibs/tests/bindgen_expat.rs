//! expat through real bindgen output (`glue-c/tests/bindgen/expat_bindings.rs`),
//! declared exactly as bindgen writes it: the parser handle
//! `XML_Parser = *mut XML_ParserStruct`, handler typedefs that are `Option`s
//! of fn pointer aliases, enums as `c_uint` aliases, `XML_Char` pointers in
//! callbacks, and `XML_ExpatVersionInfo` returning a struct by value. The
//! handlers are `#[export_callback]`s that need more room than the
//! coroutines have, so the stacks move while expat parses.

use coffi_syslib_tests::expat::{self, XML_Char, XML_Parser};
use std::ffi::{CStr, c_int, c_void};

/// What the handlers collect, behind `XML_SetUserData`.
#[derive(Default)]
struct Collected {
    depth: usize,
    deepest: usize,
    elements: Vec<String>,
    text: String,
}

/// `user` is the `Collected` the parser was given.
unsafe fn collected<'a>(user: *mut c_void) -> &'a mut Collected {
    // SAFETY: every parser of these tests gets a live `Collected` as its
    // user data, used by one handler at a time.
    unsafe { &mut *user.cast::<Collected>() }
}

#[coffi::export_callback(stack = 65536)]
extern "C" fn on_start(user: *mut c_void, name: *const XML_Char, _atts: *mut *const XML_Char) {
    // Room the 16 KiB coroutines do not have: the stack moves.
    let room = std::hint::black_box([0u8; 16 * 1024]);
    // SAFETY: expat passes a NUL-terminated name and our user data.
    let (c, name) = unsafe { (collected(user), CStr::from_ptr(name)) };
    c.depth += 1 + usize::from(room[0]);
    c.deepest = c.deepest.max(c.depth);
    c.elements.push(name.to_string_lossy().into_owned());
}

#[coffi::export_callback]
extern "C" fn on_end(user: *mut c_void, _name: *const XML_Char) {
    // SAFETY: our user data.
    unsafe { collected(user) }.depth -= 1;
}

#[coffi::export_callback]
extern "C" fn on_text(user: *mut c_void, s: *const XML_Char, len: c_int) {
    // SAFETY: expat passes `len` bytes at `s` and our user data.
    let (c, bytes) = unsafe {
        (
            collected(user),
            std::slice::from_raw_parts(s.cast::<u8>(), len as usize),
        )
    };
    c.text.push_str(&String::from_utf8_lossy(bytes));
}

/// Parses `doc` in one call; the collected data, or expat's error name and line.
fn parse(doc: &str) -> Result<Collected, (String, u64)> {
    let mut collected = Collected::default();
    // SAFETY: a parser created, used and freed here; the handlers match
    // expat's typedefs (checked by rustc through the aliases) and the user
    // data outlives the parser.
    unsafe {
        let parser: XML_Parser = expat::XML_ParserCreate(std::ptr::null());
        assert!(!parser.is_null());
        expat::XML_SetUserData(parser, (&raw mut collected).cast());
        expat::XML_SetElementHandler(parser, Some(on_start), Some(on_end));
        expat::XML_SetCharacterDataHandler(parser, Some(on_text));
        let status = expat::XML_Parse(parser, doc.as_ptr().cast(), doc.len() as c_int, 1);
        let outcome = if status == expat::XML_Status_XML_STATUS_OK {
            Ok(())
        } else {
            let code = expat::XML_GetErrorCode(parser);
            let name = CStr::from_ptr(expat::XML_ErrorString(code))
                .to_string_lossy()
                .into_owned();
            Err((name, expat::XML_GetCurrentLineNumber(parser)))
        };
        expat::XML_ParserFree(parser);
        outcome.map(|()| collected)
    }
}

#[test]
fn a_document_parses_through_handler_typedefs_on_moving_stacks() {
    let (c, relocations) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let c = parse("<a><b>one</b><c><d>two</d></c></a>").expect("well-formed");
            (c, coffi::stack_info().unwrap().relocations)
        })
        .unwrap();
    assert_eq!(c.elements, ["a", "b", "c", "d"]);
    assert_eq!((c.deepest, c.depth), (3, 0));
    assert_eq!(c.text, "onetwo");
    assert!(relocations >= 1, "on_start needs 64 KiB: the stack moves");
}

#[test]
fn an_error_comes_back_as_the_enum_alias() {
    let err = coffi::run(|| parse("<a>\n<b></a>").map(|_| ()));
    assert_eq!(err, Err(("mismatched tag".to_owned(), 2)));
}

#[test]
fn the_version_struct_comes_back_by_value() {
    // SAFETY: expat's version functions take nothing and return values or
    // a static string.
    let v = coffi::run(|| unsafe { expat::XML_ExpatVersionInfo() });
    assert_eq!(
        (v.major, v.minor, v.micro),
        (
            expat::XML_MAJOR_VERSION as c_int,
            expat::XML_MINOR_VERSION as c_int,
            expat::XML_MICRO_VERSION as c_int
        )
    );
    let version = coffi::run(|| unsafe { expat::XML_ExpatVersion() });
    // SAFETY: a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(version) };
    let want = format!("expat_{}.{}.{}", v.major, v.minor, v.micro);
    assert_eq!(text.to_str().unwrap(), want);
}

#[test]
fn a_hundred_coroutines_parse_at_once() {
    let counts = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let workers: Vec<_> = (0..100)
                .map(|i| {
                    coffi::spawn(move || {
                        let doc: String = std::iter::once("<r>".to_owned())
                            .chain((0..i).map(|k| format!("<e>{k}</e>")))
                            .chain(std::iter::once("</r>".to_owned()))
                            .collect();
                        coffi::yield_now();
                        parse(&doc).expect("well-formed").elements.len()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap())
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(counts, (0..100).map(|i| i + 1).collect::<Vec<_>>());
}
