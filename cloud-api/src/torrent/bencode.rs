//! A strict bencode reader for untrusted .torrent files: canonical integers and lengths only,
//! sorted unique dictionary keys, no trailing bytes, bounded nesting and a bounded number of
//! values, so a hostile file costs at most a small, fixed amount of memory and stack.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    List(Vec<Value<'a>>),
    /// Entries in file order (which is sorted) and the byte span of the whole dictionary, needed
    /// to hash the `info` dictionary exactly as it was written.
    Dict(Vec<(&'a [u8], Value<'a>)>, Range<usize>),
}

impl<'a> Value<'a> {
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Dict(entries, _) => entries
                .binary_search_by(|(k, _)| (*k).cmp(key.as_bytes()))
                .ok()
                .map(|i| &entries[i].1),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&[(&'a [u8], Value<'a>)]> {
        match self {
            Value::Dict(entries, _) => Some(entries),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BencodeError {
    #[error("unexpected end of data at byte {0}")]
    Eof(usize),
    #[error("unexpected byte at {0}")]
    Unexpected(usize),
    #[error("malformed integer at byte {0}")]
    BadInt(usize),
    #[error("malformed string length at byte {0}")]
    BadLength(usize),
    #[error("dictionary keys out of order or repeated at byte {0}")]
    KeyOrder(usize),
    #[error("nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("more than {0} values")]
    TooManyValues(usize),
    #[error("trailing data after byte {0}")]
    Trailing(usize),
}

/// Bounds on what one document may contain.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_values: 500_000,
        }
    }
}

pub fn decode(data: &[u8], limits: Limits) -> Result<Value<'_>, BencodeError> {
    let mut parser = Parser {
        data,
        pos: 0,
        values: 0,
        limits,
    };
    let value = parser.value(0)?;
    if parser.pos != data.len() {
        return Err(BencodeError::Trailing(parser.pos));
    }
    Ok(value)
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    values: usize,
    limits: Limits,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Result<u8, BencodeError> {
        self.data
            .get(self.pos)
            .copied()
            .ok_or(BencodeError::Eof(self.pos))
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, BencodeError> {
        if depth > self.limits.max_depth {
            return Err(BencodeError::TooDeep(self.limits.max_depth));
        }
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(BencodeError::TooManyValues(self.limits.max_values));
        }
        match self.peek()? {
            b'i' => {
                self.pos += 1;
                let start = self.pos;
                let end = self.find(b'e')?;
                let n = parse_canonical_int(&self.data[start..end], true)
                    .ok_or(BencodeError::BadInt(start))?;
                self.pos = end + 1;
                Ok(Value::Int(n))
            }
            b'0'..=b'9' => self.bytes().map(Value::Bytes),
            b'l' => {
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek()? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Ok(Value::List(items))
            }
            b'd' => {
                let start = self.pos;
                self.pos += 1;
                let mut entries: Vec<(&'a [u8], Value<'a>)> = Vec::new();
                while self.peek()? != b'e' {
                    let key_at = self.pos;
                    if !self.peek()?.is_ascii_digit() {
                        return Err(BencodeError::Unexpected(key_at));
                    }
                    let key = self.bytes()?;
                    if let Some((previous, _)) = entries.last() {
                        if *previous >= key {
                            return Err(BencodeError::KeyOrder(key_at));
                        }
                    }
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                }
                self.pos += 1;
                Ok(Value::Dict(entries, start..self.pos))
            }
            _ => Err(BencodeError::Unexpected(self.pos)),
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8], BencodeError> {
        let start = self.pos;
        let colon = self.find(b':')?;
        let len = parse_canonical_int(&self.data[start..colon], false)
            .ok_or(BencodeError::BadLength(start))? as usize;
        let body = colon + 1;
        let end = body
            .checked_add(len)
            .filter(|end| *end <= self.data.len())
            .ok_or(BencodeError::Eof(self.data.len()))?;
        self.pos = end;
        Ok(&self.data[body..end])
    }

    fn find(&self, byte: u8) -> Result<usize, BencodeError> {
        // Integers and lengths are short; a bounded scan stops a long digit run from costing much.
        let window = &self.data[self.pos..self.data.len().min(self.pos + 24)];
        window
            .iter()
            .position(|b| *b == byte)
            .map(|i| self.pos + i)
            .ok_or(BencodeError::BadInt(self.pos))
    }
}

/// Digits with no leading zero (except "0" itself), no "-0", fitting in i64.
fn parse_canonical_int(text: &[u8], allow_negative: bool) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) if allow_negative => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    if negative && digits == b"0" {
        return None;
    }
    let magnitude: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> Result<Value<'_>, BencodeError> {
        decode(data, Limits::default())
    }

    #[test]
    fn reads_all_kinds() {
        let v = parse(b"d3:agei-42e4:listl1:ai0ee4:name4:spame").expect("valid");
        assert_eq!(v.get("age").and_then(Value::as_int), Some(-42));
        assert_eq!(v.get("name").and_then(Value::as_bytes), Some(&b"spam"[..]));
        assert_eq!(
            v.get("list").and_then(Value::as_list).map(<[_]>::len),
            Some(2)
        );
        let Value::Dict(_, span) = v else { panic!() };
        assert_eq!(span, 0..38);
    }

    #[test]
    fn refuses_non_canonical_and_truncated_input() {
        for bad in [
            &b"i03e"[..],
            b"i-0e",
            b"ie",
            b"i1",
            b"01:a",
            b"5:abc",
            b"d1:b0:1:a0:e",
            b"d1:a0:1:a0:e",
            b"di1e0:e",
            b"l",
            b"i1ei2e",
            b"x",
            b"i99999999999999999999e",
        ] {
            assert!(
                parse(bad).is_err(),
                "{:?} accepted",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bombs_are_bounded() {
        let deep = format!("{}{}", "l".repeat(100_000), "e".repeat(100_000));
        assert_eq!(parse(deep.as_bytes()), Err(BencodeError::TooDeep(64)));
        let wide = format!("l{}e", "i1e".repeat(600_000));
        assert_eq!(
            parse(wide.as_bytes()),
            Err(BencodeError::TooManyValues(500_000))
        );
        let long_length = b"99999999999999999999:x";
        assert!(parse(long_length).is_err());
    }
}
