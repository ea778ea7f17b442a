//! Resolution of a parsed [`Expr`] against an index: each clause becomes a list of typed
//! predicates ([`Pred`]) with normalised values, parsed numbers and dates, and comparisons
//! turned into inclusive ranges. This is where semantic errors are found (an unknown
//! family, a malformed date, an election that is not in the loaded history, a score name
//! nobody fed), each pointing at its span in the expression. The resolved [`Query`] is
//! what both the bitmap evaluator and the reference scan ([`crate::scan`]) execute.

use chrono::{Days, NaiveDate};

use crate::expr::{Alternative, Clause, ClauseBody, CmpOp, Comparison, Expr, Span, Term, Word};
use crate::families::{ABSENT, CatField, PURGED, STATUS_CHANGE, builtin_names, norm_key};
use crate::index::{Family, UniverseIndex};
use crate::parser::ParseError;
use votebase_domain::purges::Transition;

/// Something wrong with an expression: its syntax or what it refers to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The text does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The family name is neither built in nor registered.
    #[error("unknown family `{name}` at byte {}; known families: {known}", span.start)]
    UnknownFamily {
        /// The name written.
        name: String,
        /// Where.
        span: Span,
        /// Known families (and score/survey names usable as `NAME>=N`), comma-separated.
        known: String,
    },
    /// A value that does not fit its family.
    #[error("invalid value `{value}` for `{family}` at byte {}: expected {expected}", span.start)]
    InvalidValue {
        /// The family.
        family: String,
        /// The value written.
        value: String,
        /// Where.
        span: Span,
        /// What the family accepts.
        expected: String,
    },
    /// A name inside a numeric family (`score:NAME`) that no data was fed for.
    #[error("unknown {family} name `{name}` at byte {}; known: {known}", span.start)]
    UnknownName {
        /// The family (`score`, `survey`, …).
        family: String,
        /// The name written.
        name: String,
        /// Where.
        span: Span,
        /// Names known in that family, comma-separated.
        known: String,
    },
    /// An election date absent from the loaded history.
    #[error("no election on {date} in the loaded history (byte {}); loaded: {loaded}", span.start)]
    UnknownElection {
        /// The date written.
        date: NaiveDate,
        /// Where.
        span: Span,
        /// Loaded election dates, comma-separated.
        loaded: String,
    },
}

impl QueryError {
    /// Where in the expression the error is: the offending token's byte range (empty at
    /// the end of the input).
    pub fn span(&self) -> Span {
        match self {
            QueryError::Parse(e) => Span::new(e.offset, e.offset + e.token.len()),
            QueryError::UnknownFamily { span, .. }
            | QueryError::InvalidValue { span, .. }
            | QueryError::UnknownName { span, .. }
            | QueryError::UnknownElection { span, .. } => *span,
        }
    }

    /// A stable snake_case code for clients: `syntax_error`, `unknown_family`,
    /// `invalid_value`, `unknown_name` or `unknown_election`.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Parse(_) => "syntax_error",
            QueryError::UnknownFamily { .. } => "unknown_family",
            QueryError::InvalidValue { .. } => "invalid_value",
            QueryError::UnknownName { .. } => "unknown_name",
            QueryError::UnknownElection { .. } => "unknown_election",
        }
    }
}

