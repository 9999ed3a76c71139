//! The abstract syntax tree produced by the parser; every node carries its source span.

use crate::span::Span;

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub boxes: Vec<BoxDecl>,
    /// Top-level `function name(params) { … }` declarations [t2]; callable by name.
    pub functions: Vec<Method>,
    /// Top-level statements of a script-mode file (one without a `Main` box) [t2].
    pub script: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `box Name from Parent { … }` or `static box Name { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxDecl {
    pub name: Ident,
    pub is_static: bool,
    pub parent: Option<Ident>,
    /// Declared fields in declaration order (every field form of LANGUAGE.md §2).
    pub fields: Vec<Field>,
    /// `birth(…)` constructors (and their `init(…)` / `pack(…)` aliases).
    pub constructors: Vec<Method>,
    pub methods: Vec<Method>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    /// The documentation-only type of `name: Type`.
    pub ty: Option<Ident>,
    pub weak: bool,
}

/// A method, constructor or top-level function.
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Block,
    pub is_override: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `local a = e, b, c`: each name with its optional initializer.
    Local(Vec<(Ident, Option<Expr>)>),
    /// `target = value`, or `target op= value` when `op` is set [t2]. The target is a
    /// `Name`, `Field` or `Index` expression (the parser rejects anything else).
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    /// `if cond { … } else …`; an `else if` chain is an `else` block holding one `If`.
    If {
        cond: Expr,
        then_block: Block,
        else_block: Option<Block>,
    },
    /// `loop(cond) { … }`, `loop { … }` (cond `None`), `while cond { … }`.
    Loop {
        cond: Option<Expr>,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Print(Expr),
    Expr(Expr),
    Block(Block),
    /// `try { … } catch (e) { … } cleanup { … }` [t2].
    Try {
        body: Block,
        catch: Option<(Option<Ident>, Block)>,
        cleanup: Option<Block>,
    },
    /// `throw e` [t2].
    Throw(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    /// String literal with escapes already decoded.
    Str(String),
    Bool(bool),
    /// `null` or `void`.
    Null,
    /// A variable, or the name of a box when used as `Name.m(…)` / `Name.f`.
    Name(String),
    /// `me` or `this`.
    Me,
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    /// Short-circuit `and` / `or`; always yields a Bool.
    Logical {
        op: LogicalOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `obj.name`
    Field {
        obj: Box<Expr>,
        name: Ident,
    },
    /// `recv.name(args)`; `Name.m(args)` on a static box also parses as this.
    MethodCall {
        recv: Box<Expr>,
        name: Ident,
        args: Vec<Expr>,
    },
    /// `name(args)`: a sibling method in a static box, or a top-level function.
    Call {
        callee: Ident,
        args: Vec<Expr>,
    },
    /// `new Name(args)`
    New {
        class: Ident,
        args: Vec<Expr>,
    },
    /// `from Parent.method(args)` [t2]
    FromCall {
        parent: Ident,
        method: Ident,
        args: Vec<Expr>,
    },
    /// `obj[index]` [t2]
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
    },
    /// `[a, b, c]` [t2]
    ArrayLit(Vec<Expr>),
    /// `%{"k" => v, …}` [t2]
    MapLit(Vec<(Expr, Expr)>),
    /// `c ? a : b` [t2]
    Ternary {
        cond: Box<Expr>,
        then_expr: Box<Expr>,
        else_expr: Box<Expr>,
    },
    /// `match e { pat => e, _ => e }` [t2]; a `None` pattern is `_`.
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<(Option<Expr>, Expr)>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogicalOp {
    And,
    Or,
}
