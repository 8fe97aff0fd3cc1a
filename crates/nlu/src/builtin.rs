//! Built-in typed values: money with currency, numbers, dates (absolute and relative, English
//! and Chinese), durations, ratings on a scale of five ("1 out of 5", "4 stars", "2分"), emails,
//! phone numbers, identifiers (letters and digits as reference
//! numbers are written: "CTR-8812", "NW-2291", "INV2024-77"). Each finder returns byte spans with the
//! normalized value. Numbers and money also come in words ("forty dollars", "三千五百元",
//! "8万"; see [`crate::numerals`]). Word boundaries are ASCII ones (`(?-u:\b)`): a Chinese
//! character beside a Latin word or a number bounds it ("金额EUR 1,250", "截止Dec 15").

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The built-in entity types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Builtin {
    Money,
    Number,
    Date,
    Duration,
    Rating,
    Email,
    Phone,
    Identifier,
}

/// A value found in text: byte span, matched text, normalized value.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub normalized: Value,
}

impl Builtin {
    /// Every value of this type in `text`, longest first where finds overlap.
    pub fn find(self, text: &str, today: NaiveDate) -> Vec<Found> {
        let mut found = match self {
            Builtin::Money => money(text),
            Builtin::Number => numbers(text),
            Builtin::Date => dates(text, today),
            Builtin::Duration => durations(text),
            Builtin::Rating => ratings(text),
            Builtin::Email => simple(&EMAIL, text),
            Builtin::Phone => simple(&PHONE, text),
            Builtin::Identifier => identifiers(text),
        };
        found.sort_by_key(|f| (std::cmp::Reverse(f.end - f.start), f.start));
        let mut kept: Vec<Found> = Vec::new();
        for f in found {
            if kept.iter().all(|k| f.end <= k.start || f.start >= k.end) {
                kept.push(f);
            }
        }
        kept.sort_by_key(|f| f.start);
        kept
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern")
}

const NUM: &str = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)";
/// A money amount's digits: European ("22.000", "1.250,50", "189,50"), Indian ("7,50,000") or
/// the ordinary "1,250.50"; read by [`money_digits`].
const MONEY_NUM: &str = r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d{1,3}(?:,\d{2})*(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}|\d+(?:\.\d+)?)";
/// Currency signs, and codes or words, as they come before and after an amount.
const SIGNS: &str = r"\$|US\$|€|£|¥|￥|₹";
const CODES: &str = r"usd|eur|gbp|cny|rmb|jpy|inr|rs\.?|chf|cad|aud|sgd|hkd";
const WORDS_AFTER: &str = r"usd|dollars?|bucks|eur|euros?|gbp|pounds?|cny|rmb|yuan|jpy|yen|inr|rupees?|rs|chf|francs?|cad|aud|sgd|hkd";
const CJK_AFTER: &str = r"元|块|美元|欧元|英镑|人民币|卢比";

static MONEY_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)({SIGNS}|(?-u:\b)(?:{CODES})\s?){MONEY_NUM}(?:\s?([km]))?(?-u:\b)")));
static MONEY_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(r"(?i)(?-u:\b){MONEY_NUM}(?:\s?([km]))?\s?({WORDS_AFTER})(?-u:\b)|{MONEY_NUM}(?:\s?([km]))?\s?({CJK_AFTER}|€|£|₹)"))
});
static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)(?:^|[^0-9A-Za-z_.,-]){NUM}([km])?(?-u:\b)")));
/// A currency word right after a number written in words or Chinese numerals.
static CURRENCY_AFTER: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)^\s?(?:({WORDS_AFTER})(?-u:\b)|({CJK_AFTER}))")));
/// A currency sign or code right before one.
static CURRENCY_BEFORE: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)({SIGNS}|(?-u:\b)(?:{CODES}))\s?$")));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| re(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"\+?\d[\d\s().-]{6,}\d"));
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(\d+|a|an|one|two|three|four|five|six|seven|ten)\s+(day|week|month)s?(?-u:\b)|([\d零〇一二两三四五六七八九十百]+)\s?(天|周|个星期|星期|个月)",
    )
});

