//! Three-valued logic and the string patterns IAM compares with.
//!
//! Every comparison the evaluator makes answers yes, no, or "cannot tell" (with the reason), so
//! that something it does not understand can never turn into a "no" that would be reported as
//! denied.

/// Yes, no, or "cannot tell, because …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tri {
    Yes,
    No,
    Maybe(String),
}

impl Tri {
    /// Logical OR: one certain yes is enough; otherwise any doubt is doubt.
    pub(crate) fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        let mut doubt = None;
        for item in items {
            match item {
                Tri::Yes => return Tri::Yes,
                Tri::Maybe(why) => {
                    doubt.get_or_insert(why);
                }
                Tri::No => {}
            }
        }
        doubt.map_or(Tri::No, Tri::Maybe)
    }

    /// Logical AND: one certain no is enough; otherwise any doubt is doubt.
    pub(crate) fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        let mut doubt = None;
        for item in items {
            match item {
                Tri::No => return Tri::No,
                Tri::Maybe(why) => {
                    doubt.get_or_insert(why);
                }
                Tri::Yes => {}
            }
        }
        doubt.map_or(Tri::Yes, Tri::Maybe)
    }

    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            maybe => maybe,
        }
    }

    pub(crate) fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
}

/// One element of a policy value after policy variables and wildcards are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`: any run of characters, including none.
    Any,
    /// `?`: exactly one character.
    One,
}

/// How a policy value is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// `${…}` is a policy variable (policy language version 2012-10-17). In version 2008-10-17
    /// "variables such as ${aws:username} aren't recognized as variables and are instead treated
    /// as literal strings" (IAM JSON policy elements: Version).
    pub variables: bool,
    /// `*` and `?` are wildcards (StringLike, ArnLike, Action) rather than plain characters.
    pub wildcards: bool,
    /// Compare without regard to case (the IgnoreCase operators, action names).
    pub ignore_case: bool,
}

/// A policy value ready to be matched, or the policy variable that makes it unknowable here.
pub(crate) struct Pattern(Vec<Token>);

impl Pattern {
    /// Reads `value`. `Err` names the policy variable it contains: its value depends on the
    /// request in ways this evaluator does not model, so any comparison with it is uncertain.
    pub(crate) fn read(value: &str, how: Reading) -> Result<Pattern, String> {
        let value = if how.ignore_case {
            value.to_lowercase()
        } else {
            value.to_string()
        };
        let mut tokens = Vec::with_capacity(value.len());
        let mut rest = value.as_str();
        while let Some(c) = rest.chars().next() {
            if how.variables && rest.starts_with("${") {
                let Some(end) = rest.find('}') else {
                    return Err(rest.to_string());
                };
                let inner = &rest[2..end];
                // IAM policy elements: Variables and tags, "Special characters": ${*}, ${?} and
                // ${$} stand for the literal characters.
                match inner {
                    "*" => tokens.push(Token::Char('*')),
                    "?" => tokens.push(Token::Char('?')),
                    "$" => tokens.push(Token::Char('$')),
                    _ => return Err(rest[..=end].to_string()),
                }
                rest = &rest[end + 1..];
                continue;
            }
            tokens.push(match c {
                '*' if how.wildcards => Token::Any,
                '?' if how.wildcards => Token::One,
                c => Token::Char(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        Ok(Pattern(tokens))
    }

    /// Whether `text` matches the whole pattern. `ignore_case` must be the same as when read.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool) -> bool {
        let text: Vec<char> = if ignore_case {
            text.to_lowercase().chars().collect()
        } else {
            text.chars().collect()
        };
        glob(&self.0, &text)
    }
}

/// Greedy wildcard match with backtracking to the last `*`: linear for patterns without `*`,
/// O(pattern × text) at worst.
fn glob(pattern: &[Token], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::One) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIKE: Reading = Reading {
        variables: true,
        wildcards: true,
        ignore_case: false,
    };

    fn like(pattern: &str, text: &str) -> bool {
        Pattern::read(pattern, LIKE).unwrap().matches(text, false)
    }

    #[test]
    fn wildcards() {
        assert!(like("shop-*", "shop-green"));
        assert!(like("shop-*", "shop-"));
        assert!(like("*", ""));
        assert!(like("s?op-*n", "shop-green"));
        assert!(like("*-*-*", "a-b-c-d"));
        assert!(!like("shop-?", "shop-"));
        assert!(!like("shop-blue", "shop-green"));
        assert!(!like("Shop-*", "shop-green"));
        assert!(like("a*b*c", "aXbYbZc"));
        assert!(!like("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn escapes_and_variables() {
        assert!(like("a${*}b", "a*b"));
        assert!(!like("a${*}b", "aXb"));
        assert!(like("${?}${$}", "?$"));
        assert_eq!(
            Pattern::read("x-${aws:username}", LIKE).err(),
            Some("${aws:username}".to_string())
        );
        assert!(Pattern::read("${unterminated", LIKE).is_err());
        let literal = Reading {
            variables: false,
            ..LIKE
        };
        assert!(Pattern::read("${aws:username}", literal)
            .unwrap()
            .matches("${aws:username}", false));
    }

    #[test]
    fn tri_logic() {
        let maybe = || Tri::Maybe("m".into());
        assert_eq!(Tri::any([Tri::No, maybe(), Tri::Yes]), Tri::Yes);
        assert_eq!(Tri::any([Tri::No, maybe()]), maybe());
        assert_eq!(Tri::any([]), Tri::No);
        assert_eq!(Tri::all([Tri::Yes, maybe(), Tri::No]), Tri::No);
        assert_eq!(Tri::all([Tri::Yes, maybe()]), maybe());
        assert_eq!(Tri::all([]), Tri::Yes);
        assert_eq!(maybe().not(), maybe());
    }
}
