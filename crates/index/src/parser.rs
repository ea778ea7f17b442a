//! Parser for the universe filter language.
//!
//! Grammar (whitespace separates clauses and is not allowed inside one):
//!
//! ```text
//! expr        := clause*                          clauses are ANDed
//! clause      := "!"? FAMILY ( CMP value | ":" alternative ("," alternative)* )
//! alternative := term (":" term)* (CMP value)?    alternatives are ORed
//! term        := value | value ".." value? | ".." value
//! CMP         := ">=" | "<=" | ">" | "<" | "="
//! value       := bare word | "quoted string"
//! ```
//!
//! A bare word is any run of characters other than whitespace and `! : , < > = " ( )`,
//! stopping before `..` (so `2024-01-01..2024-06-30` is a range). A family name is a
//! bare word made of ASCII letters, digits, `_` and `-`, starting with a letter; it is
//! lower-cased. Quoted strings (`city:"CHAPEL HILL"`) hold anything but `"`. Errors carry
//! the byte offset of the offending token, the token itself and what was expected there.

use crate::expr::{Alternative, Clause, ClauseBody, CmpOp, Comparison, Expr, Span, Term, Word};

/// A syntax error: where, what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error at byte {offset}: found {}, expected {expected}", describe(.token))]
pub struct ParseError {
    /// Byte offset of the offending token in the input.
    pub offset: usize,
    /// The offending token as written (empty at the end of the input, `" "` for
    /// whitespace).
    pub token: String,
    /// What the parser expected there.
    pub expected: String,
}

fn describe(token: &str) -> String {
    if token.is_empty() {
        "end of input".to_string()
    } else if token.chars().all(char::is_whitespace) {
        "whitespace".to_string()
    } else {
        format!("`{token}`")
    }
}

/// Parses an expression. The empty string (or only whitespace) is the empty expression,
/// which selects every voter.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { src: input, pos: 0 };
    let mut clauses = Vec::new();
    loop {
        p.skip_ws();
        if p.at_end() {
            break;
        }
        clauses.push(p.clause()?);
        // A clause must be followed by whitespace or the end.
        if !p.at_end() && !p.peek_is_ws() {
            return Err(p.error("whitespace between clauses, `,` or end of input"));
        }
    }
    Ok(Expr { clauses })
}

