//! Function builder: blocks, instruction emission, and structured SSA construction.
//!
//! Locals are *variables* whose current SSA value is tracked while lowering straight-line code.
//! The language only has structured control flow (if / loop / break / continue / return), so
//! join points are known in advance: an `if` merge gets a block parameter for each variable
//! whose value differs between the incoming edges; a loop header gets a parameter for each
//! variable in scope that the loop body might assign (by name — an over-approximation that
//! the `simplify` pass cleans up by removing trivial block parameters).
//!
//! Code after `return`/`break`/`continue` is still lowered (so its errors are reported) into
//! blocks marked *dead*; dead blocks never jump into live ones and are removed by `simplify`.

use super::{FuncCtx, ModuleCx};
use crate::ir::*;
use nyash_syntax::Span;
use rustc_hash::FxHashMap;

/// A local variable slot; variables live in a stack (`FuncBuilder::vars`) that is truncated
/// when a scope closes, so an index is only meaningful while its scope is open.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    pub name: String,
    pub value: ValueId,
    /// A borrowed parameter (never assigned in the body, see `rc`): the variable does not own
    /// its value, so scope ends never release it. Other variables may hold the same value
    /// (`local b = p` retains it) and do own theirs, hence a per-variable flag.
    pub borrowed: bool,
}

/// An edge into a join block that still waits for its arguments: a `Jump` from `from`,
/// carrying the variable values at the moment of the jump.
pub(crate) struct PendingEdge {
    pub from: BlockId,
    pub state: Vec<ValueId>,
}

/// The innermost enclosing loop.
pub(crate) struct LoopCtx {
    pub header: BlockId,
    /// Variable indices that are header block parameters (in order).
    pub header_vars: Vec<usize>,
    pub exit: BlockId,
    pub breaks: Vec<PendingEdge>,
    /// Number of variables when the loop started: `break`/`continue` release the ones above.
    pub var_mark: usize,
}

pub(crate) struct FuncBuilder<'m, 'a> {
    pub cx: &'m mut ModuleCx<'a>,
    pub ctx: FuncCtx,
    pub func: Function,
    pub cur: BlockId,
    /// Per block: can control reach it? (Dead blocks hold unreachable code.)
    pub live: Vec<bool>,
    pub vars: Vec<Var>,
    /// Open scopes: name → (variable index, declaration span), innermost last.
    pub scopes: Vec<FxHashMap<String, (usize, Span)>>,
    pub loops: Vec<LoopCtx>,
    /// Owned temporaries of the statement being lowered (see `rc`).
    pub temps: Vec<ValueId>,
    /// `me` in a method of an instance box: the function's first parameter.
    pub me: Option<ValueId>,
    /// Values lowering knows to be instances of a box (results of `new`), for W0202.
    pub known: FxHashMap<ValueId, BoxId>,
}

impl<'m, 'a> FuncBuilder<'m, 'a> {
    pub fn new(cx: &'m mut ModuleCx<'a>, ctx: FuncCtx, name: String) -> Self {
        let func = Function {
            name,
            params: Vec::new(),
            ret: Type::Dyn,
            blocks: Vec::new(),
            values: Vec::new(),
        };
        let mut b = FuncBuilder {
            cx,
            ctx,
            func,
            cur: BlockId(0),
            live: Vec::new(),
            vars: Vec::new(),
            scopes: vec![FxHashMap::default()],
            loops: Vec::new(),
            temps: Vec::new(),
            me: None,
            known: FxHashMap::default(),
        };
        let entry = b.new_block(true);
        b.cur = entry;
        b
    }

    // ---- blocks and instructions ----

    pub fn new_block(&mut self, live: bool) -> BlockId {
        self.func.blocks.push(Block {
            params: Vec::new(),
            insts: Vec::new(),
            term: Terminator::Unreachable,
        });
        self.live.push(live);
        BlockId::new(self.func.blocks.len() - 1)
    }

    pub fn is_live(&self) -> bool {
        self.live[self.cur.index()]
    }

