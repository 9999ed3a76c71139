//! `emit_text`: annotated CLIF (`EmitKind::Ir`) or VCode disassembly (`EmitKind::Asm`).
//!
//! Compiles into an `ObjectModule` that is then dropped: it needs no runtime symbols and
//! shows the code `nyash build` would produce.

use crate::codegen::{compile_module, module_error, Capture};
use crate::isa::{host_isa, quick_isa, CodeModel};
use cranelift_object::{ObjectBuilder, ObjectModule};
use nyash_mir::{BackendError, EmitKind, Module, Options};
use std::fmt::Write;

pub(crate) fn emit_text(
    mir: &Module,
    opts: &Options,
    kind: EmitKind,
) -> Result<String, BackendError> {
    let isa = host_isa(opts, CodeModel::Object)?;
    let quick = quick_isa(opts, CodeModel::Object)?;
    let builder = ObjectBuilder::new(isa, "nyash", cranelift_module::default_libcall_names())
        .map_err(|e| module_error(None, e))?;
    let mut module = ObjectModule::new(builder);
    let capture = match kind {
        EmitKind::Ir => Capture::Clif,
        EmitKind::Asm => Capture::Asm,
    };
    let compiled = compile_module(&mut module, &*quick, mir, capture)?;
    let mut out = String::new();
    for (name, text) in &compiled.texts {
        if kind == EmitKind::Asm {
            let _ = writeln!(out, "; function {name}");
        }
        out.push_str(text);
        out.push('\n');
    }
    Ok(out)
}