const SPECIAL: &[char] = &['!', ':', ',', '<', '>', '=', '"', '(', ')'];

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }
    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn peek_is_ws(&self) -> bool {
        self.peek().is_some_and(char::is_whitespace)
    }
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// The token at the current position, for error messages.
    fn token_here(&self) -> String {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return String::new();
        };
        if c.is_whitespace() {
            return " ".to_string();
        }
        for op in ["..", ">=", "<="] {
            if rest.starts_with(op) {
                return op.to_string();
            }
        }
        if SPECIAL.contains(&c) {
            return c.to_string();
        }
        let len = bare_len(rest);
        rest[..len.max(c.len_utf8())].to_string()
    }

    fn error(&self, expected: &str) -> ParseError {
        ParseError {
            offset: self.pos,
            token: self.token_here(),
            expected: expected.to_string(),
        }
    }

    fn clause(&mut self) -> Result<Clause, ParseError> {
        let start = self.pos;
        let negated = self.rest().starts_with('!');
        if negated {
            self.pos += 1;
        }
        let family = self.family()?;
        let body = if let Some(cmp) = self.try_comparison()? {
            ClauseBody::Compare(cmp)
        } else if self.rest().starts_with(':') {
            self.pos += 1;
            let mut alts = vec![self.alternative()?];
            while self.rest().starts_with(',') {
                self.pos += 1;
                alts.push(self.alternative()?);
            }
            ClauseBody::Match(alts)
        } else {
            return Err(self.error("`:` or a comparison (>=, <=, >, <, =) after the family name"));
        };
        Ok(Clause {
            span: Span::new(start, self.pos),
            negated,
            family,
            body,
        })
    }

    fn family(&mut self) -> Result<Word, ParseError> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..len];
        if len == 0 || !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error("a family name (e.g. `county`, `voted`, `tag`)"));
        }
        let w = Word {
            text: word.to_ascii_lowercase(),
            span: Span::new(self.pos, self.pos + len),
        };
        self.pos += len;
        Ok(w)
    }

    fn try_comparison(&mut self) -> Result<Option<Comparison>, ParseError> {
        let rest = self.rest();
        let (op, len) = if rest.starts_with(">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with("<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with('>') {
            (CmpOp::Gt, 1)
        } else if rest.starts_with('<') {
            (CmpOp::Lt, 1)
        } else if rest.starts_with('=') {
            (CmpOp::Eq, 1)
        } else {
            return Ok(None);
        };
        let op_span = Span::new(self.pos, self.pos + len);
        self.pos += len;
        let value = self.value("a value after the comparison")?;
        Ok(Some(Comparison { op, op_span, value }))
    }

    fn alternative(&mut self) -> Result<Alternative, ParseError> {
        let start = self.pos;
        let mut terms = vec![self.term()?];
        while self.rest().starts_with(':') {
            self.pos += 1;
            terms.push(self.term()?);
        }
        let compare = self.try_comparison()?;
        if let Some(c) = self.peek()
            && !c.is_whitespace()
            && c != ','
        {
            return Err(self.error("`,`, whitespace or end of input"));
        }
        Ok(Alternative {
            span: Span::new(start, self.pos),
            terms,
            compare,
        })
    }

    fn term(&mut self) -> Result<Term, ParseError> {
        let start = self.pos;
        if self.rest().starts_with("..") {
            self.pos += 2;
            let hi = self.value("a value after `..` (a range needs at least one end)")?;
            return Ok(Term::Range {
                lo: None,
                span: Span::new(start, self.pos),
                hi: Some(hi),
            });
        }
        let lo = self.value("a value")?;
        if self.rest().starts_with("..") {
            self.pos += 2;
            let hi = if self.at_value_start() {
                Some(self.value("a value")?)
            } else {
                None
            };
            return Ok(Term::Range {
                lo: Some(lo),
                hi,
                span: Span::new(start, self.pos),
            });
        }
        Ok(Term::Value(lo))
    }

    fn at_value_start(&self) -> bool {
        let rest = self.rest();
        rest.starts_with('"') || bare_len(rest) > 0
    }

    fn value(&mut self, expected: &str) -> Result<Word, ParseError> {
        let start = self.pos;
        let rest = self.rest();
        if let Some(body) = rest.strip_prefix('"') {
            let Some(close) = body.find('"') else {
                return Err(ParseError {
                    offset: start,
                    token: rest.to_string(),
                    expected: "a closing `\"`".to_string(),
                });
            };
            self.pos += close + 2;
            return Ok(Word {
                text: body[..close].to_string(),
                span: Span::new(start, self.pos),
            });
        }
        let len = bare_len(rest);
        if len == 0 {
            return Err(self.error(expected));
        }
        self.pos += len;
        Ok(Word {
            text: rest[..len].to_string(),
            span: Span::new(start, self.pos),
        })
    }
}

