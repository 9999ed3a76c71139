//! Calls from the runtime back into compiled code: the `fini` and `toString` thunks that the
//! entry function registers with `nyrt_register_box`. A registered address is called as
//! `extern "C" fn(me_tag: i64, me_payload: i64) -> NyValue` with `me` borrowed, unless a hook
//! is installed on this thread (the VM installs one and registers encoded function ids).

use crate::value::NyValue;
use std::cell::Cell;

/// Interprets a registered "address" (e.g. the VM's encoded FuncId) with `me` borrowed; returns
/// the thunk's owned result.
pub type CallbackHook = fn(fnptr: i64, me: NyValue) -> NyValue;

thread_local! {
    static HOOK: Cell<Option<CallbackHook>> = const { Cell::new(None) };
}

/// Installs (or with `None` removes) this thread's callback hook.
pub fn set_callback_hook(hook: Option<CallbackHook>) {
    HOOK.with(|h| h.set(hook));
}

/// Calls the registered callback `fnptr` with `me` (borrowed); the result is owned.
pub(crate) fn call(fnptr: i64, me: NyValue) -> NyValue {
    if let Some(hook) = HOOK.with(|h| h.get()) {
        return hook(fnptr, me);
    }
    if fnptr == 0 {
        crate::error::internal_error("call of a null callback");
    }
    // SAFETY: `nyrt_register_box` received the address of a compiled thunk with this signature.
    let f: extern "C" fn(i64, i64) -> NyValue = unsafe { std::mem::transmute(fnptr as usize) };
    f(me.tag, me.payload)
}
