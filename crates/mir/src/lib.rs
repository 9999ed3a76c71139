//! Nyash MIR: typed SSA with block parameters, lowering from the AST, passes, verifier,
//! text printer, the runtime ABI table and the `Backend` trait.

pub mod array_views;
pub mod backend;
pub mod divide;
pub mod ir;
pub mod lower;
pub mod passes;
pub mod pipeline;
pub mod print;
pub mod ranges;
pub mod runtime_abi;
pub mod verify;

pub use array_views::{array_views, ArrayOp, ArrayViews};
pub use backend::{
    Backend, BackendError, EmitKind, Object, OptLevel, Options, RunOutcome, Timings, FUNCTION_ALIGN,
};
pub use ir::*;
pub use runtime_abi::{RtFn, RtSignature};