/// One typed predicate on a voter. Ranges are inclusive; `None` is an open end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    /// A categorical field equals a normalised value. For [`CatField::Precinct`] a value
    /// containing `/` is matched against `COUNTY/CODE`.
    Category {
        /// The field.
        field: CatField,
        /// The normalised value.
        value: String,
    },
    /// Age at the index's reference date within a range (voters without a birth year or
    /// date never match).
    Age {
        /// Lowest age.
        lo: Option<i32>,
        /// Highest age.
        hi: Option<i32>,
    },
    /// Registration date within a range.
    Registered {
        /// First day.
        lo: Option<NaiveDate>,
        /// Last day.
        hi: Option<NaiveDate>,
    },
    /// Voted in at least one loaded election dated within the range.
    Voted {
        /// First day.
        lo: Option<NaiveDate>,
        /// Last day.
        hi: Option<NaiveDate>,
    },
    /// Voted with this (normalised) method, in one election or in any.
    Method {
        /// `early`, `absentee`, `in_person`, …
        method: String,
        /// The election, or any.
        election: Option<NaiveDate>,
    },
    /// Number of loaded elections voted in, within a range.
    Votes {
        /// Fewest.
        lo: Option<u32>,
        /// Most.
        hi: Option<u32>,
    },
    /// A set family holds the key for the voter.
    Keyed {
        /// Family (`tag`, `ballot`, …).
        family: String,
        /// Normalised key.
        key: String,
    },
    /// A numeric family has a value under `name` within the range.
    Numeric {
        /// Family (`score`, `survey`, …).
        family: String,
        /// Normalised name.
        name: String,
        /// Lowest value.
        lo: Option<i64>,
        /// Highest value.
        hi: Option<i64>,
    },
    /// A dated family has a date under `key` (or any key) within the range.
    Dated {
        /// Family (`contacted`, …).
        family: String,
        /// Normalised key, or any key.
        key: Option<String>,
        /// First day.
        lo: Option<NaiveDate>,
        /// Last day.
        hi: Option<NaiveDate>,
    },
}

/// A resolved clause: the voter matches one of `any_of`, or none when `negated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedClause {
    /// `!` in front.
    pub negated: bool,
    /// The alternatives.
    pub any_of: Vec<Pred>,
}

/// A resolved expression: all clauses must hold. No clause selects everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The clauses.
    pub clauses: Vec<ResolvedClause>,
    /// Reference date for ages and relative windows (`30d`).
    pub reference_date: NaiveDate,
}

fn invalid(family: &str, w: &Word, expected: &str) -> QueryError {
    QueryError::InvalidValue {
        family: family.to_string(),
        value: w.text.clone(),
        span: w.span,
        expected: expected.to_string(),
    }
}

fn invalid_span(family: &str, text: &str, span: Span, expected: &str) -> QueryError {
    QueryError::InvalidValue {
        family: family.to_string(),
        value: text.to_string(),
        span,
        expected: expected.to_string(),
    }
}

fn parse_int(family: &str, w: &Word) -> Result<i64, QueryError> {
    w.text
        .trim()
        .parse::<i64>()
        .map_err(|_| invalid(family, w, "a whole number"))
}

fn parse_date(family: &str, w: &Word) -> Result<NaiveDate, QueryError> {
    NaiveDate::parse_from_str(w.text.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(family, w, "a date YYYY-MM-DD"))
}

/// A scalar type a range family works over.
trait Bound: Copy + Ord {
    fn parse(family: &str, w: &Word) -> Result<Self, QueryError>;
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Option<Self>;
}