    pub fn switch_to(&mut self, b: BlockId) {
        self.cur = b;
    }

    pub fn add_block_param(&mut self, b: BlockId, ty: Type) -> ValueId {
        let v = self.func.new_value(ty);
        self.func.blocks[b.index()].params.push(v);
        v
    }

    /// The site for byte offset `pos` in this function.
    pub fn site(&mut self, pos: u32) -> SiteId {
        let name = self.ctx.site_name.clone();
        self.cx.site(pos, &name)
    }

    /// Appends an instruction with a result of type `ty`.
    pub fn emit(&mut self, kind: InstKind, ty: Type, pos: u32) -> ValueId {
        let v = self.func.new_value(ty);
        let site = self.site(pos);
        self.func.blocks[self.cur.index()].insts.push(Inst { result: Some(v), kind, site });
        v
    }

    /// Appends an instruction without a result.
    pub fn emit_void(&mut self, kind: InstKind, pos: u32) {
        let site = self.site(pos);
        self.func.blocks[self.cur.index()].insts.push(Inst { result: None, kind, site });
    }

    pub fn const_val(&mut self, c: Const, pos: u32) -> ValueId {
        let ty = match c {
            Const::Int(_) => Type::Int,
            Const::Float(_) => Type::Float,
            Const::Bool(_) => Type::Bool,
            Const::Null => Type::Void,
            Const::Str(_) => Type::Str,
        };
        self.emit(InstKind::Const(c), ty, pos)
    }

    /// A `null` standing in for the value of an erroneous expression.
    pub fn poison(&mut self, pos: u32) -> ValueId {
        self.const_val(Const::Null, pos)
    }

    /// Ends the current block with `term`; later code goes to a fresh dead block.
    pub fn terminate(&mut self, term: Terminator) {
        self.func.blocks[self.cur.index()].term = term;
        let dead = self.new_block(false);
        self.cur = dead;
    }

    /// Ends the current block with a branch to two fresh blocks, returned as (then, else).
    pub fn branch_fresh(&mut self, cond: ValueId) -> (BlockId, BlockId) {
        let live = self.is_live();
        let t = self.new_block(live);
        let e = self.new_block(live);
        self.func.blocks[self.cur.index()].term = Terminator::Branch {
            cond,
            then_block: t,
            then_args: vec![],
            else_block: e,
            else_args: vec![],
        };
        (t, e)
    }

    // ---- variables and scopes ----

    pub fn push_scope(&mut self) -> usize {
        self.scopes.push(FxHashMap::default());
        self.vars.len()
    }