/// A score on a scale of five, said as one: "1 out of 5", "2/5", "four stars", "rate it a 3",
/// "给2分", "五星". A bare number is no rating (that is the `Number` finder's, read in context).
static RATING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)([1-5]|one|two|three|four|five)\s*(?:out\s+of|/)\s*(?:5|five)(?-u:\b)|(?-u:\b)([1-5]|one|two|three|four|five)\s*stars?(?-u:\b)|(?-u:\b)(?:rate|rating|score)\s+(?:it|you|this|that|them|us|of)?\s*(?:an?\s+|as\s+)?([1-5])(?-u:\b)|([1-5一二两三四五])\s*(?:颗\s*)?(?:分|星)",
    )
});

fn ratings(text: &str) -> Vec<Found> {
    RATING
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            // "2分钟" is two minutes, "一分钱" one cent, "五星期" five weeks.
            if c.get(4).is_some() && text[m.end()..].starts_with(['钟', '钱', '期']) {
                return None;
            }
            let score = match c.get(1).or(c.get(2)).or(c.get(3)).or(c.get(4))?.as_str().to_lowercase().as_str() {
                "one" | "一" => 1.0,
                "two" | "二" | "两" => 2.0,
                "three" | "三" => 3.0,
                "four" | "四" => 4.0,
                "five" | "五" => 5.0,
                digits => digits.parse().ok()?,
            };
            Some(Found { start: m.start(), end: m.end(), normalized: json!(score) })
        })
        .collect()
}

/// Up to six letters, an optional separator, at least two digits, then more letters, digits
/// and separators. ASCII word boundaries, so an id inside Chinese text is found. (Digits alone
/// are numbers; a domain's own patterns say which of them are ids.)
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?-u:\b)[A-Z]{1,6}[-_/]?\d{2,}(?:[-_/]?[A-Z\d]+)*(?-u:\b)"));

/// Identifiers, upper-cased.
fn identifiers(text: &str) -> Vec<Found> {
    IDENTIFIER.find_iter(text).map(|m| Found { start: m.start(), end: m.end(), normalized: json!(m.as_str().to_uppercase()) }).collect()
}

fn simple(pattern: &Regex, text: &str) -> Vec<Found> {
    pattern.find_iter(text).map(|m| Found { start: m.start(), end: m.end(), normalized: json!(m.as_str()) }).collect()
}

fn parse_number(digits: &str, scale: Option<&str>) -> Option<f64> {
    let value: f64 = digits.replace(',', "").parse().ok()?;
    Some(match scale.map(str::to_ascii_lowercase).as_deref() {
        Some("k") => value * 1e3,
        Some("m") => value * 1e6,
        _ => value,
    })
}

fn currency_code(symbol: &str) -> String {
    let symbol = symbol.trim().trim_end_matches('.').to_lowercase();
    match symbol.as_str() {
        "$" | "us$" | "usd" | "dollar" | "dollars" | "bucks" | "美元" => "USD",
        "€" | "eur" | "euro" | "euros" | "欧元" => "EUR",
        "£" | "gbp" | "pound" | "pounds" | "英镑" => "GBP",
        "jpy" | "yen" => "JPY",
        "₹" | "inr" | "rs" | "rupee" | "rupees" | "卢比" => "INR",
        "franc" | "francs" => "CHF",
        "¥" | "￥" | "cny" | "rmb" | "yuan" | "元" | "块" | "人民币" => "CNY",
        code => return code.to_uppercase(),
    }
    .to_string()
}

/// The digits of an amount as a number to parse: a comma before the last one or two digits is
/// a decimal comma ("189,50", "1.250,50"); dots between groups of three with no comma group
/// thousands ("22.000 €"); otherwise commas group thousands, Indian style too ("7,50,000").
fn money_digits(digits: &str) -> String {
    match digits.rsplit_once(',') {
        Some((whole, cents)) if cents.len() <= 2 => format!("{}.{cents}", whole.replace('.', "")),
        None if digits.split('.').skip(1).all(|group| group.len() == 3) => digits.replace('.', ""),
        _ => digits.replace(',', ""),
    }
}

