//! Per-program state set by `nyrt_init`: source metadata (file, sites, method names), argv,
//! and program start/finish (`nyrt_init`, `nyrt_args`, `nyrt_finish`).

use crate::error::guard;
use crate::methods::Method;
use crate::value::{tag, NyValue};
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::sync::{Arc, Mutex};

/// What `nyrt_init` learned about the running program.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub file: String,
    /// `(line, col, func)` per `SiteId`.
    pub sites: Vec<(u32, u32, String)>,
    /// Method names per `SymId`, and their pre-resolved builtin method.
    pub syms: Vec<String>,
    pub methods: Vec<Method>,
    /// argv[1..].
    pub args: Vec<String>,
    /// User boxes by box id (`B` lines).
    pub boxes: Vec<BoxMeta>,
    /// Static-box field names by global index (`G` lines).
    pub globals: Vec<String>,
}

/// A user box as described by a `B` line.
#[derive(Debug, Default)]
pub(crate) struct BoxMeta {
    pub name: String,
    pub parent: Option<usize>,
    /// Every field slot, inherited ones first.
    pub fields: Vec<String>,
}

thread_local! {
    /// The program running on this thread (programs run one per thread, see `start`).
    static CURRENT: RefCell<Option<Arc<Meta>>> = const { RefCell::new(None) };
}
/// The most recently initialised program, for code that runs on another thread than its
/// `nyrt_init` (not expected, but then errors still get locations).
static LAST: Mutex<Option<Arc<Meta>>> = Mutex::new(None);

pub(crate) fn with_meta<R>(f: impl FnOnce(Option<&Meta>) -> R) -> R {
    CURRENT.with(|c| {
        let local = c.borrow();
        if local.is_some() {
            f(local.as_deref())
        } else {
            drop(local);
            let global = LAST.lock().unwrap_or_else(|e| e.into_inner()).clone();
            f(global.as_deref())
        }
    })
}

/// `<file>:<line>:<col> in <func>` for a site, if it is known.
pub(crate) fn site_location(site: i64) -> Option<String> {
    with_meta(|m| {
        let m = m?;
        let (line, col, func) = m.sites.get(usize::try_from(site).ok()?)?;
        Some(format!("{}:{}:{} in {}", m.file, line, col, func))
    })
}

/// The name of box `id` (for messages and display).
pub(crate) fn box_name(id: usize) -> String {
    with_meta(|m| m.and_then(|m| m.boxes.get(id)).map(|b| b.name.clone()))
        .unwrap_or_else(|| format!("<box #{id}>"))
}

/// The name of symbol `sym` (a method or field name).
pub(crate) fn sym_name(sym: i64) -> String {
    with_meta(|m| m.and_then(|m| m.syms.get(usize::try_from(sym).ok()?).cloned()))
        .unwrap_or_else(|| format!("<symbol #{sym}>"))
}

/// Parses the blob described at `Module::runtime_metadata`: `F\t<file>`,
/// `S\t<line>\t<col>\t<func>` per site, `M\t<name>` per symbol,
/// `B\t<name>\t<parent id or ->\t<field>,<field>…` per box and `G\t<name>` per global.
pub(crate) fn parse_metadata(text: &str) -> Meta {
    let mut m = Meta::default();
    for line in text.split('\n') {
        let mut parts = line.splitn(2, '\t');
        let kind = parts.next().unwrap_or("");
        let rest = parts.next().unwrap_or("");
        match kind {
            "F" => m.file = rest.to_string(),
            "S" => {
                let mut f = rest.splitn(3, '\t');
                let line = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                let col = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                let func = f.next().unwrap_or("").to_string();
                m.sites.push((line, col, func));
            }
            "M" => {
                m.methods.push(Method::from_name(rest));
                m.syms.push(rest.to_string());
            }
            "B" => {
                let mut f = rest.splitn(3, '\t');
                let name = f.next().unwrap_or("").to_string();
                let parent = f.next().and_then(|x| x.parse().ok());
                let fields = f.next().unwrap_or("");
                let fields = if fields.is_empty() {
                    Vec::new()
                } else {
                    fields.split(',').map(str::to_string).collect()
                };
                m.boxes.push(BoxMeta { name, parent, fields });
            }
            "G" => m.globals.push(rest.to_string()),
            _ => {}
        }
    }
    m
}

/// Reads C `argv[0..argc]` (NUL-terminated strings, lossily decoded as UTF-8).
///
/// # Safety
/// `argv` must point to `argc` valid C string pointers (a null entry stops the scan).
unsafe fn read_argv(argc: i64, argv: i64) -> Vec<String> {
    let mut out = Vec::new();
    if argv == 0 {
        return out;
    }
    let argv = argv as *const *const c_char;
    for i in 0..argc as usize {
        let p = *argv.add(i);
        if p.is_null() {
            break;
        }
        out.push(CStr::from_ptr(p).to_string_lossy().into_owned());
    }
    out
}

/// Starts a program: records argv and the metadata blob for this thread.
#[no_mangle]
pub extern "C" fn nyrt_init(argc: i64, argv: i64, meta_ptr: i64, meta_len: i64) {
    guard(|| {
        // argc may come from a C `int` whose upper register half is garbage.
        let argc = (argc & 0xffff_ffff) as i32 as i64;
        let argv_strings = if argc > 0 { unsafe { read_argv(argc, argv) } } else { Vec::new() };
        let text = if meta_ptr != 0 && meta_len > 0 {
            // SAFETY: the backend passes the embedded metadata bytes.
            let bytes =
                unsafe { std::slice::from_raw_parts(meta_ptr as *const u8, meta_len as usize) };
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            String::new()
        };
        let mut meta = parse_metadata(&text);
        meta.args = argv_strings.into_iter().skip(1).collect();
        crate::rc::set_rc_check(std::env::var_os("NYASH_RC_CHECK").is_some_and(|v| v == "1"));
        crate::state::reset(&meta);
        let meta = Arc::new(meta);
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(meta.clone());
        CURRENT.with(|c| *c.borrow_mut() = Some(meta));
    })
}

/// The command-line arguments after the program name, as an ArrayBox of Strings.
#[no_mangle]
pub extern "C" fn nyrt_args() -> NyValue {
    guard(|| {
        let args = with_meta(|m| m.map(|m| m.args.clone()).unwrap_or_default());
        NyValue::array(args.iter().map(|a| NyValue::str(a)).collect())
    })
}

/// Turns `main`'s result into the exit status (§5) and flushes stdout.
#[no_mangle]
pub extern "C" fn nyrt_finish(tag: i64, payload: i64) -> i64 {
    guard(|| {
        crate::io::flush_stdout();
        exit_code(NyValue::new(tag, payload))
    })
}

pub(crate) fn exit_code(v: NyValue) -> i64 {
    match v.tag {
        tag::INT => v.payload.rem_euclid(256),
        tag::BOOL => (v.payload != 0) as i64,
        _ => 0,
    }
}