impl Bound for i64 {
    fn parse(family: &str, w: &Word) -> Result<Self, QueryError> {
        parse_int(family, w)
    }
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn pred(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

impl Bound for NaiveDate {
    fn parse(family: &str, w: &Word) -> Result<Self, QueryError> {
        parse_date(family, w)
    }
    fn succ(self) -> Option<Self> {
        self.succ_opt()
    }
    fn pred(self) -> Option<Self> {
        self.pred_opt()
    }
}

type Range<T> = (Option<T>, Option<T>);

/// `OP v` as an inclusive range. A bound that overflows gives an empty range (lo > hi).
fn compare_range<T: Bound>(family: &str, c: &Comparison) -> Result<Range<T>, QueryError> {
    let v = T::parse(family, &c.value)?;
    let empty = (Some(v), v.pred());
    Ok(match c.op {
        CmpOp::Ge => (Some(v), None),
        CmpOp::Le => (None, Some(v)),
        CmpOp::Eq => (Some(v), Some(v)),
        CmpOp::Gt => match v.succ() {
            Some(s) => (Some(s), None),
            None => empty,
        },
        CmpOp::Lt => match v.pred() {
            Some(p) => (None, Some(p)),
            None => (v.succ(), Some(v)),
        },
    })
}

fn term_range<T: Bound>(family: &str, t: &Term) -> Result<Range<T>, QueryError> {
    Ok(match t {
        Term::Value(w) => {
            let v = T::parse(family, w)?;
            (Some(v), Some(v))
        }
        Term::Range { lo, hi, .. } => (
            lo.as_ref().map(|w| T::parse(family, w)).transpose()?,
            hi.as_ref().map(|w| T::parse(family, w)).transpose()?,
        ),
    })
}

/// A single-term alternative without comparison, as a range.
fn single_range<T: Bound>(family: &str, a: &Alternative) -> Result<Range<T>, QueryError> {
    if a.terms.len() != 1 || a.compare.is_some() {
        return Err(invalid_span(
            family,
            "",
            a.span,
            "a single value or range (`lo..hi`)",
        ));
    }
    term_range(family, &a.terms[0])
}

fn to_i32(family: &str, w: Span, r: Range<i64>) -> Result<Range<i32>, QueryError> {
    let conv = |v: Option<i64>| {
        v.map(|x| {
            i32::try_from(x)
                .map_err(|_| invalid_span(family, &x.to_string(), w, "a smaller number"))
        })
        .transpose()
    };
    Ok((conv(r.0)?, conv(r.1)?))
}

fn to_u32(family: &str, w: Span, r: Range<i64>) -> Result<Range<u32>, QueryError> {
    let conv = |v: Option<i64>| {
        v.map(|x| {
            u32::try_from(x)
                .map_err(|_| invalid_span(family, &x.to_string(), w, "a count of 0 or more"))
        })
        .transpose()
    };
    Ok((conv(r.0)?, conv(r.1)?))
}

impl UniverseIndex {
    /// Resolves a parsed expression against this index (families, names, elections).
    pub fn resolve(&self, expr: &Expr) -> Result<Query, QueryError> {
        let clauses = expr
            .clauses
            .iter()
            .map(|c| self.resolve_clause(c))
            .collect::<Result<_, _>>()?;
        Ok(Query {
            clauses,
            reference_date: self.reference_date,
        })
    }

    /// Names a clause may start with, for error messages.
    fn known_families(&self) -> String {
        let mut out: Vec<String> = builtin_names().iter().map(|s| s.to_string()).collect();
        out.extend(self.families.keys().cloned());
        let shorthand: Vec<String> = self
            .families
            .values()
            .filter_map(|f| match f {
                Family::Numeric(names) => Some(names.keys().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        let mut s = out.join(", ");
        if !shorthand.is_empty() {
            s.push_str(&format!(" (and as NAME>=N: {})", shorthand.join(", ")));
        }
        s
    }

    fn known_elections(&self) -> String {
        if self.voted.is_empty() {
            return "none (no vote history loaded)".to_string();
        }
        self.voted
            .keys()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn check_election(&self, d: NaiveDate, span: Span) -> Result<NaiveDate, QueryError> {
        if self.voted.contains_key(&d) {
            Ok(d)
        } else {
            Err(QueryError::UnknownElection {
                date: d,
                span,
                loaded: self.known_elections(),
            })
        }
    }

    fn resolve_clause(&self, c: &Clause) -> Result<ResolvedClause, QueryError> {
        let fam = c.family.text.as_str();
        let any_of = match &c.body {
            ClauseBody::Compare(cmp) => vec![self.resolve_compare(&c.family, cmp)?],
            ClauseBody::Match(alts) => alts
                .iter()
                .map(|a| self.resolve_alt(&c.family, a))
                .collect::<Result<_, _>>()?,
        };
        let _ = fam;
        Ok(ResolvedClause {
            negated: c.negated,
            any_of,
        })
    }

    fn resolve_compare(&self, family: &Word, cmp: &Comparison) -> Result<Pred, QueryError> {
        let fam = family.text.as_str();
        match fam {
            "age" => {
                let (lo, hi) = to_i32(fam, cmp.value.span, compare_range::<i64>(fam, cmp)?)?;
                Ok(Pred::Age { lo, hi })
            }
            "votes" => {
                let r = compare_range::<i64>(fam, cmp)?;
                let r = (r.0.map(|x| x.max(0)), r.1);
                if r.1.is_some_and(|h| h < 0) {
                    return Ok(Pred::Votes {
                        lo: Some(1),
                        hi: Some(0),
                    });
                }
                let (lo, hi) = to_u32(fam, cmp.value.span, r)?;
                Ok(Pred::Votes { lo, hi })
            }
            "registered" => {
                let (lo, hi) = compare_range::<NaiveDate>(fam, cmp)?;
                Ok(Pred::Registered { lo, hi })
            }
            "voted" => {
                let (lo, hi) = compare_range::<NaiveDate>(fam, cmp)?;
                Ok(Pred::Voted { lo, hi })
            }
            _ if crate::families::is_builtin(fam) => Err(invalid_span(
                fam,
                &cmp.op.to_string(),
                cmp.op_span,
                &format!("`{fam}:VALUE` (this family takes no comparison)"),
            )),
            _ => {
                // `NAME OP N`: a name in a numeric family (score first).
                let name = norm_key(fam);
                let mut fams: Vec<(&String, &Family)> = self.families.iter().collect();
                fams.sort_by_key(|(n, _)| (n.as_str() != "score", n.as_str() != "survey"));
                for (fname, f) in fams {
                    if let Family::Numeric(names) = f
                        && names.contains_key(&name)
                    {
                        let (lo, hi) = compare_range::<i64>(fname, cmp)?;
                        return Ok(Pred::Numeric {
                            family: fname.clone(),
                            name,
                            lo,
                            hi,
                        });
                    }
                }
                Err(self.unknown_family(family))
            }
        }
    }

    fn unknown_family(&self, family: &Word) -> QueryError {
        QueryError::UnknownFamily {
            name: family.text.clone(),
            span: family.span,
            known: self.known_families(),
        }
    }

    fn resolve_alt(&self, family: &Word, a: &Alternative) -> Result<Pred, QueryError> {
        let fam = family.text.as_str();
        if let Some(field) = CatField::ALL.iter().find(|f| f.family() == fam) {
            let (Some(Term::Value(w)), 1, None) = (a.terms.first(), a.terms.len(), &a.compare)
            else {
                return Err(invalid_span(
                    fam,
                    "",
                    a.span,
                    "a single value (no range or `:`)",
                ));
            };
            let value = field
                .normalise_query_value(&w.text)
                .map_err(|e| invalid(fam, w, &e))?;
            let value = if *field == CatField::Precinct {
                value.replace(" /", "/").replace("/ ", "/")
            } else {
                value
            };
            return Ok(Pred::Category {
                field: *field,
                value,
            });
        }
        match fam {
            "age" => {
                let (lo, hi) = to_i32(fam, a.span, single_range::<i64>(fam, a)?)?;
                Ok(Pred::Age { lo, hi })
            }
            "votes" => {
                let r = single_range::<i64>(fam, a)?;
                if r.0.is_some_and(|x| x < 0) || r.1.is_some_and(|x| x < 0) {
                    return Err(invalid_span(fam, "", a.span, "counts of 0 or more"));
                }
                let (lo, hi) = to_u32(fam, a.span, r)?;
                Ok(Pred::Votes { lo, hi })
            }
            "registered" => {
                let (lo, hi) = single_range::<NaiveDate>(fam, a)?;
                Ok(Pred::Registered { lo, hi })
            }
            "voted" => {
                let (lo, hi) = single_range::<NaiveDate>(fam, a)?;
                if let Term::Value(w) = &a.terms[0] {
                    self.check_election(lo.expect("single value"), w.span)?;
                }
                Ok(Pred::Voted { lo, hi })
            }
            "method" => {
                let (Some(Term::Value(w)), 1, None) = (a.terms.first(), a.terms.len(), &a.compare)
                else {
                    return Err(invalid_span(fam, "", a.span, "METHOD or METHOD@YYYY-MM-DD"));
                };
                let (m, e) = match w.text.split_once('@') {
                    Some((m, e)) => (m, Some(e)),
                    None => (w.text.as_str(), None),
                };
                if m.trim().is_empty() {
                    return Err(invalid(fam, w, "METHOD or METHOD@YYYY-MM-DD"));
                }
                let method = votebase_domain::snapshots::normalise_voting_method(m);
                let election = match e {
                    None => None,
                    Some(e) => {
                        let at = w.span.start + m.len() + 1;
                        let d = NaiveDate::parse_from_str(e.trim(), "%Y-%m-%d").map_err(|_| {
                            invalid_span(fam, e, Span::new(at, w.span.end), "a date YYYY-MM-DD")
                        })?;
                        Some(self.check_election(d, Span::new(at, w.span.end))?)
                    }
                };
                Ok(Pred::Method { method, election })
            }
            STATUS_CHANGE => resolve_status_change(a),
            PURGED => resolve_purged(a),
            _ => match self.families.get(fam) {
                None => Err(self.unknown_family(family)),
                Some(Family::Set(_)) => {
                    let (Some(Term::Value(w)), 1, None) =
                        (a.terms.first(), a.terms.len(), &a.compare)
                    else {
                        return Err(invalid_span(fam, "", a.span, "a single key"));
                    };
                    Ok(Pred::Keyed {
                        family: fam.to_string(),
                        key: norm_key(&w.text),
                    })
                }
                Some(Family::Numeric(names)) => self.resolve_numeric(fam, names, a),
                Some(Family::Dated(_)) => self.resolve_dated(fam, a),
            },
        }
    }

    fn resolve_numeric(
        &self,
        fam: &str,
        names: &std::collections::BTreeMap<String, crate::index::NumericValues>,
        a: &Alternative,
    ) -> Result<Pred, QueryError> {
        let expected = "NAME, NAME>=N, NAME:N or NAME:LO..HI";
        // A family holding one name of its own (`rsvp_no_show`): `FAMILY:LO..HI` (also
        // while it holds nothing yet, unless it is one of the built-in named families).
        let self_named = names.contains_key(fam)
            || (names.is_empty()
                && !crate::families::DEFAULT_KEYED_FAMILIES
                    .iter()
                    .any(|(n, _)| *n == fam));
        if let (Term::Range { .. }, 1, None) = (&a.terms[0], a.terms.len(), &a.compare)
            && self_named
        {
            let (lo, hi) = term_range::<i64>(fam, &a.terms[0])?;
            return Ok(Pred::Numeric {
                family: fam.to_string(),
                name: fam.to_string(),
                lo,
                hi,
            });
        }
        let Term::Value(name_w) = &a.terms[0] else {
            return Err(invalid_span(fam, "", a.terms[0].span(), expected));
        };
        let name = norm_key(&name_w.text);
        if !names.contains_key(&name) {
            return Err(QueryError::UnknownName {
                family: fam.to_string(),
                name,
                span: name_w.span,
                known: if names.is_empty() {
                    "none loaded".to_string()
                } else {
                    names.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            });
        }
        let (lo, hi) = match (a.terms.len(), &a.compare) {
            (1, None) => (None, None),
            (1, Some(c)) => compare_range::<i64>(fam, c)?,
            (2, None) => term_range::<i64>(fam, &a.terms[1])?,
            _ => return Err(invalid_span(fam, "", a.span, expected)),
        };
        Ok(Pred::Numeric {
            family: fam.to_string(),
            name,
            lo,
            hi,
        })
    }

    fn resolve_dated(&self, fam: &str, a: &Alternative) -> Result<Pred, QueryError> {
        let expected = "KEY, KEY:30d, KEY:2w, KEY:YYYY-MM-DD or KEY:FROM..TO (KEY may be `any`; \
             without a key, a window, a date or FROM..TO alone means any key)";
        // `FAMILY:30d`, `FAMILY:YYYY-MM-DD`, `FAMILY:FROM..TO`: any key.
        let window_first = match &a.terms[0] {
            Term::Range { .. } => true,
            Term::Value(w) => {
                window_days(&w.text).is_some()
                    || NaiveDate::parse_from_str(w.text.trim(), "%Y-%m-%d").is_ok()
            }
        };
        if window_first && a.terms.len() == 1 && a.compare.is_none() {
            let t = &a.terms[0];
            let (lo, hi) = match t {
                Term::Value(w) if window_days(&w.text).is_some() => {
                    let days = window_days(&w.text).expect("checked");
                    (self.reference_date.checked_sub_days(Days::new(days)), None)
                }
                _ => term_range::<NaiveDate>(fam, t)
                    .map_err(|_| invalid_span(fam, "", t.span(), expected))?,
            };
            return Ok(Pred::Dated {
                family: fam.to_string(),
                key: None,
                lo,
                hi,
            });
        }
        let Term::Value(key_w) = &a.terms[0] else {
            return Err(invalid_span(fam, "", a.terms[0].span(), expected));
        };
        if a.compare.is_some() || a.terms.len() > 2 {
            return Err(invalid_span(fam, "", a.span, expected));
        }
        let key = norm_key(&key_w.text);
        let key = (key != "any" && key != "*").then_some(key);
        let (lo, hi) = match a.terms.get(1) {
            None => (None, None),
            Some(Term::Value(w)) if window_days(&w.text).is_some() => {
                let days = window_days(&w.text).expect("checked");
                (self.reference_date.checked_sub_days(Days::new(days)), None)
            }
            Some(t) => term_range::<NaiveDate>(fam, t)
                .map_err(|_| invalid_span(fam, "", t.span(), expected))?,
        };
        Ok(Pred::Dated {
            family: fam.to_string(),
            key,
            lo,
            hi,
        })
    }
}

/// `status_change:FROM>TO` or `status_change:FROM>TO@YYYY-MM-DD`: voters whose status
/// went from FROM to TO at a snapshot (dated DATE). TO may be `absent` (gone from the
/// file).
fn resolve_status_change(a: &Alternative) -> Result<Pred, QueryError> {
    let fam = STATUS_CHANGE;
    let expected = "FROM>TO or FROM>TO@YYYY-MM-DD (statuses such as active, inactive, \
                    removed; TO may be absent)";
    let (Some(Term::Value(from_w)), 1, Some(cmp)) = (a.terms.first(), a.terms.len(), &a.compare)
    else {
        return Err(invalid_span(fam, "", a.span, expected));
    };
    if cmp.op != CmpOp::Gt {
        return Err(invalid_span(
            fam,
            &cmp.op.to_string(),
            cmp.op_span,
            expected,
        ));
    }
    let status = |text: &str, span: Span, absent_ok: bool| -> Result<String, QueryError> {
        if absent_ok && norm_key(text) == ABSENT {
            return Ok(ABSENT.to_string());
        }
        CatField::Status
            .normalise_query_value(text)
            .map_err(|e| invalid_span(fam, text, span, &e))
    };
    let from = status(&from_w.text, from_w.span, false)?;
    let w = &cmp.value;
    let (to_text, date_text) = match w.text.split_once('@') {
        Some((t, d)) => (t, Some(d)),
        None => (w.text.as_str(), None),
    };
    let to_span = Span::new(w.span.start, (w.span.start + to_text.len()).min(w.span.end));
    let to = status(to_text, to_span, true)?;
    let on = match date_text {
        None => None,
        Some(d) => {
            let at = (to_span.end + 1).min(w.span.end);
            Some(
                NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                    invalid_span(fam, d, Span::new(at, w.span.end), "a date YYYY-MM-DD")
                })?,
            )
        }
    };
    Ok(Pred::Dated {
        family: fam.to_string(),
        key: Some(format!("{from}>{to}")),
        lo: on,
        hi: on,
    })
}

/// `purged:DATE` (voters moved off the roll at the snapshot dated DATE: inactivated,
/// removed or gone from the file, as purge watch counts them), `purged:FROM..TO`, and
/// either with `:TRANSITION` (`inactivated`, `removed`, `disappeared`, `any`).
fn resolve_purged(a: &Alternative) -> Result<Pred, QueryError> {
    let fam = PURGED;
    let expected = "DATE, FROM..TO, or either followed by :inactivated, :removed or :disappeared";
    if a.compare.is_some() || a.terms.len() > 2 {
        return Err(invalid_span(fam, "", a.span, expected));
    }
    let (lo, hi) = term_range::<NaiveDate>(fam, &a.terms[0])?;
    let key = match a.terms.get(1) {
        None => None,
        Some(Term::Value(w)) if norm_key(&w.text) == "any" => None,
        Some(Term::Value(w)) => match Transition::parse(&w.text) {
            Some(t) => Some(t.code().to_string()),
            None => {
                return Err(invalid(
                    fam,
                    w,
                    "a transition: inactivated, removed, disappeared or any",
                ));
            }
        },
        Some(t) => return Err(invalid_span(fam, "", t.span(), expected)),
    };
    Ok(Pred::Dated {
        family: fam.to_string(),
        key,
        lo,
        hi,
    })
}

/// `30d` → 30, `2w` → 14.
fn window_days(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    match unit {
        "d" | "D" => Some(n),
        "w" | "W" => n.checked_mul(7),
        _ => None,
    }
}