fn money(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for c in MONEY_PREFIX.captures_iter(text) {
        let m = c.get(0).expect("match");
        if let Some(amount) = parse_number(&money_digits(&c[2]), c.get(3).map(|x| x.as_str())) {
            found.push(Found { start: m.start(), end: m.end(), normalized: json!({"amount": amount, "currency": currency_code(&c[1])}) });
        }
    }
    for c in MONEY_SUFFIX.captures_iter(text) {
        let m = c.get(0).expect("match");
        let (digits, scale, unit) = match c.get(1) {
            Some(d) => (d.as_str(), c.get(2), &c[3]),
            None => (&c[4], c.get(5), &c[6]),
        };
        if let Some(amount) = parse_number(&money_digits(digits), scale.map(|x| x.as_str())) {
            found.push(Found { start: m.start(), end: m.end(), normalized: json!({"amount": amount, "currency": currency_code(unit)}) });
        }
    }
    found.extend(spelled(text).into_iter().filter_map(|n| {
        let before = CURRENCY_BEFORE.captures(&text[..n.start]);
        let after = CURRENCY_AFTER.captures(&text[n.end..]);
        let (start, end, unit) = match (before, after) {
            (_, Some(c)) => (n.start, n.end + c.get(0).expect("match").end(), c.get(1).or(c.get(2)).expect("unit").as_str().to_string()),
            (Some(c), None) => (c.get(0).expect("match").start(), n.end, c[1].to_string()),
            (None, None) => return None,
        };
        Some(Found { start, end, normalized: json!({"amount": n.value, "currency": currency_code(&unit)}) })
    }));
    found
}

/// Numbers in English words and Chinese numerals. A lone Chinese numeral character ("一下",
/// "一个") is a word, not a number, unless money follows it.
fn spelled(text: &str) -> Vec<crate::numerals::Numeral> {
    let chinese =
        crate::numerals::chinese(text).into_iter().filter(|n| text[n.start..n.end].chars().count() > 1 || CURRENCY_AFTER.is_match(&text[n.end..]));
    crate::numerals::english(text).into_iter().chain(chinese).collect()
}

fn numbers(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for c in NUMBER.captures_iter(text) {
        let digits = c.get(1).expect("number group");
        let end = c.get(2).map_or(digits.end(), |s| s.end());
        if let Some(value) = parse_number(digits.as_str(), c.get(2).map(|x| x.as_str())) {
            found.push(Found { start: digits.start(), end, normalized: json!(value) });
        }
    }
    found.extend(spelled(text).into_iter().map(|n| Found { start: n.start, end: n.end, normalized: json!(n.value) }));
    found
}

/// The value of a run that is one Chinese numeral ("两", "二十", "十五").
fn whole_chinese_number(run: &str) -> Option<f64> {
    crate::numerals::chinese(run).into_iter().find(|n| n.start == 0 && n.end == run.len()).map(|n| n.value)
}

fn durations(text: &str) -> Vec<Found> {
    DURATION
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            let (count, unit) = match c.get(1) {
                Some(n) => (n.as_str(), &c[2]),
                None => (&c[3], &c[4]),
            };
            let count: f64 = match count.to_lowercase().as_str() {
                "a" | "an" | "one" => 1.0,
                "two" => 2.0,
                "three" => 3.0,
                "four" => 4.0,
                "five" => 5.0,
                "six" => 6.0,
                "seven" => 7.0,
                "ten" => 10.0,
                digits => digits.parse().ok().or_else(|| whole_chinese_number(digits))?,
            };
            let days = count
                * match unit.to_lowercase().as_str() {
                    "week" | "周" | "星期" | "个星期" => 7.0,
                    "month" | "个月" => 30.0,
                    _ => 1.0,
                };
            Some(Found { start: m.start(), end: m.end(), normalized: json!({"days": days}) })
        })
        .collect()
}

const MONTHS: &str =
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun";

