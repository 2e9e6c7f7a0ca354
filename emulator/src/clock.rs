//! Wall-clock formatting without a date crate: Graph, Entra and HTTP each want a different
//! rendering of "now", and all three are a few lines over a days-to-civil conversion.

use std::time::{SystemTime, UNIX_EPOCH};

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
}

fn civil_now() -> Civil {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil_from_unix(secs)
}

fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: ((rem % 3600) / 60) as u32,
        second: (rem % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// `2024-05-01T12:34:56Z`, the OData `Edm.DateTimeOffset` form Graph uses for properties.
pub fn iso_now() -> String {
    let c = civil_now();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2024-05-01T12:34:56`, the form of `innerError.date` in Graph error bodies.
pub fn inner_error_date() -> String {
    let c = civil_now();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2024-05-01 12:34:56Z`, the form of Entra's `timestamp` in token errors.
pub fn aad_timestamp() -> String {
    let c = civil_now();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// RFC 7231 IMF-fixdate for the `Date` header.
pub fn http_date() -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil_now();
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2000-03-01 00:00:00 UTC was a Wednesday.
        let c = civil_from_unix(951_868_800);
        assert_eq!((c.year, c.month, c.day, c.weekday), (2000, 3, 1, 3));
        // 1970-01-01 was a Thursday.
        let c = civil_from_unix(0);
        assert_eq!((c.year, c.month, c.day, c.weekday), (1970, 1, 1, 4));
        // 2024-02-29 12:34:56 UTC (leap day).
        let c = civil_from_unix(1_709_210_096);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2024, 2, 29, 12, 34, 56)
        );
    }

    #[test]
    fn formats_have_expected_shape() {
        assert_eq!(iso_now().len(), 20);
        assert!(iso_now().ends_with('Z'));
        assert_eq!(inner_error_date().len(), 19);
        assert!(http_date().ends_with(" GMT"));
    }
}
