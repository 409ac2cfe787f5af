//! The Date header: RFC 5322 section 3.3 date-time in the local UTC offset.

use std::time::{SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS_PER_400_YEARS: i64 = 146_097;

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn month_len(year: i64, month: usize) -> i64 {
    match month {
        1 => 28 + i64::from(is_leap(year)),
        3 | 5 | 8 | 10 => 30,
        _ => 31,
    }
}

/// (year, month 0-based, day 1-based) of a day counted from 1970-01-01.
fn civil_date(days: i64) -> (i64, usize, i64) {
    // The Gregorian calendar repeats every 400 years, so whole cycles are skipped
    // arithmetically and at most 400 years are walked.
    let mut year = 1970 + 400 * days.div_euclid(DAYS_PER_400_YEARS);
    let mut rest = days.rem_euclid(DAYS_PER_400_YEARS);
    loop {
        let len = 365 + i64::from(is_leap(year));
        if rest < len {
            break;
        }
        rest -= len;
        year += 1;
    }
    let mut month = 0;
    while rest >= month_len(year, month) {
        rest -= month_len(year, month);
        month += 1;
    }
    (year, month, rest + 1)
}

/// Days from 1970-01-01 to a (year, month 0-based, day 1-based): the inverse of
/// `civil_date`, for C libraries that give local time but not its offset.
#[cfg(any(windows, test))]
fn days_from_civil(year: i64, month: usize, day: i64) -> i64 {
    // Whole 400-year cycles arithmetically (as in civil_date), then at most 400
    // years and 11 months walked.
    let cycles = (year - 1970).div_euclid(400);
    let mut days = cycles * DAYS_PER_400_YEARS;
    for y in 1970 + 400 * cycles..year {
        days += 365 + i64::from(is_leap(y));
    }
    for m in 0..month.min(11) {
        days += month_len(year, m);
    }
    days + day - 1
}

/// Formats `unix_seconds` as seen at `offset_seconds` east of UTC, e.g.
/// "Thu, 26 Nov 2026 23:05:10 +0000". The offset is truncated to whole minutes and
/// must be within a day (RFC 5322 allows +/-9959; real offsets are within 14 hours).
pub fn format(unix_seconds: i64, offset_seconds: i32) -> String {
    let offset_minutes = (offset_seconds / 60).clamp(-(24 * 60 - 1), 24 * 60 - 1);
    let local = unix_seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.unsigned_abs();
    format!(
        "{weekday}, {day:02} {} {year:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[month],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        abs / 60,
        abs % 60
    )
}

/// The local UTC offset in seconds at `unix_seconds`, from the C library's time
/// zone rules (TZ, /etc/localtime).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
// time_t is i64 on most targets, where the conversion cannot fail.
#[allow(irrefutable_let_patterns, clippy::unnecessary_fallible_conversions)]
pub fn local_offset(unix_seconds: i64) -> i32 {
    let Ok(t) = libc::time_t::try_from(unix_seconds) else {
        return 0;
    };
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are valid
    // for the call and localtime_r keeps neither.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        i32::try_from(tm.tm_gmtoff).unwrap_or(0)
    }
}

/// The local UTC offset in seconds at `unix_seconds`, from Windows' time zone
/// settings: the C runtime's local time minus UTC (Windows' `tm` has no
/// `tm_gmtoff`).
#[cfg(windows)]
// time_t is 64 bits on 64-bit Windows, where the conversion cannot fail.
#[allow(irrefutable_let_patterns, clippy::unnecessary_fallible_conversions)]
pub fn local_offset(unix_seconds: i64) -> i32 {
    let Ok(t) = libc::time_t::try_from(unix_seconds) else {
        return 0;
    };
    // SAFETY: `tm` is plain data that localtime_s fills; both pointers are valid
    // for the call and localtime_s keeps neither.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_s(&mut tm, &t) != 0 {
            return 0;
        }
        tm
    };
    let Ok(month) = usize::try_from(tm.tm_mon) else {
        return 0;
    };
    let days = days_from_civil(1900 + i64::from(tm.tm_year), month, i64::from(tm.tm_mday));
    let local = days * 86_400
        + i64::from(tm.tm_hour) * 3600
        + i64::from(tm.tm_min) * 60
        + i64::from(tm.tm_sec);
    i32::try_from(local - unix_seconds).unwrap_or(0)
}

/// Without `tm_gmtoff` the date is given in UTC, which is always correct, only
/// less friendly.
#[cfg(not(any(
    windows,
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
pub fn local_offset(_unix_seconds: i64) -> i32 {
    0
}

/// The current date-time for a Date header.
pub fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    format(secs, local_offset(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
        // 2026-11-26 23:05:10 UTC
        assert_eq!(format(1_795_734_310, 0), "Thu, 26 Nov 2026 23:05:10 +0000");
        assert_eq!(
            format(1_795_734_310, 3600),
            "Fri, 27 Nov 2026 00:05:10 +0100"
        );
        assert_eq!(
            format(1_795_734_310, -(5 * 3600 + 30 * 60)),
            "Thu, 26 Nov 2026 17:35:10 -0530"
        );
        assert_eq!(format(951_782_400, 0), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(format(4_107_542_400, 0), "Mon, 01 Mar 2100 00:00:00 +0000");
        assert_eq!(format(-1, 0), "Wed, 31 Dec 1969 23:59:59 +0000");
    }

    #[test]
    fn days_from_civil_inverts_civil_date() {
        for days in (-1_000_000..1_000_000)
            .step_by(997)
            .chain([0, 59, 365, 11_016])
        {
            let (year, month, day) = civil_date(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
        }
    }

    #[test]
    fn every_day_for_centuries_is_consistent() {
        // walk day by day, checking the calendar never skips or repeats
        let (mut y, mut m, mut d) = civil_date(0);
        for days in 1..(400 * 366) {
            let next = civil_date(days);
            d += 1;
            if d > month_len(y, m) {
                d = 1;
                m += 1;
                if m == 12 {
                    m = 0;
                    y += 1;
                }
            }
            assert_eq!(next, (y, m, d), "day {days}");
        }
    }

    #[test]
    fn now_has_the_shape() {
        let s = now();
        let parts: Vec<&str> = s.split(' ').collect();
        assert_eq!(parts.len(), 6, "{s}");
        assert!(WEEKDAYS.contains(&parts[0].trim_end_matches(',')));
        assert!(parts[5].starts_with('+') || parts[5].starts_with('-'));
        assert_eq!(parts[5].len(), 5);
    }
}