/// Length in bytes of the bare word at the start of `s`.
fn bare_len(s: &str) -> usize {
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() || SPECIAL.contains(&c) || s[i..].starts_with("..") {
            break;
        }
        end = i + c.len_utf8();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> (usize, String, String) {
        let e = parse(input).unwrap_err();
        (e.offset, e.token, e.expected)
    }

    fn texts(alt: &Alternative) -> Vec<String> {
        alt.terms
            .iter()
            .map(|t| match t {
                Term::Value(w) => w.text.clone(),
                Term::Range { lo, hi, .. } => format!(
                    "{}..{}",
                    lo.as_ref().map_or("", |w| &w.text),
                    hi.as_ref().map_or("", |w| &w.text)
                ),
            })
            .collect()
    }

    #[test]
    fn empty_input_is_everyone() {
        assert_eq!(parse("").unwrap().clauses.len(), 0);
        assert_eq!(parse("   \t ").unwrap().clauses.len(), 0);
    }

    #[test]
    fn the_issue_example_parses() {
        let src = "county:WAKE,DURHAM party:DEM age:18..29 voted:2020-11-03 !voted:2022-11-08 \
                   status:active zip:27601 precinct:01-07 cd:4 sd:24 hd:63 city:RALEIGH gender:F \
                   registered:2024-01-01.. tag:volunteer-prospect support>=4 ballot:requested \
                   !ballot:returned contacted:door:30d !survey:support=5";
        let e = parse(src).unwrap();
        assert_eq!(e.clauses.len(), 20);
        let fams: Vec<_> = e.clauses.iter().map(|c| c.family.text.as_str()).collect();
        assert_eq!(&fams[..4], ["county", "party", "age", "voted"]);
        assert!(e.clauses[4].negated);
        let ClauseBody::Match(alts) = &e.clauses[0].body else {
            panic!()
        };
        assert_eq!(alts.len(), 2);
        assert_eq!(texts(&alts[1]), ["DURHAM"]);
        assert_eq!(alts[1].span, Span::new(12, 18));
        let ClauseBody::Compare(c) = &e.clauses[15].body else {
            panic!()
        };
        assert_eq!((c.op, c.value.text.as_str()), (CmpOp::Ge, "4"));
        let ClauseBody::Match(alts) = &e.clauses[18].body else {
            panic!()
        };
        assert_eq!(texts(&alts[0]), ["door", "30d"]);
        let ClauseBody::Match(alts) = &e.clauses[19].body else {
            panic!()
        };
        assert_eq!(texts(&alts[0]), ["support"]);
        assert_eq!(alts[0].compare.as_ref().unwrap().op, CmpOp::Eq);
        // Every clause span reproduces the clause text.
        let joined: Vec<&str> = e
            .clauses
            .iter()
            .map(|c| &src[c.span.start..c.span.end])
            .collect();
        assert_eq!(
            joined.join(" "),
            src.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn ranges_with_open_ends() {
        let e = parse("age:18..29 votes:3.. registered:..2024-06-30 x:1.5..2").unwrap();
        let t: Vec<Vec<String>> = e
            .clauses
            .iter()
            .map(|c| match &c.body {
                ClauseBody::Match(a) => texts(&a[0]),
                _ => panic!(),
            })
            .collect();
        assert_eq!(t[0], ["18..29"]);
        assert_eq!(t[1], ["3.."]);
        assert_eq!(t[2], ["..2024-06-30"]);
        assert_eq!(t[3], ["1.5..2"]);
    }

    #[test]
    fn quoted_values_and_case() {
        let e = parse(r#"County:"NEW HANOVER",WAKE method:early@2020-11-03"#).unwrap();
        assert_eq!(e.clauses[0].family.text, "county");
        let ClauseBody::Match(a) = &e.clauses[0].body else {
            panic!()
        };
        assert_eq!(texts(&a[0]), ["NEW HANOVER"]);
        assert_eq!(a[0].span, Span::new(7, 20));
        let ClauseBody::Match(a) = &e.clauses[1].body else {
            panic!()
        };
        assert_eq!(texts(&a[0]), ["early@2020-11-03"]);
    }

    #[test]
    fn purge_clauses_parse() {
        let src = "purged:2026-10-01 purged:2026-09-01..2026-10-31:inactivated \
                   status_change:active>inactive@2026-10-01,inactive>removed \
                   !status_change:inactive>active@2026-11-01";
        let e = parse(src).unwrap();
        assert_eq!(e.clauses.len(), 4);
        let alts = |i: usize| match &e.clauses[i].body {
            ClauseBody::Match(a) => a.clone(),
            ClauseBody::Compare(_) => panic!("clause {i} is a comparison"),
        };
        let a = alts(0);
        assert_eq!(texts(&a[0]), ["2026-10-01"]);
        assert!(a[0].compare.is_none());
        let a = alts(1);
        assert_eq!(texts(&a[0]), ["2026-09-01..2026-10-31", "inactivated"]);
        // `FROM>TO@DATE`: the first status is a term, the rest a `>` comparison.
        let a = alts(2);
        assert_eq!(a.len(), 2);
        assert_eq!(texts(&a[0]), ["active"]);
        let c = a[0].compare.as_ref().unwrap();
        assert_eq!(
            (c.op, c.value.text.as_str()),
            (CmpOp::Gt, "inactive@2026-10-01")
        );
        assert_eq!(
            &src[c.value.span.start..c.value.span.end],
            "inactive@2026-10-01"
        );
        assert_eq!(
            a[1].compare.as_ref().map(|c| c.value.text.as_str()),
            Some("removed")
        );
        assert!(e.clauses[3].negated);
        assert_eq!(e.clauses[3].family.text, "status_change");
        // A date range after `@` is not part of the language: `..` ends the value.
        assert_eq!(
            err("status_change:active>inactive@2026-09-01..2026-10-01").0,
            40
        );
        assert_eq!(
            err("status_change:active>").2,
            "a value after the comparison"
        );
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        assert_eq!(
            err("county WAKE"),
            (
                6,
                " ".into(),
                "`:` or a comparison (>=, <=, >, <, =) after the family name".into()
            )
        );
        assert_eq!(err("county:"), (7, "".into(), "a value".into()));
        assert_eq!(err("county:WAKE,"), (12, "".into(), "a value".into()));
        assert_eq!(
            err("county:WAKE,,DURHAM"),
            (12, ",".into(), "a value".into())
        );
        assert_eq!(
            err("party:DEM :WAKE").0,
            10,
            "a clause cannot start with `:`"
        );
        assert_eq!(err("party:DEM :WAKE").1, ":");
        assert_eq!(err("!!county:X").0, 1);
        assert_eq!(err("!!county:X").1, "!");
        assert_eq!(err("! county:X"), (1, " ".into(), err("! county:X").2));
        assert_eq!(err("9county:X").1, "9county");
        assert_eq!(
            err("age:18..29..40"),
            (10, "..".into(), "`,`, whitespace or end of input".into())
        );
        assert_eq!(
            err("age:.."),
            (
                6,
                "".into(),
                "a value after `..` (a range needs at least one end)".into()
            )
        );
        assert_eq!(
            err("support>="),
            (9, "".into(), "a value after the comparison".into())
        );
        assert_eq!(err("support>=>4").0, 9);
        assert_eq!(err("support>=>4").1, ">");
        assert_eq!(
            err(r#"city:"CHAPEL HILL"#),
            (5, "\"CHAPEL HILL".into(), "a closing `\"`".into())
        );
        assert_eq!(err("county:WAKE\"x\"").0, 11);
        assert_eq!(err("county:(WAKE)").1, "(");
        assert_eq!(err("county:(WAKE)").0, 7);
    }

    #[test]
    fn error_display_is_one_line() {
        let e = parse("county:WAKE,,DURHAM").unwrap_err();
        assert_eq!(
            e.to_string(),
            "syntax error at byte 12: found `,`, expected a value"
        );
        let e = parse("county:").unwrap_err();
        assert_eq!(
            e.to_string(),
            "syntax error at byte 7: found end of input, expected a value"
        );
    }

    #[test]
    fn multibyte_text_keeps_byte_offsets() {
        let e = parse("city:MÜNSTER ,x").unwrap_err();
        assert_eq!(e.offset, 14);
        assert_eq!(e.token, ",");
    }
}

/// Property tests: the parser never panics on any text (it reads what a user types or a
/// request carries), every span it returns lies on character boundaries of the input and
/// quotes what it parsed, and errors point at a boundary inside the input.
#[cfg(test)]
mod prop_tests {
    use super::*;
    use proptest::prelude::*;

    /// Filter-language pieces mixed with arbitrary characters.
    const PIECES: &[&str] = &[
        "county",
        "voted",
        "tag",
        "age",
        "!",
        ":",
        ",",
        "..",
        ">=",
        "<=",
        ">",
        "<",
        "=",
        "\"",
        "\"CHAPEL HILL\"",
        "(",
        ")",
        " ",
        "\t",
        "WAKE",
        "2024-01-01",
        "30",
        "-",
        "_",
        "\u{c9}",
        "\u{1f600}",
        "\u{a0}",
        "\u{2028}",
        "\u{301}",
    ];

    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => proptest::sample::select(PIECES).prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
        ];
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat()),
        ]
    }

    fn check_span(input: &str, span: Span) -> Result<(), TestCaseError> {
        prop_assert!(
            span.start <= span.end && span.end <= input.len(),
            "{span:?}"
        );
        prop_assert!(input.is_char_boundary(span.start) && input.is_char_boundary(span.end));
        Ok(())
    }

    fn check_word(input: &str, w: &Word) -> Result<(), TestCaseError> {
        check_span(input, w.span)?;
        let written = &input[w.span.start..w.span.end];
        prop_assert!(
            written == w.text || written == format!("\"{}\"", w.text),
            "{:?} written as {:?}",
            w.text,
            written
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn parses_or_errors_with_spans_inside_the_input(input in text()) {
            match parse(&input) {
                Ok(expr) => {
                    for clause in &expr.clauses {
                        check_span(&input, clause.span)?;
                        check_span(&input, clause.family.span)?;
                        let family = &input[clause.family.span.start..clause.family.span.end];
                        prop_assert_eq!(family.to_ascii_lowercase(), clause.family.text.clone());
                        match &clause.body {
                            ClauseBody::Compare(c) => {
                                check_span(&input, c.op_span)?;
                                check_word(&input, &c.value)?;
                            }
                            ClauseBody::Match(alts) => {
                                for alt in alts {
                                    check_span(&input, alt.span)?;
                                    for term in &alt.terms {
                                        match term {
                                            Term::Value(w) => check_word(&input, w)?,
                                            Term::Range { lo, hi, span } => {
                                                check_span(&input, *span)?;
                                                prop_assert!(lo.is_some() || hi.is_some());
                                                for w in lo.iter().chain(hi.iter()) {
                                                    check_word(&input, w)?;
                                                }
                                            }
                                        }
                                    }
                                    if let Some(c) = &alt.compare {
                                        check_word(&input, &c.value)?;
                                    }
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    prop_assert!(e.offset <= input.len() && input.is_char_boundary(e.offset), "{e:?}");
                    prop_assert!(input[e.offset..].starts_with(e.token.as_str()) || e.token == " ", "{e:?}");
                    let _ = e.to_string();
                }
            }
        }
    }
}
