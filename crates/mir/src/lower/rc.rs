//! Reference-counting discipline of lowering: owned temporaries and scope-based drops.
//!
//! Lowering decides every Retain/Release (LANGUAGE.md §5 *Memory*); backends only emit the
//! calls. The rules (see the wave-2 design):
//! - every variable (local or parameter, not `me`) owns its value; parameters are retained at
//!   function entry;
//! - an expression result is *owned* (calls, `new`, string constants, runtime operator
//!   results, field reads) or *borrowed* (variable reads, `me`). Owned results are recorded in
//!   `FuncBuilder::temps` when produced; [`FuncBuilder::take`] moves one out of that list (or
//!   retains a borrowed value) when it is stored in a variable, returned or passed along a
//!   jump; whatever is still in the list at the end of the statement (or of the conditional
//!   region that created it) is released;
//! - scope ends release the scope's variables in reverse declaration order; `break`,
//!   `continue` and `return` release every variable of the scopes they leave.
//!
//! Values whose lowering-time type is already known to be non-counted (Int/Float/Bool/null
//! constants, comparisons) are never recorded; legalization deletes the rest of the no-op
//! Retain/Release pairs once types are inferred.

use super::FuncBuilder;
use crate::ir::*;

impl FuncBuilder<'_, '_> {
    /// Records `v` as an owned temporary of the current statement and returns it.
    pub fn owned(&mut self, v: ValueId) -> ValueId {
        if self.func.ty(v).is_counted() {
            self.temps.push(v);
        }
        v
    }

    /// Makes the caller the owner of one reference to `v`: an owned temporary is moved out of
    /// the temporaries list, a borrowed value is retained.
    pub fn take(&mut self, v: ValueId, pos: u32) -> ValueId {
        if let Some(i) = self.temps.iter().rposition(|t| *t == v) {
            self.temps.remove(i);
        } else if self.func.ty(v).is_counted() {
            self.emit_void(InstKind::Retain(v), pos);
        }
        v
    }

    /// Releases (in reverse creation order) the temporaries recorded since `mark`.
    pub fn release_temps(&mut self, mark: usize, pos: u32) {
        while self.temps.len() > mark {
            if let Some(t) = self.temps.pop() {
                self.emit_void(InstKind::Release(t), pos);
            }
        }
    }

    /// Releases the current values of variables `from..` in reverse declaration order (the
    /// variables stay declared; used by scope ends, `break`, `continue` and `return`).
    pub fn release_vars_from(&mut self, from: usize, pos: u32) {
        let vals: Vec<ValueId> =
            self.vars[from.min(self.vars.len())..].iter().map(|v| v.value).collect();
        for v in vals.into_iter().rev() {
            if self.func.ty(v).is_counted() {
                self.emit_void(InstKind::Release(v), pos);
            }
        }
    }
}
