/* A tiny line protocol, handled in C with a callback per reply line. Shared
 * by coffi's server example (tests/examples/server.rs, through
 * tests/src/request.rs) and the Go server (tests/benches/cgo-server/), so
 * both run exactly this C per request.
 *
 * Requests are lines ending in '\n' (a '\r' before it is dropped):
 *   ADD a b      -> a + b in decimal (a and b: signed decimal, |x| < 10^15)
 *   ECHO text    -> text
 *   SUM text     -> FNV-1a (32-bit) of text, 8 lowercase hex digits
 *   anything else, or a malformed ADD -> ERR <reason>
 */
#ifndef COFFI_TESTS_REQUEST_H
#define COFFI_TESTS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* Implemented by the caller (Rust: an #[export_callback]; Go: an //export
 * function): receives one reply line, without its '\n', and the `user` value
 * given to request_handle. Returns 0 to go on, anything else to stop. */
int request_reply(uintptr_t user, const char *line, size_t len);

/* Handles every complete line of buf[0..len), calling request_reply once per
 * line, in order. Returns the number of bytes consumed (up to and including
 * the last '\n'; a trailing partial line is left for the next call), or -1
 * when request_reply asked to stop. */
long request_handle(const char *buf, size_t len, uintptr_t user);

#endif
