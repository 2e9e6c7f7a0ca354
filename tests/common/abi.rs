//! Calling the exported C functions as C would, for the ABI-level tests.

use entra_provisioning::ffi::*;
use serde_json::Value;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

/// Reads and frees an `out_json` string.
pub fn take(out: *mut c_char) -> Value {
    assert!(!out.is_null(), "out_json is always written");
    // SAFETY: a string produced by the library.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: freed exactly once.
    unsafe { entra_string_free(out) };
    serde_json::from_str(&text).unwrap()
}

/// A client handle, freed on drop.
pub struct Client(pub *mut EntraClient);

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: a live handle, freed once.
        unsafe { entra_client_free(self.0) };
    }
}

/// `entra_client_new`: the handle, or the status and error object.
pub fn try_client(config: &str) -> Result<(Client, Value), (EntraStatus, Value)> {
    let config = CString::new(config).unwrap();
    let mut handle = ptr::null_mut();
    let mut out = ptr::null_mut();
    // SAFETY: valid pointers.
    let status = unsafe { entra_client_new(config.as_ptr(), &mut handle, &mut out) };
    let answer = take(out);
    if status == EntraStatus::Ok {
        Ok((Client(handle), answer))
    } else {
        Err((status, answer))
    }
}

pub fn client(config: &str) -> Client {
    match try_client(config) {
        Ok((client, _)) => client,
        Err((status, err)) => panic!("entra_client_new: {status:?} {err}"),
    }
}

pub type Export =
    unsafe extern "C" fn(*const EntraClient, *const c_char, *mut *mut c_char) -> EntraStatus;

/// Calls an export with a request given as JSON text.
pub fn call_text(f: Export, c: &Client, request: &str) -> (EntraStatus, Value) {
    let request = CString::new(request).unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: live handle, valid strings.
    let status = unsafe { f(c.0, request.as_ptr(), &mut out) };
    (status, take(out))
}

pub fn call(f: Export, c: &Client, request: Value) -> (EntraStatus, Value) {
    call_text(f, c, &request.to_string())
}

/// `entra_decide`.
pub fn decide_text(question: &str) -> (EntraStatus, Value) {
    let request = CString::new(question).unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: valid strings.
    let status = unsafe { entra_decide(request.as_ptr(), &mut out) };
    (status, take(out))
}