static DATE_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        re(r"(?-u:\b)(\d{4})-(\d{1,2})-(\d{1,2})(?-u:\b)"),
        // 12/20/2026 (US order, or day first where the first cannot be a month), 20.12.2026.
        re(r"(?-u:\b)(\d{1,2})/(\d{1,2})/(\d{4})(?-u:\b)|(?-u:\b)(\d{1,2})\.(\d{1,2})\.(\d{4})(?-u:\b)"),
        // A weekday before a month and day is part of the date ("Friday 27 Nov", "Fri, Nov 27").
        re(&format!(r"(?i)(?-u:\b)(?:(?:{WEEKDAYS}),?\s+)?({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?-u:\b)")),
        re(&format!(r"(?i)(?-u:\b)(?:(?:{WEEKDAYS}),?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTHS})(?:,?\s+(\d{{4}}))?(?-u:\b)")),
        // Shorthand and common misspellings of "tomorrow" as typed on a phone ("tmrw EOD").
        re(
            r"(?i)(?-u:\b)(today|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow|2morrow|yesterday|day after tomorrow|day before yesterday)(?-u:\b)|(大后天|大前天|今天|明天|后天|昨天|前天|今日|明日|昨日)",
        ),
        re(&format!(
            r"(?i)(?-u:\b)(next|this|coming)\s+({WEEKDAYS})(?-u:\b)|(?-u:\b)on\s+({WEEKDAYS})(?-u:\b)|下(?:个)?(?:周|星期)([一二三四五六日天])"
        )),
        re(r"(?i)(?-u:\b)in\s+(\d+|a|one|two|three)\s+(day|week)s?(?-u:\b)"),
        re(&format!(r"(?i)(?-u:\b)(?:({WEEKDAYS}),?\s+(?:the\s+)?|the\s+)(\d{{1,2}})(?:st|nd|rd|th)(?-u:\b)|(\d{{1,2}})\s?(?:号|日)")),
        re(r"(\d{1,2})月(\d{1,2})[日号]"),
        re(&format!(r"(?i)(?-u:\b)(?:last|past|previous)\s+({WEEKDAYS})(?-u:\b)|上(?:个)?(?:周|星期)([一二三四五六日天])")),
        // Month/day without a year ("12/20"; "20/12" where the first cannot be a month).
        re(r"(?:^|[^\d/.])(\d{1,2})/(\d{1,2})(?:$|[^\d/])"),
        // A span counted from a day: "a week from tomorrow", "3 days from now".
        re(r"(?i)(?-u:\b)(\d+|a|an|one|two|three|four)\s+(day|week)s?\s+from\s+(today|tomorrow|now)(?-u:\b)"),
    ]
});

fn month_number(name: &str) -> u32 {
    let lower = name.to_lowercase();
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|m| lower.starts_with(m))
        .map_or(1, |i| i as u32 + 1)
}

fn weekday(name: &str) -> Weekday {
    let lower = name.to_lowercase();
    match lower.get(..3).unwrap_or("") {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        _ => match name {
            "一" => Weekday::Mon,
            "二" => Weekday::Tue,
            "三" => Weekday::Wed,
            "四" => Weekday::Thu,
            "五" => Weekday::Fri,
            "六" => Weekday::Sat,
            _ => Weekday::Sun,
        },
    }
}

/// The next date (after `today`) falling on `day`.
fn next_weekday(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (day.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64).rem_euclid(7);
    today + Duration::days(if ahead == 0 { 7 } else { ahead })
}

/// A month/day without a year: the nearer of this year's, last year's and next year's
/// ("bought Nov 18" on Nov 29 is eleven days ago; "Jan 5" in late November is next January).
fn nearest(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    [today.year(), today.year() - 1, today.year() + 1]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .min_by_key(|date| (*date - today).num_days().abs())
}

/// A day of the month said with its weekday ("Thursday the 26th"): in the month before, this
/// one or the next, the nearest where that day falls on that weekday.
fn on_weekday(today: NaiveDate, weekday: Weekday, day: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
    [first.checked_sub_months(chrono::Months::new(1))?, first, first.checked_add_months(chrono::Months::new(1))?]
        .into_iter()
        .filter_map(|month| month.with_day(day))
        .filter(|date| date.weekday() == weekday)
        .min_by_key(|date| (*date - today).num_days().abs())
}

/// A count of days or weeks ("a week", "3 days") as a duration.
fn span(count: &str, unit: &str) -> Option<Duration> {
    let count: i64 = match count.to_lowercase().as_str() {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        digits => digits.parse().ok()?,
    };
    Some(Duration::days(count * if unit.eq_ignore_ascii_case("week") { 7 } else { 1 }))
}

