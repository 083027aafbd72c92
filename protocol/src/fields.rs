//! What typed-in fields (names, regions, reasons, tickets, slugs) may hold: the check the server
//! runs and the pattern the OpenAPI document publishes live side by side, and a test holds them
//! to the same answers, so a client that follows the document is never refused.
//!
//! The server trims white space (Rust's `char::is_whitespace`) around these fields before
//! checking them, so the patterns allow it there too.

/// `char::is_whitespace` as a regex class body (ECMA-262, Python and Rust regex read it alike).
macro_rules! white_space {
    () => {
        "\\t-\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
    };
}

/// `char::is_control` (Unicode Cc) as a regex class body.
macro_rules! control {
    () => {
        "\\u0000-\\u001F\\u007F-\\u009F"
    };
}

/// A name given to a key, a device or an agent (and an operator agent's region): 1 to 100
/// characters once trimmed, none of them a control character.
pub const LABEL_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*(?:[^",
    white_space!(),
    control!(),
    "]|[^",
    white_space!(),
    control!(),
    "][^",
    control!(),
    "]{0,98}[^",
    white_space!(),
    control!(),
    "])[",
    white_space!(),
    "]*$"
);

pub fn label(value: &str) -> Option<&str> {
    trimmed_within(value, 1, 100).filter(|value| !value.chars().any(char::is_control))
}

/// Why an operator does something destructive: 10 to 2000 characters once trimmed.
pub const REASON_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*[^",
    white_space!(),
    "][\\s\\S]{8,1998}[^",
    white_space!(),
    "][",
    white_space!(),
    "]*$"
);

pub const MIN_REASON_CHARS: usize = 10;

pub fn reason(value: &str) -> Option<&str> {
    trimmed_within(value, MIN_REASON_CHARS, 2000)
}

/// Text of 1 to `$inner + 2` characters once trimmed: a first and a last character that are
/// not white space, up to `$inner` of anything between (or a single character).
macro_rules! trimmed_text {
    ($inner:literal) => {
        concat!(
            "^[",
            white_space!(),
            "]*[^",
            white_space!(),
            "](?:[\\s\\S]{0,",
            $inner,
            "}[^",
            white_space!(),
            "])?[",
            white_space!(),
            "]*$"
        )
    };
}

fn trimmed_within(value: &str, min: usize, max: usize) -> Option<&str> {
    let value = value.trim();
    (min..=max)
        .contains(&value.chars().count())
        .then_some(value)
}

/// The ticket an operator action belongs to: 1 to 100 characters once trimmed.
pub const TICKET_PATTERN: &str = trimmed_text!(98);

pub fn ticket(value: &str) -> Option<&str> {
    trimmed_within(value, 1, 100)
}

/// A blog post's title: 1 to 200 characters once trimmed.
pub const TITLE_PATTERN: &str = trimmed_text!(198);

pub fn title(value: &str) -> Option<&str> {
    trimmed_within(value, 1, 200)
}

/// A blog post's summary: up to 500 characters once trimmed, or none.
pub const SUMMARY_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*(?:[^",
    white_space!(),
    "](?:[\\s\\S]{0,498}[^",
    white_space!(),
    "])?)?[",
    white_space!(),
    "]*$"
);

pub fn summary(value: &str) -> Option<&str> {
    trimmed_within(value, 0, 500)
}

/// A blog post's body: some text besides white space, kept as written, up to this many
/// characters.
pub const BODY_PATTERN: &str = concat!("[^", white_space!(), "]");
pub const MAX_BODY_CHARS: usize = 100_000;

pub fn body(value: &str) -> bool {
    !value.trim().is_empty() && value.chars().count() <= MAX_BODY_CHARS
}

/// A blog post's address: 1 to 80 lowercase letters, digits and inner dashes once trimmed.
pub const SLUG_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?[",
    white_space!(),
    "]*$"
);

pub fn slug(value: &str) -> Option<&str> {
    let value = value.trim();
    let ok = (1..=80).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    ok.then_some(value)
}

/// The region a job asks for: an identifier of up to 64 ASCII letters, digits, `-`, `_` or
/// `.`, taken as sent; empty means any region.
pub const REGION_PATTERN: &str = "^[A-Za-z0-9._-]{0,64}$";

pub fn region(value: &str) -> bool {
    value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn agree(pattern: &str, check: impl Fn(&str) -> bool, samples: &[String]) {
        let regex = Regex::new(pattern).expect("pattern compiles");
        for sample in samples {
            assert_eq!(
                regex.is_match(sample),
                check(sample),
                "pattern and check disagree on {sample:?}"
            );
        }
    }

    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "",
            " ",
            "a",
            " a ",
            "\ta\n",
            "a\tb",
            "a b",
            "\u{85}a\u{85}",
            "a\u{85}b",
            "\u{a0}a\u{3000}",
            "\u{feff}",
            "\u{7f}",
            "héllo wörld",
            "abc-def",
            "-abc",
            "abc-",
            "ABC",
            "a--b",
            "eu-west.1_b",
            "too short",
            "  a reason that is long enough  ",
            "          x",
            "T-1",
            "\u{2028}T\u{2029}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for len in [
            9, 10, 63, 64, 65, 79, 80, 81, 99, 100, 101, 199, 200, 201, 499, 500, 501, 1999, 2000,
            2001,
        ] {
            out.push("x".repeat(len));
            out.push(format!(" {} ", "y".repeat(len)));
            out.push(format!("a{}b", " ".repeat(len.saturating_sub(2))));
        }
        out
    }

    #[test]
    fn published_patterns_accept_exactly_what_the_server_accepts() {
        let samples = samples();
        agree(LABEL_PATTERN, |s| label(s).is_some(), &samples);
        agree(REASON_PATTERN, |s| reason(s).is_some(), &samples);
        agree(TICKET_PATTERN, |s| ticket(s).is_some(), &samples);
        agree(SLUG_PATTERN, |s| slug(s).is_some(), &samples);
        agree(TITLE_PATTERN, |s| title(s).is_some(), &samples);
        agree(SUMMARY_PATTERN, |s| summary(s).is_some(), &samples);
        agree(BODY_PATTERN, body, &samples);
        agree(REGION_PATTERN, region, &samples);
    }

    #[test]
    fn the_white_space_class_is_rusts() {
        let class = Regex::new(concat!("^[", white_space!(), "]$")).expect("class");
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            assert_eq!(class.is_match(&c.to_string()), c.is_whitespace(), "{:?}", c);
        }
    }
}
