//! The syntax tree of a universe expression, as [`crate::parser::parse`] produces it.
//!
//! An [`Expr`] is a list of [`Clause`]s that are ANDed together; each clause names a
//! family (`county`, `voted`, `tag`, `score`, …), may be negated with `!`, and either
//! lists alternatives after `:` (ORed together, separated by commas) or compares the
//! family with a number (`support>=4`). Every node keeps the byte [`Span`] it came from so
//! that later errors (an unknown family, a malformed date) can point into the input. The
//! tree is purely syntactic: what a value means is decided when the index resolves it.

use std::fmt;

/// A half-open byte range `start..end` in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A word of the expression (a bare word or the contents of a quoted string) and where it
/// was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text, without quotes.
    pub text: String,
    /// Where it was written (quotes included).
    pub span: Span,
}

/// A whole expression: clauses ANDed together. No clause at all means every voter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expr {
    /// The clauses, in the order written.
    pub clauses: Vec<Clause>,
}

/// One clause, e.g. `!county:WAKE,DURHAM` or `support>=4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Whole clause, `!` included.
    pub span: Span,
    /// True when the clause started with `!`.
    pub negated: bool,
    /// The family name (lower-cased), e.g. `county`.
    pub family: Word,
    /// What follows the family name.
    pub body: ClauseBody,
}

/// What follows a clause's family name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseBody {
    /// `family OP value`, e.g. `support>=4` or `age<30`.
    Compare(Comparison),
    /// `family:alt,alt,…`: the alternatives are ORed.
    Match(Vec<Alternative>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `=`
    Eq,
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Eq => "=",
        })
    }
}

/// `OP value`, e.g. `>=4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The operator.
    pub op: CmpOp,
    /// Span of the operator.
    pub op_span: Span,
    /// The right-hand side.
    pub value: Word,
}

/// One alternative after `:`: terms separated by `:` and an optional trailing comparison,
/// e.g. `WAKE`, `18..29`, `door:30d`, `support=5`, `early@2020-11-03`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// Whole alternative.
    pub span: Span,
    /// The `:`-separated terms (at least one).
    pub terms: Vec<Term>,
    /// A trailing comparison (`survey:support=5`).
    pub compare: Option<Comparison>,
}

/// A single value or a range with optional open ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A single value.
    Value(Word),
    /// `lo..hi`, `lo..` or `..hi`.
    Range {
        /// Lower bound (inclusive), if any.
        lo: Option<Word>,
        /// Upper bound (inclusive), if any.
        hi: Option<Word>,
        /// The whole range.
        span: Span,
    },
}

impl Term {
    /// Where the term was written.
    pub fn span(&self) -> Span {
        match self {
            Term::Value(w) => w.span,
            Term::Range { span, .. } => *span,
        }
    }
}
