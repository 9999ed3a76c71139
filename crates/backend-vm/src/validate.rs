//! Structural checks run before interpretation, so that malformed MIR is reported as an
//! internal error instead of an index panic: ids in range, block argument counts, legal form.

use nyash_mir::{BackendError, Function, InstKind, Module, Terminator, Type};

fn err(f: &Function, message: String) -> BackendError {
    BackendError::Internal { backend: "vm", func: Some(f.name.clone()), message }
}

pub(crate) fn validate(m: &Module) -> Result<(), BackendError> {
    let entry = m.funcs.get(m.entry.index()).ok_or_else(|| BackendError::Internal {
        backend: "vm",
        func: None,
        message: format!("entry function {} does not exist", m.entry),
    })?;
    if entry.params.len() != 2 {
        return Err(err(entry, "the entry function must take (argc, argv)".into()));
    }
    for f in &m.funcs {
        validate_func(m, f)?;
    }
    Ok(())
}

/// Checks that `v` (already range-checked) has a Boxed representation.
fn boxed(f: &Function, v: nyash_mir::ValueId) -> Result<(), BackendError> {
    if f.ty(v).repr() == nyash_mir::Repr::Boxed {
        Ok(())
    } else {
        Err(err(f, format!("{v} is used as a box but has type {}", f.ty(v).name())))
    }
}

fn validate_func(m: &Module, f: &Function) -> Result<(), BackendError> {
    let nv = f.values.len();
    let val = |v: nyash_mir::ValueId| -> Result<(), BackendError> {
        if v.index() < nv {
            Ok(())
        } else {
            Err(err(f, format!("value {v} out of range")))
        }
    };
    if f.blocks.is_empty() {
        return Err(err(f, "function has no blocks".into()));
    }
    if f.blocks[0].params != f.params {
        return Err(err(f, "entry block parameters differ from the function parameters".into()));
    }
    let edge = |target: nyash_mir::BlockId, args: &[nyash_mir::ValueId]| {
        let Some(b) = f.blocks.get(target.index()) else {
            return Err(err(f, format!("block {target} out of range")));
        };
        if b.params.len() != args.len() {
            return Err(err(
                f,
                format!(
                    "jump to {target} passes {} args for {} params",
                    args.len(),
                    b.params.len()
                ),
            ));
        }
        args.iter().try_for_each(|a| val(*a))
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        b.params.iter().try_for_each(|p| val(*p))?;
        for inst in &b.insts {
            if inst.kind.is_generic() {
                return Err(err(
                    f,
                    format!(
                        "generic instruction {:?} in bb{bi} (MIR was not legalized)",
                        inst.kind
                    ),
                ));
            }
            inst.kind.operands().into_iter().try_for_each(val)?;
            if let Some(r) = inst.result {
                val(r)?;
            }
            match &inst.kind {
                InstKind::Const(nyash_mir::Const::Str(s)) if s.index() >= m.strings.len() => {
                    return Err(err(f, format!("string {s} out of range")));
                }
                InstKind::Call { func, args } => {
                    let Some(callee) = m.funcs.get(func.index()) else {
                        return Err(err(f, format!("callee {func} out of range")));
                    };
                    if callee.params.len() != args.len() {
                        return Err(err(
                            f,
                            format!(
                                "call to {} with {} args for {} params",
                                callee.name,
                                args.len(),
                                callee.params.len()
                            ),
                        ));
                    }
                }
                InstKind::RtCall { func, args } if func.signature().params.len() != args.len() => {
                    return Err(err(f, format!("{} called with {} args", func.name(), args.len())));
                }
                InstKind::FieldLoad { obj, .. } => boxed(f, *obj)?,
                InstKind::FromDyn { value, to } => {
                    boxed(f, *value)?;
                    let ok = matches!(to, Type::Int | Type::Float | Type::Bool)
                        && inst.result.map(|r| f.ty(r)) == Some(*to);
                    if !ok {
                        return Err(err(
                            f,
                            format!("fromdyn to {} with result {:?}", to.name(), inst.result),
                        ));
                    }
                }
                InstKind::FieldStore { obj, value, .. } => {
                    boxed(f, *obj)?;
                    boxed(f, *value)?;
                }
                // Only runtime callbacks take function addresses; they are called with `me`.
                InstKind::FuncAddr(func) => match m.funcs.get(func.index()) {
                    Some(g) if g.params.len() == 1 => {}
                    Some(g) => {
                        return Err(err(
                            f,
                            format!("FuncAddr of {} which does not take 1 param", g.name),
                        ))
                    }
                    None => return Err(err(f, format!("FuncAddr of {func}, out of range"))),
                },
                _ => {}
            }
        }
        match &b.term {
            Terminator::Jump { target, args } => edge(*target, args)?,
            Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                val(*cond)?;
                edge(*then_block, then_args)?;
                edge(*else_block, else_args)?;
            }
            Terminator::Return(v) => val(*v)?,
            Terminator::Unreachable => {}
        }
    }
    Ok(())
}
