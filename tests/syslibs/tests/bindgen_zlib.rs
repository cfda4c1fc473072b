//! The bindgen path end to end: real zlib, declared by real bindgen output
//! that `coffi_build::bridge_bindgen` marked in `build.rs` (see
//! `src/lib.rs`), called from coroutines on 16 KiB stacks through coffi's
//! shims, which run it on the scheduler stack.

use coffi_syslib_tests::zlib;
use std::ffi::{CStr, c_int};
use std::mem::MaybeUninit;

const HELLO: &[u8] = b"hello";

/// Runs `f` in one coroutine on a 16 KiB first stack; returns its result
/// and how many foreign calls the runtime made.
fn in_coroutine<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> (R, u64) {
    let r = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            coffi::spawn(f)
                .join()
                .expect("the coroutine does not panic")
        })
        .expect("the runtime starts");
    (r, coffi::stats().foreign_calls)
}

#[test]
fn checksums_match_the_known_values() {
    let ((crc, adler), calls) = in_coroutine(|| {
        // SAFETY: the buffer is HELLO.len() bytes.
        unsafe {
            (
                zlib::crc32(0, HELLO.as_ptr(), HELLO.len() as zlib::uInt),
                zlib::adler32(1, HELLO.as_ptr(), HELLO.len() as zlib::uInt),
            )
        }
    });
    assert_eq!(crc, 0x3610_a686);
    assert_eq!(adler, 0x062c_0215);
    assert_eq!(calls, 2, "both went through coffi's shims");
}

#[test]
fn the_version_is_the_header_s() {
    let (version, _) = in_coroutine(|| {
        // SAFETY: zlibVersion returns a static C string.
        unsafe { CStr::from_ptr(zlib::zlibVersion()) }
            .to_bytes_with_nul()
            .to_vec()
    });
    assert_eq!(version, zlib::ZLIB_VERSION);
}

/// Input that compresses well but not trivially.
fn input() -> Vec<u8> {
    (0..20_000u32)
        .flat_map(|i| format!("line {} of {}\n", i % 97, i / 97).into_bytes())
        .collect()
}

#[test]
fn compress2_and_uncompress_round_trip() {
    let data = input();
    let ((packed_len, back), calls) = in_coroutine(move || {
        // SAFETY: every buffer is as long as the length passed with it.
        unsafe {
            let bound = zlib::compressBound(data.len() as zlib::uLong);
            let mut packed = vec![0u8; bound as usize];
            let mut packed_len: zlib::uLongf = bound;
            let rc = zlib::compress2(
                packed.as_mut_ptr(),
                &mut packed_len,
                data.as_ptr(),
                data.len() as zlib::uLong,
                9,
            );
            assert_eq!(rc, zlib::Z_OK as c_int);
            let mut back = vec![0u8; data.len()];
            let mut back_len: zlib::uLongf = back.len() as zlib::uLong;
            let rc = zlib::uncompress(
                back.as_mut_ptr(),
                &mut back_len,
                packed.as_ptr(),
                packed_len,
            );
            assert_eq!(rc, zlib::Z_OK as c_int);
            assert_eq!(back_len as usize, data.len());
            (packed_len, back == data)
        }
    });
    assert!(back, "uncompress gives the input back");
    assert!((packed_len as usize) < input().len() / 5, "{packed_len}");
    assert_eq!(calls, 3);
}

#[test]
fn a_deflate_stream_through_typedef_d_pointers() {
    // deflateInit_, deflate and deflateEnd take `z_streamp`, a typedef that
    // the shims get from zlib.h; then the C side's uncompress reads it back.
    let data = input();
    let (ok, calls) = in_coroutine(move || {
        // SAFETY: a zeroed z_stream is what zlib expects before init
        // (zalloc, zfree and opaque NULL: the default allocator); every
        // buffer is as long as the length given with it.
        unsafe {
            let mut strm: zlib::z_stream = MaybeUninit::zeroed().assume_init();
            let rc = zlib::deflateInit_(
                &mut strm,
                zlib::Z_DEFAULT_COMPRESSION,
                zlib::ZLIB_VERSION.as_ptr().cast(),
                size_of::<zlib::z_stream>() as c_int,
            );
            assert_eq!(rc, zlib::Z_OK as c_int);
            let mut out = vec![0u8; data.len() + 1024];
            strm.next_in = data.as_ptr().cast_mut();
            strm.avail_in = data.len() as zlib::uInt;
            strm.next_out = out.as_mut_ptr();
            strm.avail_out = out.len() as zlib::uInt;
            let rc = zlib::deflate(&mut strm, zlib::Z_FINISH as c_int);
            assert_eq!(rc, zlib::Z_STREAM_END as c_int);
            let packed_len = strm.total_out;
            assert_eq!(zlib::deflateEnd(&mut strm), zlib::Z_OK as c_int);

            let mut back = vec![0u8; data.len()];
            let mut back_len: zlib::uLongf = back.len() as zlib::uLong;
            let rc = zlib::uncompress(back.as_mut_ptr(), &mut back_len, out.as_ptr(), packed_len);
            assert_eq!(rc, zlib::Z_OK as c_int);
            back == data
        }
    });
    assert!(ok);
    assert_eq!(calls, 4);
}

#[test]
fn many_coroutines_share_the_bindings() {
    let crcs = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let workers: Vec<_> = (0..200u32)
                .map(|i| {
                    coffi::spawn(move || {
                        coffi::yield_now();
                        let text = format!("hello {i}");
                        // SAFETY: the buffer is text.len() bytes.
                        let crc =
                            unsafe { zlib::crc32(0, text.as_ptr(), text.len() as zlib::uInt) };
                        (text, crc)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap())
                .collect::<Vec<_>>()
        })
        .expect("the runtime starts");
    assert_eq!(crcs.len(), 200);
    // Outside the runtime the plain bindings are fine: the same answers.
    for (text, crc) in crcs {
        // SAFETY: the buffer is text.len() bytes.
        let want = unsafe { zlib::crc32(0, text.as_ptr(), text.len() as zlib::uInt) };
        assert_eq!(crc, want, "{text}");
    }
}

#[test]
fn the_build_script_watched_the_bindings_and_named_what_stays_plain() {
    // What the build script printed, as cargo keeps it beside OUT_DIR.
    let output = std::path::Path::new(env!("OUT_DIR")).join("../output");
    let output = std::fs::read_to_string(&output)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", output.display()));
    let lines: Vec<&str> = output.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("cargo:rerun-if-changed=")
                && l.ends_with("glue-c/tests/bindgen/zlib_bindings.rs")),
        "{output}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("cargo:rerun-if-changed=")
                && l.ends_with("/zlib_bindings_coffi.rs")),
        "{output}"
    );
    let warnings: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("cargo:warning=") && l.contains("zlib_bindings.rs"))
        .collect();
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(warnings[0].contains("gzprintf (line "), "{}", warnings[0]);
    assert!(warnings[0].contains("variadic"), "{}", warnings[0]);
    assert!(!warnings[0].contains("crc32"), "{}", warnings[0]);
}