fn date_from(index: usize, c: &Captures, today: NaiveDate) -> Option<NaiveDate> {
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    match index {
        0 => NaiveDate::from_ymd_opt(num(1)? as i32, num(2)? as u32, num(3)? as u32),
        1 => match c.get(4) {
            Some(_) => NaiveDate::from_ymd_opt(num(6)? as i32, num(5)? as u32, num(4)? as u32),
            None => {
                let (first, second) = (num(1)? as u32, num(2)? as u32);
                let (month, day) = if first > 12 { (second, first) } else { (first, second) };
                NaiveDate::from_ymd_opt(num(3)? as i32, month, day)
            }
        },
        2 | 3 => {
            let (month, day) = if index == 2 { (month_number(&c[1]), num(2)? as u32) } else { (month_number(&c[2]), num(1)? as u32) };
            match num(3) {
                Some(year) => NaiveDate::from_ymd_opt(year as i32, month, day),
                None => nearest(today, month, day),
            }
        }
        4 => {
            let word = c.get(1).or(c.get(2))?.as_str().to_lowercase();
            let offset = match word.as_str() {
                "today" | "今天" | "今日" => 0,
                "tomorrow" | "tmrw" | "tmr" | "tomorow" | "tommorow" | "tommorrow" | "2morrow" | "明天" | "明日" => 1,
                "day after tomorrow" | "后天" => 2,
                "大后天" => 3,
                "day before yesterday" | "前天" => -2,
                "大前天" => -3,
                _ => -1,
            };
            Some(today + Duration::days(offset))
        }
        5 => {
            if let Some(day) = c.get(4) {
                let this_monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
                return Some(this_monday + Duration::days(7 + weekday(day.as_str()).num_days_from_monday() as i64));
            }
            let day = weekday(c.get(2).or(c.get(3))?.as_str());
            let next = next_weekday(today, day);
            // "next Monday" said on a Sunday is tomorrow; on a Monday it is a week away.
            Some(next)
        }
        6 => Some(today + span(&c[1], &c[2])?),
        11 => {
            let from = if c[3].eq_ignore_ascii_case("tomorrow") { today + Duration::days(1) } else { today };
            Some(from + span(&c[1], &c[2])?)
        }
        7 => {
            let day = c.get(2).or(c.get(3))?.as_str().parse::<u32>().ok()?;
            // A weekday that falls on that day in no month near is a slip: the day alone counts.
            if let Some(date) = c.get(1).and_then(|name| on_weekday(today, weekday(name.as_str()), day)) {
                return Some(date);
            }
            let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), day);
            match this_month {
                Some(d) if d >= today => Some(d),
                _ => {
                    let (y, m) = if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
                    NaiveDate::from_ymd_opt(y, m, day)
                }
            }
        }
        8 => nearest(today, num(1)? as u32, num(2)? as u32),
        10 => {
            let (first, second) = (num(1)? as u32, num(2)? as u32);
            // "3/5" is a rating of three out of five before it is the fifth of March.
            if second == 5 && first <= 5 {
                return None;
            }
            let (month, day) = if first > 12 { (second, first) } else { (first, second) };
            nearest(today, month, day)
        }
        _ => {
            if let Some(day) = c.get(2) {
                // 上周五: Friday of last week.
                let this_monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
                return Some(this_monday - Duration::days(7) + Duration::days(weekday(day.as_str()).num_days_from_monday() as i64));
            }
            // "last Thursday": the latest Thursday before today.
            let day = weekday(c.get(1)?.as_str());
            let back = (today.weekday().num_days_from_monday() as i64 - day.num_days_from_monday() as i64).rem_euclid(7);
            Some(today - Duration::days(if back == 0 { 7 } else { back }))
        }
    }
}

