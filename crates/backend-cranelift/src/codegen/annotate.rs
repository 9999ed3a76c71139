//! CLIF text annotated with the MIR each part came from (like rustc_codegen_cranelift's
//! `CommentWriter`): `; <mir inst>` lines before the first CLIF instruction it produced,
//! the MIR block before each CLIF block, and a legend naming every referenced symbol.

use cranelift_codegen::entity::SecondaryMap;
use cranelift_codegen::ir::{self, Function as ClifFunction};
use cranelift_codegen::write::{decorate_function, FuncWriter, PlainWriter};
use cranelift_module::{DataId, FuncId, Module};
use nyash_mir::{BlockId, Const, Function, Inst, InstKind, Module as MirModule, Terminator};
use rustc_hash::FxHashMap;
use std::fmt::{self, Write};

/// Comments collected while lowering one function.
#[derive(Default)]
pub(crate) struct Notes {
    pub insts: FxHashMap<ir::Inst, Vec<String>>,
    pub blocks: FxHashMap<ir::Block, String>,
    /// Text of MIR instructions that emitted no CLIF yet; attached to the next instruction.
    pub pending: Vec<String>,
}

/// The annotated CLIF of `clif`, lowered from `func`.
pub(super) fn write_clif<M: Module>(
    module: &M,
    clif: &ClifFunction,
    func: &Function,
    notes: &Notes,
) -> String {
    let mut out = String::new();
    // `;` lines are the MIR (with its own `vN` numbering) that produced the CLIF below them.
    let _ = writeln!(out, "; MIR function {}", func.name);
    let decls = module.declarations();
    for (_, name) in clif.params.user_named_funcs().iter() {
        let symbol = match name.namespace {
            0 => decls.get_function_decl(FuncId::from_u32(name.index)).name.clone(),
            _ => decls.get_data_decl(DataId::from_u32(name.index)).name.clone(),
        };
        let _ = writeln!(
            out,
            ";   u{}:{} = {}",
            name.namespace,
            name.index,
            symbol.unwrap_or_default()
        );
    }
    let _ = decorate_function(&mut CommentWriter(notes), &mut out, clif);
    out
}

struct CommentWriter<'a>(&'a Notes);

impl FuncWriter for CommentWriter<'_> {
    fn write_block_header(
        &mut self,
        w: &mut dyn Write,
        func: &ClifFunction,
        block: ir::Block,
        indent: usize,
    ) -> fmt::Result {
        if let Some(text) = self.0.blocks.get(&block) {
            writeln!(w, "; {text}")?;
        }
        PlainWriter.write_block_header(w, func, block, indent)
    }

    fn write_instruction(
        &mut self,
        w: &mut dyn Write,
        func: &ClifFunction,
        aliases: &SecondaryMap<ir::Value, Vec<ir::Value>>,
        inst: ir::Inst,
        indent: usize,
    ) -> fmt::Result {
        for text in self.0.insts.get(&inst).into_iter().flatten() {
            writeln!(w, "{:indent$}; {text}", "")?;
        }
        PlainWriter.write_instruction(w, func, aliases, inst, indent)
    }
}

/// `bb3(v1: int, v2: dyn)`.
pub(super) fn block_header(func: &Function, bid: BlockId) -> String {
    let params: Vec<String> =
        func.block(bid).params.iter().map(|&p| format!("{p}: {}", func.ty(p).name())).collect();
    format!("{bid}({})", params.join(", "))
}

/// One MIR instruction as text, e.g. `v3 = IntBin { op: Add, a: v1, b: v2 }  @site4`.
pub(super) fn inst_text(mir: &MirModule, inst: &Inst) -> String {
    let lhs = inst.result.map(|r| format!("{r} = ")).unwrap_or_default();
    let rhs = match &inst.kind {
        InstKind::Const(Const::Str(id)) => match mir.strings.get(id.index()) {
            Some(s) => format!("Const(Str({id} {s:?}))"),
            None => format!("{:?}", inst.kind),
        },
        InstKind::RtCall { func, args } => format!("RtCall {}({})", func.name(), list(args)),
        InstKind::Call { func, args } => match mir.funcs.get(func.index()) {
            Some(f) => format!("Call {}({})", f.name, list(args)),
            None => format!("{:?}", inst.kind),
        },
        InstKind::DynMethodCall { recv, method, args } => {
            let name = mir.symbols.get(method.index()).map(String::as_str).unwrap_or("?");
            format!("DynMethodCall {recv}.{name}({})", list(args))
        }
        InstKind::FuncAddr(func) => match mir.funcs.get(func.index()) {
            Some(f) => format!("FuncAddr {}", f.name),
            None => format!("{:?}", inst.kind),
        },
        kind => format!("{kind:?}"),
    };
    let at = match mir.sites.get(inst.site.index()) {
        Some(site) => format!("  @{}:{}", site.line, site.col),
        None => String::new(),
    };
    format!("{lhs}{rhs}{at}")
}

pub(super) fn term_text(term: &Terminator) -> String {
    format!("{term:?}")
}

fn list(vals: &[nyash_mir::ValueId]) -> String {
    vals.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}
