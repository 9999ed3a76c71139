//! Static method dispatch: which user methods a `MethodCall` may reach, given the receiver's
//! inferred type. Shared by type inference (parameter contributions, result types) and
//! legalization (direct call / type switch / dynamic call), so both make the same choice.

use crate::ir::*;
use rustc_hash::FxHashMap;

/// How a `MethodCall` is dispatched.
#[derive(Clone, Debug, PartialEq)]
pub enum Dispatch {
    /// The receiver is a known instance and every box it can be resolves the method to this
    /// one function: a direct `Call`.
    Direct(FuncId),
    /// Compare `nyrt_box_id(recv)` with each box id and call its method; anything else goes
    /// to the runtime's dynamic dispatch (builtin methods, or `unknown method` errors).
    Switch(Vec<(BoxId, FuncId)>),
    /// The receiver is a known instance or `null`: when it is not `null`, a direct `Call` of
    /// this function; `null` takes `DynMethodCall`, which raises the runtime error.
    Guarded(FuncId),
    /// Straight to `DynMethodCall`.
    Dynamic,
}

/// The user methods of every instance box, by (method symbol, arity).
pub struct DispatchTable {
    by_key: FxHashMap<(SymId, usize), Vec<(BoxId, FuncId)>>,
    parents: Vec<Option<BoxId>>,
}

impl DispatchTable {
    pub fn new(m: &Module) -> Self {
        let syms: FxHashMap<&str, SymId> =
            m.symbols.iter().enumerate().map(|(i, s)| (s.as_str(), SymId::new(i))).collect();
        let mut by_key: FxHashMap<(SymId, usize), Vec<(BoxId, FuncId)>> = FxHashMap::default();
        for (bi, b) in m.boxes.iter().enumerate() {
            if b.is_static {
                continue;
            }
            for (name, arity, f) in &b.methods {
                if let Some(&s) = syms.get(name.as_str()) {
                    by_key.entry((s, *arity)).or_default().push((BoxId::new(bi), *f));
                }
            }
        }
        DispatchTable { by_key, parents: m.boxes.iter().map(|b| b.parent).collect() }
    }

    /// Is `d` the box `b` or derived from it?
    fn derives(&self, d: BoxId, b: BoxId) -> bool {
        let mut cur = Some(d);
        for _ in 0..=self.parents.len() {
            match cur {
                Some(c) if c == b => return true,
                Some(c) => cur = self.parents.get(c.index()).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    /// The dispatch of `recv.method(<arity args>)` for a receiver of type `recv`.
    pub fn resolve(&self, recv: Type, method: SymId, arity: usize) -> Dispatch {
        let all = self.by_key.get(&(method, arity)).map(Vec::as_slice).unwrap_or(&[]);
        match recv {
            Type::Instance(b) => {
                let cands: Vec<(BoxId, FuncId)> =
                    all.iter().copied().filter(|(d, _)| self.derives(*d, b)).collect();
                match cands.iter().find(|(d, _)| *d == b) {
                    Some(&(_, f)) if cands.iter().all(|(_, g)| *g == f) => Dispatch::Direct(f),
                    _ if cands.is_empty() => Dispatch::Dynamic,
                    _ => Dispatch::Switch(cands),
                }
            }
            Type::InstanceOrNull(b) => match self.resolve(Type::Instance(b), method, arity) {
                Dispatch::Direct(f) => Dispatch::Guarded(f),
                d => d,
            },
            Type::Dyn if !all.is_empty() => Dispatch::Switch(all.to_vec()),
            _ => Dispatch::Dynamic,
        }
    }

    /// Every function a call with this receiver type may reach.
    pub fn targets(&self, recv: Type, method: SymId, arity: usize) -> Vec<FuncId> {
        match self.resolve(recv, method, arity) {
            Dispatch::Direct(f) | Dispatch::Guarded(f) => vec![f],
            Dispatch::Switch(c) => c.into_iter().map(|(_, f)| f).collect(),
            Dispatch::Dynamic => vec![],
        }
    }
}