fn dates(text: &str, today: NaiveDate) -> Vec<Found> {
    let mut found = Vec::new();
    for (index, pattern) in DATE_PATTERNS.iter().enumerate() {
        for c in pattern.captures_iter(text) {
            // The month/day pattern matches a character either side of the date.
            let m = if index == 10 { c.get(1).zip(c.get(2)).map(|(a, b)| a.start()..b.end()) } else { c.get(0).map(|m| m.range()) }.expect("match");
            if let Some(date) = date_from(index, &c, today) {
                found.push(Found { start: m.start, end: m.end, normalized: json!(date.format("%Y-%m-%d").to_string()) });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap() // a Sunday
    }

    fn values(kind: Builtin, text: &str) -> Vec<Value> {
        let mut found = kind.find(text, today());
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        found.into_iter().map(|f| f.normalized).collect()
    }

    #[test]
    fn money_forms() {
        assert_eq!(values(Builtin::Money, "refund $4,000 please")[0], json!({"amount": 4000.0, "currency": "USD"}));
        assert_eq!(values(Builtin::Money, "about 4k USD")[0], json!({"amount": 4000.0, "currency": "USD"}));
        assert_eq!(values(Builtin::Money, "¥500")[0], json!({"amount": 500.0, "currency": "CNY"}));
        assert_eq!(values(Builtin::Money, "退款500元")[0], json!({"amount": 500.0, "currency": "CNY"}));
        assert_eq!(values(Builtin::Money, "20 euros")[0], json!({"amount": 20.0, "currency": "EUR"}));
        assert_eq!(values(Builtin::Money, "金额EUR 1,250，审批人")[0], json!({"amount": 1250.0, "currency": "EUR"}));
        assert!(values(Builtin::Money, "order 12345").is_empty());
        assert_eq!(values(Builtin::Money, "it cost forty dollars")[0], json!({"amount": 40.0, "currency": "USD"}));
        assert_eq!(values(Builtin::Money, "sixty-five euros")[0], json!({"amount": 65.0, "currency": "EUR"}));
        assert_eq!(values(Builtin::Money, "合同金额五十万元")[0], json!({"amount": 500000.0, "currency": "CNY"}));
        assert_eq!(values(Builtin::Money, "预算8万元")[0], json!({"amount": 80000.0, "currency": "CNY"}));
        assert_eq!(values(Builtin::Money, "¥三千五")[0], json!({"amount": 3500.0, "currency": "CNY"}));
        let money = |text| values(Builtin::Money, text)[0].clone();
        assert_eq!(money("amount 22.000 €, approver"), json!({"amount": 22000.0, "currency": "EUR"}), "European thousands");
        assert_eq!(money("189,50 EUR"), json!({"amount": 189.5, "currency": "EUR"}), "a decimal comma");
        assert_eq!(money("EUR 1.250,50"), json!({"amount": 1250.5, "currency": "EUR"}));
        assert_eq!(money("INR 7,50,000"), json!({"amount": 750000.0, "currency": "INR"}), "Indian grouping");
        assert_eq!(money("one expense: Rs. 2,350, meals"), json!({"amount": 2350.0, "currency": "INR"}));
        assert_eq!(money("one thousand four hundred ninety nine rupees"), json!({"amount": 1499.0, "currency": "INR"}));
        assert_eq!(money("₹899"), json!({"amount": 899.0, "currency": "INR"}));
        assert_eq!(money("CHF 1,200.50"), json!({"amount": 1200.5, "currency": "CHF"}));
        assert_eq!(money("$1,250.50 and $45.50")["amount"], json!(1250.5));
    }

    #[test]
    fn dates_absolute_and_relative() {
        assert_eq!(values(Builtin::Date, "due 2026-12-12"), vec![json!("2026-12-12")]);
        assert_eq!(values(Builtin::Date, "by tomorrow"), vec![json!("2026-11-30")]);
        assert_eq!(values(Builtin::Date, "tmrw EOD"), vec![json!("2026-11-30")]);
        assert_eq!(values(Builtin::Date, "next Monday"), vec![json!("2026-11-30")]);
        assert_eq!(values(Builtin::Date, "actually the 12th"), vec![json!("2026-12-12")]);
        assert_eq!(values(Builtin::Date, "Dec 3"), vec![json!("2026-12-03")]);
        assert_eq!(values(Builtin::Date, "明天"), vec![json!("2026-11-30")]);
        assert_eq!(values(Builtin::Date, "前天"), vec![json!("2026-11-27")]);
        assert_eq!(values(Builtin::Date, "大后天"), vec![json!("2026-12-02")]);
        assert_eq!(values(Builtin::Date, "the day before yesterday"), vec![json!("2026-11-27")]);
        assert_eq!(values(Builtin::Date, "12月24日"), vec![json!("2026-12-24")]);
        assert_eq!(values(Builtin::Date, "bought Nov 18"), vec![json!("2026-11-18")], "nearer in the past");
        assert_eq!(values(Builtin::Date, "from Jan 5th"), vec![json!("2027-01-05")], "nearer ahead");
        assert_eq!(values(Builtin::Date, "last thursday"), vec![json!("2026-11-26")]);
        assert_eq!(values(Builtin::Date, "sorry, it was thursday the 26th"), vec![json!("2026-11-26")], "the weekday picks the month");
        assert_eq!(values(Builtin::Date, "Sat 26th"), vec![json!("2026-12-26")]);
        assert_eq!(values(Builtin::Date, "team lunch on Friday 27 Nov"), vec![json!("2026-11-27")], "the weekday belongs to the date");
        assert_eq!(values(Builtin::Date, "Fri, Nov 27"), vec![json!("2026-11-27")]);
        assert_eq!(values(Builtin::Date, "a week from tomorrow"), vec![json!("2026-12-07")]);
        assert_eq!(values(Builtin::Date, "3 days from now"), vec![json!("2026-12-02")]);
        assert_eq!(values(Builtin::Date, "on Friday the 2nd"), vec![json!("2026-10-02")], "the nearest 2nd that is a Friday");
        assert_eq!(values(Builtin::Date, "last Sunday"), vec![json!("2026-11-22")], "today is Sunday");
        assert_eq!(values(Builtin::Date, "上周五"), vec![json!("2026-11-20")]);
        assert_eq!(values(Builtin::Date, "in 2 weeks"), vec![json!("2026-12-13")]);
        assert_eq!(values(Builtin::Date, "due 12/20"), vec![json!("2026-12-20")], "month/day, US order");
        assert_eq!(values(Builtin::Date, "on 20/12."), vec![json!("2026-12-20")], "day/month where it cannot be a month");
        assert_eq!(values(Builtin::Date, "bought it 11/3"), vec![json!("2026-11-03")]);
        assert_eq!(values(Builtin::Date, "until 18.12.2026"), vec![json!("2026-12-18")], "day.month.year");
        assert_eq!(values(Builtin::Date, "on 24/11/2026"), vec![json!("2026-11-24")], "day first where it cannot be a month");
        assert_eq!(values(Builtin::Date, "12/20/2026"), vec![json!("2026-12-20")]);
        assert!(values(Builtin::Date, "rated 3/5").is_empty(), "a rating out of five");
        assert!(values(Builtin::Date, "1.5/10 or 2026/12/20 or 13/13").is_empty());
    }

    #[test]
    fn numbers_durations_contacts() {
        assert_eq!(values(Builtin::Number, "make it 4,000"), vec![json!(4000.0)]);
        assert_eq!(values(Builtin::Number, "I give it a five"), vec![json!(5.0)]);
        assert_eq!(values(Builtin::Number, "金额50万"), vec![json!(500000.0)]);
        assert!(values(Builtin::Number, "帮我查一下").is_empty(), "a lone 一 is a word");
        assert_eq!(values(Builtin::Duration, "3 days off"), vec![json!({"days": 3.0})]);
        assert_eq!(
            values(Builtin::Duration, "请两天假，再加二十天和三个星期"),
            vec![json!({"days": 2.0}), json!({"days": 20.0}), json!({"days": 21.0})]
        );
        assert_eq!(values(Builtin::Email, "mail a.b@example.com now"), vec![json!("a.b@example.com")]);
    }

    #[test]
    fn ratings_said_as_ratings() {
        let ratings = |text| values(Builtin::Rating, text);
        assert_eq!(ratings("it broke, honestly 1 out of 5"), vec![json!(1.0)]);
        assert_eq!(ratings("2/5, four stars elsewhere, I'd rate it a 3"), vec![json!(2.0), json!(4.0), json!(3.0)]);
        assert_eq!(ratings("杯子全摔碎了，打分的话只能给2分。五星好评"), vec![json!(2.0), json!(5.0)]);
        assert_eq!(ratings("两颗星,不能再多了"), vec![json!(2.0)], "a measure word between");
        assert!(ratings("I waited 5 days, 1 of 5 items broke, 等了2分钟, 一分钱, 三星期").is_empty(), "counts are no ratings");
    }

    #[test]
    fn identifiers_in_any_common_form() {
        let ids = |text| values(Builtin::Identifier, text);
        assert_eq!(
            ids("contract CTR-8812 with NW-2291, k-88 and INV2024-77/B"),
            vec![json!("CTR-8812"), json!("NW-2291"), json!("K-88"), json!("INV2024-77/B")]
        );
        assert_eq!(ids("合同号AP-20417，订单#48213"), vec![json!("AP-20417")]);
        assert!(ids("an A4 sheet, Q3 numbers, 48213 and $45").is_empty(), "one digit, or no letters, is no identifier");
    }
}