    /// Closes the innermost scope, releasing its variables (reverse declaration order).
    pub fn pop_scope(&mut self, mark: usize, pos: u32) {
        if self.is_live() {
            self.release_vars_from(mark, pos);
        }
        self.scopes.pop();
        self.vars.truncate(mark);
    }

    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|s| s.get(name).map(|(i, _)| *i))
    }

    /// The declaration span of `name` in the innermost scope, if declared there.
    pub fn declared_in_current_scope(&self, name: &str) -> Option<Span> {
        self.scopes.last().and_then(|s| s.get(name).map(|(_, sp)| *sp))
    }

    pub fn declare(&mut self, name: &str, span: Span, value: ValueId) -> usize {
        let idx = self.vars.len();
        self.vars.push(Var { name: name.to_string(), value, borrowed: false });
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), (idx, span));
        }
        idx
    }

    pub fn var_values(&self) -> Vec<ValueId> {
        self.vars.iter().map(|v| v.value).collect()
    }

    // ---- join points ----

    /// If the current block is live, ends it with a jump to `target` whose arguments are
    /// filled in by [`merge_into`]; returns the pending edge.
    pub fn jump_pending(&mut self, target: BlockId) -> Option<PendingEdge> {
        if !self.is_live() {
            return None;
        }
        let from = self.cur;
        let state = self.var_values();
        self.terminate(Terminator::Jump { target, args: vec![] });
        Some(PendingEdge { from, state })
    }

    /// Makes `target` the current block, joining the variable states of `edges` for the first
    /// `nvars` variables: a variable with one value on all edges keeps it, otherwise it
    /// becomes a block parameter. With no edges the block is dead.
    pub fn merge_into(&mut self, target: BlockId, edges: Vec<PendingEdge>, nvars: usize) {
        self.vars.truncate(nvars);
        self.cur = target;
        if edges.is_empty() {
            self.live[target.index()] = false;
            return;
        }
        self.live[target.index()] = true;
        for i in 0..nvars {
            let first = edges[0].state[i];
            if edges.iter().all(|e| e.state[i] == first) {
                self.vars[i].value = first;
                continue;
            }
            let p = self.add_block_param(target, Type::Dyn);
            for e in &edges {
                if let Terminator::Jump { args, .. } = &mut self.func.blocks[e.from.index()].term {
                    args.push(e.state[i]);
                }
            }
            self.vars[i].value = p;
        }
    }

    /// Opens a loop: a header block with a parameter for each of `header_vars`, entered by a
    /// jump from the current block. Returns the header (now the current block).
    pub fn enter_loop_header(&mut self, header_vars: Vec<usize>) -> BlockId {
        let live = self.is_live();
        let header = self.new_block(live);
        let args: Vec<ValueId> = header_vars.iter().map(|&i| self.vars[i].value).collect();
        if live {
            self.terminate(Terminator::Jump { target: header, args });
        }
        for &i in &header_vars {
            let p = self.add_block_param(header, Type::Dyn);
            self.vars[i].value = p;
        }
        self.cur = header;
        let exit = self.new_block(false);
        let var_mark = self.vars.len();
        self.loops.push(LoopCtx { header, header_vars, exit, breaks: Vec::new(), var_mark });
        header
    }

    /// `continue`: releases the variables of the scopes it leaves, then jumps to the header.
    pub fn continue_loop(&mut self, pos: u32) {
        let Some(mark) = self.loops.last().map(|l| l.var_mark) else { return };
        if self.is_live() {
            self.release_vars_from(mark, pos);
        }
        self.jump_to_header();
    }

    /// Jumps back to the innermost loop header (used by `continue` and the end of the body).
    pub fn jump_to_header(&mut self) {
        if !self.is_live() {
            return;
        }
        let Some(lp) = self.loops.last() else { return };
        let header = lp.header;
        let args: Vec<ValueId> = lp.header_vars.iter().map(|&i| self.vars[i].value).collect();
        self.terminate(Terminator::Jump { target: header, args });
    }

    /// Records a `break` edge from the current block to the innermost loop's exit, after
    /// releasing the variables of the scopes it leaves.
    pub fn break_to_exit(&mut self, pos: u32) {
        let Some((exit, mark)) = self.loops.last().map(|l| (l.exit, l.var_mark)) else { return };
        if self.is_live() {
            self.release_vars_from(mark, pos);
        }
        if let Some(e) = self.jump_pending(exit) {
            if let Some(lp) = self.loops.last_mut() {
                lp.breaks.push(e);
            }
        }
    }

    /// Finishes the function: an implicit `return null` if control can fall off the end.
    pub fn finish(mut self, end_pos: u32) -> Function {
        if self.is_live() {
            self.release_vars_from(0, end_pos);
            let v = self.const_val(Const::Null, end_pos);
            self.terminate(Terminator::Return(v));
        }
        // Drop the trailing empty dead block `terminate` leaves behind (cosmetic).
        while self.func.blocks.len() > 1 {
            let last = self.func.blocks.len() - 1;
            let b = &self.func.blocks[last];
            let referenced = self
                .func
                .blocks
                .iter()
                .any(|blk| blk.term.successors().iter().any(|(t, _)| t.index() == last));
            if !self.live[last] && b.insts.is_empty() && b.params.is_empty() && !referenced {
                self.func.blocks.pop();
                self.live.pop();
            } else {
                break;
            }
        }
        self.func
    }
}
