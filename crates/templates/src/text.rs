//! Template text: literal pieces and `{slot}` / `{slot|format}` placeholders. `{{` and `}}`
//! stand for literal braces.

use crate::format::Format;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(String),
    Slot { name: String, format: Format },
}

/// A parsed template text.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Parses template text; the error gives the character offset and what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(format!("unmatched `}}` at character {at} (write `}}}}` for a brace)")),
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, '{')) | None => return Err(format!("unclosed `{{` at character {at}")),
                            Some((_, ch)) => inner.push(ch),
                        }
                    }
                    let (name, format) = match inner.split_once('|') {
                        Some((name, format)) => (name.trim(), format.trim().parse::<Format>().map_err(|e| format!("at character {at}: {e}"))?),
                        None => (inner.trim(), Format::Plain),
                    };
                    if name.is_empty() || !name.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                        return Err(format!("placeholder `{{{inner}}}` at character {at}: a slot name is letters, digits and `_`"));
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Slot { name: name.to_string(), format });
                }
                _ => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self { pieces })
    }

    /// Names of the slots this template needs.
    pub fn slot_names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Slot { name, .. } => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_placeholders_formats_and_escapes() {
        let t = Template::parse("Refund {amount|money} for {order_id}? {{not a slot}}").unwrap();
        assert_eq!(
            t.pieces,
            vec![
                Piece::Literal("Refund ".into()),
                Piece::Slot { name: "amount".into(), format: Format::Money },
                Piece::Literal(" for ".into()),
                Piece::Slot { name: "order_id".into(), format: Format::Plain },
                Piece::Literal("? {not a slot}".into()),
            ]
        );
    }

    #[test]
    fn errors_say_where() {
        assert!(Template::parse("Hi {name").unwrap_err().contains("unclosed"));
        assert!(Template::parse("Hi name}").unwrap_err().contains("unmatched"));
        assert!(Template::parse("{amount|shout}").unwrap_err().contains("shout"));
        assert!(Template::parse("{a b}").unwrap_err().contains("slot name"));
    }
}
