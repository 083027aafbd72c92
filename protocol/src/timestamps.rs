//! Timestamps written into JSON the way chrono writes them (RFC 3339 in UTC, `Z`, as many
//! fraction digits as the value needs: none, 3, 6 or 9), without going through a formatter.
//! A page of jobs holds three timestamps a job; chrono's `Serialize` formats each through
//! `fmt::Display` and serde_json's escaping writer, which was a sixth of the cost of turning a
//! page into JSON (docs/benchmarks.md). Used with `#[serde(serialize_with = ...)]`, so the
//! published schema and the accepted input stay chrono's.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// The longest form: `YYYY-MM-DDTHH:MM:SS.fffffffffZ`.
const LONGEST: usize = 30;

/// Writes `at` as chrono's `Serialize` would.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; LONGEST];
    match write(at, &mut text) {
        Some(len) => {
            // Only ASCII digits and punctuation were written.
            let written = std::str::from_utf8(&text[..len]).map_err(serde::ser::Error::custom)?;
            serializer.serialize_str(written)
        }
        // Years before 0 or after 9999 take chrono's signed, longer form.
        None => serde::Serialize::serialize(at, serializer),
    }
}

/// [`serialize`] for an optional timestamp: `null` when absent.
pub fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// The text's length, or `None` for a year that does not take four digits.
fn write(at: &DateTime<Utc>, out: &mut [u8; LONGEST]) -> Option<usize> {
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let time = at.time();
    digits(&mut out[0..4], year);
    out[4] = b'-';
    digits(&mut out[5..7], at.month());
    out[7] = b'-';
    digits(&mut out[8..10], at.day());
    out[10] = b'T';
    digits(&mut out[11..13], time.hour());
    out[13] = b':';
    digits(&mut out[14..16], time.minute());
    out[16] = b':';
    // A leap second is kept in the nanoseconds (1_000_000_000 and up), and written as :60.
    let nanos = time.nanosecond();
    let (second, nanos) = if nanos >= 1_000_000_000 {
        (time.second() + 1, nanos - 1_000_000_000)
    } else {
        (time.second(), nanos)
    };
    digits(&mut out[17..19], second);
    let mut len = 19;
    let fraction = match nanos {
        0 => None,
        n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
        n if n % 1_000 == 0 => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    if let Some((value, width)) = fraction {
        out[len] = b'.';
        digits(&mut out[len + 1..len + 1 + width], value);
        len += 1 + width;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// `value` in decimal, zero-padded to fill `out`.
fn digits(out: &mut [u8], mut value: u32) {
    for place in out.iter_mut().rev() {
        *place = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, nanos).expect("a valid timestamp")
    }

    fn ms(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).expect("a valid timestamp")
    }

    fn ymd(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, second)
            .single()
            .expect("a valid date")
    }

    fn ours(at: &DateTime<Utc>) -> String {
        serialize(at, serde_json::value::Serializer)
            .expect("a timestamp")
            .as_str()
            .expect("a string")
            .to_owned()
    }

    fn chronos(at: &DateTime<Utc>) -> String {
        serde_json::to_value(at)
            .expect("a timestamp")
            .as_str()
            .expect("a string")
            .to_owned()
    }

    #[test]
    fn every_kind_of_timestamp_is_written_as_chrono_writes_it() {
        let mut cases: Vec<DateTime<Utc>> = vec![
            at(0, 0),
            ms(1_764_560_076_123),
            ms(1_764_560_076_000),
            ms(1_764_560_076_001),
            at(1_764_560_076, 123_456_000),
            at(1_764_560_076, 123_456_789),
            at(1_764_560_076, 1),
            ymd(9999, 12, 31, 23, 59, 59),
            ymd(1, 1, 1, 0, 0, 0),
            ymd(2024, 2, 29, 12, 0, 0),
            // Outside four-digit years: chrono's own form.
            ymd(10_000, 1, 1, 0, 0, 0),
            ymd(-1, 6, 15, 8, 30, 0),
        ];
        // A leap second.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .expect("valid")
            .and_hms_milli_opt(23, 59, 59, 1_500)
            .expect("valid");
        cases.push(Utc.from_utc_datetime(&leap));
        // A spread of milliseconds over the years the store holds, as jobs are stamped.
        let mut millis: i64 = 7;
        for _ in 0..10_000 {
            millis = millis
                .wrapping_mul(6_364_136_223_846_793)
                .wrapping_add(1_442_695_040_888_963)
                .rem_euclid(4_102_444_800_000);
            cases.push(ms(millis));
        }
        for at in &cases {
            assert_eq!(ours(at), chronos(at), "{at:?}");
        }
    }

    #[test]
    fn an_absent_timestamp_is_null() {
        let absent: Option<DateTime<Utc>> = None;
        assert_eq!(
            serialize_option(&absent, serde_json::value::Serializer).expect("valid"),
            serde_json::Value::Null
        );
        let present = Some(ms(1_000));
        assert_eq!(
            serialize_option(&present, serde_json::value::Serializer).expect("valid"),
            serde_json::json!("1970-01-01T00:00:01Z")
        );
    }
}
